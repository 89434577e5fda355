"""Reads for the reservation screens and the API: the cached booking context, the public week calendar,
today's visitors, search, occupancy and regeneration conflicts."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.cache import cache
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.models import Campaign
from reservations.fields import FieldConfig, build_config
from reservations.models import ClosedDay, Counter, Reservation, ReservationSettings, Slot

CONTEXT_TTL = 5.0  # seconds a web process trusts its copy of a campaign's settings
CALENDAR_TTL = 5  # seconds the public calendar may be stale; every booking re-checks the seat count


@dataclass(frozen=True)
class BookingContext:
    campaign_id: int
    accept_from: datetime | None
    accept_until: datetime | None
    access_mode: str
    fields: FieldConfig
    slot_minutes: int = 30
    configured: bool = True

    def accepting(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return bool(self.configured and self.accept_from and self.accept_until
                    and self.accept_from <= now <= self.accept_until)

    @property
    def allows_anonymous(self) -> bool:
        return self.access_mode in (ReservationSettings.AccessMode.BOTH, ReservationSettings.AccessMode.ANONYMOUS)

    @property
    def allows_account(self) -> bool:
        return self.access_mode in (ReservationSettings.AccessMode.BOTH, ReservationSettings.AccessMode.ACCOUNT)


_context_lock = threading.Lock()
_contexts: dict[int, tuple[float, BookingContext]] = {}
_slot_campaigns: dict[int, int] = {}


def booking_context(campaign_id: int) -> BookingContext:
    """The campaign's reservation settings, kept a few seconds in the process: no query per booking."""
    now = time.monotonic()
    hit = _contexts.get(campaign_id)
    if hit and hit[0] > now:
        return hit[1]
    row = ReservationSettings.objects.filter(campaign_id=campaign_id).first()
    if row is None:
        ctx = BookingContext(campaign_id=campaign_id, accept_from=None, accept_until=None,
                             access_mode=ReservationSettings.AccessMode.BOTH, fields=build_config(None, None),
                             configured=False)
    else:
        ctx = BookingContext(campaign_id=campaign_id, accept_from=row.accept_from, accept_until=row.accept_until,
                             access_mode=row.access_mode, fields=build_config(row.basic_fields, row.extra_fields),
                             slot_minutes=row.slot_minutes)
    with _context_lock:
        _contexts[campaign_id] = (now + CONTEXT_TTL, ctx)
    return ctx


def booking_context_forget(campaign_id: int | None = None) -> None:
    with _context_lock:
        if campaign_id is None:
            _contexts.clear()
            _slot_campaigns.clear()
        else:
            _contexts.pop(campaign_id, None)


def slot_campaign_id(slot_id: int) -> int | None:
    """The campaign of a slot (never changes, so it is remembered for the life of the process)."""
    found = _slot_campaigns.get(slot_id)
    if found is None:
        # Raw: a booking rush misses once per slot and worker, and the ORM's query building costs more than
        # the query.
        with connection.cursor() as cursor:
            cursor.execute("SELECT campaign_id FROM reservations_slot WHERE id = %s", [slot_id])
            row = cursor.fetchone()
        found = row[0] if row else None
        if found is not None:
            if len(_slot_campaigns) > 200_000:
                _slot_campaigns.clear()
            _slot_campaigns[slot_id] = found
    return found


def counters(campaign: Campaign, *, active_only: bool = True) -> QuerySet[Counter]:
    qs = Counter.objects.filter(campaign=campaign)
    return qs.filter(is_active=True) if active_only else qs


# --- the public week calendar ------------------------------------------------------------------------------

def seat_symbol(remaining: int, capacity: int) -> tuple[str, str]:
    """(symbol, words) for the remaining seats: never colour alone, the symbol always comes with text."""
    if remaining <= 0:
        return "×", _("Full")
    if capacity and remaining * 2 >= capacity and remaining >= 3:
        return "◎", _("%(n)d left") % {"n": remaining}
    if remaining <= 2 or (capacity and remaining * 5 <= capacity):
        return "△", _("Only %(n)d left") % {"n": remaining}
    return "○", _("%(n)d left") % {"n": remaining}


@dataclass
class WeekCell:
    state: str  # "open" | "full" | "closed_day" | "none" | "past" | "closed"
    slot_id: int | None = None
    remaining: int = 0
    symbol: str = "-"
    words: str = ""


@dataclass
class WeekGrid:
    days: list[date]
    rows: list[tuple[str, list[WeekCell]]] = field(default_factory=list)
    closed: dict = field(default_factory=dict)


def week_grid(counter: Counter, start: date) -> WeekGrid:
    """Seven days from ``start``: one row per start time, one cell per day. Cached for a few seconds."""
    key = f"resv:week:{counter.pk}:{start.isoformat()}"
    grid = cache.get(key)
    if grid is None:
        grid = _week_grid(counter, start)
        cache.set(key, grid, CALENDAR_TTL)
    return grid


def _week_grid(counter: Counter, start: date) -> WeekGrid:
    days = [start + timedelta(days=i) for i in range(7)]
    now = timezone.now()
    slots = list(Slot.objects.filter(counter=counter, day__gte=days[0], day__lte=days[-1])
                 .values("id", "day", "starts_at", "capacity", "booked", "is_open"))
    closed = {c.date: c.reason for c in ClosedDay.objects.filter(
        Q(counter=counter) | Q(counter__isnull=True, campaign_id=counter.campaign_id),
        date__gte=days[0], date__lte=days[-1])}
    times = sorted({timezone.localtime(s["starts_at"]).strftime("%H:%M") for s in slots})
    by_key = {(s["day"], timezone.localtime(s["starts_at"]).strftime("%H:%M")): s for s in slots}
    grid = WeekGrid(days=days, closed={d: (r or _("Closed")) for d, r in closed.items()})
    for hhmm in times:
        cells = []
        for day in days:
            slot = by_key.get((day, hhmm))
            if day in closed:
                cells.append(WeekCell(state="closed_day", symbol="休", words=_("Closed")))
            elif slot is None:
                cells.append(WeekCell(state="none", symbol="-", words=_("No slot")))
            elif slot["starts_at"] <= now:
                cells.append(WeekCell(state="past", symbol="-", words=_("Past")))
            elif not slot["is_open"]:
                cells.append(WeekCell(state="closed", symbol="-", words=_("Not bookable")))
            else:
                remaining = max(0, slot["capacity"] - slot["booked"])
                symbol, words = seat_symbol(remaining, slot["capacity"])
                cells.append(WeekCell(state="open" if remaining else "full", slot_id=slot["id"],
                                      remaining=remaining, symbol=symbol, words=words))
        grid.rows.append((hhmm, cells))
    return grid


def bookable_slots(campaign_id: int, *, counter_id: int | None = None, day_from: date | None = None,
                   day_to: date | None = None, limit: int = 2000) -> list[dict]:
    qs = Slot.objects.filter(campaign_id=campaign_id, is_open=True, starts_at__gt=timezone.now())
    if counter_id:
        qs = qs.filter(counter_id=counter_id)
    if day_from:
        qs = qs.filter(day__gte=day_from)
    if day_to:
        qs = qs.filter(day__lte=day_to)
    return list(qs.order_by("starts_at", "counter_id")
                .values("id", "counter_id", "day", "starts_at", "ends_at", "capacity", "booked")[:limit])


# --- staff -------------------------------------------------------------------------------------------------

def reservation_for_staff(campaign: Campaign, pk: int) -> Reservation | None:
    return (Reservation.objects.select_related("slot", "slot__counter", "resident", "booked_by")
            .filter(campaign=campaign, pk=pk).first())


def day_visitors(campaign: Campaign, day: date) -> list[tuple[Counter, list[Reservation]]]:
    rows = (Reservation.objects.filter(campaign=campaign, slot__day=day)
            .exclude(status=Reservation.Status.CANCELLED)
            .select_related("slot", "slot__counter").order_by("slot__counter__sort_order", "slot__starts_at", "id"))
    grouped: dict[int, list[Reservation]] = {}
    for r in rows:
        grouped.setdefault(r.slot.counter_id, []).append(r)
    return [(c, grouped.get(c.pk, [])) for c in counters(campaign, active_only=False)
            if c.is_active or c.pk in grouped]


@dataclass
class SearchFilter:
    number: str = ""
    resident_number: str = ""
    name: str = ""
    name_match: str = "partial"  # "prefix" | "partial"
    date_kind: str = "visit"  # "visit" | "booked"
    date_from: date | None = None
    date_to: date | None = None
    status: str = ""
    counter_id: int | None = None

    def to_params(self) -> dict:
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.__dict__.items() if v}

    @classmethod
    def from_params(cls, params: dict) -> SearchFilter:
        values = dict(params)
        for key in ("date_from", "date_to"):
            if values.get(key):
                values[key] = date.fromisoformat(values[key])
        return cls(**{k: v for k, v in values.items() if k in cls.__dataclass_fields__})


def search(campaign: Campaign, flt: SearchFilter) -> QuerySet[Reservation]:
    import jaconv

    qs = Reservation.objects.filter(campaign=campaign).select_related("slot", "slot__counter")
    if flt.number:
        qs = qs.filter(pk=int(flt.number)) if flt.number.isdigit() else qs.none()
    if flt.resident_number:
        qs = qs.filter(Q(resident_number=flt.resident_number) | Q(resident__resident_number=flt.resident_number))
    if flt.name:
        term = flt.name.strip()
        kana = jaconv.hira2kata(term)
        if flt.name_match == "prefix":
            qs = qs.filter(Q(name__startswith=term) | Q(kana__startswith=kana))
        else:
            qs = qs.filter(Q(name__contains=term) | Q(kana__contains=kana))
    if flt.date_from or flt.date_to:
        if flt.date_kind == "booked":
            if flt.date_from:
                qs = qs.filter(created_at__date__gte=flt.date_from)
            if flt.date_to:
                qs = qs.filter(created_at__date__lte=flt.date_to)
        else:
            if flt.date_from:
                qs = qs.filter(slot__day__gte=flt.date_from)
            if flt.date_to:
                qs = qs.filter(slot__day__lte=flt.date_to)
    if flt.status:
        qs = qs.filter(status=flt.status)
    if flt.counter_id:
        qs = qs.filter(slot__counter_id=flt.counter_id)
    return qs.order_by("-id")


def occupancy(campaign: Campaign, day: date) -> tuple[list[Counter], list[tuple[str, list[Slot | None]]]]:
    """Slots of one day across counters: rows are start times, columns counters."""
    cols = list(counters(campaign))
    slots = Slot.objects.filter(campaign=campaign, day=day).order_by("starts_at")
    by_key = {}
    times = []
    for s in slots:
        hhmm = timezone.localtime(s.starts_at).strftime("%H:%M")
        if hhmm not in times:
            times.append(hhmm)
        by_key[(s.counter_id, hhmm)] = s
    return cols, [(t, [by_key.get((c.pk, t)) for c in cols]) for t in times]


def conflicts(campaign: Campaign) -> QuerySet[Slot]:
    """Slots with bookings that the current rules no longer want (closed) or that exceed their capacity."""
    from django.db.models import F

    return (Slot.objects.filter(campaign=campaign, booked__gt=0)
            .filter(Q(is_open=False) | Q(booked__gt=F("capacity")))
            .filter(ends_at__gt=timezone.now()).select_related("counter").order_by("starts_at"))

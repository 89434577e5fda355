"""Every write of the reservations app: booking, change, cancel, arrival, no-shows, resident accounts,
set-up and slot generation. Keyword-only, one transaction each; staff writes are audit-logged.

The web form, the staff form and the API all book through ``reservation_book``, which validates the answers
with ``reservations.fields.validate_answers`` and calls the lean ``reservations.booking.book``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from campaign.audit import audit_log, client_ip
from campaign.models import Campaign
from reservations import booking, selectors, signals
from reservations.errors import ReservationError
from reservations.fields import split_answers, validate_answers
from reservations.models import (
    ClosedDay,
    Counter,
    OpeningRule,
    Reservation,
    ReservationSettings,
    Resident,
    Slot,
)

logger = logging.getLogger(__name__)

NO_SHOW_GRACE = timedelta(minutes=15)
RETENTION_DAYS = 365


@dataclass(frozen=True)
class BookingResult:
    reservation_id: int
    access_key: str | None
    replay: bool = False

    @property
    def number(self) -> str:
        return str(self.reservation_id)


def _staff(actor) -> bool:
    return bool(actor is not None and getattr(actor, "is_authenticated", False) and actor.is_staff)


def reservation_book(*, slot_id: int, answers: dict, channel: str, actor=None, resident: Resident | None = None,
                     resident_number: str = "", idempotency_key: str = "", request=None,
                     campaign_id: int | None = None, applicant=None) -> BookingResult:
    """Book one seat. Residents book within the window up to the public capacity; staff (proxy booking) up to
    the staff capacity, outside the window too. Raises ``FieldErrors`` or ``ReservationError``.

    Without an account an access key is issued (returned once, stored hashed); a resident account or a staff
    proxy booking of a resident ID needs none.
    """
    staff = _staff(actor)
    found = selectors.slot_campaign_id(slot_id)
    if found is None or (campaign_id is not None and found != campaign_id):
        raise ReservationError(_("This time slot does not exist."), code="not_found")
    ctx = selectors.booking_context(found)
    if not staff:
        if not ctx.accepting():
            raise ReservationError(_("Bookings are not being accepted at the moment."), code="window")
        if resident is None and not ctx.allows_anonymous:
            raise ReservationError(_("Please log in with your resident account to book."), code="account")
        if resident is not None and not ctx.allows_account:
            raise ReservationError(_("Bookings are taken without an account on this site."), code="account")
    cleaned = validate_answers(ctx.fields, answers, audience="staff" if staff else "public")
    basic, extra = split_answers(cleaned)
    if resident is not None:
        resident_number = resident_number or resident.resident_number
        if not basic.get("email") and resident.email:
            basic["email"] = resident.email

    def on_booked(reservation_id: int) -> None:
        if staff:
            audit_log(actor=actor, action="reservation.book", target_type="reservations.reservation",
                      target_id=reservation_id, target_label=_("Reservation %(n)s") % {"n": reservation_id},
                      data={"slot": slot_id, "channel": channel}, request=request)
        if signals.reservation_booked.receivers:
            signals.reservation_booked.send(sender=Reservation, reservation_id=reservation_id, actor=actor,
                                            applicant=applicant)

    done = booking.book(
        campaign_id=found, slot_id=slot_id, basic=basic, extra=extra, channel=channel, staff=staff,
        resident_id=resident.pk if resident else None, resident_number=resident_number,
        idempotency_key=idempotency_key[:100], ip=client_ip(request),
        booked_by_id=actor.pk if staff else None, with_access_key=resident is None and not resident_number,
        # A plain public booking has nothing to commit with it: the booking is then one statement on its own.
        on_booked=on_booked if (staff or applicant is not None) else None,
    )
    if not done.replay and basic.get("email"):
        _mail_on_commit(done.reservation_id, done.access_key)
    return BookingResult(reservation_id=done.reservation_id, access_key=done.access_key, replay=done.replay)


def _mail_on_commit(reservation_id: int, access_key: str | None) -> None:
    from reservations.tasks import send_confirmation

    transaction.on_commit(lambda: send_confirmation.delay(reservation_id, access_key or ""))


def _locked(reservation: Reservation) -> Reservation:
    return Reservation.objects.select_for_update().select_related("slot").get(pk=reservation.pk)


def _editable(reservation: Reservation, *, staff: bool) -> None:
    if reservation.status != Reservation.Status.BOOKED:
        raise ReservationError(_("This reservation can no longer be changed (status: %(status)s).")
                               % {"status": reservation.get_status_display()}, code="state")
    if not staff and reservation.slot.starts_at <= timezone.now():
        raise ReservationError(_("The booked time has passed; please call the secretariat."), code="past")


def reservation_change(*, reservation: Reservation, actor=None, slot_id: int | None = None,
                       answers: dict | None = None, request=None) -> Reservation:
    """Move a reservation to another slot (seat taken there first, then freed here) and/or change answers."""
    staff = _staff(actor)
    ctx = selectors.booking_context(reservation.campaign_id)
    if not staff and not ctx.accepting():
        raise ReservationError(_("Changes are not being accepted at the moment."), code="window")
    cleaned = None
    if answers is not None:
        cleaned = validate_answers(ctx.fields, answers, audience="staff" if staff else "public")
    with transaction.atomic():
        current = _locked(reservation)
        _editable(current, staff=staff)
        old_slot = current.slot_id
        if slot_id and slot_id != old_slot:
            with connection.cursor() as cursor:
                if not booking.take_seat(cursor, slot_id=slot_id, campaign_id=current.campaign_id, staff=staff):
                    raise booking.why_not_bookable(slot_id, current.campaign_id, staff=staff)
                booking.release_seat(cursor, old_slot)
            current.slot_id = slot_id
        if cleaned is not None:
            basic, extra = split_answers(cleaned)
            for column in booking._COLUMNS:
                if any(s.name == column for s in ctx.fields.for_audience("staff" if staff else "public")):
                    setattr(current, column, basic.get(column, None if column == "birth_date" else ""))
            current.extra = extra
        current.changed_at = timezone.now()
        current.save()
        audit_log(actor=actor, action="reservation.change", target=current,
                  data={"from_slot": old_slot, "to_slot": current.slot_id, "answers_changed": cleaned is not None},
                  request=request, campaign=current.campaign)
    current.refresh_from_db()
    return current


def reservation_cancel(*, reservation: Reservation, actor=None, request=None) -> Reservation:
    """Cancel and give the seat back."""
    staff = _staff(actor)
    with transaction.atomic():
        current = _locked(reservation)
        _editable(current, staff=staff)
        current.status = Reservation.Status.CANCELLED
        current.cancelled_at = timezone.now()
        current.save(update_fields=["status", "cancelled_at"])
        with connection.cursor() as cursor:
            booking.release_seat(cursor, current.slot_id)
        audit_log(actor=actor, action="reservation.cancel", target=current, request=request,
                  campaign=current.campaign)
        signals.reservation_cancelled.send(sender=Reservation, reservation=current, actor=actor)
    return current


def reservation_arrive(*, reservation: Reservation, actor, memo: str = "", request=None) -> Reservation:
    """Mark the visitor as arrived (来場), with the counter's memo. A no-show who comes late may be marked too."""
    with transaction.atomic():
        current = _locked(reservation)
        if current.status not in (Reservation.Status.BOOKED, Reservation.Status.NO_SHOW):
            raise ReservationError(_("Only a booked reservation can be marked as arrived."), code="state")
        current.status = Reservation.Status.VISITED
        current.arrived_at = timezone.now()
        current.arrival_memo = memo.strip()
        current.save(update_fields=["status", "arrived_at", "arrival_memo"])
        audit_log(actor=actor, action="reservation.arrive", target=current, data={"memo": current.arrival_memo},
                  request=request, campaign=current.campaign)
        signals.reservation_arrived.send(sender=Reservation, reservation=current, actor=actor)
    return current


def reservation_memo(*, reservation: Reservation, actor, memo: str, request=None) -> Reservation:
    with transaction.atomic():
        current = _locked(reservation)
        current.arrival_memo = memo.strip()
        current.save(update_fields=["arrival_memo"])
        audit_log(actor=actor, action="reservation.memo", target=current, request=request, campaign=current.campaign)
    return current


def reservations_flag_no_shows(*, now: datetime | None = None) -> int:
    """Flag booked reservations whose slot ended more than the grace time ago as no-shows (不来場)."""
    cutoff = (now or timezone.now()) - NO_SHOW_GRACE
    with transaction.atomic():
        ids = list(Reservation.objects.filter(status=Reservation.Status.BOOKED, slot__ends_at__lte=cutoff)
                   .select_for_update(skip_locked=True).values_list("pk", flat=True))
        count = Reservation.objects.filter(pk__in=ids).update(status=Reservation.Status.NO_SHOW)
        if count:
            audit_log(actor=None, action="reservation.no_shows", target_type="reservations.reservation",
                      data={"count": count, "ids": ids[:1000]})
    return count


def reservations_purge_personal_data(*, today: date | None = None) -> int:
    """Blank the personal fields of reservations whose visit date is more than the retention period ago."""
    today = today or timezone.localdate()
    due = Reservation.objects.filter(slot__day__lt=today - timedelta(days=RETENTION_DAYS),
                                     personal_data_purged_at__isnull=True)
    count = due.update(name="", kana="", sex="", birth_date=None, postal_code="", address="", phone="", phone2="",
                       fax="", email="", extra={}, arrival_memo="", resident_number="",
                       personal_data_purged_at=timezone.now())
    if count:
        audit_log(actor=None, action="reservation.purge_personal_data", target_type="reservations.reservation",
                  data={"count": count})
    return count


# --- anonymous access --------------------------------------------------------------------------------------

def reservation_lookup(*, number: str, access_key: str) -> Reservation | None:
    """The reservation a number and access key open, or None (the same answer for a wrong number or key)."""
    number = "".join(ch for ch in (number or "") if ch.isdigit())
    if not number or len(number) > 18:
        return None
    found = Reservation.objects.select_related("slot", "slot__counter").filter(pk=int(number)).first()
    digest = booking.access_key_hash(access_key or "")
    if found is None or not found.access_key_hash:
        constant_time_compare(digest, "0" * 64)
        return None
    return found if constant_time_compare(found.access_key_hash, digest) else None


# --- resident accounts -------------------------------------------------------------------------------------

def resident_signup(*, login_id: str, email: str, password: str, resident_number: str = "",
                    request=None) -> Resident:
    """Create a resident account: a Django user that is never staff and holds no role."""
    login_id = login_id.strip()
    if Resident.objects.filter(login_id__iexact=login_id).exists():
        raise ReservationError(_("This login ID is already taken. Please choose another."), code="taken")
    User = get_user_model()
    username = f"resident:{login_id}"[:150]
    user = User(username=username, email=email, is_staff=False, is_superuser=False)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ReservationError(" ".join(exc.messages), code="password") from None
    try:
        with transaction.atomic():
            user.set_password(password)
            user.save()
            resident = Resident.objects.create(user=user, login_id=login_id, email=email,
                                               resident_number=resident_number.strip())
            audit_log(actor=user, action="resident.signup", target=resident, request=request)
    except IntegrityError:
        raise ReservationError(_("This login ID is already taken. Please choose another."), code="taken") from None
    return resident


def resident_authenticate(*, login_id: str, password: str):
    """The resident's user for a login ID and password, or None. Staff accounts never log in here."""
    resident = Resident.objects.select_related("user").filter(login_id__iexact=login_id.strip()).first()
    if resident is None or not resident.user.is_active or resident.user.is_staff:
        get_user_model()().set_password(password)  # same work either way: no timing hint that the ID exists
        return None
    return resident.user if resident.user.check_password(password) else None


# --- set-up ------------------------------------------------------------------------------------------------

def settings_save(*, campaign: Campaign, actor, values: dict, request=None) -> ReservationSettings:
    with transaction.atomic():
        row, _created = ReservationSettings.objects.get_or_create(campaign=campaign, defaults=values)
        if not _created:
            for key, value in values.items():
                setattr(row, key, value)
            row.save()
        audit_log(actor=actor, action="reservation.settings", target=row, data=values, request=request,
                  campaign=campaign)
    selectors.booking_context_forget(campaign.pk)
    return row


def rules_bulk_create(*, counters: list[Counter], weekdays: list[int], opens: time, closes: time,
                      public_capacity: int, staff_capacity: int, valid_from: date | None = None,
                      valid_until: date | None = None, actor, request=None) -> int:
    """Bulk entry (一括登録): one rule per counter and weekday."""
    if opens >= closes:
        raise ReservationError(_("The closing time must be after the opening time."))
    if public_capacity > staff_capacity:
        raise ReservationError(_("Staff seats must be at least the public seats."))
    with transaction.atomic():
        rules = [OpeningRule(counter=c, weekday=w, opens=opens, closes=closes, public_capacity=public_capacity,
                             staff_capacity=staff_capacity, valid_from=valid_from, valid_until=valid_until)
                 for c in counters for w in weekdays]
        OpeningRule.objects.bulk_create(rules)
        if counters:
            audit_log(actor=actor, action="reservation.rules_create", target_type="reservations.openingrule",
                      data={"counters": [c.pk for c in counters], "weekdays": weekdays, "count": len(rules)},
                      request=request, campaign=counters[0].campaign)
    return len(rules)


@dataclass
class GenerationReport:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    closed: list[Slot] | None = None
    over_capacity: list[Slot] | None = None


def _wanted_slots(campaign: Campaign, cfg: ReservationSettings, counter: Counter) -> dict[datetime, tuple]:
    """{start: (end, public capacity, staff capacity)} the rules give for the window."""
    tz = timezone.get_current_timezone()
    step = timedelta(minutes=cfg.slot_minutes)
    rules = list(counter.rules.all())
    excluded = list(counter.excluded_times.all())
    closed = set(ClosedDay.objects.filter(campaign=campaign, counter__isnull=True).values_list("date", flat=True))
    closed |= set(counter.closed_days.values_list("date", flat=True))
    wanted = {}
    day = cfg.window_start
    while day <= cfg.window_end:
        if day not in closed:
            for rule in rules:
                if rule.weekday != day.weekday():
                    continue
                if (rule.valid_from and day < rule.valid_from) or (rule.valid_until and day > rule.valid_until):
                    continue
                start = datetime.combine(day, rule.opens, tz)
                end_of_day = datetime.combine(day, rule.closes, tz)
                while start + step <= end_of_day:
                    end = start + step
                    blocked = any((ex.date is None or ex.date == day)
                                  and start < datetime.combine(day, ex.end, tz)
                                  and datetime.combine(day, ex.start, tz) < end for ex in excluded)
                    if not blocked:
                        wanted[start] = (end, rule.public_capacity, rule.staff_capacity)
                    start = end
        day += timedelta(days=1)
    return wanted


def slots_generate(*, campaign: Campaign, progress=None) -> GenerationReport:
    """Make the slot rows match the rules for the window. Never drops a booked slot: a slot the rules no longer
    want is deleted when nobody ever booked it, otherwise closed for new bookings and listed as a conflict;
    a capacity lowered below the bookings keeps the bookings and is listed too."""
    cfg = ReservationSettings.objects.get(campaign=campaign)
    report = GenerationReport(closed=[], over_capacity=[])
    all_counters = list(Counter.objects.filter(campaign=campaign, is_active=True))
    for index, counter in enumerate(all_counters):
        wanted = _wanted_slots(campaign, cfg, counter)
        with transaction.atomic():
            existing = {s.starts_at: s for s in Slot.objects.select_for_update().filter(counter=counter)}
            new = []
            for start, (end, public, staff_cap) in wanted.items():
                slot = existing.pop(start, None)
                if slot is None:
                    new.append(Slot(campaign=campaign, counter=counter, day=timezone.localtime(start).date(),
                                    starts_at=start, ends_at=end, capacity=public, staff_capacity=staff_cap))
                    continue
                staff_final = max(staff_cap, slot.booked)
                changed = (slot.ends_at, slot.capacity, slot.staff_capacity, slot.is_open) != (
                    end, public, staff_final, True)
                if changed:
                    Slot.objects.filter(pk=slot.pk).update(ends_at=end, capacity=min(public, staff_final),
                                                           staff_capacity=staff_final, is_open=True)
                    report.updated += 1
                if slot.booked > public:
                    slot.capacity = public
                    report.over_capacity.append(slot)
            Slot.objects.bulk_create(new, batch_size=1000)
            report.created += len(new)
            for slot in existing.values():
                if slot.booked == 0 and not slot.reservations.exists():
                    slot.delete()
                    report.deleted += 1
                else:
                    if slot.is_open:
                        Slot.objects.filter(pk=slot.pk).update(is_open=False)
                    if slot.booked:
                        report.closed.append(slot)
        if progress:
            progress(int((index + 1) * 100 / max(1, len(all_counters))) - 1,
                     _("%(name)s done") % {"name": counter.name})
    return report

"""Reads for the applicant screens: the derived current status, search, history and the letter's counter list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from campaign.models import Campaign
from reservations.fields import FieldConfig, FieldSpec
from reservations.linkcodes import normalize
from reservations.models import Applicant, Counter, ProgressEvent, StatusLabel
from reservations.models_applicants import HANDED_OVER
from reservations.selectors import booking_context

# The basic booking fields an applicant has; the campaign's field configuration decides which are used.
APPLICANT_FIELDS = ("name", "kana", "sex", "birth_date", "postal_code", "address", "phone", "email")


def applicant_field_config(campaign_id: int) -> FieldConfig:
    """The reservation field configuration (use, alias label) restricted to the applicant's fields."""
    config = booking_context(campaign_id).fields
    return FieldConfig(specs=tuple(s for s in config.specs if s.name in APPLICANT_FIELDS))


def used_fields(campaign_id: int) -> list[FieldSpec]:
    return applicant_field_config(campaign_id).for_audience("staff")


def effective_events(applicant_ref="pk") -> QuerySet[ProgressEvent]:
    """Status entries that no undo cancelled, newest first (``applicant_ref`` names the outer applicant)."""
    return (ProgressEvent.objects.filter(applicant=OuterRef(applicant_ref), kind=ProgressEvent.Kind.SET,
                                         cancelled_by__isnull=True).order_by("-id"))


def with_current_status(qs: QuerySet[Applicant]) -> QuerySet[Applicant]:
    """Annotate ``current_status_id`` (a StatusLabel id or None) and ``current_status_at``: derived from the
    events, never stored, so an undo restores the previous status by itself."""
    latest = effective_events()
    return qs.annotate(current_status_id=Subquery(latest.values("status_id")[:1]),
                       current_status_at=Subquery(latest.values("occurred_at")[:1]))


def current_status(applicant: Applicant) -> StatusLabel | None:
    event = (ProgressEvent.objects.filter(applicant=applicant, kind=ProgressEvent.Kind.SET,
                                          cancelled_by__isnull=True).select_related("status").order_by("-id").first())
    return event.status if event else None


def history(applicant: Applicant) -> list[ProgressEvent]:
    """Every entry, oldest first, undone ones included (the page marks them)."""
    return list(ProgressEvent.objects.filter(applicant=applicant)
                .select_related("status", "cancels", "cancels__status", "cancelled_by")
                .order_by("id"))


def labels() -> dict[int, StatusLabel]:
    return {s.pk: s for s in StatusLabel.objects.all()}


@dataclass
class ApplicantFilter:
    status: str = ""  # a StatusLabel code, or "none" for applicants without any status yet
    date_from: date | None = None
    date_to: date | None = None
    name: str = ""
    link_code: str = ""
    resident_number: str = ""

    def to_params(self) -> dict:
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.__dict__.items() if v}

    @classmethod
    def from_params(cls, params: dict) -> ApplicantFilter:
        values = dict(params)
        for key in ("date_from", "date_to"):
            if values.get(key):
                values[key] = date.fromisoformat(values[key])
        return cls(**{k: v for k, v in values.items() if k in cls.__dataclass_fields__})


def _bounds(flt: ApplicantFilter) -> tuple[datetime | None, datetime | None]:
    tz = timezone.get_current_timezone()
    start = datetime.combine(flt.date_from, time.min, tz) if flt.date_from else None
    end = datetime.combine(flt.date_to + timedelta(days=1), time.min, tz) if flt.date_to else None
    return start, end


def search(campaign: Campaign, flt: ApplicantFilter) -> QuerySet[Applicant]:
    """Applicants by current status, period, name or kana (partial), link code and resident ID.

    The period means: when the current status was set (with a status chosen), otherwise any entry in it.
    """
    import jaconv

    qs = with_current_status(Applicant.objects.filter(campaign=campaign))
    if flt.link_code:
        qs = qs.filter(link_code=normalize(flt.link_code))
    if flt.resident_number:
        qs = qs.filter(resident_number=flt.resident_number.strip())
    if flt.name:
        term = flt.name.strip()
        kana = jaconv.hira2kata(term)
        qs = qs.filter(Q(name__contains=term) | Q(kana__contains=kana) | Q(kana__contains=kana.replace(" ", ""))
                       | Q(name__contains=term.replace(" ", "")))
    start, end = _bounds(flt)
    if flt.status == "none":
        qs = qs.filter(current_status_id__isnull=True)
    elif flt.status:
        status = StatusLabel.objects.filter(code=flt.status).first()
        qs = qs.filter(current_status_id=status.pk) if status else qs.none()
        if start:
            qs = qs.filter(current_status_at__gte=start)
        if end:
            qs = qs.filter(current_status_at__lt=end)
    elif start or end:
        events = ProgressEvent.objects.filter(applicant=OuterRef("pk"))
        if start:
            events = events.filter(occurred_at__gte=start)
        if end:
            events = events.filter(occurred_at__lt=end)
        qs = qs.filter(Exists(events))
    return qs.order_by("id")


def received_vouchers() -> Exists:
    """True for an applicant whose progress holds a "handed over" (交付済み) entry that no undo cancelled —
    whatever came after it (a revisit, say): they have their vouchers and need no notice letter."""
    return Exists(effective_events().filter(status__code=HANDED_OVER))


@dataclass(frozen=True)
class LetterRecipients:
    """Who a letter print would go to: ``applicants`` (in id order) and how many were left out because they
    already received their vouchers (0 when they are included)."""

    applicants: QuerySet[Applicant]
    excluded_received: int


def letter_recipients(campaign: Campaign, flt: ApplicantFilter, *, include_received: bool = False
                      ) -> LetterRecipients:
    """The applicants the search finds that a notice letter can go to: personal data not yet purged and,
    unless ``include_received``, not already handed their vouchers."""
    qs = search(campaign, flt).filter(personal_data_purged_at__isnull=True)
    if include_received:
        return LetterRecipients(qs, 0)
    return LetterRecipients(qs.filter(~received_vouchers()), qs.filter(received_vouchers()).count())


def letter_counters(campaign: Campaign) -> list[Counter]:
    return list(Counter.objects.filter(campaign=campaign, is_active=True).order_by("sort_order", "id"))

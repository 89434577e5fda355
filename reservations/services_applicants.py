"""Every write of the applicant progress tracking: applicants (one by one or imported all-or-nothing), status
entries and their undo, the link between a link code and its booking, counter sales, labels and the purge.

Keyword-only, one transaction each, audit-logged. Progress entries are only ever appended.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.audit import audit_log
from campaign.models import Campaign
from reservations.errors import ReservationError
from reservations.fields import FieldErrors, validate_answers
from reservations.linkcodes import is_valid, new_code, normalize
from reservations.models import (
    Applicant,
    Counter,
    CounterOutlet,
    CounterSale,
    LetterTemplate,
    ProgressEvent,
    Reservation,
    StatusLabel,
)
from reservations.models_applicants import HANDED_OVER, RESERVED, SYSTEM_STATUSES, VISITED
from reservations.selectors_applicants import APPLICANT_FIELDS, applicant_field_config

# How long an applicant's personal data is kept after the campaign's settlement deadline.
RETENTION_DAYS = 365

DEFAULT_LABELS = {"notice_sent": ("通知発送済み", 10), "returned": ("郵便返戻", 20), "reserved": ("予約済み", 30),
                  "visited": ("来場済み", 40), "handed_over": ("交付済み", 50), "revisit": ("再来場", 60)}

PERSONAL_FIELDS = ("resident_number", "name", "kana", "sex", "birth_date", "postal_code", "address", "phone",
                   "email", "notes")


class ApplicantError(ReservationError):
    pass


def _actor_label(actor) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return ""
    full = f"{actor.last_name} {actor.first_name}".strip()
    return (f"{actor.get_username()} ({full})" if full else actor.get_username())[:150]


def status_get(code: str) -> StatusLabel:
    """The status with this code; the system's own six are (re)created with their default labels if missing."""
    found = StatusLabel.objects.filter(code=code).first()
    if found is None:
        if code not in DEFAULT_LABELS:
            raise ApplicantError(_("Unknown status: %(code)s") % {"code": code})
        label, order = DEFAULT_LABELS[code]
        found, _created = StatusLabel.objects.get_or_create(code=code, defaults={"label": label,
                                                                                "sort_order": order})
    return found


def statuses_ensure() -> list[StatusLabel]:
    for code in SYSTEM_STATUSES:
        status_get(code)
    return list(StatusLabel.objects.all())


def default_retention(campaign: Campaign) -> date:
    return (campaign.settlement_deadline or timezone.localdate()) + timedelta(days=RETENTION_DAYS)


# --- applicants --------------------------------------------------------------------------------------------

def applicant_clean(*, campaign_id: int, raw: dict) -> dict:
    """Check the answers against the campaign's field configuration (staff audience: display-only fields
    are entered by staff); returns the cleaned values for the used fields. Raises ``FieldErrors``."""
    config = applicant_field_config(campaign_id)
    used = {s.name for s in config.for_audience("staff")}
    cleaned = validate_answers(config, {k: v for k, v in raw.items() if k in APPLICANT_FIELDS}, audience="staff")
    return {name: cleaned.get(name) for name in used}


def _other_values(raw: dict) -> dict:
    values = {"resident_number": str(raw.get("resident_number") or "").strip()[:30],
              "notes": str(raw.get("notes") or "").strip()[:2000]}
    return values


def _link_code(raw_code: str | None) -> str:
    if raw_code:
        code = normalize(raw_code)
        if not is_valid(code):
            raise FieldErrors({"link_code": [_("This is not a valid link code (wrong length or check character).")]})
        return code
    return new_code()


def applicant_create(*, campaign: Campaign, actor, values: dict, request=None) -> Applicant:
    """Register one applicant; a link code is made unless a valid one is given."""
    cleaned = applicant_clean(campaign_id=campaign.pk, raw=values)
    code = _link_code(values.get("link_code"))
    row = Applicant(campaign=campaign, link_code=code, created_by=actor, retention_until=default_retention(campaign),
                    **_other_values(values))
    for name, value in cleaned.items():
        setattr(row, name, value if value is not None or name == "birth_date" else "")
    try:
        with transaction.atomic():
            row.save()
            audit_log(actor=actor, action="applicant.create", target=row, campaign=campaign, request=request)
    except IntegrityError as exc:
        raise _integrity(exc) from None
    return row


def applicant_update(*, applicant: Applicant, actor, values: dict, request=None) -> Applicant:
    cleaned = applicant_clean(campaign_id=applicant.campaign_id, raw=values)
    changed = []
    with transaction.atomic():
        row = Applicant.objects.select_for_update().get(pk=applicant.pk)
        if row.personal_data_purged_at:
            raise ApplicantError(_("The personal data of this applicant has been deleted (retention passed)."))
        for name, value in {**cleaned, **_other_values(values)}.items():
            value = value if value is not None or name == "birth_date" else ""
            if getattr(row, name) != value:
                setattr(row, name, value)
                changed.append(name)
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError as exc:
            raise _integrity(exc) from None
        audit_log(actor=actor, action="applicant.update", target=row, data={"fields": changed},
                  campaign=row.campaign, request=request)
    return row


def _integrity(exc: IntegrityError) -> Exception:
    text = str(exc)
    if "resident_number" in text:
        return FieldErrors({"resident_number": [_("An applicant with this resident ID is already registered.")]})
    if "link_code" in text:
        return FieldErrors({"link_code": [_("This link code is already in use.")]})
    return exc


# --- progress ----------------------------------------------------------------------------------------------

def _lock(applicant_id: int) -> Applicant:
    return Applicant.objects.select_for_update().get(pk=applicant_id)


def progress_append(*, applicant: Applicant, status: StatusLabel | str, actor, note: str = "", request=None,
                    reservation_id: int | None = None) -> ProgressEvent:
    """Append a status entry (time, status, operator). Nothing is overwritten."""
    if isinstance(status, str):
        status = status_get(status)
    if not status.is_active:
        raise ApplicantError(_("The status “%(label)s” is no longer in use.") % {"label": status.label})
    with transaction.atomic():
        _lock(applicant.pk)
        event = ProgressEvent.objects.create(applicant_id=applicant.pk, kind=ProgressEvent.Kind.SET, status=status,
                                             actor=actor if _authenticated(actor) else None,
                                             actor_label=_actor_label(actor), note=note.strip()[:300],
                                             reservation_id_ref=reservation_id)
        audit_log(actor=actor, action="applicant.progress", target_type="reservations.applicant",
                  target_id=applicant.pk, target_label=_("Applicant %(n)s") % {"n": applicant.pk},
                  data={"status": status.code, "event": event.pk, "note": event.note}, request=request,
                  campaign=applicant.campaign if hasattr(applicant, "campaign") else None)
    return event


def _authenticated(actor) -> bool:
    return bool(actor is not None and getattr(actor, "is_authenticated", False))


def progress_undo(*, event: ProgressEvent, actor, note: str = "", request=None) -> ProgressEvent:
    """Undo a status entry by appending a cancelling entry; both stay. An entry is undone at most once (the
    unique ``cancels`` column says so even for two clerks clicking at the same moment)."""
    with transaction.atomic():
        applicant = _lock(event.applicant_id)
        current = ProgressEvent.objects.select_related("status").get(pk=event.pk)
        if current.kind != ProgressEvent.Kind.SET:
            raise ApplicantError(_("An undo cannot itself be undone; set the status again instead."))
        if ProgressEvent.objects.filter(cancels=current).exists():
            raise ApplicantError(_("This entry has already been undone."))
        try:
            with transaction.atomic():
                undo = ProgressEvent.objects.create(applicant_id=current.applicant_id, kind=ProgressEvent.Kind.UNDO,
                                                    status=current.status, cancels=current,
                                                    actor=actor if _authenticated(actor) else None,
                                                    actor_label=_actor_label(actor), note=note.strip()[:300],
                                                    reservation_id_ref=current.reservation_id_ref)
        except IntegrityError:
            raise ApplicantError(_("This entry has already been undone.")) from None
        audit_log(actor=actor, action="applicant.progress_undo", target=applicant,
                  data={"event": current.pk, "status": current.status.code, "undo": undo.pk}, request=request,
                  campaign=applicant.campaign)
    return undo


def progress_bulk_append(*, campaign: Campaign, applicant_ids: list[int], status: StatusLabel, actor,
                         note: str = "", request=None) -> int:
    """The same status for many applicants at once (e.g. "notice sent" for everyone just printed): one INSERT."""
    if not status.is_active:
        raise ApplicantError(_("The status “%(label)s” is no longer in use."))
    if not applicant_ids:
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO reservations_progressevent (applicant_id, kind, status_id, occurred_at, actor_id, "
            "actor_label, note) SELECT a.id, 'set', %s, now(), %s, %s, %s FROM reservations_applicant a "
            "WHERE a.campaign_id = %s AND a.id = ANY(%s)",
            [status.pk, actor.pk if _authenticated(actor) else None, _actor_label(actor), note.strip()[:300],
             campaign.pk, list(applicant_ids)])
        count = cursor.rowcount
        audit_log(actor=actor, action="applicant.progress_bulk", target=campaign, campaign=campaign,
                  request=request, data={"status": status.code, "count": count})
    return count


def status_label_save(*, actor, code: str, label: str, sort_order: int, is_active: bool,
                      request=None) -> StatusLabel:
    """Rename a status or add one (system administrator). The six system statuses stay in use."""
    code = code.strip()
    label = label.strip()
    if not label:
        raise ApplicantError(_("A status needs a label."))
    with transaction.atomic():
        row, created = StatusLabel.objects.get_or_create(code=code, defaults={"label": label,
                                                                             "sort_order": sort_order})
        old = row.label
        row.label = label
        row.sort_order = sort_order
        row.is_active = True if row.is_system else is_active
        row.save()
        audit_log(actor=actor, action="applicant.status_label", target=row, request=request,
                  data={"code": code, "from": "" if created else old, "to": label, "active": row.is_active})
    return row


def letter_template_save(*, campaign: Campaign, actor, values: dict, request=None) -> LetterTemplate:
    with transaction.atomic():
        row, _created = LetterTemplate.objects.update_or_create(campaign=campaign, defaults=values)
        audit_log(actor=actor, action="applicant.letter_template", target=row, campaign=campaign, request=request)
    return row


# --- booking with the link code ----------------------------------------------------------------------------

def on_reservation_booked(sender, *, reservation_id: int, actor=None, applicant=None, **kwargs) -> None:
    """The booking came with a link code: tie it to the applicant once and append "reserved".

    One conditional UPDATE (``… AND reservation_id IS NULL``), inside the booking's transaction: a second booking
    with the same code — even on another connection at the same instant — waits for the first, then finds
    the link taken, and its booking is rolled back with the error.
    """
    if isinstance(applicant, Applicant):
        applicant_id = applicant.pk
    elif isinstance(applicant, int) or (isinstance(applicant, str) and applicant.isdigit()):
        applicant_id = int(applicant)
    else:  # None, or something another receiver understands
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE reservations_applicant a SET reservation_id = %s FROM reservations_reservation r "
            "WHERE a.id = %s AND r.id = %s AND a.campaign_id = r.campaign_id AND a.reservation_id IS NULL "
            "AND a.personal_data_purged_at IS NULL", [reservation_id, applicant_id, reservation_id])
        linked = cursor.rowcount == 1
    if not linked:
        raise ReservationError(_("This link code has already been used for a booking. To change the time, open "
                                 "your reservation with its number and access key."), code="link_used")
    ProgressEvent.objects.create(applicant_id=applicant_id, kind=ProgressEvent.Kind.SET, status=status_get(RESERVED),
                                 actor=actor if _authenticated(actor) else None, actor_label=_actor_label(actor),
                                 reservation_id_ref=reservation_id)


def on_reservation_arrived(sender, *, reservation: Reservation, actor=None, **kwargs) -> None:
    applicant = Applicant.objects.filter(reservation_id=reservation.pk).first()
    if applicant is not None:
        ProgressEvent.objects.create(applicant=applicant, kind=ProgressEvent.Kind.SET, status=status_get(VISITED),
                                     actor=actor if _authenticated(actor) else None, actor_label=_actor_label(actor),
                                     reservation_id_ref=reservation.pk)


def on_reservation_cancelled(sender, *, reservation: Reservation, actor=None, **kwargs) -> None:
    """A cancelled booking frees the link code for a new booking and undoes its "reserved" entry."""
    applicant = Applicant.objects.select_for_update().filter(reservation_id=reservation.pk).first()
    if applicant is None:
        return
    Applicant.objects.filter(pk=applicant.pk).update(reservation=None)
    reserved = (ProgressEvent.objects.filter(applicant=applicant, kind=ProgressEvent.Kind.SET,
                                             reservation_id_ref=reservation.pk, status__code=RESERVED,
                                             cancelled_by__isnull=True).order_by("-id").first())
    if reserved is not None:
        ProgressEvent.objects.create(applicant=applicant, kind=ProgressEvent.Kind.UNDO, status=reserved.status,
                                     cancels=reserved, actor=actor if _authenticated(actor) else None,
                                     actor_label=_actor_label(actor), reservation_id_ref=reservation.pk,
                                     note=_("Reservation %(n)s cancelled") % {"n": reservation.pk})


def applicant_for_code(*, campaign_id: int, code: str) -> Applicant | None:
    """The applicant a typed link code opens, or None (wrong check character, unknown, or purged)."""
    code = normalize(code)
    if not is_valid(code):
        return None
    return Applicant.objects.filter(campaign_id=campaign_id, link_code=code,
                                    personal_data_purged_at__isnull=True).first()


# --- counter sales -----------------------------------------------------------------------------------------

def counter_outlet_set(*, counter: Counter, outlet, actor, request=None) -> CounterOutlet | None:
    with transaction.atomic():
        if outlet is None:
            CounterOutlet.objects.filter(counter=counter).delete()
            link = None
        else:
            if outlet.campaign_id != counter.campaign_id:
                raise ApplicantError(_("The outlet belongs to another campaign."))
            link, _created = CounterOutlet.objects.update_or_create(counter=counter, defaults={"outlet": outlet})
        audit_log(actor=actor, action="reservation.counter_outlet", target=counter, request=request,
                  campaign=counter.campaign, data={"outlet": outlet.pk if outlet else None})
    return link


def counter_sale_record(*, actor, counter: Counter, ranges_text: str, applicant: Applicant | None = None,
                        reservation: Reservation | None = None, request=None) -> CounterSale:
    """Record the books sold to a visitor at a counter: the stock moves from the counter's outlet to sold
    through ``vouchers.services.counter_sale_record`` (so the issuance ledger stays right), and the
    applicant gets a "handed over" entry — all in one transaction, or nothing."""
    from vouchers import services as voucher_services
    from vouchers.movements import VoucherError, parse_ranges

    link = CounterOutlet.objects.select_related("outlet").filter(counter=counter).first()
    if link is None:
        raise ApplicantError(_("This counter is not linked to a sales outlet; ask the set-up staff to link it."))
    try:
        ranges = parse_ranges(ranges_text)
        if not ranges:
            raise ApplicantError(_("Enter the book numbers sold."))
        with transaction.atomic():
            reports = voucher_services.counter_sale_record(actor=actor, outlet=link.outlet,
                                                           sales_date=timezone.localdate(), ranges=ranges)
            sale = CounterSale.objects.create(
                campaign=counter.campaign, counter=counter, applicant=applicant, reservation=reservation,
                ranges=", ".join(str(r).replace(",", "") for r in ranges)[:500],
                books=sum(r.books for r in ranges), amount=sum(r.remittance for r in reports),
                sales_report_ids=[r.pk for r in reports], sold_by=actor)
            if applicant is not None:
                progress_append(applicant=applicant, status=HANDED_OVER, actor=actor, request=request,
                                note=_("Books %(ranges)s") % {"ranges": sale.ranges},
                                reservation_id=reservation.pk if reservation else None)
            audit_log(actor=actor, action="reservation.counter_sale", target=sale, campaign=counter.campaign,
                      request=request, data={"ranges": sale.ranges, "books": sale.books,
                                             "applicant": applicant.pk if applicant else None})
    except VoucherError as exc:
        raise ApplicantError(str(exc)) from None
    return sale


# --- retention ---------------------------------------------------------------------------------------------

def applicants_purge_personal_data(*, today: date | None = None) -> int:
    """Blank the personal data of applicants whose retention date has passed; the progress entries (no
    personal data) and the link to the reservation stay as the record."""
    today = today or timezone.localdate()
    due = Applicant.objects.filter(retention_until__lt=today, personal_data_purged_at__isnull=True)
    count = due.update(resident_number="", name="", kana="", sex="", birth_date=None, postal_code="", address="",
                       phone="", email="", notes="", personal_data_purged_at=timezone.now())
    if count:
        audit_log(actor=None, action="applicant.purge_personal_data", target_type="reservations.applicant",
                  data={"count": count})
    return count

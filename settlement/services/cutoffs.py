"""Cutoff schedules (締日 → 支払日): generated from a rule, imported from a fixed list, edited row by row.

Rules only produce rows; the rows are what counts, and people adjust them (Tottori's 28 cutoffs were set by hand,
plus an extraordinary one for a fraud case). A payment date must be a bank business day after the cutoff.
"""

from __future__ import annotations

import calendar
import csv
import io
import re
from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.audit import audit_log
from campaign.bankdays import add_business_days, is_bank_business_day, last_business_day_of_month
from campaign.errors import DomainError
from campaign.models import Campaign
from settlement.models import Cutoff

__all__ = ["CutoffError", "CutoffRow", "PayRule", "cutoff_create", "cutoff_delete", "cutoff_scope_set",
           "cutoff_update", "cutoffs_import", "generate_schedule", "parse_month", "parse_pay_rule",
           "parse_schedule_file", "relief_covers", "schedule_save"]


class CutoffError(DomainError):
    pass


@dataclass(frozen=True)
class CutoffRow:
    cutoff_date: date
    payment_date: date
    kind: str = Cutoff.Kind.REGULAR


@dataclass(frozen=True)
class PayRule:
    """"last-business-day" (of the cutoff's month) or "+K" (K bank business days after the cutoff)."""

    last_business_day: bool = False
    days_after: int = 0

    def payment_date(self, cutoff_date: date) -> date:
        if self.last_business_day:
            return last_business_day_of_month(cutoff_date.year, cutoff_date.month)
        return add_business_days(cutoff_date, self.days_after)


def parse_pay_rule(text: str) -> PayRule:
    text = (text or "").strip()
    if text == "last-business-day":
        return PayRule(last_business_day=True)
    match = re.fullmatch(r"\+(\d{1,2})", text)
    if match and int(match.group(1)) > 0:
        return PayRule(days_after=int(match.group(1)))
    raise CutoffError(_("The payment rule must be “last-business-day” or “+K” (K bank business days after the "
                        "cutoff), got “%(text)s”.") % {"text": text})


def parse_month(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", (text or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise CutoffError(_("A month is written YYYY-MM, got “%(text)s”.") % {"text": text})
    return int(match.group(1)), int(match.group(2))


def generate_schedule(*, day: int, pay: PayRule, first: tuple[int, int], last: tuple[int, int]) -> list[CutoffRow]:
    """One regular cutoff per month from ``first`` to ``last`` (inclusive) on ``day`` (the month's last day
    when it is shorter), paid by ``pay``. Nothing is saved."""
    if not 1 <= day <= 31:
        raise CutoffError(_("The cutoff day must be between 1 and 31."))
    if first > last:
        raise CutoffError(_("The first month must not be after the last."))
    rows = []
    year, month = first
    while (year, month) <= last:
        cutoff_date = date(year, month, min(day, calendar.monthrange(year, month)[1]))
        payment_date = pay.payment_date(cutoff_date)
        if payment_date <= cutoff_date:
            raise CutoffError(_("For the cutoff of %(cutoff)s the last bank business day of the month is not after "
                                "the cutoff; use “+K” instead.") % {"cutoff": cutoff_date.isoformat()})
        rows.append(CutoffRow(cutoff_date, payment_date))
        month += 1
        if month == 13:
            year, month = year + 1, 1
    return rows


def _check_row(row: CutoffRow, where: str = "") -> None:
    prefix = f"{where}: " if where else ""
    if row.kind not in Cutoff.Kind.values:
        raise CutoffError(prefix + _("Unknown kind “%(kind)s”: use regular or extraordinary.") % {"kind": row.kind})
    if row.payment_date <= row.cutoff_date:
        raise CutoffError(prefix + _("The payment date %(paid)s must be after the cutoff %(cutoff)s.")
                          % {"paid": row.payment_date.isoformat(), "cutoff": row.cutoff_date.isoformat()})
    if not is_bank_business_day(row.payment_date):
        raise CutoffError(prefix + _("The payment date %(paid)s is not a bank business day.")
                          % {"paid": row.payment_date.isoformat()})


def _duplicate(where: str, row: CutoffRow) -> CutoffError:
    return CutoffError((f"{where}: " if where else "") + _("There is already a %(kind)s cutoff on %(cutoff)s.") % {
        "kind": Cutoff.Kind(row.kind).label, "cutoff": row.cutoff_date.isoformat()})


@transaction.atomic
def schedule_save(*, actor, campaign: Campaign, rows: list[CutoffRow], source: str, request=None) -> list[Cutoff]:
    """Save generated or imported rows, all or none; a row that clashes with an existing cutoff is refused."""
    if not rows:
        raise CutoffError(_("There are no cutoffs to save."))
    seen = set()
    for n, row in enumerate(rows, start=1):
        where = _("Row %(n)d") % {"n": n}
        _check_row(row, where)
        key = (row.cutoff_date, row.kind)
        if key in seen or Cutoff.objects.filter(campaign=campaign, cutoff_date=row.cutoff_date, kind=row.kind).exists():
            raise _duplicate(where, row)
        seen.add(key)
    created = Cutoff.objects.bulk_create([
        Cutoff(campaign=campaign, cutoff_date=r.cutoff_date, payment_date=r.payment_date, kind=r.kind) for r in rows])
    audit_log(actor=actor, action="settlement.cutoffs_save", campaign=campaign, request=request,
              target_type="settlement.cutoff", target_label=source,
              data={"source": source, "rows": [[r.cutoff_date, r.payment_date, r.kind] for r in rows]})
    return created


@transaction.atomic
def cutoff_create(*, actor, campaign: Campaign, cutoff_date: date, payment_date: date, kind: str = "regular",
                  note: str = "", request=None) -> Cutoff:
    row = CutoffRow(cutoff_date, payment_date, kind)
    _check_row(row)
    try:
        with transaction.atomic():
            cutoff = Cutoff.objects.create(campaign=campaign, cutoff_date=cutoff_date, payment_date=payment_date,
                                           kind=kind, note=note)
    except IntegrityError:
        raise _duplicate("", row) from None
    audit_log(actor=actor, action="settlement.cutoff_create", target=cutoff, campaign=campaign, request=request,
              data={"cutoff_date": cutoff_date, "payment_date": payment_date, "kind": kind})
    return cutoff


@transaction.atomic
def cutoff_update(*, actor, cutoff: Cutoff, cutoff_date: date, payment_date: date, kind: str, note: str = "",
                  request=None) -> Cutoff:
    """Edit a cutoff that has not been closed yet (a closed one is frozen with its batch)."""
    cutoff = Cutoff.objects.select_for_update().get(pk=cutoff.pk)
    if hasattr(cutoff, "batch"):
        raise CutoffError(_("This cutoff has been closed; its dates can no longer change."))
    row = CutoffRow(cutoff_date, payment_date, kind)
    _check_row(row)
    if kind != Cutoff.Kind.EXTRAORDINARY and (cutoff.accepts_late or cutoff.merchants.exists()
                                              or cutoff.envelopes.exists()):
        raise CutoffError(_("This cutoff is limited to chosen merchants or envelopes, or is a relief cutoff; remove "
                            "that first to make it regular."))
    covered = _read_under_relief(cutoff.campaign)
    before = {"cutoff_date": cutoff.cutoff_date, "payment_date": cutoff.payment_date, "kind": cutoff.kind}
    cutoff.cutoff_date, cutoff.payment_date, cutoff.kind, cutoff.note = cutoff_date, payment_date, kind, note
    try:
        with transaction.atomic():
            cutoff.save()
    except IntegrityError:
        raise _duplicate("", row) from None
    _refuse_stranding(covered)
    audit_log(actor=actor, action="settlement.cutoff_update", target=cutoff, campaign=cutoff.campaign,
              request=request, data={"before": before, "after": {"cutoff_date": cutoff_date,
                                                                  "payment_date": payment_date, "kind": kind}})
    return cutoff


@transaction.atomic
def cutoff_delete(*, actor, cutoff: Cutoff, request=None) -> None:
    cutoff = Cutoff.objects.select_for_update().get(pk=cutoff.pk)
    if hasattr(cutoff, "batch"):
        raise CutoffError(_("This cutoff has been closed and cannot be deleted."))
    covered = _read_under_relief(cutoff.campaign)
    audit_log(actor=actor, action="settlement.cutoff_delete", target=cutoff, campaign=cutoff.campaign,
              request=request, data={"cutoff_date": cutoff.cutoff_date, "payment_date": cutoff.payment_date})
    cutoff.delete()
    _refuse_stranding(covered)


_KIND_WORDS = {"": "regular", "regular": "regular", "通常": "regular", "定例": "regular",
               "extraordinary": "extraordinary", "臨時": "extraordinary"}


def _parse_date(text, where: str, what: str) -> date:
    if isinstance(text, date):
        return text if not hasattr(text, "date") else text.date()
    value = str(text or "").strip().replace("/", "-")
    try:
        return date.fromisoformat("-".join(part.zfill(2) for part in value.split("-")))
    except ValueError:
        raise CutoffError(_("%(where)s: the %(what)s “%(value)s” is not a date (YYYY-MM-DD).")
                          % {"where": where, "what": what, "value": value}) from None


def parse_schedule_file(content: bytes, file_name: str) -> list[CutoffRow]:
    """Rows of a CSV (UTF-8, UTF-8 BOM or CP932) or Excel file: cutoff date, payment date, kind (optional).
    A first row that is not a date is taken for a header. Errors name the line."""
    if file_name.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
        except Exception:
            raise CutoffError(_("The file could not be read as an Excel workbook.")) from None
        raw = [list(row) for row in sheet.iter_rows(values_only=True)]
    else:
        for encoding in ("utf-8-sig", "cp932"):
            try:
                text = content.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise CutoffError(_("The file is neither UTF-8 nor Shift_JIS (CP932) text."))
        raw = list(csv.reader(io.StringIO(text)))
    rows = []
    for n, cells in enumerate(raw, start=1):
        cells = ["" if c is None else c for c in cells]
        if not any(str(c).strip() for c in cells):
            continue
        where = _("Line %(n)d") % {"n": n}
        if n == 1 and not isinstance(cells[0], date) and not re.match(r"\s*\d{4}[-/]", str(cells[0])):
            continue  # header
        if len(cells) < 2:
            raise CutoffError(_("%(where)s: two dates are needed (cutoff, payment).") % {"where": where})
        kind_word = str(cells[2]).strip().lower() if len(cells) > 2 else ""
        if kind_word not in _KIND_WORDS:
            raise CutoffError(_("%(where)s: unknown kind “%(kind)s”.") % {"where": where, "kind": kind_word})
        rows.append(CutoffRow(_parse_date(cells[0], where, _("cutoff date")),
                              _parse_date(cells[1], where, _("payment date")), _KIND_WORDS[kind_word]))
    if not rows:
        raise CutoffError(_("The file contains no cutoffs."))
    return rows


def cutoffs_import(*, actor, campaign: Campaign, content: bytes, file_name: str, request=None) -> list[Cutoff]:
    rows = parse_schedule_file(content, file_name)
    return schedule_save(actor=actor, campaign=campaign, rows=rows, source=file_name, request=request)


@transaction.atomic
def cutoff_scope_set(*, actor, cutoff: Cutoff, merchants=(), envelopes=(), accepts_late: bool = False,
                     reason: str = "", request=None) -> Cutoff:
    """Limit an extraordinary cutoff (臨時) to chosen merchants or envelopes, and let it, as a relief cutoff, take
    envelopes received after the settlement deadline: a manager's decision, with the reason kept. Empty choices
    and no relief make it an ordinary extraordinary cutoff again. Only before the cutoff is closed.

    A relief cutoff also decides how a late envelope is read: its tickets are read as payable (not as "outside the
    usage period") while a relief cutoff that covers it is open (see relief_covers)."""
    from campaign.roles import has_capability

    cutoff = Cutoff.objects.select_for_update(of=("self",)).select_related("campaign").get(pk=cutoff.pk)
    reason = (reason or "").strip()
    merchants, envelopes = list(merchants), list(envelopes)
    if not has_capability(actor, "settlement.approve"):
        raise CutoffError(_("Only a secretariat manager can limit an extraordinary cutoff or make it a relief cutoff."))
    if hasattr(cutoff, "batch"):
        raise CutoffError(_("This cutoff has been closed; what it pays can no longer change."))
    if cutoff.kind != Cutoff.Kind.EXTRAORDINARY and (merchants or envelopes or accepts_late):
        raise CutoffError(_("Only an extraordinary cutoff can be limited to chosen merchants or envelopes, or take "
                            "envelopes received after the settlement deadline."))
    if (merchants or envelopes or accepts_late) and not reason:
        raise CutoffError(_("Give the reason for the limit or the relief; it is kept with the cutoff."))
    for merchant in merchants:
        if merchant.campaign_id != cutoff.campaign_id:
            raise CutoffError(_("Merchant %(number)s belongs to another campaign.") % {"number": merchant.merchant_number})
    for envelope in envelopes:
        if envelope.campaign_id != cutoff.campaign_id:
            raise CutoffError(_("Envelope %(number)s belongs to another campaign.") % {"number": envelope.number})
    covered = _read_under_relief(cutoff.campaign)
    before = {"merchants": sorted(cutoff.merchants.values_list("merchant_number", flat=True)),
              "envelopes": sorted(cutoff.envelopes.values_list("number", flat=True)),
              "accepts_late": cutoff.accepts_late, "reason": cutoff.scope_reason}
    cutoff.merchants.set(merchants)
    cutoff.envelopes.set(envelopes)
    cutoff.accepts_late = accepts_late
    cutoff.scope_reason = reason
    cutoff.scope_decided_by = actor  # who set it, or who cleared it
    cutoff.scope_decided_at = timezone.now()
    cutoff.save(update_fields=["accepts_late", "scope_reason", "scope_decided_by", "scope_decided_at"])
    _refuse_stranding(covered)
    audit_log(actor=actor, action="settlement.cutoff_scope", target=cutoff, campaign=cutoff.campaign, request=request,
              data={"before": before, "after": {"merchants": sorted(m.merchant_number for m in merchants),
                                                 "envelopes": sorted(e.number for e in envelopes),
                                                 "accepts_late": accepts_late, "reason": reason}})
    return cutoff


def relief_covers(envelope) -> Cutoff | None:
    """The open relief cutoff (extraordinary, accepts late envelopes, not closed) that covers ``envelope``: it
    names the envelope or its merchant, or is limited to neither. None when there is none."""
    relief = (Cutoff.objects.filter(campaign_id=envelope.campaign_id, kind=Cutoff.Kind.EXTRAORDINARY, accepts_late=True,
                                    batch__isnull=True, cutoff_date__gte=envelope.received_on)
              .order_by("cutoff_date", "pk"))
    for cutoff in relief:
        merchants = set(cutoff.merchants.values_list("pk", flat=True))
        envelopes = set(cutoff.envelopes.values_list("pk", flat=True))
        if (not merchants and not envelopes) or envelope.merchant_id in merchants or envelope.pk in envelopes:
            return cutoff
    return None


def _read_under_relief(campaign: Campaign) -> list:
    """Late envelopes (received after the settlement deadline) whose tickets a relief cutoff let be read as payable
    and that no batch has taken yet: only an open relief cutoff pays them (see payouts.batch_close)."""
    from settlement.models import Envelope

    waiting = (Envelope.objects.filter(campaign=campaign, received_on__gt=campaign.settlement_deadline,
                                       batch_entry__isnull=True, redemptions__by_decision=False)
               .distinct().order_by("number"))
    return [envelope for envelope in waiting if relief_covers(envelope) is not None]


def _refuse_stranding(covered: list) -> None:
    """After a change to the cutoffs: every envelope a relief cutoff covered before must still be covered, or its
    money would wait for a cutoff that no longer exists (the caller's transaction rolls the change back)."""
    stranded = [envelope.number for envelope in covered if relief_covers(envelope) is None]
    if stranded:
        raise CutoffError(_("Envelopes %(numbers)s were read as payable under this relief cutoff and wait for it; "
                            "it must keep covering them.") % {"numbers": "、".join(stranded)})


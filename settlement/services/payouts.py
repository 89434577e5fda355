"""Settlement batches: close a cutoff (freeze), approve (four eyes), record the bank's result.

Closing is set-based: one INSERT … SELECT attaches every eligible envelope to the batch, and the unique
envelope column of ``BatchEnvelope`` with ON CONFLICT DO NOTHING makes a racing close skip what the other took.
The lines are then built from exactly the envelopes this close attached (RETURNING), so two closes can never
pay the same envelope.

States. An envelope stays RECONCILED while it is only in a prepared batch (the batch can still be discarded) and
becomes SETTLED when the batch is approved — from then on its file may leave the system and the envelope is
paid. Held merchants' envelopes are not attached at all: they wait, still RECONCILED, for the next close.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.audit import audit_log
from campaign.errors import DomainError
from campaign.models import Denomination
from settlement.models import (
    BankAccount,
    BatchEnvelope,
    Cutoff,
    Envelope,
    Investigation,
    Merchant,
    PayoutLine,
    Redemption,
    SettlementBatch,
)

__all__ = ["BatchError", "batch_approve", "batch_close", "batch_discard", "batch_record_bank_result",
           "cutoffs_close_due", "parse_bank_result"]


class BatchError(DomainError):
    pass


HOLD = PayoutLine.HoldReason


def _hold_reasons(campaign_id: int, merchant_ids: set[int]) -> dict[int, list[str]]:
    """Why each merchant's money must wait: suspension, an open investigation, no confirmed account, or an
    account that failed at the bank and has not been replaced yet."""
    reasons: dict[int, list[str]] = defaultdict(list)
    ids = list(merchant_ids)
    for pk in Merchant.objects.filter(pk__in=ids, suspended_at__isnull=False).values_list("pk", flat=True):
        reasons[pk].append(HOLD.SUSPENDED)
    for pk in (Investigation.objects.filter(campaign_id=campaign_id, status=Investigation.Status.OPEN,
                                            envelope__merchant_id__in=ids)
               .values_list("envelope__merchant_id", flat=True).distinct()):
        reasons[pk].append(HOLD.INVESTIGATION)
    active = dict(BankAccount.objects.filter(merchant_id__in=ids, status=BankAccount.Status.ACTIVE)
                  .values_list("merchant_id", "pk"))
    for pk in ids:
        if pk not in active:
            reasons[pk].append(HOLD.NO_ACCOUNT)
    # A failed transfer not paid again yet, still on the same account: paying again would fail again.
    for merchant_id, account_id in (PayoutLine.objects.filter(merchant_id__in=ids, status=PayoutLine.Status.FAILED,
                                                              carried_to__isnull=True)
                                    .values_list("merchant_id", "account_id")):
        if merchant_id in active and active[merchant_id] == account_id and HOLD.ACCOUNT_FAILED not in reasons[merchant_id]:
            reasons[merchant_id].append(HOLD.ACCOUNT_FAILED)
    return reasons


def _figures(envelope_ids: list[int]) -> tuple[dict, dict, dict, dict]:
    """Per merchant: envelopes, per-denomination tickets/amounts, accepted investigation adjustments."""
    envelopes: dict[int, int] = defaultdict(int)
    per_denomination: dict[int, dict[int, list[int]]] = defaultdict(dict)
    adjustments: dict[int, int] = defaultdict(int)
    envelope_amount: dict[int, int] = defaultdict(int)
    if not envelope_ids:
        return envelopes, per_denomination, adjustments, envelope_amount
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT e.id, e.merchant_id FROM {Envelope._meta.db_table} e WHERE e.id = ANY(%s)""", [envelope_ids])  # noqa: S608
        merchant_of = dict(cursor.fetchall())
        cursor.execute(
            f"""SELECT r.envelope_id, r.denomination_id, count(*), sum(r.face_value)
                  FROM {Redemption._meta.db_table} r WHERE r.envelope_id = ANY(%s)
                 GROUP BY r.envelope_id, r.denomination_id""", [envelope_ids])  # noqa: S608
        for envelope_id, denomination_id, tickets, amount in cursor.fetchall():
            cell = per_denomination[merchant_of[envelope_id]].setdefault(denomination_id, [0, 0])
            cell[0] += tickets
            cell[1] += int(amount)
            envelope_amount[envelope_id] += int(amount)
        cursor.execute(
            f"""SELECT i.envelope_id, sum(i.adjustment) FROM {Investigation._meta.db_table} i
                 WHERE i.envelope_id = ANY(%s) AND i.status = 'accepted' GROUP BY i.envelope_id""", [envelope_ids])  # noqa: S608
        for envelope_id, amount in cursor.fetchall():
            adjustments[merchant_of[envelope_id]] += int(amount)
            envelope_amount[envelope_id] += int(amount)
    for merchant_id in merchant_of.values():
        envelopes[merchant_id] += 1
    return envelopes, per_denomination, adjustments, envelope_amount


def _line(batch, merchant_id, status, reasons, envelopes, per_denomination, adjustment, denominations,
          account: BankAccount | None) -> PayoutLine:
    cells = per_denomination.get(merchant_id, {})
    detail = {}
    for denomination_id, (tickets, amount) in sorted(cells.items(), key=lambda kv: denominations[kv[0]].code):
        d = denominations[denomination_id]
        detail[str(d.code)] = {"name": d.name, "face_value": d.face_value, "tickets": tickets, "amount": amount}
    redeemed = sum(cell[1] for cell in cells.values())
    line = PayoutLine(batch=batch, merchant_id=merchant_id, status=status, hold_reasons=reasons,
                      envelopes=envelopes.get(merchant_id, 0), tickets=sum(cell[0] for cell in cells.values()),
                      redeemed_amount=redeemed, adjustment=adjustment.get(merchant_id, 0), carried_amount=0,
                      per_denomination=detail)
    line.amount = line.redeemed_amount + line.adjustment
    if account is not None:
        line.account = account
        line.bank_code, line.bank_name, line.bank_kana = account.bank.code, account.bank.name, account.bank.kana
        line.branch_code, line.branch_name = account.branch.code, account.branch.name
        line.branch_kana = account.branch.kana
        line.account_type, line.account_number = account.account_type, account.account_number
        line.holder_kana = account.holder_kana
    return line


@transaction.atomic
def batch_close(*, actor, cutoff: Cutoff, request=None) -> SettlementBatch:
    """Freeze the batch of a cutoff (see the module docstring). The closer is the batch's preparer."""
    cutoff = Cutoff.objects.select_for_update().select_related("campaign").get(pk=cutoff.pk)
    if SettlementBatch.objects.filter(cutoff=cutoff).exists():
        raise BatchError(_("The cutoff of %(day)s has already been closed.") % {"day": cutoff.cutoff_date.isoformat()})
    campaign = cutoff.campaign
    now = timezone.now()
    batch = SettlementBatch.objects.create(campaign=campaign, cutoff=cutoff, prepared_by=actor, prepared_at=now)

    candidates = dict(Envelope.objects.filter(
        campaign=campaign, status=Envelope.Status.RECONCILED, received_on__lte=cutoff.cutoff_date,
        batch_entry__isnull=True).values_list("pk", "merchant_id"))
    failed_lines = list(PayoutLine.objects.filter(batch__campaign=campaign, status=PayoutLine.Status.FAILED,
                                                  carried_to__isnull=True).select_related("batch"))
    merchant_ids = set(candidates.values()) | {line.merchant_id for line in failed_lines}
    reasons = _hold_reasons(campaign.pk, merchant_ids)
    payable_envelopes = [pk for pk, merchant_id in candidates.items() if not reasons.get(merchant_id)]
    held_envelopes = [pk for pk, merchant_id in candidates.items() if reasons.get(merchant_id)]

    # Attach: the unique envelope column is the last word when another close runs at the same moment.
    taken: list[int] = []
    if payable_envelopes:
        with connection.cursor() as cursor:
            cursor.execute(
                f"""INSERT INTO {BatchEnvelope._meta.db_table} (batch_id, envelope_id, amount)
                    SELECT %s, e.id, 0 FROM {Envelope._meta.db_table} e
                     WHERE e.id = ANY(%s) AND e.status = 'reconciled'
                    ON CONFLICT (envelope_id) DO NOTHING RETURNING envelope_id""", [batch.pk, payable_envelopes])  # noqa: S608
            taken = [row[0] for row in cursor.fetchall()]

    denominations = {d.pk: d for d in Denomination.objects.filter(campaign=campaign)}
    accounts = {a.merchant_id: a for a in BankAccount.objects.filter(
        merchant_id__in=list(merchant_ids), status=BankAccount.Status.ACTIVE).select_related("bank", "branch")}
    lines: dict[int, PayoutLine] = {}
    envelopes, per_denomination, adjustment, envelope_amount = _figures(taken)
    for merchant_id in sorted(envelopes):
        lines[merchant_id] = _line(batch, merchant_id, PayoutLine.Status.PAYABLE, [], envelopes, per_denomination,
                                   adjustment, denominations, accounts.get(merchant_id))
    h_envelopes, h_per_denomination, h_adjustment, _amounts = _figures(held_envelopes)
    for merchant_id in sorted(h_envelopes):
        lines[merchant_id] = _line(batch, merchant_id, PayoutLine.Status.HELD, reasons[merchant_id], h_envelopes,
                                   h_per_denomination, h_adjustment, denominations, accounts.get(merchant_id))
    # Failed transfers of earlier batches are paid again once the merchant has a new confirmed account.
    carried: dict[int, list[PayoutLine]] = defaultdict(list)
    # A held merchant's failed amount is shown on its held line but stays with the failed line until paid.
    for failed in failed_lines:
        held_reasons = reasons.get(failed.merchant_id)
        if not held_reasons:
            carried[failed.merchant_id].append(failed)
        line = lines.get(failed.merchant_id)
        if line is None:
            status = PayoutLine.Status.HELD if held_reasons else PayoutLine.Status.PAYABLE
            line = lines[failed.merchant_id] = _line(batch, failed.merchant_id, status, held_reasons or [], {},
                                                     {}, {}, denominations, accounts.get(failed.merchant_id))
        line.carried_amount += failed.amount
        line.amount += failed.amount
    PayoutLine.objects.bulk_create(lines.values(), batch_size=5000)

    with connection.cursor() as cursor:
        # Each envelope points at its merchant's line and carries its own amount (for the notices).
        cursor.execute(
            f"""UPDATE {BatchEnvelope._meta.db_table} be SET line_id = pl.id
                  FROM {Envelope._meta.db_table} e, {PayoutLine._meta.db_table} pl
                 WHERE be.batch_id = %s AND e.id = be.envelope_id AND pl.batch_id = be.batch_id
                   AND pl.merchant_id = e.merchant_id""", [batch.pk])  # noqa: S608
        if envelope_amount:
            ids, amounts = zip(*envelope_amount.items(), strict=True)
            cursor.execute(
                f"""UPDATE {BatchEnvelope._meta.db_table} be SET amount = v.amount
                      FROM unnest(%s::bigint[], %s::bigint[]) AS v(envelope_id, amount)
                     WHERE be.envelope_id = v.envelope_id AND be.batch_id = %s""", [list(ids), list(amounts), batch.pk])  # noqa: S608
    for merchant_id, failed in carried.items():
        PayoutLine.objects.filter(pk__in=[f.pk for f in failed]).update(carried_to=lines[merchant_id])

    payable = [line for line in lines.values() if line.status == PayoutLine.Status.PAYABLE]
    held = [line for line in lines.values() if line.status == PayoutLine.Status.HELD]
    batch.envelopes = len(taken)
    batch.merchants = len(payable)
    batch.held = len(held)
    batch.amount = sum(line.amount for line in payable)
    batch.held_amount = sum(line.amount for line in held)
    batch.save(update_fields=["envelopes", "merchants", "held", "amount", "held_amount"])
    audit_log(actor=actor, action="settlement.batch_close", target=batch, campaign=campaign, request=request,
              data={"cutoff_date": cutoff.cutoff_date, "envelopes": batch.envelopes, "merchants": batch.merchants,
                    "held": batch.held, "amount": batch.amount, "held_amount": batch.held_amount,
                    "carried": sum(len(v) for v in carried.values())})
    return batch


@transaction.atomic
def batch_approve(*, actor, batch: SettlementBatch, request=None) -> SettlementBatch:
    """The second person's approval: the batch's files may now be generated and its envelopes are settled."""
    batch = SettlementBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != SettlementBatch.Status.PREPARED:
        raise BatchError(_("This batch has already been approved."))
    if batch.prepared_by_id == actor.pk:
        raise BatchError(_("The person who prepared a batch cannot approve it: a second person must."))
    batch.status = SettlementBatch.Status.APPROVED
    batch.approved_by = actor
    batch.approved_at = timezone.now()
    batch.save(update_fields=["status", "approved_by", "approved_at"])
    settled = Envelope.objects.filter(batch_entry__batch=batch, status=Envelope.Status.RECONCILED).update(
        status=Envelope.Status.SETTLED)
    audit_log(actor=actor, action="settlement.batch_approve", target=batch, campaign=batch.campaign, request=request,
              data={"amount": batch.amount, "merchants": batch.merchants, "envelopes_settled": settled})
    return batch


@transaction.atomic
def batch_discard(*, actor, batch: SettlementBatch, request=None) -> Cutoff:
    """Undo a close that has not been approved (e.g. to include an envelope reconciled late). Its envelopes and
    carried failures become free for the next close of the same cutoff."""
    batch = SettlementBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != SettlementBatch.Status.PREPARED:
        raise BatchError(_("An approved batch cannot be discarded."))
    cutoff = batch.cutoff
    PayoutLine.objects.filter(carried_to__batch=batch).update(carried_to=None)
    BatchEnvelope.objects.filter(batch=batch).delete()
    PayoutLine.objects.filter(batch=batch).delete()
    audit_log(actor=actor, action="settlement.batch_discard", target=batch, campaign=batch.campaign, request=request,
              data={"cutoff_date": cutoff.cutoff_date, "amount": batch.amount})
    batch.delete()
    return cutoff


@dataclass(frozen=True)
class BankFailure:
    merchant_number: str
    reason: str


def parse_bank_result(content: bytes) -> list[BankFailure]:
    """The bank's list of failed transfers as CSV (UTF-8 or CP932): merchant number, reason. A header is
    allowed. Errors name the line."""
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise BatchError(_("The result file is neither UTF-8 nor Shift_JIS (CP932) text."))
    failures = []
    for n, cells in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not any(c.strip() for c in cells):
            continue
        number = cells[0].strip()
        if n == 1 and not number.isdigit():
            continue
        if not number.isdigit():
            raise BatchError(_("Line %(n)d: “%(value)s” is not a merchant number.") % {"n": n, "value": number})
        reason = cells[1].strip() if len(cells) > 1 else ""
        if not reason:
            raise BatchError(_("Line %(n)d: the reason for the failure is missing.") % {"n": n})
        failures.append(BankFailure(number, reason[:200]))
    return failures


@transaction.atomic
def batch_record_bank_result(*, actor, batch: SettlementBatch, failures: list[BankFailure], request=None) -> dict:
    """Record the bank's result: the listed merchants' transfers failed (they go to the next batch once the account
    is corrected), every other transfer of the batch is paid."""
    batch = SettlementBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != SettlementBatch.Status.APPROVED:
        raise BatchError(_("The bank's result can be recorded once, for an approved batch."))
    lines = {line.merchant.merchant_number: line for line in
             batch.lines.filter(status=PayoutLine.Status.PAYABLE).select_related("merchant")}
    seen = set()
    for n, failure in enumerate(failures, start=1):
        if failure.merchant_number not in lines:
            raise BatchError(_("Entry %(n)d: merchant %(number)s has no transfer in this batch.")
                             % {"n": n, "number": failure.merchant_number})
        if failure.merchant_number in seen:
            raise BatchError(_("Entry %(n)d: merchant %(number)s is listed twice.")
                             % {"n": n, "number": failure.merchant_number})
        seen.add(failure.merchant_number)
    for failure in failures:
        PayoutLine.objects.filter(pk=lines[failure.merchant_number].pk).update(
            status=PayoutLine.Status.FAILED, failure_reason=failure.reason)
    paid = batch.lines.filter(status=PayoutLine.Status.PAYABLE).update(status=PayoutLine.Status.PAID)
    batch.status = SettlementBatch.Status.PAID
    batch.paid_recorded_by = actor
    batch.paid_recorded_at = timezone.now()
    batch.save(update_fields=["status", "paid_recorded_by", "paid_recorded_at"])
    audit_log(actor=actor, action="settlement.batch_bank_result", target=batch, campaign=batch.campaign,
              request=request, data={"paid": paid, "failed": [[f.merchant_number, f.reason] for f in failures]})
    return {"paid": paid, "failed": len(failures)}


def cutoffs_close_due(*, actor, now=None) -> list[SettlementBatch]:
    """Close every cutoff whose day has ended (the beat task). Each close is its own transaction; a cutoff that
    another process closed meanwhile is skipped."""
    from django.conf import settings

    now = timezone.localtime(now or timezone.now())
    last_day = now.date() if now.hour >= settings.CUTOFF_CLOSE_HOUR else now.date() - timedelta(days=1)
    batches = []
    for cutoff in Cutoff.objects.filter(cutoff_date__lte=last_day, batch__isnull=True, campaign__is_active=True):
        try:
            batches.append(batch_close(actor=actor, cutoff=cutoff))
        except BatchError:
            continue
    return batches

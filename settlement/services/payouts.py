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
from django.db.models import Q
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

__all__ = ["BatchError", "batch_approve", "batch_close", "batch_discard", "batch_prepare", "batch_record_bank_result",
           "cutoffs_close_due", "parse_bank_result", "payouts_take_turn"]


class BatchError(DomainError):
    pass


HOLD = PayoutLine.HoldReason


# The order reasons are stored and shown in: the most serious first, each reason once.
_HOLD_ORDER = (HOLD.SUSPENDED, HOLD.INVESTIGATION, HOLD.NO_ACCOUNT, HOLD.ACCOUNT_FAILED)


def hold_reasons_unique(reasons) -> list[str]:
    """``reasons`` each once, in the order of ``_HOLD_ORDER`` (unknown codes after, as first seen). Lines closed
    before the reasons were made unique at the source may still repeat one; screens and files pass them here."""
    seen = list(dict.fromkeys(reasons))
    rank = {code: n for n, code in enumerate(_HOLD_ORDER)}
    return sorted(seen, key=lambda code: (rank.get(code, len(rank)), seen.index(code)))


def _hold_reasons(campaign_id: int, merchant_ids: set[int]) -> dict[int, list[str]]:
    """Why each merchant's money must wait: suspension, an open investigation, no confirmed account, or an
    account that failed at the bank and has not been replaced yet. Each reason once per merchant, however many
    investigations or failed transfers cause it."""
    found: dict[int, set[str]] = defaultdict(set)
    ids = list(merchant_ids)
    for pk in Merchant.objects.filter(pk__in=ids, suspended_at__isnull=False).values_list("pk", flat=True):
        found[pk].add(HOLD.SUSPENDED)
    # order_by() drops Investigation's default ordering: with it, DISTINCT also compared opened_at and pk and
    # gave one row (and one "open investigation") per investigation.
    for pk in (Investigation.objects.filter(campaign_id=campaign_id, status=Investigation.Status.OPEN,
                                            envelope__merchant_id__in=ids)
               .order_by().values_list("envelope__merchant_id", flat=True).distinct()):
        found[pk].add(HOLD.INVESTIGATION)
    active = dict(BankAccount.objects.filter(merchant_id__in=ids, status=BankAccount.Status.ACTIVE)
                  .values_list("merchant_id", "pk"))
    for pk in ids:
        if pk not in active:
            found[pk].add(HOLD.NO_ACCOUNT)
    # A failed transfer not paid again yet, still on the same account: paying again would fail again.
    for merchant_id, account_id in (PayoutLine.objects.filter(merchant_id__in=ids, status=PayoutLine.Status.FAILED,
                                                              carried_to__isnull=True)
                                    .order_by().values_list("merchant_id", "account_id")):
        if merchant_id in active and active[merchant_id] == account_id:
            found[merchant_id].add(HOLD.ACCOUNT_FAILED)
    reasons: dict[int, list[str]] = defaultdict(list)
    for pk, codes in found.items():
        reasons[pk] = hold_reasons_unique(codes)
    return reasons


def _figures(envelope_ids: list[int]) -> tuple[dict, dict, dict, dict]:
    """Per merchant: envelopes, per-denomination tickets/amounts, accepted investigation adjustments; and per
    envelope its amount. Redeemed amounts count the readings' redemptions; a reviewer's accepted claim is paid as
    its investigation's adjustment (its redemption row, ``by_decision``, only holds the ticket's one payment)."""
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
                  FROM {Redemption._meta.db_table} r WHERE r.envelope_id = ANY(%s) AND NOT r.by_decision
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
    line = PayoutLine(batch=batch, merchant_id=merchant_id, status=status, hold_reasons=hold_reasons_unique(reasons),
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


# Closes (and discards) of one campaign's batches take turns: a transaction-scoped advisory lock under a namespace
# of this module's own, taken before anything is read. Without it two cutoffs closing at the same moment would
# both see a failed transfer as not carried yet and pay it twice (and the carry's guarded update below would then
# refuse the second close rather than pay).
_PAYOUTS_LOCK_NAMESPACE = 0x5E7B  # "settlement payouts"; distinct from the intake's 0x5E7A


def payouts_take_turn(campaign_id: int) -> None:
    """Wait for, then hold until the commit, the campaign's turn at closing or discarding a batch."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s::int, %s::int)", [_PAYOUTS_LOCK_NAMESPACE, campaign_id])


# Reasons that only stop a transfer: a merchant whose envelopes pay ¥0 has nothing to transfer, so these do not
# hold its envelopes (they are settled with a "nothing to pay" line instead of waiting for ever).
_TRANSFER_ONLY = {HOLD.NO_ACCOUNT, HOLD.ACCOUNT_FAILED}


def _scope(cutoff: Cutoff) -> tuple[set[int], set[int]] | None:
    """The merchants and envelopes an extraordinary cutoff is limited to, or None when it takes everything."""
    if cutoff.kind != Cutoff.Kind.EXTRAORDINARY:
        return None
    merchants = set(cutoff.merchants.values_list("pk", flat=True))
    envelopes = set(cutoff.envelopes.values_list("pk", flat=True))
    return (merchants, envelopes) if merchants or envelopes else None


@transaction.atomic
def batch_close(*, actor, cutoff: Cutoff, request=None) -> SettlementBatch:
    """Freeze the batch of a cutoff (see the module docstring). The closer is the batch's preparer; a batch the
    scheduler closed (``actor`` None) has none until a person prepares it (batch_prepare).

    Each merchant gets one line: payable (one transfer), held (its envelopes wait for a later close), or nothing to
    pay (its envelopes pay ¥0: settled with the batch, no transfer record, never in the bank file)."""
    cutoff = Cutoff.objects.select_for_update(of=("self",)).select_related("campaign").get(pk=cutoff.pk)
    payouts_take_turn(cutoff.campaign_id)
    if SettlementBatch.objects.filter(cutoff=cutoff).exists():
        raise BatchError(_("The cutoff of %(day)s has already been closed.") % {"day": cutoff.cutoff_date.isoformat()})
    campaign = cutoff.campaign
    now = timezone.now()
    batch = SettlementBatch.objects.create(campaign=campaign, cutoff=cutoff, prepared_by=actor, prepared_at=now)

    eligible = Envelope.objects.filter(campaign=campaign, status=Envelope.Status.RECONCILED,
                                       received_on__lte=cutoff.cutoff_date, batch_entry__isnull=True)
    failed = PayoutLine.objects.filter(batch__campaign=campaign, status=PayoutLine.Status.FAILED,
                                       carried_to__isnull=True)
    if not cutoff.accepts_late:
        # An envelope received after the settlement deadline is paid by a relief cutoff only (cutoff_scope_set).
        eligible = eligible.filter(received_on__lte=campaign.settlement_deadline)
    scope = _scope(cutoff)
    if scope is not None:
        scope_merchants, scope_envelopes = scope
        eligible = eligible.filter(Q(merchant_id__in=scope_merchants) | Q(pk__in=scope_envelopes))
        in_scope = scope_merchants | set(Envelope.objects.filter(pk__in=scope_envelopes)
                                         .values_list("merchant_id", flat=True))
        failed = failed.filter(merchant_id__in=in_scope)
    candidates = dict(eligible.values_list("pk", "merchant_id"))
    failed_lines = list(failed.select_related("batch"))
    merchant_ids = set(candidates.values()) | {line.merchant_id for line in failed_lines}
    reasons = _hold_reasons(campaign.pk, merchant_ids)

    envelopes, per_denomination, adjustment, envelope_amount = _figures(list(candidates))
    owed: dict[int, int] = defaultdict(int)  # per merchant: its envelopes' amounts and its failed transfers
    for envelope_id, merchant_id in candidates.items():
        owed[merchant_id] += envelope_amount.get(envelope_id, 0)
    for line in failed_lines:
        owed[line.merchant_id] += line.amount
    status: dict[int, str] = {}
    for merchant_id in merchant_ids:
        why = reasons.get(merchant_id) or []
        if not owed[merchant_id] and set(why) <= _TRANSFER_ONLY:
            status[merchant_id] = PayoutLine.Status.NOTHING
        elif why:
            status[merchant_id] = PayoutLine.Status.HELD
        else:
            status[merchant_id] = PayoutLine.Status.PAYABLE
    attach = sorted(pk for pk, merchant_id in candidates.items() if status[merchant_id] != PayoutLine.Status.HELD)

    # Attach: closes of the campaign take turns (payouts_take_turn); the unique envelope column stays the last word.
    taken: list[int] = []
    if attach:
        with connection.cursor() as cursor:
            cursor.execute(
                f"""INSERT INTO {BatchEnvelope._meta.db_table} (batch_id, envelope_id, amount)
                    SELECT %s, e.id, 0 FROM {Envelope._meta.db_table} e
                     WHERE e.id = ANY(%s) AND e.status = 'reconciled'
                    ON CONFLICT (envelope_id) DO NOTHING RETURNING envelope_id""", [batch.pk, attach])  # noqa: S608
            taken = [row[0] for row in cursor.fetchall()]
    if sorted(taken) != attach:
        raise BatchError(_("Some envelopes changed while the cutoff was being closed; nothing was saved. Close it "
                           "again."))

    denominations = {d.pk: d for d in Denomination.objects.filter(campaign=campaign)}
    accounts = {a.merchant_id: a for a in BankAccount.objects.filter(
        merchant_id__in=list(merchant_ids), status=BankAccount.Status.ACTIVE).select_related("bank", "branch")}
    lines: dict[int, PayoutLine] = {}
    for merchant_id in sorted(merchant_ids):
        line_status = status[merchant_id]
        why = {PayoutLine.Status.HELD: reasons.get(merchant_id, []),
               PayoutLine.Status.NOTHING: [HOLD.NOTHING_PAYABLE]}.get(line_status, [])
        lines[merchant_id] = _line(batch, merchant_id, line_status, why, envelopes, per_denomination, adjustment,
                                   denominations, accounts.get(merchant_id))
    # Failed transfers of earlier batches are paid again once the merchant has a new confirmed account. A held
    # merchant's failed amount is shown on its held line but stays with the failed line until paid.
    carried: dict[int, list[PayoutLine]] = defaultdict(list)
    for failed_line in failed_lines:
        line = lines[failed_line.merchant_id]
        if line.status == PayoutLine.Status.PAYABLE:
            carried[failed_line.merchant_id].append(failed_line)
        line.carried_amount += failed_line.amount
        line.amount += failed_line.amount
    PayoutLine.objects.bulk_create(lines.values(), batch_size=5000)

    with connection.cursor() as cursor:
        # Each envelope points at its merchant's line and carries its own amount (for the notices).
        cursor.execute(
            f"""UPDATE {BatchEnvelope._meta.db_table} be SET line_id = pl.id
                  FROM {Envelope._meta.db_table} e, {PayoutLine._meta.db_table} pl
                 WHERE be.batch_id = %s AND e.id = be.envelope_id AND pl.batch_id = be.batch_id
                   AND pl.merchant_id = e.merchant_id""", [batch.pk])  # noqa: S608
        amounts = {pk: envelope_amount[pk] for pk in taken if envelope_amount.get(pk)}
        if amounts:
            ids, values = zip(*amounts.items(), strict=True)
            cursor.execute(
                f"""UPDATE {BatchEnvelope._meta.db_table} be SET amount = v.amount
                      FROM unnest(%s::bigint[], %s::bigint[]) AS v(envelope_id, amount)
                     WHERE be.envelope_id = v.envelope_id AND be.batch_id = %s""", [list(ids), list(values), batch.pk])  # noqa: S608
    for merchant_id, failed_for in carried.items():
        # A failed transfer is carried into exactly one later batch: only a line nobody carried yet is taken.
        moved = PayoutLine.objects.filter(pk__in=[f.pk for f in failed_for], carried_to__isnull=True).update(
            carried_to=lines[merchant_id])
        if moved != len(failed_for):
            raise BatchError(_("A failed transfer was carried by another close meanwhile; nothing was saved. Close "
                               "the cutoff again."))

    payable = [line for line in lines.values() if line.status == PayoutLine.Status.PAYABLE]
    held = [line for line in lines.values() if line.status == PayoutLine.Status.HELD]
    batch.envelopes = len(taken)
    batch.merchants = len(payable)
    batch.held = len(held)
    batch.amount = sum(line.amount for line in payable)
    batch.held_amount = sum(line.amount for line in held)
    batch.save(update_fields=["envelopes", "merchants", "held", "amount", "held_amount"])
    audit_log(actor=actor, action="settlement.batch_close", target=batch, campaign=campaign, request=request,
              data={"cutoff_date": cutoff.cutoff_date, "kind": cutoff.kind, "envelopes": batch.envelopes,
                    "merchants": batch.merchants, "held": batch.held, "amount": batch.amount,
                    "held_amount": batch.held_amount, "nothing_to_pay": len(lines) - len(payable) - len(held),
                    "carried": sum(len(v) for v in carried.values()), "limited": scope is not None})
    return batch


@transaction.atomic
def batch_prepare(*, actor, batch: SettlementBatch, request=None) -> SettlementBatch:
    """Sign a batch the scheduler closed as its preparer: a named person has checked it, and a second person may
    now approve it."""
    batch = SettlementBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != SettlementBatch.Status.PREPARED:
        raise BatchError(_("This batch has already been approved."))
    if batch.prepared_by_id is not None:
        raise BatchError(_("This batch already has its preparer."))
    batch.prepared_by = actor
    batch.prepared_at = timezone.now()
    batch.save(update_fields=["prepared_by", "prepared_at"])
    audit_log(actor=actor, action="settlement.batch_prepare", target=batch, campaign=batch.campaign, request=request,
              data={"amount": batch.amount, "merchants": batch.merchants})
    return batch


@transaction.atomic
def batch_approve(*, actor, batch: SettlementBatch, request=None) -> SettlementBatch:
    """The second person's approval: the batch's files may now be generated and its envelopes are settled."""
    batch = SettlementBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != SettlementBatch.Status.PREPARED:
        raise BatchError(_("This batch has already been approved."))
    if batch.prepared_by_id is None:
        raise BatchError(_("The scheduler closed this batch: a person must first check it and sign it as its "
                           "preparer; then a second person approves it."))
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
    payouts_take_turn(SettlementBatch.objects.values_list("campaign_id", flat=True).get(pk=batch.pk))
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

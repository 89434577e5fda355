"""Demo payouts for `manage.py seed_demo` (called at the end of ``settlement.demo.seed``): a cutoff schedule, a
batch closed, approved, with its files and the bank's result (one failed transfer), a second batch closed and
awaiting approval (with a held, suspended merchant), a fraud-watch case with a recorded warning, and an auditor
report with a corrected revision. Runs once per campaign.

Reconciled envelopes received over the last two months are made here from sold books the intake demo left
untouched, so both cutoffs have content.
"""

from __future__ import annotations

import io
import random
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from campaign.bankdays import add_business_days
from settlement.models import (
    BankAccount,
    Cutoff,
    Envelope,
    Merchant,
    ReadOutcome,
    Redemption,
    SerialRead,
    SettlementBatch,
    WatchCase,
)
from vouchers.serials import damm_digit

ENVELOPE_MERCHANTS = 36


def seed(*, campaign, users: dict, stdout) -> None:
    if not SettlementBatch.objects.filter(campaign=campaign).exists():
        with transaction.atomic():
            _seed(campaign, users)
    batches = SettlementBatch.objects.filter(campaign=campaign)
    stdout.write(
        f"Demo payouts: {Cutoff.objects.filter(campaign=campaign).count()} cutoffs, {batches.count()} batches "
        f"({batches.filter(status='paid').count()} paid, {batches.filter(status='prepared').count()} awaiting "
        f"approval), {WatchCase.objects.filter(campaign=campaign).count()} fraud-watch case.")


def _moment(day) -> datetime:
    return datetime.combine(day, time(11, 0), tzinfo=timezone.get_current_timezone())


def _make_envelopes(campaign, users, today) -> None:
    """Reconciled envelopes of sold tickets for the first approved merchants with an account (and the suspended
    one), received over the last 60 days."""
    from vouchers.models import Book, BookState

    clerk = users.get("settlement") or users["clerk"]
    merchants = list(Merchant.objects.filter(campaign=campaign, status=Merchant.Status.APPROVED,
                                             bank_accounts__status=BankAccount.Status.ACTIVE)
                     .order_by("pk").distinct()[:ENVELOPE_MERCHANTS])
    redeemed_books = set(Redemption.objects.filter(campaign=campaign).values_list("book", flat=True))
    books = [b for b in Book.objects.filter(campaign=campaign, state=BookState.SOLD)
             .select_related("denomination").order_by("number")[:400] if b.number not in redeemed_books]
    if not merchants or not books:
        return
    rng = random.Random(2026)  # noqa: S311  (demo data, not security)
    book_iter = iter(books)
    for n, merchant in enumerate(merchants):
        for k in range(2):
            try:
                book = next(book_iter)
            except StopIteration:
                return
            received = today - timedelta(days=55 - (n % 12) - 28 * k)
            serial = f"{merchant.merchant_number}{merchant.envelopes.count() + 1:03d}"
            envelope = Envelope.objects.create(
                campaign=campaign, merchant=merchant, number=serial + damm_digit(serial),
                status=Envelope.Status.RECONCILED, declared_by=clerk, received_on=received, seal_intact=True,
                counted_tickets=0, reconciled_at=_moment(received), reconciled_by=clerk)
            read = SerialRead.objects.create(envelope=envelope, source=SerialRead.Source.SCANNER, read_by=clerk,
                                             file_name=f"demo-{envelope.number}.txt")
            tickets = rng.randint(4, book.denomination.tickets_per_book)
            Redemption.objects.bulk_create([
                Redemption(campaign=campaign, denomination=book.denomination, book=book.number, ticket=t,
                           face_value=book.denomination.face_value, envelope=envelope, read=read, merchant=merchant)
                for t in range(1, tickets + 1)])
            Redemption.objects.filter(envelope=envelope).update(redeemed_at=_moment(received))
            SerialRead.objects.filter(pk=read.pk).update(read_at=_moment(received), lines=tickets)
            Envelope.objects.filter(pk=envelope.pk).update(counted_tickets=tickets)


def _seed(campaign, users: dict) -> None:
    from settlement.payout_documents import generate_output
    from settlement.reports import report_issue
    from settlement.services.cutoffs import CutoffRow, schedule_save
    from settlement.services.fraud import fraud_scan, watch_warn
    from settlement.services.payouts import BankFailure, batch_approve, batch_close, batch_record_bank_result

    today = timezone.localdate()
    preparer = users.get("settlement") or users["clerk"]
    manager = users["manager"]
    # The intake demo's envelopes are recent; older ones (received over two months) fill both cutoffs.
    _make_envelopes(campaign, users, today)

    # Cutoffs: one a month ago (paid), one last week (closed, awaiting approval), and the coming ones.
    first = today - timedelta(days=35)
    second = today - timedelta(days=6)
    rows = [CutoffRow(first, add_business_days(first, 8)), CutoffRow(second, add_business_days(second, 10))]
    for weeks in (2, 4, 6):
        day = today + timedelta(weeks=weeks)
        rows.append(CutoffRow(day, add_business_days(day, 10)))
    cutoffs = schedule_save(actor=preparer, campaign=campaign, rows=rows, source="demo")

    paid = batch_close(actor=preparer, cutoff=cutoffs[0])
    paid = batch_approve(actor=manager, batch=paid)
    for kind in ("zengin", "list", "notices", "summary"):
        generate_output(SettlementBatch.objects.select_related("cutoff", "campaign", "prepared_by", "approved_by")
                        .get(pk=paid.pk), kind, io.BytesIO())
    report = report_issue(actor=manager, campaign=campaign, kind="period", start=first - timedelta(days=60),
                          end=today)
    failing = paid.lines.filter(status="payable").select_related("merchant").order_by("merchant__merchant_number")
    failures = [BankFailure(failing[0].merchant.merchant_number, "口座番号相違")] if failing.exists() else []
    batch_record_bank_result(actor=manager, batch=paid, failures=failures)
    report_issue(actor=manager, campaign=campaign, kind=report.kind, start=report.period_start, end=report.period_end,
                 reason="銀行の振込結果（振込不能1件）を反映")

    batch_close(actor=preparer, cutoff=cutoffs[1])

    # Fraud watch: a merchant sent a ticket from unsold stock this week.
    envelope = (Envelope.objects.filter(campaign=campaign, merchant__suspended_at__isnull=True,
                                        received_on__isnull=False, reads__isnull=False)
                .order_by("-received_on", "pk").first())
    if envelope is not None:
        read = envelope.reads.first()
        ReadOutcome.objects.create(read=read, envelope=envelope, line_no=999, code="0" * 21,
                                   verification="unsold", detail="vault")
        SerialRead.objects.filter(pk=read.pk).update(read_at=timezone.now())
        fraud_scan(campaign=campaign, day=today, actor=manager)
        case = WatchCase.objects.filter(campaign=campaign).first()
        if case is not None:
            watch_warn(actor=manager, case=case, contacted_at=timezone.now() - timedelta(hours=2), channel="phone",
                       summary="店主に電話。未販売の券を受け取らないよう説明し、了承を得た。")

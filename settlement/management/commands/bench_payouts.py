"""`manage.py bench_payouts --merchants 30000`: build a batch of N merchants and time its outputs.

Everything is created inside one transaction that is rolled back at the end, so the database is left as it was.
Prints seconds for closing the cutoff, the Zengin file and the Excel list (target: Zengin + Excel under 10 s for
30k merchants) and payment notices per second on one worker (target ≥ 100 pages/s), each with a ratio to a
baseline measured in the same run: the Zengin file against writing the same number of precomputed 120-byte
records (the floor), the Excel list against the generic ``write_xlsx`` of the same rows, the notices against a
one-line PDF with the same embedded font (the floor of a PDF per merchant).
"""

from __future__ import annotations

import io
import time
from datetime import date

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from campaign.exports import write_xlsx
from campaign.models import Campaign, Denomination
from campaign.pdf import new_canvas
from settlement.models import (
    Bank,
    BankAccount,
    BankBranch,
    Cutoff,
    Envelope,
    Merchant,
    PayoutLine,
    Redemption,
    SerialRead,
)


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Time a settlement batch of N merchants: close, Zengin file, Excel list, notice PDFs."

    def add_arguments(self, parser):
        parser.add_argument("--merchants", type=int, default=30000)
        parser.add_argument("--tickets", type=int, default=8, help="tickets per merchant (one envelope each)")
        parser.add_argument("--notices", type=int, default=1000, help="notices to render for the pages/s figure")

    def handle(self, *args, **options):
        try:
            with transaction.atomic():
                self._run(options)
                raise Rollback
        except Rollback:
            self.stdout.write("(all bench data rolled back)")

    def _t(self, label, func):
        start, cpu = time.perf_counter(), time.process_time()
        result = func()
        seconds = time.perf_counter() - start
        self.cpu = time.process_time() - cpu
        self.stdout.write(f"{label:<42} {seconds:8.2f} s  (this process's CPU {self.cpu:.2f} s)")
        return seconds, result

    def _run(self, options):
        from settlement.payout_documents import (
            draw_notice,
            envelopes_by_line,
            list_header,
            list_rows,
            transfer_lines,
            write_payout_list,
            write_zengin,
        )
        from settlement.services.payouts import batch_approve, batch_close

        n, tickets = options["merchants"], options["tickets"]
        User = get_user_model()
        preparer = User.objects.create(username="bench-preparer", is_staff=True)
        approver = User.objects.create(username="bench-approver", is_staff=True)
        used = set(Campaign.objects.values_list("serial_prefix", flat=True))
        prefix = next(p for p in range(99, 9, -1) if p not in used)
        today = timezone.localdate()
        campaign = Campaign.objects.create(code="BENCHPAY", name="ベンチマーク", prefecture="31", serial_prefix=prefix,
                                           sales_start=date(2026, 1, 1), sales_end=date(2026, 12, 31),
                                           usage_start=date(2026, 1, 1), usage_end=date(2026, 12, 31),
                                           settlement_deadline=date(2027, 1, 31))
        thousand = Denomination.objects.create(campaign=campaign, code=1, name="1,000円券", face_value=1000,
                                               tickets_per_book=max(tickets, 10), sale_price_per_book=10000)
        bank, _ = Bank.objects.get_or_create(code="0001", defaults={"name": "みずほ", "kana": "ミズホ"})
        branch, _ = BankBranch.objects.get_or_create(bank=bank, code="001",
                                                     defaults={"name": "東京営業部", "kana": "トウキヨウ"})

        def build():
            merchants = Merchant.objects.bulk_create([
                Merchant(campaign=campaign, status="approved", merchant_number=f"9{i:07d}",
                         store_name=f"ベンチ食堂{i}", store_name_kana="ベンチショクドウ", business_form="corporation",
                         postal_code="6800011", address="鳥取県鳥取市東町1-1", phone="0857-00-0000",
                         email=f"b{i}@example.jp", genre="japanese", area="east") for i in range(n)], batch_size=5000)
            BankAccount.objects.bulk_create([
                BankAccount(merchant=m, bank=bank, branch=branch, account_type="1", account_number=f"{i % 10**7:07d}",
                            holder_kana="ｶ)ﾍﾞﾝﾁｼﾖｸﾄﾞｳ", status="active") for i, m in enumerate(merchants)],
                batch_size=5000)
            envelopes = Envelope.objects.bulk_create([
                Envelope(campaign=campaign, merchant=m, number=f"B{i:011d}", status="reconciled", declared_by=preparer,
                         received_on=today, reconciled_at=timezone.now()) for i, m in enumerate(merchants)],
                batch_size=5000)
            reads = SerialRead.objects.bulk_create([
                SerialRead(envelope=e, source="scanner", read_by=preparer) for e in envelopes], batch_size=5000)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"""INSERT INTO {Redemption._meta.db_table}
                          (campaign_id, denomination_id, book, ticket, face_value, envelope_id, read_id, merchant_id,
                           redeemed_at)
                        SELECT %s, %s, r.ord, t, 1000, r.envelope_id, r.id, e.merchant_id, now()
                          FROM (SELECT id, envelope_id, row_number() OVER (ORDER BY id) AS ord
                                  FROM {SerialRead._meta.db_table} WHERE id = ANY(%s)) r
                          JOIN {Envelope._meta.db_table} e ON e.id = r.envelope_id,
                               generate_series(1, %s) AS t""",  # noqa: S608
                    [campaign.pk, thousand.pk, [r.pk for r in reads], tickets])
            return len(merchants)

        self._t(f"build {n:,} merchants × {tickets} tickets", build)
        cutoff = Cutoff.objects.create(campaign=campaign, cutoff_date=today, payment_date=date(2027, 1, 29))
        close_s, batch = self._t("close the cutoff (freeze the batch)", lambda: batch_close(actor=preparer,
                                                                                            cutoff=cutoff))
        batch = batch_approve(actor=approver, batch=batch)
        self.stdout.write(f"  batch: {batch.merchants:,} merchants, {batch.envelopes:,} envelopes, ¥{batch.amount:,}")

        zengin = io.BytesIO()
        zengin_s, _ = self._t("Zengin 総合振込 file", lambda: write_zengin(batch, zengin))
        records = [line for line in zengin.getvalue().split(b"\r\n") if line]
        floor_s, _ = self._t("  baseline: write the same records", lambda: io.BytesIO().write(
            b"".join(r + b"\r\n" for r in records)))
        xlsx = io.BytesIO()
        excel_s, _ = self._t("Excel payout list (deterministic)", lambda: write_payout_list(batch, xlsx))
        generic_s, _ = self._t("  baseline: generic write_xlsx, same rows", lambda: write_xlsx(
            io.BytesIO(), list_header(), list_rows(batch), sheet_title="x"))

        sample = list(PayoutLine.objects.filter(pk__in=[line.pk for line in transfer_lines(batch)][:options["notices"]])
                      .select_related("merchant"))
        envelopes = envelopes_by_line(line.pk for line in sample)

        def notices():
            pages = 0
            for line in sample:
                buffer = io.BytesIO()
                canvas = new_canvas(buffer, title="notice", invariant=True)
                pages += draw_notice(canvas, batch, line, envelopes.get(line.pk, []))
                canvas.save()
            return pages

        def blank():
            for _line in sample:
                canvas = new_canvas(io.BytesIO(), title="blank", invariant=True)
                canvas.drawString(100, 700, "支払通知書")
                canvas.showPage()
                canvas.save()

        notice_s, pages = self._t(f"notice PDFs ({len(sample):,})", notices)
        notice_cpu = self.cpu
        blank_s, _ = self._t("  baseline: one-line PDF each", blank)
        self.stdout.write("")
        self.stdout.write(f"Zengin + Excel: {zengin_s + excel_s:.2f} s for {batch.merchants:,} merchants "
                          f"(target < 10 s) — Zengin {zengin_s / max(floor_s, 1e-6):.0f}× the raw write, "
                          f"Excel {excel_s / max(generic_s, 1e-6):.2f}× the generic writer")
        self.stdout.write(f"Notices: {pages / notice_s:.0f} pages/s on one worker (target ≥ 100), "
                          f"{pages / max(notice_cpu, 1e-6):.0f} pages per CPU-second (the rate of a worker with a "
                          f"core to itself) — {notice_s / max(blank_s, 1e-6):.2f}× a one-line PDF")
        self.stdout.write(f"Close: {close_s:.2f} s ({batch.merchants / close_s:,.0f} merchants/s)")

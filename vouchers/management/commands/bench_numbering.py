"""Benchmark the printer numbering export: time and peak Python memory while streaming a lot's CSV.

    manage.py bench_numbering --books 300000      (≈3.9M lines; about a minute and a half on 2 slow cores)

The baseline builds the same lines as a list in memory for a 1% sample; the peak memory of the stream must
stay flat while the baseline's grows with the lot. Runs in a rolled-back transaction.
"""

from __future__ import annotations

import io
import os
import time
import tracemalloc
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from vouchers import services
from vouchers.jobs import lot_rows, write_lot_numbering
from vouchers.management.commands.bench_vouchers import Command as VoucherBench


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Stream a lot's numbering CSV and report lines/s and peak memory against an in-memory baseline."

    def add_arguments(self, parser):
        parser.add_argument("--books", type=int, default=30_000)

    def handle(self, *args, books, **options):
        sample = max(100, books // 100)
        try:
            with transaction.atomic():
                bench = VoucherBench()
                user, campaign, denomination, _outlets, day = bench._setup("TEST", 95)
                settings.VOUCHER_MAC_KEYS.setdefault("TEST", b"bench-only-key-bench-only-key-32")
                order = services.print_order_create(actor=user, campaign=campaign, printer="bench", ordered_on=day,
                                                    requested_delivery=day, books={denomination: books})
                lot = services.lot_create(actor=user, order=order, denomination=denomination,
                                          completed_on=timezone.localdate() - timedelta(days=1), first_book=1,
                                          last_book=books)
                with open(os.devnull, "wb") as sink:
                    start = time.perf_counter()
                    lines = write_lot_numbering(lot, sink)
                    stream_seconds = time.perf_counter() - start
                # Memory is traced on a tenth of the lot (tracing slows Python down a lot); a stream's peak
                # does not grow with the length of the file.
                with open(os.devnull, "wb") as sink:
                    tracemalloc.start()
                    from vouchers.numbering import write_numbering_csv

                    write_numbering_csv(sink, lot_rows(lot, 1, max(sample, books // 10)))
                    _current, stream_peak = tracemalloc.get_traced_memory()
                    tracemalloc.stop()

                tracemalloc.start()
                start = time.perf_counter()
                held = list(lot_rows(lot, 1, sample))
                buffer = io.StringIO()
                for row in held:
                    buffer.write(",".join(map(str, row)) + "\r\n")
                list_seconds = time.perf_counter() - start
                _current, list_peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                raise _Rollback
        except _Rollback:
            pass
        sample_lines = sample * denomination.tickets_per_book
        self.stdout.write(f"Numbering export: {books:,} books = {lines:,} lines streamed; baseline {sample:,} books "
                          f"= {sample_lines:,} lines held in a list.")
        self.stdout.write(f"  stream   {stream_seconds:8.2f} s  {lines / stream_seconds:10,.0f} lines/s  "
                          f"peak {stream_peak / 1e6:8.2f} MB")
        self.stdout.write(f"  in list  {list_seconds:8.2f} s  {sample_lines / list_seconds:10,.0f} lines/s  "
                          f"peak {list_peak / 1e6:8.2f} MB  → {list_peak / sample_lines * lines / 1e6:,.0f} MB "
                          f"for the whole lot")
        self.stdout.write(f"  memory ratio (list, scaled to the lot ÷ stream): "
                          f"{(list_peak / sample_lines * lines) / max(stream_peak, 1):,.0f}×")

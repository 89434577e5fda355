"""Benchmark the voucher stock engine: a whole campaign's books through print, delivery, sales and collection.

    manage.py bench_vouchers --books 300000

Runs the set-based services on N books (50 outlets), then the same steps book by book through the ORM on a
1% sample as the baseline, and prints seconds per step, books per second and the ratio. Everything happens in
one transaction that is rolled back: the database is left as it was.
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from campaign.models import Campaign, Denomination
from vouchers import services
from vouchers.ledger import ledger_current
from vouchers.models import Book, BookState, Outlet, PrintLot
from vouchers.movements import BookRange, compress

OUTLETS = 50


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Time print → delivery → sales → collection for N books, set-based vs book-by-book (rolled back)."

    def add_arguments(self, parser):
        parser.add_argument("--books", type=int, default=300_000)
        parser.add_argument("--sample", type=int, default=None, help="books for the ORM baseline (default 1%%)")

    def handle(self, *args, books, sample, **options):
        if books < OUTLETS * 10:
            raise CommandError(f"--books must be at least {OUTLETS * 10}.")
        sample = sample or max(OUTLETS * 10, books // 100)
        try:
            with transaction.atomic():
                fast = self._set_based(books)
                slow = self._book_by_book(sample)
                raise _Rollback
        except _Rollback:
            pass
        self.stdout.write(f"Voucher stock benchmark: {books:,} books set-based, {sample:,} books one by one "
                          f"through the ORM; {OUTLETS} outlets; rolled back afterwards.")
        self.stdout.write(f"{'step':<22}{'set-based s':>12}{'books/s':>12}{'ORM s':>10}{'books/s':>10}{'ratio':>9}")
        for step in fast:
            f, s = fast[step], slow[step]
            f_rate, s_rate = books / max(f, 1e-9), sample / max(s, 1e-9)
            self.stdout.write(f"{step:<22}{f:>12.2f}{f_rate:>12,.0f}{s:>10.2f}{s_rate:>10,.0f}{f_rate / s_rate:>8.0f}×")
        total_fast, total_slow = sum(fast.values()), sum(slow.values())
        ratio = (books / total_fast) / (sample / total_slow)
        self.stdout.write(f"{'total':<22}{total_fast:>12.2f}{books / total_fast:>12,.0f}{total_slow:>10.2f}"
                          f"{sample / total_slow:>10,.0f}{ratio:>8.0f}×")
        projected = total_slow * books / sample
        self.stdout.write(f"Book by book, {books:,} books would take about {projected:,.0f} s; set-based took "
                          f"{total_fast:.1f} s (target: under 30 s for 300,000).")

    # -- set-based, through the real services ------------------------------------------------------------
    def _setup(self, code: str, prefix: int):
        today = timezone.localdate()
        user = get_user_model().objects.create_user(f"bench-{code}", is_staff=True)
        campaign = Campaign.objects.create(code=code, name=f"Benchmark {code}", prefecture="31", serial_prefix=prefix,
                                           sales_start=today - timedelta(days=60), sales_end=today,
                                           usage_start=today - timedelta(days=60), usage_end=today,
                                           settlement_deadline=today)
        denomination = Denomination.objects.create(campaign=campaign, code=1, name="1,000円券", face_value=1000,
                                                   tickets_per_book=13, sale_price_per_book=10000)
        outlets = Outlet.objects.bulk_create([
            Outlet(campaign=campaign, code=f"B{i:03d}", name=f"販売所{i}", kind=Outlet.Kind.SUPERMARKET, address="-",
                   route=Outlet.Route.EAST) for i in range(OUTLETS)])
        return user, campaign, denomination, outlets, today - timedelta(days=30)

    def _set_based(self, books: int) -> dict[str, float]:
        user, campaign, denomination, outlets, day = self._setup("BENCHFAST", 98)
        timings: dict[str, float] = {}
        start = time.perf_counter()
        order = services.print_order_create(actor=user, campaign=campaign, printer="bench", ordered_on=day,
                                            requested_delivery=day, books={denomination: books})
        services.lot_create(actor=user, order=order, denomination=denomination, completed_on=day, first_book=1,
                            last_book=books)
        timings["print lot"] = time.perf_counter() - start

        per_outlet = books // OUTLETS
        start = time.perf_counter()
        deliveries = []
        for i, outlet in enumerate(outlets):
            last = books if i == OUTLETS - 1 else (i + 1) * per_outlet
            deliveries.append(services.delivery_dispatch(actor=user, outlet=outlet, delivery_date=day + timedelta(1),
                                                         ranges=[BookRange(i * per_outlet + 1, last)]))
        for delivery in deliveries:
            services.delivery_confirm(actor=user, delivery=delivery, received_by="bench", confirmed_on=day + timedelta(1))
        timings["deliver to 50 outlets"] = time.perf_counter() - start

        start = time.perf_counter()
        for outlet in outlets:
            at_outlet = Book.objects.filter(outlet=outlet, state=BookState.OUTLET).count()
            services.sales_report_record(actor=user, outlet=outlet, denomination=denomination,
                                         sales_date=day + timedelta(2), books=at_outlet * 9 // 10)
        timings["sell 90%"] = time.perf_counter() - start

        start = time.perf_counter()
        for outlet in outlets:
            collection = services.collection_open(actor=user, outlet=outlet, collected_on=day + timedelta(3))
            remaining = list(Book.objects.filter(outlet=outlet, state=BookState.OUTLET).order_by("number")
                             .values_list("number", flat=True))
            services.collection_return(actor=user, collection=collection, ranges=compress(remaining))
            services.collection_close(actor=user, collection=collection)
        timings["collect the rest"] = time.perf_counter() - start

        ledger = ledger_current(campaign)
        if not ledger.balanced or ledger.total(BookState.COLLECTED) + ledger.total(BookState.SOLD) != books:
            raise CommandError("The set-based run did not end where it should: the ledger does not add up.")
        return timings

    # -- the baseline: one ORM save per book --------------------------------------------------------------
    def _book_by_book(self, books: int) -> dict[str, float]:
        user, campaign, denomination, outlets, day = self._setup("BENCHORM", 97)
        timings: dict[str, float] = {}
        order = services.print_order_create(actor=user, campaign=campaign, printer="bench", ordered_on=day,
                                            requested_delivery=day, books={denomination: books})
        start = time.perf_counter()
        lot = PrintLot.objects.create(campaign=campaign, order=order, denomination=denomination, completed_on=day,
                                      first_book=1, last_book=books, created_by=user)
        for number in range(1, books + 1):
            Book.objects.create(campaign=campaign, denomination=denomination, lot=lot, number=number,
                                state=BookState.VAULT, last_moved_on=day)
        timings["print lot"] = time.perf_counter() - start

        per_outlet = books // OUTLETS
        start = time.perf_counter()
        for book in Book.objects.filter(campaign=campaign).order_by("number"):
            book.state = BookState.TRANSIT
            book.outlet = outlets[min((book.number - 1) // per_outlet, OUTLETS - 1)]
            book.save(update_fields=["state", "outlet"])
        for book in Book.objects.filter(campaign=campaign):
            book.state = BookState.OUTLET
            book.save(update_fields=["state"])
        timings["deliver to 50 outlets"] = time.perf_counter() - start

        start = time.perf_counter()
        for book in Book.objects.filter(campaign=campaign).order_by("number"):
            if (book.number - 1) % per_outlet < per_outlet * 9 // 10:
                book.state = BookState.SOLD
                book.save(update_fields=["state"])
        timings["sell 90%"] = time.perf_counter() - start

        start = time.perf_counter()
        for book in Book.objects.filter(campaign=campaign, state=BookState.OUTLET):
            book.state = BookState.COLLECTED
            book.save(update_fields=["state"])
        timings["collect the rest"] = time.perf_counter() - start
        return timings

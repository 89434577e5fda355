"""Two clerks at once, on two real database connections: a book is never delivered twice, and two lots
never share a book number, whoever commits first."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection, transaction

from vouchers import services
from vouchers.models import Book, BookState, Delivery, PrintLot
from vouchers.movements import BookRange, VoucherError

pytestmark = pytest.mark.django_db(transaction=True)

DAY = date(2026, 10, 22)


def race(first, second):
    """Run ``first`` in a transaction that stays open until ``second`` has started and reached the database,
    then commit it. Returns (first's result or error, second's result or error)."""
    results: dict[str, object] = {}
    first_done = threading.Event()
    release = threading.Event()

    def run_first():
        try:
            with transaction.atomic():
                results["first"] = first()
                first_done.set()
                release.wait(10)
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results["first"] = exc
            first_done.set()
        finally:
            connection.close()

    def run_second():
        first_done.wait(10)
        try:
            results["second"] = second()
        except Exception as exc:  # noqa: BLE001
            results["second"] = exc
        finally:
            connection.close()

    t1 = threading.Thread(target=run_first)
    t2 = threading.Thread(target=run_second)
    t1.start()
    t2.start()
    # Give the second clerk time to read and to block on the first clerk's uncommitted rows.
    t2.join(1.5)
    release.set()
    t1.join(20)
    t2.join(20)
    return results["first"], results["second"]


def test_two_clerks_delivering_overlapping_books(printed, bob, carol, marui, sanko):
    first, second = race(
        lambda: services.delivery_dispatch(actor=bob, outlet=marui, delivery_date=DAY, ranges=[BookRange(1, 100)]),
        lambda: services.delivery_dispatch(actor=bob, outlet=sanko, delivery_date=DAY, ranges=[BookRange(50, 150)]),
    )
    assert isinstance(first, Delivery)
    assert isinstance(second, VoucherError), second
    assert Delivery.objects.count() == 1
    assert Book.objects.filter(state=BookState.TRANSIT, outlet=marui).count() == 100
    assert not Book.objects.filter(outlet=sanko).exists()
    assert Book.objects.get(number=120).state == BookState.VAULT  # the refused delivery moved nothing


def test_two_clerks_delivering_by_count_get_different_books(printed, bob, marui, sanko, thousand):
    first, second = race(
        lambda: services.delivery_dispatch(actor=bob, outlet=marui, delivery_date=DAY, books={thousand: 300}),
        lambda: services.delivery_dispatch(actor=bob, outlet=sanko, delivery_date=DAY, books={thousand: 300}),
    )
    # The second read the same lowest numbers and found them taken: it is refused, never doubled.
    assert isinstance(first, Delivery)
    assert isinstance(second, VoucherError | Delivery)
    in_transit = Book.objects.filter(state=BookState.TRANSIT)
    assert in_transit.filter(outlet=marui).count() == 300
    assert in_transit.count() == 300 * Delivery.objects.count()


def test_two_overlapping_lots_entered_at_once(campaign, bob, thousand):
    order = services.print_order_create(actor=bob, campaign=campaign, printer="P", ordered_on=date(2026, 9, 1),
                                        requested_delivery=date(2026, 10, 1), books={thousand: 5000})
    first, second = race(
        lambda: services.lot_create(actor=bob, order=order, denomination=thousand, completed_on=DAY,
                                    first_book=1, last_book=1000),
        lambda: services.lot_create(actor=bob, order=order, denomination=thousand, completed_on=DAY,
                                    first_book=900, last_book=1500),
    )
    assert isinstance(first, PrintLot)
    assert isinstance(second, VoucherError) and "他の印刷ロットと重複" in str(second)
    assert PrintLot.objects.count() == 1
    assert Book.objects.count() == 1000

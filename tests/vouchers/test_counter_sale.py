"""Counter sales by book number: mixed denominations become one sales report each, the named books (and only
they) are sold at the outlet, the ledger balances, and a bad number changes nothing."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from tests.vouchers.fixtures import PRINTED_ON
from vouchers import services
from vouchers.ledger import ledger_as_of, ledger_current
from vouchers.models import Book, Movement, SalesReport
from vouchers.movements import BookRange, VoucherError

pytestmark = pytest.mark.django_db


@pytest.fixture
def stocked(printed, bob, marui, thousand, five_hundred):
    delivery = services.delivery_dispatch(actor=bob, outlet=marui, delivery_date=PRINTED_ON,
                                          ranges=[BookRange(1, 20), BookRange(1001, 1010)])
    services.delivery_confirm(actor=bob, delivery=delivery, received_by="店長", confirmed_on=PRINTED_ON)
    return marui


def test_books_of_two_denominations_are_sold_by_number(stocked, bob, thousand, five_hundred):
    today = timezone.localdate()
    reports = services.counter_sale_record(actor=bob, outlet=stocked, sales_date=today,
                                           ranges=[BookRange(3, 4), BookRange(1005, 1005)])
    assert [(r.denomination, r.books, r.remittance) for r in reports] == [(thousand, 2, 20000), (five_hundred, 1, 5000)]
    sold = set(Book.objects.filter(state="sold").values_list("number", flat=True))
    assert sold == {3, 4, 1005}
    assert Book.objects.filter(state="outlet", outlet=stocked).count() == 27
    sale_moves = Movement.objects.filter(kind=Movement.Kind.SALE)
    assert sum(m.books for m in sale_moves) == 3
    assert {m.sales_report_id for m in sale_moves} == {r.pk for r in reports}
    # The issuance ledger: the movements replayed to today give the same figures as the books themselves.
    assert ledger_current(stocked.campaign).total("sold") == 3
    assert ledger_as_of(stocked.campaign, today).total("sold") == 3
    assert ledger_current(stocked.campaign).total() == 1500


def test_a_book_not_at_the_outlet_sells_nothing(stocked, bob, sanko):
    today = timezone.localdate()
    with pytest.raises(VoucherError) as exc:
        services.counter_sale_record(actor=bob, outlet=stocked, sales_date=today,
                                     ranges=[BookRange(5, 5), BookRange(500, 500)])
    assert "500" in str(exc.value)
    with pytest.raises(VoucherError):
        services.counter_sale_record(actor=bob, outlet=stocked, sales_date=today, ranges=[BookRange(9999, 9999)])
    with pytest.raises(VoucherError):
        services.counter_sale_record(actor=bob, outlet=sanko, sales_date=today, ranges=[BookRange(5, 5)])
    assert not Book.objects.filter(state="sold").exists()
    assert not SalesReport.objects.exists()


def test_a_future_sales_date_is_refused(stocked, bob):
    with pytest.raises(VoucherError):
        services.counter_sale_record(actor=bob, outlet=stocked, sales_date=date(2999, 1, 1), ranges=[BookRange(1, 1)])

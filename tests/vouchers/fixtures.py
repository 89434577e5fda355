"""Voucher fixtures, shared by the voucher tests and the browser journeys (registered in tests/conftest.py)."""

from __future__ import annotations

from datetime import date

import pytest

from campaign.models import Denomination
from vouchers import services
from vouchers.models import Outlet

PRINTED_ON = date(2026, 10, 20)


@pytest.fixture
def thousand(campaign) -> Denomination:
    return campaign.denominations.get(code=1)


@pytest.fixture
def five_hundred(campaign) -> Denomination:
    return campaign.denominations.get(code=2)


def make_outlet(campaign, code: str, name: str, route=Outlet.Route.EAST) -> Outlet:
    return Outlet.objects.create(campaign=campaign, code=code, name=name, kind=Outlet.Kind.SUPERMARKET,
                                 address="鳥取県鳥取市1-1", route=route)


@pytest.fixture
def marui(campaign) -> Outlet:
    return make_outlet(campaign, "S001", "スーパーまるい 本店")


@pytest.fixture
def sanko(campaign) -> Outlet:
    return make_outlet(campaign, "S002", "山光百貨店", Outlet.Route.CENTRAL_WEST)


@pytest.fixture
def printed(campaign, bob, thousand, five_hundred):
    """1,000 books of ¥1,000 (numbers 1–1000) and 500 books of ¥500 (numbers 1001–1500) in the vault."""
    order = services.print_order_create(actor=bob, campaign=campaign, printer="鳥取印刷", ordered_on=date(2026, 9, 1),
                                        requested_delivery=date(2026, 10, 20), books={thousand: 1000, five_hundred: 500})
    services.lot_create(actor=bob, order=order, denomination=thousand, completed_on=PRINTED_ON, first_book=1,
                        last_book=1000, spoiled_sheets=12)
    services.lot_create(actor=bob, order=order, denomination=five_hundred, completed_on=PRINTED_ON, first_book=1001,
                        last_book=1500, spoiled_sheets=3)
    return order

"""The demo gives every voucher screen real figures, and the ledger balances."""

import pytest
from django.core.management import call_command

from campaign.models import Campaign
from vouchers.ledger import ledger_current
from vouchers.models import BookState, Collection, Delivery, Destruction, SalesReport, StockTake

pytestmark = pytest.mark.django_db


def test_the_demo_campaign_has_a_balanced_voucher_history():
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    campaign = Campaign.objects.get(code="DEMO2026")
    ledger = ledger_current(campaign)
    assert ledger.balanced and ledger.total() == 8000
    for state in (BookState.VAULT, BookState.TRANSIT, BookState.OUTLET, BookState.SOLD, BookState.LOST,
                  BookState.DESTROYED):
        assert ledger.total(state) > 0, state
    assert Delivery.objects.filter(status=Delivery.Status.DISPATCHED).exists()
    assert Delivery.objects.filter(status=Delivery.Status.CONFIRMED).count() >= 5
    assert SalesReport.objects.count() >= 25
    line = StockTake.objects.get().lines.get(denomination__code=1)
    assert line.discrepancy == -2
    assert Collection.objects.get().lost_books == 2
    assert Destruction.objects.count() == 1

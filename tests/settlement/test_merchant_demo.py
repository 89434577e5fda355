"""The demo has 200 merchants in every state the screens show, and a second run changes nothing."""

import io

import pytest
from django.core.management import call_command

from campaign.models import Campaign
from settlement.models import BankAccount, KitShipment, Merchant

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_the_demo_has_200_merchants_in_every_state_and_is_idempotent():
    first = seed()
    campaign = Campaign.objects.get(code="DEMO2026")
    merchants = Merchant.objects.filter(campaign=campaign)
    assert merchants.count() == 200
    for status in Merchant.Status.values:
        assert merchants.filter(status=status).exists(), status
    assert merchants.filter(status=Merchant.Status.APPLIED).count() == 20
    assert merchants.filter(suspended_at__isnull=False).count() == 1
    assert set(merchants.values_list("area", flat=True)) == set(Merchant.Area.values)
    assert set(merchants.values_list("genre", flat=True)) == set(Merchant.Genre.values)
    assert merchants.values("store_name").distinct().count() == 200
    approved = merchants.filter(status=Merchant.Status.APPROVED)
    assert all(len(number) == 8 for number in approved.values_list("merchant_number", flat=True))
    assert approved.filter(portal_user__isnull=True).count() == 0
    kits = KitShipment.objects.filter(merchant__campaign=campaign)
    assert kits.count() > approved.count() // 2
    assert approved.exclude(kit_shipments__isnull=False).exists()  # some kits still to send
    pending = BankAccount.objects.filter(merchant__campaign=campaign, status=BankAccount.Status.PENDING,
                                         merchant__status=Merchant.Status.APPROVED)
    assert pending.count() == 1 and pending.get().requested_by.username == "clerk"

    second = seed()
    assert second == first
    assert "Demo merchants: 200 (" in second
    assert Merchant.objects.filter(campaign=campaign).count() == 200
    assert KitShipment.objects.filter(merchant__campaign=campaign).count() == kits.count()

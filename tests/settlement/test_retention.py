"""Representatives' personal data disappears once its retention date has passed."""

from datetime import timedelta

import pytest

from campaign.models import AuditEvent
from settlement.models import Merchant, MerchantRepresentative
from settlement.tasks import purge_expired_personal_data
from tests.settlement.fixtures import apply

pytestmark = pytest.mark.django_db


def test_due_representatives_are_deleted_by_the_daily_task(campaign, mizuho):
    old = apply(campaign, email="old@example.jp")
    keep = apply(campaign, email="keep@example.jp")
    rep = old.representative
    rep.retain_until = rep.retain_until.replace(year=2020)
    rep.save()
    assert keep.representative.retain_until > campaign.settlement_deadline

    assert purge_expired_personal_data.apply().get() == 1
    assert not MerchantRepresentative.objects.filter(merchant=old).exists()
    assert MerchantRepresentative.objects.filter(merchant=keep).exists()
    assert Merchant.objects.filter(pk=old.pk).exists()  # the store record itself stays
    event = AuditEvent.objects.get(action="retention.representatives_purge")
    assert event.data["deleted"] == 1 and event.data["merchant_ids"] == [old.pk]
    assert purge_expired_personal_data.apply().get() == 0


def test_the_retention_date_follows_the_campaign(campaign, mizuho):
    merchant = apply(campaign)
    assert merchant.representative.retain_until - campaign.settlement_deadline == timedelta(days=365 * 5)

"""Redemption kits: shipments are recorded per approved merchant, and the list of merchants still without a kit
is exactly the approved ones nobody has sent a kit to."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from campaign.models import AuditEvent
from settlement import selectors, services
from settlement.models import KitShipment
from tests.settlement.fixtures import apply

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(staff_client, bob, settings):
    client = staff_client(bob)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def world(campaign, mizuho, alice):
    """Two approved merchants (one already has its kit), one application and one rejected application."""
    sent = services.merchant_approve(actor=alice, merchant=apply(campaign, store_name="賀露寿司", email="a@example.jp"))
    services.kit_ship(actor=alice, merchant=sent, shipped_on=timezone.localdate())
    waiting = services.merchant_approve(actor=alice, merchant=apply(campaign, store_name="倉吉食堂",
                                                                    email="b@example.jp"))
    applied = apply(campaign, store_name="米子カレー", email="c@example.jp")
    rejected = services.merchant_reject(actor=alice, merchant=apply(campaign, store_name="境港酒場",
                                                                     email="d@example.jp"), reason="営業許可なし")
    return {"sent": sent, "waiting": waiting, "applied": applied, "rejected": rejected}


def test_kits_missing_lists_exactly_the_approved_merchants_without_a_kit(clerk, campaign, world):
    assert list(selectors.kits_missing(campaign)) == [world["waiting"]]
    response = clerk.get(reverse("merchants:kits_missing"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "倉吉食堂" in body and world["waiting"].merchant_number in body
    for other in ("賀露寿司", "米子カレー", "境港酒場"):
        assert other not in body


def test_a_recorded_shipment_takes_the_merchant_off_the_list(clerk, campaign, world, bob):
    waiting = world["waiting"]
    response = clerk.post(reverse("merchants:kit_ship", args=[waiting.pk]), {
        "shipped_on": timezone.localdate().isoformat(), "carrier": "ゆうパック", "tracking_number": "123456789012",
        "next": "kits_missing"})
    assert response.status_code == 302 and response["Location"] == reverse("merchants:kits_missing")
    kit = KitShipment.objects.get(merchant=waiting)
    assert (kit.carrier, kit.tracking_number, kit.created_by) == ("ゆうパック", "123456789012", bob)
    assert list(selectors.kits_missing(campaign)) == []
    assert "Every approved merchant has been sent a kit." in clerk.get(reverse("merchants:kits_missing")).content.decode()
    assert "123456789012" in clerk.get(reverse("merchants:detail", args=[waiting.pk])).content.decode()
    assert AuditEvent.objects.filter(action="merchant.kit_ship", target_id=str(waiting.pk)).exists()


def test_kits_go_to_approved_merchants_only_and_not_in_the_future(clerk, world):
    response = clerk.post(reverse("merchants:kit_ship", args=[world["applied"].pk]),
                          {"shipped_on": timezone.localdate().isoformat()})
    assert response.status_code == 200 and "Kits are sent to approved merchants only." in response.content.decode()
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = clerk.post(reverse("merchants:kit_ship", args=[world["waiting"].pk]), {"shipped_on": tomorrow})
    assert response.status_code == 200 and "cannot be in the future" in response.content.decode()
    assert KitShipment.objects.count() == 1


def test_the_list_filter_tells_shipped_from_missing(clerk, world):
    shipped = clerk.get(reverse("merchants:list"), {"kit": "yes"}).content.decode()
    missing = clerk.get(reverse("merchants:list"), {"kit": "no", "status": "approved"}).content.decode()
    assert "賀露寿司" in shipped and "倉吉食堂" not in shipped
    assert "倉吉食堂" in missing and "賀露寿司" not in missing


def test_the_auditor_reads_the_list_but_records_nothing(client, carol, world):
    from tests.conftest import verified_login

    verified_login(client, carol)
    assert client.get(reverse("merchants:kits_missing")).status_code == 200
    response = client.post(reverse("merchants:kit_ship", args=[world["waiting"].pk]),
                           {"shipped_on": timezone.localdate().isoformat()})
    assert response.status_code == 403
    assert KitShipment.objects.count() == 1

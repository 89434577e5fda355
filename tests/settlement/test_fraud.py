"""Fraud watch: the daily rules, the watch list, a recorded warning, then suspension — all audit-logged."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from campaign.models import AuditEvent
from settlement.models import FraudHit, ReadOutcome, Redemption, WatchCase
from settlement.services.fraud import (
    FraudError,
    fraud_rule_update,
    fraud_rules,
    fraud_scan,
    watch_close,
    watch_suspend,
    watch_warn,
)
from tests.settlement.payouts_world import merchant, reconciled_envelope

TOKYO = ZoneInfo("Asia/Tokyo")
DAY = date(2026, 11, 20)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _redeemed_on(envelope, day: date) -> None:
    moment = datetime(day.year, day.month, day.day, 12, tzinfo=TOKYO)
    Redemption.objects.filter(envelope=envelope).update(redeemed_at=moment)
    envelope.reads.update(read_at=moment)


def _outcome(envelope, verification, *, first=None, n=1):
    for i in range(n):
        ReadOutcome.objects.create(read=envelope.reads.first(), envelope=envelope, line_no=1000 + i, code="1" * 21,
                                   verification=verification, first_redemption=first)


@pytest.fixture
def shops(campaign, mizuho, alice):
    return [merchant(campaign, alice, n) for n in range(3)]


@pytest.mark.django_db
def test_a_week_far_above_the_merchants_own_baseline_is_a_hit(campaign, shops, alice, thousand):
    steady, spiking = shops[:2]
    for shop, week in ((steady, 60), (spiking, 200)):
        for weeks_ago in range(1, 5):
            _redeemed_on(reconciled_envelope(shop, actor=alice, tickets={thousand: 50}),
                         DAY - timedelta(days=7 * weeks_ago))
        _redeemed_on(reconciled_envelope(shop, actor=alice, tickets={thousand: week}), DAY - timedelta(days=1))
    hits = fraud_scan(campaign=campaign, day=DAY)
    assert [(h.merchant, h.rule, h.value) for h in hits] == [(spiking, "weekly_spike", Decimal("4.000"))]
    # Raising the threshold above 4× silences it on the next day's run.
    rule = fraud_rules(campaign)["weekly_spike"]
    fraud_rule_update(actor=alice, rule=rule, is_active=True, threshold=Decimal("5"), min_tickets=50)
    assert fraud_scan(campaign=campaign, day=DAY + timedelta(days=1)) == []


@pytest.mark.django_db
def test_repeats_unsold_stock_and_the_same_serial_at_two_merchants(campaign, shops, alice, thousand):
    first, copier, honest = shops
    original = reconciled_envelope(first, actor=alice, tickets={thousand: 10})
    copied = reconciled_envelope(copier, actor=alice, tickets={thousand: 60})
    _outcome(copied, "already_redeemed", first=original.redemptions.first(), n=2)
    _outcome(copied, "unsold")
    clean = reconciled_envelope(honest, actor=alice, tickets={thousand: 60})
    _outcome(clean, "duplicate_in_batch")  # 1 in 61: under the 2 % threshold
    for envelope in (original, copied, clean):
        _redeemed_on(envelope, DAY)

    hits = fraud_scan(campaign=campaign, day=DAY)

    assert {(h.merchant_id, h.rule) for h in hits} == {(copier.pk, "repeat_rate"), (copier.pk, "unsold_hits"),
                                                      (copier.pk, "shared_serial")}
    case = WatchCase.objects.get()
    assert case.merchant == copier and case.status == "watch" and case.hits.count() == 3
    assert fraud_scan(campaign=campaign, day=DAY) == []  # the daily job can run twice
    assert FraudHit.objects.count() == 3


@pytest.mark.django_db
def test_watch_then_warning_with_a_recorded_contact_then_suspension(campaign, shops, alice, manager, thousand):
    envelope = reconciled_envelope(shops[0], actor=alice, tickets={thousand: 1})
    _outcome(envelope, "unsold")
    _redeemed_on(envelope, DAY)
    fraud_scan(campaign=campaign, day=DAY)
    case = WatchCase.objects.get()
    with pytest.raises(FraudError):
        watch_suspend(actor=manager, case=case, reason="改善なし")  # a warning comes first
    with pytest.raises(FraudError):
        watch_warn(actor=manager, case=case, contacted_at=datetime(2026, 11, 21, 10, tzinfo=TOKYO), channel="phone",
                   summary=" ")
    watch_warn(actor=manager, case=case, contacted_at=datetime(2026, 11, 21, 10, tzinfo=TOKYO), channel="phone",
               summary="店主に電話。未販売券の受け取りについて説明し、是正を求めた。")
    case = watch_suspend(actor=manager, case=case, reason="是正勧告後も未販売券の換金が続いたため")
    shops[0].refresh_from_db()
    assert case.status == "suspended" and shops[0].is_suspended
    assert case.contacts.get().channel == "phone"
    actions = set(AuditEvent.objects.filter(action__startswith="settlement.").values_list("action", flat=True))
    assert {"settlement.watch_open", "settlement.fraud_hit", "settlement.watch_warn",
            "settlement.watch_suspend"} <= actions
    watch_close(actor=manager, case=case, note="調査終了")
    assert WatchCase.objects.get().status == "closed"

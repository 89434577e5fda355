"""The demo leaves a paid batch with its files and a failed transfer, a batch awaiting approval with a held line,
a fraud-watch case and a corrected auditor report; a second run changes nothing."""

import io

import pytest
from django.core.management import call_command

from campaign.models import Campaign
from settlement.models import AuditReport, BatchOutput, PayoutLine, SettlementBatch, WatchCase

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_paid_batch_and_an_open_one():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "Demo payouts:" in out.getvalue()
    campaign = Campaign.objects.get(code="DEMO2026")
    paid = SettlementBatch.objects.get(campaign=campaign, status="paid")
    assert paid.merchants > 10 and paid.amount > 0
    assert set(BatchOutput.objects.filter(batch=paid).values_list("kind", flat=True)) == {
        "zengin", "list", "notices", "summary"}
    assert paid.lines.filter(status=PayoutLine.Status.FAILED).count() == 1
    open_batch = SettlementBatch.objects.get(campaign=campaign, status="prepared")
    assert open_batch.lines.filter(status="held", hold_reasons__contains=["suspended"]).exists()
    assert WatchCase.objects.filter(campaign=campaign, status="warned").exists()
    assert list(AuditReport.objects.filter(campaign=campaign).values_list("revision", flat=True).order_by(
        "revision")) == [1, 2]
    call_command("seed_demo", stdout=io.StringIO())
    assert SettlementBatch.objects.filter(campaign=campaign).count() == 2

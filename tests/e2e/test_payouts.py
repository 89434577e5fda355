"""Payouts in the browser: a clerk closes a cutoff, a manager approves the batch and downloads the bank file;
the dashboard and batch pages pass axe; the merchant sees the payment and its notice."""

from __future__ import annotations

import re
from datetime import date

import pytest

from settlement.models import Cutoff, SettlementBatch
from tests.conftest import make_staff
from tests.e2e.test_accessibility import axe_violations
from tests.e2e.test_job_progress import _login
from tests.settlement.payouts_world import merchant, reconciled_envelope

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_close_approve_and_download_the_bank_file(browser, page, live_server, campaign, mizuho, alice, thousand,
                                                  settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    shops = [merchant(campaign, alice, n) for n in range(2)]
    for shop in shops:
        reconciled_envelope(shop, actor=alice, tickets={thousand: 4})
    cutoff = Cutoff.objects.create(campaign=campaign, cutoff_date=date(2026, 11, 10), payment_date=date(2026, 11, 30))
    clerk = make_staff("sam", "settlement_clerk")
    manager = make_staff("mallory", "secretariat_manager")
    page.on("dialog", lambda dialog: dialog.accept())

    _login(page, live_server, clerk)
    page.goto("/staff/settlement/payouts/cutoffs/")
    assert axe_violations(page) == []
    page.locator(f"form[action='/staff/settlement/payouts/cutoffs/{cutoff.pk}/close/'] button").click()
    page.wait_for_url(re.compile(r"/staff/settlement/payouts/batches/\d+/$"))
    assert "8,000" in page.get_by_test_id("batch-amount").inner_text()
    assert page.get_by_role("button", name="承認").count() == 0  # a clerk cannot approve
    batch = SettlementBatch.objects.get()

    manager_context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo", base_url=live_server.url)
    other = manager_context.new_page()
    other.on("dialog", lambda dialog: dialog.accept())
    _login(other, live_server, manager)
    other.goto(f"/staff/settlement/payouts/batches/{batch.pk}/")
    other.get_by_role("button", name="承認").click()
    other.wait_for_load_state()
    batch.refresh_from_db()
    assert batch.status == "approved"
    other.locator(f"form[action='/staff/settlement/payouts/batches/{batch.pk}/outputs/zengin/generate/'] button").click()
    other.wait_for_url(re.compile(r"/staff/jobs/"))
    with other.expect_download() as info:
        other.get_by_test_id("job-download").click()
    data = open(info.value.path(), "rb").read()
    assert data[:4] == b"1210" and len(data) == 5 * 122
    other.goto("/staff/settlement/payouts/")
    assert "8,000" in other.get_by_test_id("cutoff-table").inner_text()
    assert axe_violations(other) == []
    other.goto(f"/staff/settlement/payouts/batches/{batch.pk}/")
    assert axe_violations(other) == []
    manager_context.close()

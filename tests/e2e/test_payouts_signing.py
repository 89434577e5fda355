"""In the browser: a batch the scheduler closed is signed by a clerk and approved by a manager; a manager limits an
extraordinary cutoff (a mistyped number is named first); the merchant with nothing to pay reads so on a phone.
Each page passes axe."""

from __future__ import annotations

import re
from datetime import date

import pytest

from settlement.models import Cutoff, SettlementBatch
from settlement.services.payouts import batch_close
from tests.conftest import make_staff
from tests.e2e.test_accessibility import axe_violations
from tests.e2e.test_job_progress import _login
from tests.settlement.payouts_world import merchant, reconciled_envelope

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def test_sign_approve_limit_and_read_nothing_to_pay(browser, page, live_server, campaign, mizuho, alice, thousand,
                                                    tmp_path):
    shops = [merchant(campaign, alice, n) for n in range(3)]
    reconciled_envelope(shops[0], actor=alice, tickets={thousand: 4})
    reconciled_envelope(shops[1], actor=alice, tickets={thousand: 2})
    reconciled_envelope(shops[2], actor=alice, tickets={})  # every ticket rejected: nothing to pay
    cutoff = Cutoff.objects.create(campaign=campaign, cutoff_date=date(2026, 11, 10), payment_date=date(2026, 11, 30))
    extraordinary = Cutoff.objects.create(campaign=campaign, cutoff_date=date(2026, 12, 4),
                                          payment_date=date(2026, 12, 15), kind=Cutoff.Kind.EXTRAORDINARY)
    batch = batch_close(actor=None, cutoff=cutoff)
    clerk = make_staff("sam", "settlement_clerk")
    manager = make_staff("mallory", "secretariat_manager")
    page.on("dialog", lambda dialog: dialog.accept())

    # The clerk finds the unsigned batch, checks it and signs it.
    _login(page, live_server, clerk)
    page.goto(f"/staff/settlement/payouts/batches/{batch.pk}/")
    assert "まだ作成者の署名がありません" in page.get_by_test_id("needs-preparer").inner_text()
    assert "0円・振込なし" in page.get_by_test_id("batch-nothing").inner_text()
    assert axe_violations(page) == []
    page.screenshot(path=str(tmp_path / "batch-unsigned.png"), full_page=True)
    page.get_by_role("button", name="作成者として確認・署名").click()
    page.wait_for_load_state()
    assert "作成者として精算バッチに署名しました" in page.content()
    batch.refresh_from_db()
    assert batch.prepared_by == clerk

    # A second person approves it.
    manager_context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo", base_url=live_server.url)
    other = manager_context.new_page()
    other.on("dialog", lambda dialog: dialog.accept())
    _login(other, live_server, manager)
    other.goto(f"/staff/settlement/payouts/batches/{batch.pk}/")
    other.get_by_role("button", name="承認").click()
    other.wait_for_load_state()
    assert SettlementBatch.objects.get(pk=batch.pk).status == "approved"
    assert axe_violations(other) == []
    other.screenshot(path=str(tmp_path / "batch-approved.png"), full_page=True)

    # The manager limits the extraordinary cutoff; a mistyped number is named first.
    other.goto(f"/staff/settlement/payouts/cutoffs/{extraordinary.pk}/edit/")
    other.get_by_label("対象とする加盟店（加盟店番号）").fill(f"{shops[0].merchant_number}\n99999990")
    other.get_by_label("換金申請期限後に受け付けた封筒も支払う（救済）").check()
    other.get_by_label("限定・救済の理由").fill("不正案件の精算")
    other.get_by_role("button", name="対象の限定・救済を保存").click()
    other.wait_for_load_state()
    assert "加盟店番号 99999990 の加盟店はこのキャンペーンにありません。" in other.content()
    assert axe_violations(other) == []
    other.screenshot(path=str(tmp_path / "cutoff-scope-error.png"), full_page=True)
    other.get_by_label("対象とする加盟店（加盟店番号）").fill(shops[0].merchant_number)
    other.get_by_role("button", name="対象の限定・救済を保存").click()
    other.wait_for_url(re.compile(r"/staff/settlement/payouts/cutoffs/$"))
    assert "決定：mallory" in other.get_by_test_id("cutoffs").inner_text()
    assert axe_violations(other) == []
    other.screenshot(path=str(tmp_path / "cutoffs.png"), full_page=True)
    manager_context.close()

    # The merchant with nothing to pay reads it on a phone, without the page scrolling sideways.
    shops[2].portal_user.set_password("umami-tottori-2026")
    shops[2].portal_user.save()
    phone_context = browser.new_context(locale="ja-JP", viewport=PHONE, base_url=live_server.url)
    phone = phone_context.new_page()
    phone.goto("/merchant/login/")
    phone.locator("#id_login").fill(shops[2].email)
    phone.locator("#id_password").fill("umami-tottori-2026")
    phone.locator("main form button[type=submit]").click()
    phone.wait_for_url(re.compile(r"/merchant/$"))
    phone.goto("/merchant/payments/")
    assert "封筒内に支払対象の券がありません" in phone.get_by_test_id("nothing-to-pay").inner_text()
    assert "支払予定" not in phone.get_by_test_id("payments").inner_text()
    assert axe_violations(phone) == []
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(path=str(tmp_path / "portal-payments-phone.png"), full_page=True)
    phone_context.close()

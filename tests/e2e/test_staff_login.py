"""A staff member logs in with password and TOTP in a real browser, and enrols an authenticator."""

from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD, current_totp, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_login_with_totp(page, live_server):
    user = make_staff("hana", "secretariat_manager", first_name="花子", last_name="佐藤")
    device = TOTPDevice.objects.get(user=user)

    page.goto("/staff/")
    assert "/staff/login/" in page.url
    page.get_by_label("ユーザー名").fill("hana")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="次へ").click()

    page.wait_for_url(re.compile(r"/staff/login/otp/"))
    page.get_by_label("確認コード").fill(current_totp(device))
    page.get_by_role("button", name="確認").click()

    page.wait_for_url(re.compile(r"/staff/$"))
    assert page.get_by_role("heading", name="事務局ホーム").is_visible()
    nav = page.get_by_role("navigation", name="事務局メニュー")
    assert nav.get_by_role("link", name="監査ログ").is_visible()
    assert "事務局責任者" in page.locator(".header-user").inner_text()


def test_first_login_enrols_the_authenticator(page, live_server):
    user = make_staff("ken", "operator", with_totp=False)
    page.goto("/staff/login/")
    page.get_by_label("ユーザー名").fill("ken")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="次へ").click()

    page.wait_for_url(re.compile(r"/staff/2fa/setup/"))
    assert page.locator(".qr svg").is_visible()
    secret = page.get_by_test_id("totp-secret").inner_text().replace(" ", "")
    pending = TOTPDevice.objects.get(user=user, confirmed=False)
    import base64

    assert base64.b32decode(secret) == pending.bin_key
    page.get_by_label("確認コード").fill(current_totp(pending))
    page.get_by_role("button", name="確定").click()

    page.wait_for_url(re.compile(r"/staff/2fa/backup-codes/"))
    assert page.get_by_test_id("backup-codes").locator("li").count() == 10
    page.get_by_role("link", name=re.compile("コードを保管しました")).click()
    page.wait_for_url(re.compile(r"/staff/$"))
    # An operator sees no audit log in the menu.
    assert page.get_by_role("link", name="監査ログ").count() == 0

"""Residents on a phone: book without an account (key shown once) → look up with number and key → change →
cancel; book with a resident account; axe finds no violations on the calendar, form, confirmation and lookup."""

from __future__ import annotations

import re

import pytest

from reservations.models import Reservation
from tests.e2e.test_accessibility import axe_violations
from tests.reservations.fixtures import make_slot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo", base_url=live_server.url,
                                  viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def fill_details(page):
    page.get_by_label(re.compile(r"^氏名 ")).fill("鳥取 花子")
    page.get_by_label(re.compile(r"^氏名（カナ）")).fill("とっとり はなこ")
    page.get_by_label(re.compile(r"^電話番号 ")).fill("0857-00-1234")


def test_anonymous_booking_lookup_change_and_cancel_on_a_phone(phone, resv):
    slot = make_slot(resv["main"], days=1, capacity=5)
    later = make_slot(resv["main"], days=2, capacity=5)
    phone.goto("/reserve/")
    assert axe_violations(phone) == []
    phone.get_by_role("link", name=re.compile("本庁舎窓口")).click()
    assert phone.get_by_role("heading", level=1).inner_text() == "本庁舎窓口"
    assert axe_violations(phone) == []
    phone.locator(f'a[href="/reserve/slots/{slot.pk}/book/"]').click()
    assert axe_violations(phone) == []
    fill_details(phone)
    phone.get_by_role("button", name=re.compile("入力内容の確認")).click()
    assert axe_violations(phone) == []
    phone.get_by_role("button", name="予約する").click()
    phone.wait_for_url(re.compile(r"/reserve/done/\d+/"))
    assert axe_violations(phone) == []
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    key = phone.locator("#access-key").inner_text().strip()
    r = Reservation.objects.get()
    assert r.kana == "トットリ ハナコ"

    # another phone: number and key open the reservation
    phone.context.clear_cookies()
    phone.goto("/reserve/lookup/")
    assert axe_violations(phone) == []
    phone.get_by_label(re.compile(r"^受付番号")).fill(str(r.pk))
    phone.get_by_label(re.compile(r"^アクセスキー")).fill(key)
    phone.get_by_role("button", name="予約を表示").click()
    phone.wait_for_url(f"**/reserve/r/{r.pk}/")
    assert axe_violations(phone) == []
    phone.get_by_role("link", name="変更", exact=True).click()
    phone.get_by_label("新しい日時").select_option(str(later.pk))
    phone.get_by_role("button", name="変更を保存").click()
    phone.wait_for_url(f"**/reserve/r/{r.pk}/")
    r.refresh_from_db()
    assert r.slot_id == later.pk
    phone.get_by_role("link", name="予約を取り消す").click()
    assert axe_violations(phone) == []
    phone.get_by_role("button", name=re.compile("取り消す")).click()
    phone.wait_for_url(f"**/reserve/r/{r.pk}/")
    r.refresh_from_db()
    assert r.status == "cancelled"


def test_booking_with_a_resident_account_on_a_phone(phone, resv):
    slot = make_slot(resv["station"], days=1, capacity=2)
    phone.goto("/reserve/account/signup/")
    assert axe_violations(phone) == []
    phone.get_by_label(re.compile(r"^ログインID")).fill("hanako01")
    phone.get_by_label(re.compile(r"^メールアドレス")).fill("hanako@example.jp")
    phone.get_by_label(re.compile(r"^パスワード 必須")).fill("correct-horse-battery-9")
    phone.get_by_label(re.compile(r"^パスワード（確認）")).fill("correct-horse-battery-9")
    phone.get_by_role("button", name="アカウントを作成").click()
    phone.wait_for_url("**/reserve/account/")
    phone.goto(f"/reserve/slots/{slot.pk}/book/")
    fill_details(phone)
    phone.get_by_role("button", name=re.compile("入力内容の確認")).click()
    phone.get_by_role("button", name="予約する").click()
    phone.wait_for_url(re.compile(r"/reserve/done/\d+/"))
    assert phone.locator("#access-key").count() == 0
    phone.goto("/reserve/account/")
    r = Reservation.objects.get()
    assert r.resident.login_id == "hanako01"
    assert str(r.pk) in phone.locator("main").inner_text()
    assert axe_violations(phone) == []

"""axe finds no accessibility violations on the merchant application form and the store directory, on a
desktop and on a phone, including with the bank picker open and with errors shown."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from settlement import services
from tests.e2e.test_accessibility import axe_violations
from tests.settlement.fixtures import apply

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 740}


@pytest.fixture
def demo_stores(campaign, mizuho, alice):
    stores = [
        dict(),
        dict(store_name="麺屋 とっとり", store_name_kana="メンヤトットリ", genre="noodles", area="central",
             takeout=False, opening_hours="", company_name="有限会社めんや"),
        dict(store_name="寿司 米子", store_name_kana="スシヨナゴ", genre="sushi", area="west",
             company_name="米子 一郎"),
        dict(store_name="焼肉 境港", store_name_kana="ヤキニクサカイミナト", genre="yakiniku", area="west",
             company_name="境港 花子"),
    ]
    return [services.merchant_approve(actor=alice, merchant=apply(campaign, **fields)) for fields in stores]


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(locale="ja-JP", viewport=PHONE, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_the_application_form_has_no_violations(page, campaign, mizuho):
    page.goto("/merchant/apply/")
    assert axe_violations(page) == []
    # With the bank picker open (combobox + listbox) …
    page.locator("#bank-search").press_sequentially("みずほ")
    expect(page.get_by_role("option", name=re.compile("みずほ"))).to_be_visible()
    assert axe_violations(page) == []
    # … and with every error shown.
    page.locator("[data-testid=application-form] button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator("#error-summary")).to_be_visible()
    assert axe_violations(page) == []


def test_the_application_form_on_a_phone(phone, campaign, mizuho):
    phone.goto("/merchant/apply/")
    assert axe_violations(phone) == []
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_store_directory_has_no_violations(page, demo_stores):
    page.goto("/stores/")
    expect(page.get_by_test_id("store-list").locator("li")).to_have_count(4)
    assert axe_violations(page) == []
    page.goto("/stores/?q=かふぇ&takeout=1")
    expect(page.get_by_test_id("store-list").locator("li")).to_have_count(1)
    assert axe_violations(page) == []


def test_the_store_directory_on_a_phone(phone, demo_stores):
    phone.goto("/stores/")
    assert axe_violations(phone) == []
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # One card per row on a phone.
    boxes = [card.bounding_box() for card in phone.get_by_test_id("store-list").locator("li").all()]
    assert len({round(box["x"]) for box in boxes}) == 1


def test_the_portal_login_has_no_violations(phone, campaign):
    phone.goto("/merchant/login/")
    assert axe_violations(phone) == []


def test_the_portal_pages_have_no_violations(phone, demo_stores):
    merchant = demo_stores[0]
    merchant.portal_user.set_password("umami-tottori-2026")
    merchant.portal_user.save()
    phone.goto("/merchant/login/")
    phone.locator("#id_login").fill(merchant.email)
    phone.locator("#id_password").fill("umami-tottori-2026")
    phone.locator("main form button[type=submit]").click()
    phone.wait_for_url(re.compile(r"/merchant/$"))
    for path in ("/merchant/", "/merchant/store/", "/merchant/bank-account/"):
        phone.goto(path)
        assert axe_violations(phone) == [], path
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path

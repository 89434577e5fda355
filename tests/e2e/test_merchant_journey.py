"""A restaurant applies on a phone, the secretariat approves it, and the owner logs into the merchant portal."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from settlement import services
from settlement.models import BankAccount, Merchant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PORTAL_PASSWORD = "umami-tottori-2026"


def test_a_merchant_applies_on_a_phone_and_logs_into_the_portal(browser, live_server, campaign, mizuho, alice):
    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo", viewport={"width": 375, "height": 740},
                                  base_url=live_server.url, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)

    page.goto("/merchant/apply/")
    page.locator("#id_store_name").fill("カフェ・ド・鳥取")
    page.locator("#id_store_name_kana").fill("かふぇどとっとり")
    page.locator("#id_genre").select_option("cafe")
    page.locator("#id_area").select_option("east")
    page.locator("#id_opening_hours").fill("10:00〜18:00")
    page.locator("#id_takeout").check()
    page.locator("#id_business_form_0").check()
    page.locator("#id_company_name").fill("株式会社とっとりカフェ")
    page.locator("#id_representative_name").fill("鳥取 太郎")
    page.locator("#id_representative_kana").fill("トットリ タロウ")

    # Typing the postal code fills in the address; the applicant adds the street number.
    page.locator("#id_postal_code").press_sequentially("6800011")
    expect(page.locator("#id_address")).to_have_value("鳥取県鳥取市東町")
    expect(page.locator("#postal-status")).to_contain_text("鳥取県鳥取市東町")
    page.locator("#id_address").press("End")
    page.locator("#id_address").press_sequentially("1-1")

    page.locator("#id_phone").fill("0857-00-1234")
    page.locator("#id_email").fill("cafe@example.jp")
    page.locator("#id_email_confirm").fill("cafe@example.jp")

    # The bank by name with the keyboard, the branch by tapping the option.
    page.locator("#bank-search").press_sequentially("みずほ")
    expect(page.get_by_role("option", name=re.compile("みずほ"))).to_be_visible()
    expect(page.locator("#bank-search")).to_have_attribute("aria-expanded", "true")
    page.locator("#bank-search").press("ArrowDown")
    page.locator("#bank-search").press("Enter")
    expect(page.locator("#id_bank_code")).to_have_value("0001")
    expect(page.locator("#bank-search")).to_have_attribute("aria-expanded", "false")
    page.locator("#branch-search").press_sequentially("とっとり")
    page.get_by_role("option", name=re.compile("鳥取")).click()
    expect(page.locator("#id_branch_code")).to_have_value("541")

    expect(page.locator("#id_account_type_0")).to_be_checked()  # ordinary is the usual case
    page.locator("#id_account_number").fill("1234567")
    page.locator("#id_holder_name").fill("カ）トツトリカフエ")
    page.locator("#id_infection_control").check()
    # Nothing is wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.locator("[data-testid=application-form] button[type=submit]").click()

    page.wait_for_url(re.compile(r"/merchant/apply/confirm/$"))
    expect(page.get_by_test_id("holder-kana")).to_have_text("ｶ)ﾄﾂﾄﾘｶﾌｴ")
    expect(page.get_by_test_id("confirmation")).to_contain_text("鳥取県鳥取市東町1-1")
    expect(page.get_by_test_id("confirmation")).to_contain_text("カフェドトットリ")
    page.locator("button[name=action][value=submit]").click()

    page.wait_for_url(re.compile(r"/merchant/apply/done/$"))
    merchant = Merchant.objects.get()
    expect(page.get_by_test_id("application-reference")).to_have_text(f"{campaign.code}-{merchant.pk:06d}")
    assert merchant.status == Merchant.Status.APPLIED
    assert merchant.address == "鳥取県鳥取市東町1-1"
    assert merchant.bank_accounts.get().status == BankAccount.Status.PENDING
    assert [m.to for m in mail.outbox] == [["cafe@example.jp"]]

    # The secretariat approves; the approval mail carries the invitation link.
    merchant = services.merchant_approve(actor=alice, merchant=merchant)
    invitation = mail.outbox[-1]
    link = re.search(r"https?://[^/\s]+(/merchant/password-reset/\S+/)", invitation.body)
    assert link, invitation.body

    page.goto(link.group(1))
    page.locator("#id_new_password1").fill(PORTAL_PASSWORD)
    page.locator("#id_new_password2").fill(PORTAL_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/merchant/password-reset/complete/$"))

    page.goto("/merchant/login/")
    page.locator("#id_login").fill("cafe@example.jp")
    page.locator("#id_password").fill(PORTAL_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/merchant/$"))
    expect(page.get_by_test_id("merchant-number")).to_have_text(merchant.merchant_number)
    expect(page.get_by_test_id("kit-status")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    context.close()

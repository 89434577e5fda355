"""Redemption claims in the merchant portal, in the browser: a merchant declares an envelope on a phone and
downloads its slip; after the secretariat has read the envelope, the merchant sees the result.

``merchant_sees_result`` is the merchant's half of issue 5's browser test and is meant to be reused: the
clerk's journey (receipt, scanner file, keying) ends by calling it with the envelope it read.
"""

from __future__ import annotations

import re

import pytest
from django.db.models import Sum
from django.utils import translation
from playwright.sync_api import expect

from settlement.explain import explain, reason_label
from settlement.models import Envelope, Investigation, ReadOutcome, Redemption
from settlement.slips import group_envelope_number
from tests.e2e.test_accessibility import axe_violations
from tests.settlement.test_portal_claims import code, declare_and_receive, forged, scanner_file, sell_books

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PORTAL_PASSWORD = "umami-tottori-2026"
PHONE = {"width": 375, "height": 740}


def _yen(amount: int) -> str:
    return f"{amount:,}円"


def portal_login(page, merchant, password: str = PORTAL_PASSWORD) -> None:
    """Log in to the merchant portal with the merchant number (sets the password first: the invitation step
    is tested elsewhere)."""
    user = merchant.portal_user
    user.set_password(password)
    user.save()
    page.goto("/merchant/login/")
    page.locator("#id_login").fill(merchant.merchant_number)
    page.locator("#id_password").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/merchant/$"))


def merchant_sees_result(browser, base_url: str, envelope: Envelope, *, password: str = PORTAL_PASSWORD) -> dict:
    """The merchant of ``envelope`` (already read by the secretariat) logs into the portal on a phone, finds
    the envelope in the claims list and opens it: the accepted count and amount, the declared-against-accepted
    table, and every rejected ticket with its reason in plain Japanese are what the database says.

    Runs in its own browser context (a clerk's session elsewhere is left alone). Returns the figures seen.
    """
    envelope = Envelope.objects.select_related("merchant").get(pk=envelope.pk)
    merchant = envelope.merchant
    accepted = Redemption.objects.filter(envelope=envelope)
    paid_after = Investigation.objects.filter(envelope=envelope, status=Investigation.Status.ACCEPTED)
    accepted_tickets = accepted.count() + paid_after.count()
    accepted_amount = (accepted.aggregate(s=Sum("face_value"))["s"] or 0) + (
        paid_after.aggregate(s=Sum("adjustment"))["s"] or 0)
    outcomes = list(ReadOutcome.objects.filter(envelope=envelope).select_related("first_redemption__envelope")
                    .order_by("read_id", "line_no")[:100])
    assert envelope.reads.exists(), "merchant_sees_result needs an envelope whose tickets have been read"

    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo", viewport=PHONE, base_url=base_url,
                                  has_touch=True, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        portal_login(page, merchant, password)
        page.get_by_role("navigation").get_by_role("link", name="換金申請").click()
        page.wait_for_url(re.compile(r"/merchant/claims/$"))
        row = page.locator(f"tr[data-envelope='{envelope.number}']")
        expect(row).to_be_visible()
        row.get_by_role("link", name=envelope.number, exact=True).click()
        page.wait_for_url(re.compile(rf"/merchant/claims/{envelope.number}/$"))

        expect(page.get_by_test_id("envelope-number")).to_have_text(group_envelope_number(envelope.number))
        expect(page.get_by_test_id("accepted-tickets")).to_have_text(f"{accepted_tickets:,}")
        expect(page.get_by_test_id("accepted-amount")).to_have_text(_yen(accepted_amount))
        expect(page.get_by_test_id("rejected-count")).to_have_text(f"{ReadOutcome.objects.filter(envelope=envelope).count():,}")
        tickets = page.get_by_test_id("rejected-ticket")
        expect(tickets).to_have_count(len(outcomes))
        with translation.override("ja"):
            for item, outcome in zip(tickets.all(), outcomes, strict=True):
                first = outcome.first_redemption
                earlier = first.envelope.number if first and first.envelope.merchant_id == merchant.pk else ""
                expect(item).to_contain_text(reason_label(outcome.verification))
                expect(item.get_by_test_id("explanation")).to_have_text(
                    explain(outcome.verification, earlier_envelope=earlier))
                expect(item.get_by_test_id("payment")).to_have_text(re.compile(r"^(調査中|支払対象|支払対象外)$"))
        # Nothing wider than the phone's screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        return {"accepted_tickets": accepted_tickets, "accepted_amount": accepted_amount,
                "rejected": len(outcomes)}
    finally:
        context.close()


# --- fixtures --------------------------------------------------------------------------------------------

@pytest.fixture
def sold(campaign, printed, bob, marui, thousand, five_hundred):
    sell_books(campaign=campaign, actor=bob, outlet=marui, thousand=thousand, five_hundred=five_hundred)


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo", viewport=PHONE, base_url=live_server.url,
                                  has_touch=True, is_mobile=True, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def read_envelope(approved, sold, alice, bob, thousand, five_hundred):
    """Declared 4 × ¥1,000 + 2 × ¥500; a scanner file with a forged code and a code repeated from an earlier
    envelope of the same store, then two codes keyed by hand (one of them never issued)."""
    earlier = declare_and_receive(merchant=approved, tickets={thousand: 1}, clerk=alice, second=bob)
    from settlement.intake import envelope_read

    envelope_read(actor=alice, envelope=earlier, source="manual", codes=[code(7, 1)])
    envelope = declare_and_receive(merchant=approved, tickets={thousand: 4, five_hundred: 2}, clerk=alice, second=bob)
    envelope_read(actor=alice, envelope=envelope, source="scanner", file_name="scan.csv",
                  content=scanner_file(code(1, 1), code(1, 2), forged(2, 1), code(7, 1)))
    envelope_read(actor=alice, envelope=envelope, source="manual",
                  codes=[code(1001, 1, denomination=2), code(5000, 1)])
    return envelope


# --- journeys --------------------------------------------------------------------------------------------

def test_the_merchant_sees_the_result_of_a_read_envelope(browser, live_server, read_envelope):
    seen = merchant_sees_result(browser, live_server.url, read_envelope)
    assert seen == {"accepted_tickets": 3, "accepted_amount": 2500, "rejected": 3}


def test_a_merchant_declares_an_envelope_on_a_phone_and_downloads_its_slip(phone, approved, thousand):
    portal_login(phone, approved)
    phone.get_by_role("navigation").get_by_role("link", name="換金申請").click()
    phone.get_by_test_id("declare-link").click()
    phone.wait_for_url(re.compile(r"/merchant/claims/new/$"))

    # The running total follows the typing, full-width digits included.
    phone.get_by_label("1,000円券").fill("１２")
    phone.get_by_label("500円券").fill("3")
    expect(phone.locator("#total-tickets")).to_have_text("15")
    expect(phone.locator("#total-amount")).to_have_text("13,500")

    # A mistake is caught with the denomination named, and nothing is declared.
    phone.get_by_label("500円券").fill("-3")
    expect(phone.locator("#total-amount")).to_have_text("—")
    phone.get_by_role("button", name="入力内容の確認").click()
    expect(phone.locator("#error-summary")).to_contain_text("500円券")
    assert Envelope.objects.count() == 0

    phone.get_by_label("500円券").fill("3")
    phone.get_by_role("button", name="入力内容の確認").click()
    expect(phone.get_by_test_id("confirmation")).to_contain_text("13,500円")
    assert Envelope.objects.count() == 0
    phone.get_by_role("button", name="この内容で申告する").click()
    phone.wait_for_url(re.compile(r"/merchant/claims/\d{12}/$"))
    envelope = Envelope.objects.get()
    expect(phone.get_by_test_id("status")).to_have_text("申告済み（事務局に未着）")
    expect(phone.get_by_test_id("not-read")).to_be_visible()

    with phone.expect_download() as download_info:
        phone.get_by_test_id("slip-link").click()
    download = download_info.value
    assert download.suggested_filename == f"slip-{envelope.number}.pdf"
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    phone.get_by_role("link", name="封筒の一覧に戻る").click()
    expect(phone.locator(f"tr[data-envelope='{envelope.number}']")).to_contain_text("13,500円")


def test_the_declare_form_and_the_result_page_have_no_violations(phone, browser, live_server, read_envelope):
    merchant = read_envelope.merchant
    portal_login(phone, merchant)
    for path in ("/merchant/claims/", "/merchant/claims/new/", f"/merchant/claims/{read_envelope.number}/"):
        phone.goto(path)
        assert axe_violations(phone) == [], path
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
    # The declare form with its errors shown, and the confirmation page.
    phone.goto("/merchant/claims/new/")
    phone.get_by_label("1,000円券").fill("abc")
    phone.get_by_role("button", name="入力内容の確認").click()
    expect(phone.locator("#error-summary")).to_be_visible()
    assert axe_violations(phone) == []
    phone.get_by_label("1,000円券").fill("2")
    phone.get_by_role("button", name="入力内容の確認").click()
    expect(phone.get_by_test_id("confirmation")).to_be_visible()
    assert axe_violations(phone) == []
    # On a desktop too.
    context = browser.new_context(locale="ja-JP", base_url=live_server.url, storage_state=phone.context.storage_state())
    desktop = context.new_page()
    for path in ("/merchant/claims/new/", f"/merchant/claims/{read_envelope.number}/"):
        desktop.goto(path)
        assert axe_violations(desktop) == [], path
    context.close()

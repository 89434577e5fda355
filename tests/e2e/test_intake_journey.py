"""A settlement clerk takes an envelope from the post to the review list in the browser: finds it by its
barcode number, records the two-person opening, uploads the scanner file (with a forged and a repeated code),
keys two unreadable tickets by hand (a typo is caught before the next code), and reconciles it; then the
merchant sees the result of that envelope in the portal on a phone."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from campaign import roles
from settlement import services
from settlement.intake import envelope_read
from settlement.models import Envelope, Investigation, Redemption
from tests.conftest import PASSWORD, current_totp, make_staff
from tests.e2e.test_job_progress import _login
from tests.e2e.test_portal_claims import merchant_sees_result
from tests.settlement.test_intake import code, forged, sold_books  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _typo(good: str) -> str:
    """The same code with one digit mistyped: the Damm digit no longer matches."""
    wrong = str((int(good[8]) + 1) % 10)
    return good[:8] + wrong + good[9:]


def test_a_clerk_reads_an_envelope_and_the_merchant_sees_the_result(browser, page, live_server, approved, sold_books, alice, bob,
                                                          thousand, tmp_path):
    # An earlier envelope already paid ticket 1-1: the same code again is a repeat.
    first = services.envelope_declare(actor=alice, merchant=approved, tickets={thousand: 1})
    services.envelope_receive(actor=alice, envelope=first, received_on=date(2026, 11, 2), seal_intact=True,
                              opened_with=bob, counted_tickets=1)
    envelope_read(actor=alice, envelope=first, source="manual", codes=[code(1, 1)])
    envelope = services.envelope_declare(actor=approved.portal_user, merchant=approved, tickets={thousand: 5})
    clerk = make_staff("sato", roles.SETTLEMENT_CLERK, last_name="佐藤")
    eve = make_staff("eve", roles.SETTLEMENT_CLERK, last_name="鈴木", first_name="恵")

    _login(page, live_server, clerk)
    page.goto("/staff/settlement/intake/")
    page.locator("#id_number").fill(envelope.number)
    page.locator("#id_number").press("Enter")
    page.wait_for_url(re.compile(rf"/staff/settlement/intake/{envelope.number}/$"))

    page.get_by_label("異常なし").check()
    # Nobody is picked from a list: Eve, the second person, signs in on Sato's screen with her own password and
    # the code her authenticator shows now.
    second = page.locator("[data-testid=second-person]")
    assert page.locator("form", has=second).locator("select").count() == 0 and "鈴木" not in page.content()
    second.locator("#id_second-login").fill("eve")
    second.locator("#id_second-password").fill(PASSWORD)
    second.locator("#id_second-token").fill(current_totp(TOTPDevice.objects.get(user=eve, confirmed=True)))
    page.get_by_label("計数枚数").fill("5")
    page.get_by_role("button", name="受付を記録").click()
    page.wait_for_selector("text=受け付けました")
    assert Envelope.objects.get(pk=envelope.pk).opened_with == eve

    scan = tmp_path / "scan.csv"
    scan.write_bytes("\r\n".join([code(1, 2), code(1, 3), code(1, 4), forged(2, 1), code(1, 1)]).encode() + b"\r\n")
    page.locator("#id_file").set_input_files(str(scan))
    page.get_by_role("button", name="アップロードして検証").click()
    page.wait_for_selector("text=5件のコードを読み取りました")
    assert page.get_by_test_id("rejected-bad_check").inner_text() == "1"
    assert page.get_by_test_id("rejected-already_redeemed").inner_text() == "1"

    page.get_by_role("link", name="手入力画面を開く").click()
    box = page.get_by_label("券コード", exact=True)
    box.fill(_typo(code(1, 5)))
    box.press("Enter")
    assert "入力ミス" in page.locator("#code-feedback").inner_text()
    assert page.get_by_test_id("keyed-total").inner_text() == "0"
    box.fill(code(1, 5))
    box.press("Enter")
    box.fill(code(1, 6))
    box.press("Enter")
    assert page.get_by_test_id("keyed-total").inner_text() == "2"
    assert page.locator("[data-denomination='1']").inner_text() == "2"
    page.get_by_role("button", name="送信して検証").click()
    page.wait_for_selector("text=2件のコードを読み取りました")

    page.get_by_role("button", name="換金伝票と照合").click()
    page.wait_for_selector("text=要確認リストに入りました")
    envelope.refresh_from_db()
    assert envelope.status == Envelope.Status.REVIEW
    assert Redemption.objects.filter(envelope=envelope).count() == 5
    assert sorted(Investigation.objects.filter(envelope=envelope).values_list("verification", flat=True)) == [
        "already_redeemed", "bad_check"]
    assert page.get_by_test_id("accepted-total").inner_text() == "5"

    # The merchant opens the portal: 5 accepted (¥5,000), the forged and the repeated code with their reasons.
    seen = merchant_sees_result(browser, live_server.url, envelope)
    assert seen == {"accepted_tickets": 5, "accepted_amount": 5000, "rejected": 2}

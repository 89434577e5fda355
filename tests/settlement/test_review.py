"""The staff review screens: list and search, approve / reject / correction, four-eyes bank changes, suspension,
the representative's personal data, store changes from the portal and the export of the list."""

from __future__ import annotations

import csv
import io

import pytest
from django.core import mail
from django.urls import reverse
from openpyxl import load_workbook

from campaign.models import AuditEvent, Job
from settlement import services
from settlement.models import BankAccount, Merchant
from tests.conftest import make_staff
from tests.settlement.fixtures import apply
from vouchers.serials import damm_valid

pytestmark = pytest.mark.django_db


def english(client, settings):
    # Assertions read the English msgids; the Japanese catalogue is tested elsewhere.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def clerk(staff_client, bob, settings):
    """Bob, the secretariat clerk: reviews merchants, but does not approve bank changes."""
    return english(staff_client(bob), settings)


@pytest.fixture
def auditor(staff_client, carol, settings):
    return english(staff_client(carol), settings)


def as_user(client, settings, user):
    from tests.conftest import verified_login

    client.logout()
    verified_login(client, user)
    return english(client, settings)


def page(response) -> str:
    return response.content.decode()


# --- list ------------------------------------------------------------------------------------------------

def test_the_list_counts_filters_and_finds_any_kana_spelling(clerk, campaign, mizuho, alice):
    cafe = apply(campaign)
    apply(campaign, store_name="らーめん大山", store_name_kana="ラーメンダイセン", genre="noodles", area="west",
          email="ramen@example.jp", company_name="大山 一郎", business_form="sole_proprietor")
    sushi = services.merchant_approve(actor=alice, merchant=apply(
        campaign, store_name="賀露寿司", store_name_kana="カロスシ", genre="sushi", email="sushi@example.jp",
        company_name="有限会社賀露水産"))

    response = clerk.get(reverse("merchants:list"))
    assert response.status_code == 200
    assert 'data-testid="count-applied">2<' in page(response)
    assert 'data-testid="count-approved">1<' in page(response)

    for query in ("かふぇ", "ｶﾌｪ", "カフェ"):
        found = clerk.get(reverse("merchants:list"), {"q": query})
        assert "カフェ・ド・鳥取" in page(found) and "賀露寿司" not in page(found), query
    assert "ラーメン" in page(clerk.get(reverse("merchants:list"), {"q": "ラ-メン"}))
    by_number = clerk.get(reverse("merchants:list"), {"q": sushi.merchant_number})
    assert "賀露寿司" in page(by_number) and "カフェ・ド・鳥取" not in page(by_number)
    approved = clerk.get(reverse("merchants:list"), {"status": "approved"})
    assert "賀露寿司" in page(approved) and "カフェ・ド・鳥取" not in page(approved)
    west = clerk.get(reverse("merchants:list"), {"area": "west"})
    assert "らーめん大山" in page(west) and "賀露寿司" not in page(west)
    assert reverse("merchants:detail", args=[cafe.pk]) in page(clerk.get(reverse("merchants:list")))


# --- review ----------------------------------------------------------------------------------------------

def test_approval_issues_a_checked_number_and_a_portal_login_by_mail(clerk, applicant, bob,
                                                                     django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = clerk.post(reverse("merchants:approve", args=[applicant.pk]), {"confirm": "on"}, follow=True)
    applicant.refresh_from_db()
    number = applicant.merchant_number
    assert applicant.status == Merchant.Status.APPROVED and applicant.reviewed_by == bob
    assert len(number) == 8 and number.isdigit() and damm_valid(number)
    assert f"Merchant number {number} has been issued" in page(response)
    assert applicant.portal_user is not None and applicant.portal_user.email == "cafe@example.jp"
    assert len(mail.outbox) == 1 and number in mail.outbox[0].body and mail.outbox[0].to == ["cafe@example.jp"]
    assert applicant.bank_accounts.get().status == BankAccount.Status.ACTIVE


def test_approval_needs_the_confirmation_and_cannot_happen_twice(clerk, approved):
    number = approved.merchant_number
    response = clerk.post(reverse("merchants:approve", args=[approved.pk]), {"confirm": "on"})
    assert response.status_code == 200
    assert "This merchant is already approved." in page(response)
    approved.refresh_from_db()
    assert approved.merchant_number == number

    fresh = apply(approved.campaign, email="other@example.jp")
    response = clerk.post(reverse("merchants:approve", args=[fresh.pk]), {})
    assert response.status_code == 200 and "Tick the box to confirm." in page(response)
    fresh.refresh_from_db()
    assert fresh.status == Merchant.Status.APPLIED and fresh.merchant_number is None


@pytest.mark.parametrize(("url_name", "status", "action"), [
    ("merchants:reject", Merchant.Status.REJECTED, "merchant.reject"),
    ("merchants:correction", Merchant.Status.CORRECTION, "merchant.request_correction"),
])
def test_reject_and_correction_need_a_reason(clerk, applicant, url_name, status, action):
    response = clerk.post(reverse(url_name, args=[applicant.pk]), {"reason": "  "})
    assert response.status_code == 200 and "This field is required." in page(response)
    applicant.refresh_from_db()
    assert applicant.status == Merchant.Status.APPLIED and not mail.outbox

    response = clerk.post(reverse(url_name, args=[applicant.pk]), {"reason": "口座名義が通帳と違います。"})
    assert response.status_code == 302
    applicant.refresh_from_db()
    assert applicant.status == status and applicant.review_note == "口座名義が通帳と違います。"
    assert len(mail.outbox) == 1 and "口座名義が通帳と違います。" in mail.outbox[0].body
    assert AuditEvent.objects.filter(action=action, target_id=str(applicant.pk)).count() == 1


def test_the_auditor_reads_but_cannot_review(auditor, applicant):
    assert auditor.get(reverse("merchants:detail", args=[applicant.pk])).status_code == 200
    assert auditor.post(reverse("merchants:approve", args=[applicant.pk]), {"confirm": "on"}).status_code == 403
    applicant.refresh_from_db()
    assert applicant.status == Merchant.Status.APPLIED


# --- bank account changes (four-eyes) --------------------------------------------------------------------

NEW_ACCOUNT = {"bank_code": "0001", "branch_code": "001", "account_type": "1", "account_number": "7654321",
               "holder_name": "カ）トットリカフェ"}


def test_the_person_who_entered_a_bank_change_cannot_approve_it(client, settings, approved):
    manager = make_staff("mika", "secretariat_manager")  # may both enter and approve changes
    settlement_clerk = make_staff("sam", "settlement_clerk")
    old = approved.bank_accounts.get(status=BankAccount.Status.ACTIVE)

    as_user(client, settings, manager)
    response = client.post(reverse("merchants:bank_request", args=[approved.pk]), NEW_ACCOUNT)
    assert response.status_code == 302
    change = approved.bank_accounts.get(status=BankAccount.Status.PENDING)
    assert change.requested_by == manager and change.holder_kana == "ｶ)ﾄﾂﾄﾘｶﾌｴ"

    response = client.post(reverse("merchants:bank_approve", args=[change.pk]), {"approve-confirm": "on"})
    assert response.status_code == 200
    assert "another staff member must approve it" in page(response)
    change.refresh_from_db()
    assert change.status == BankAccount.Status.PENDING

    as_user(client, settings, settlement_clerk)
    listing = client.get(reverse("merchants:bank_changes"))
    assert "7654321" in page(listing) and old.account_number in page(listing)
    response = client.post(reverse("merchants:bank_approve", args=[change.pk]), {"approve-confirm": "on"})
    assert response.status_code == 302
    change.refresh_from_db()
    old.refresh_from_db()
    assert change.status == BankAccount.Status.ACTIVE and change.decided_by == settlement_clerk
    assert old.status == BankAccount.Status.SUPERSEDED  # kept, not overwritten
    assert approved.bank_accounts.count() == 2
    assert AuditEvent.objects.filter(action="merchant.bank_change_approve", actor=settlement_clerk).exists()


def test_a_bank_change_can_be_rejected_with_a_reason(client, settings, approved, bob):
    change = services.bank_account_request(actor=bob, merchant=approved, bank=services.BankDetails(**NEW_ACCOUNT))
    as_user(client, settings, make_staff("sam", "settlement_clerk"))
    response = client.post(reverse("merchants:bank_reject", args=[change.pk]), {"reject-reason": ""})
    assert response.status_code == 200
    change.refresh_from_db()
    assert change.status == BankAccount.Status.PENDING
    response = client.post(reverse("merchants:bank_reject", args=[change.pk]), {"reject-reason": "通帳の写しと不一致"})
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.status == BankAccount.Status.REJECTED and change.note == "通帳の写しと不一致"
    assert approved.bank_accounts.get(status=BankAccount.Status.ACTIVE)


def test_a_bad_account_entered_by_staff_is_refused_on_the_form(clerk, approved):
    response = clerk.post(reverse("merchants:bank_request", args=[approved.pk]),
                          {**NEW_ACCOUNT, "branch_code": "999"})
    assert response.status_code == 200 and "has no branch with this code" in page(response)
    assert not approved.bank_accounts.filter(status=BankAccount.Status.PENDING).exists()


def test_account_numbers_are_masked_for_staff_who_do_not_approve_bank_changes(client, settings, approved, carol):
    as_user(client, settings, carol)
    detail = page(client.get(reverse("merchants:detail", args=[approved.pk])))
    assert "1234567" not in detail and "••••567" in detail
    as_user(client, settings, make_staff("sam", "settlement_clerk"))
    assert "1234567" in page(client.get(reverse("merchants:detail", args=[approved.pk])))


# --- suspension ------------------------------------------------------------------------------------------

def test_suspension_hides_the_store_from_the_directory_and_is_audit_logged(clerk, approved, bob):
    from settlement.views_public import directory_merchants

    assert list(directory_merchants(approved.campaign)) == [approved]
    response = clerk.post(reverse("merchants:suspend", args=[approved.pk]), {"reason": ""})
    assert response.status_code == 200
    approved.refresh_from_db()
    assert not approved.is_suspended

    response = clerk.post(reverse("merchants:suspend", args=[approved.pk]), {"reason": "不正換金の疑い"})
    assert response.status_code == 302
    approved.refresh_from_db()
    assert approved.is_suspended and approved.suspension_reason == "不正換金の疑い"
    assert list(directory_merchants(approved.campaign)) == []
    event = AuditEvent.objects.get(action="merchant.suspend", target_id=str(approved.pk))
    assert event.actor == bob and event.data["reason"] == "不正換金の疑い"
    assert "不正換金の疑い" in page(clerk.get(reverse("merchants:detail", args=[approved.pk])))
    assert "count-suspended\">1<" in page(clerk.get(reverse("merchants:list")))

    response = clerk.post(reverse("merchants:resume", args=[approved.pk]), {"reason": "調査の結果、問題なし"})
    assert response.status_code == 302
    assert list(directory_merchants(approved.campaign)) == [approved]
    assert AuditEvent.objects.filter(action="merchant.resume", target_id=str(approved.pk)).exists()


# --- representative --------------------------------------------------------------------------------------

def test_the_representative_is_shown_on_request_to_reviewers_and_every_look_is_logged(clerk, applicant, bob):
    detail = page(clerk.get(reverse("merchants:detail", args=[applicant.pk])))
    assert "鳥取 太郎" not in detail and reverse("merchants:representative", args=[applicant.pk]) in detail
    assert not AuditEvent.objects.filter(action="merchant.view_representative").exists()

    for _look in range(2):
        response = clerk.get(reverse("merchants:representative", args=[applicant.pk]))
        assert response.status_code == 200 and "鳥取 太郎" in page(response) and "トットリ タロウ" in page(response)
    events = AuditEvent.objects.filter(action="merchant.view_representative", target_id=str(applicant.pk))
    assert events.count() == 2 and {event.actor for event in events} == {bob}


def test_the_auditor_never_sees_the_representative(auditor, applicant):
    assert auditor.get(reverse("merchants:representative", args=[applicant.pk])).status_code == 403
    detail = page(auditor.get(reverse("merchants:detail", args=[applicant.pk])))
    assert "鳥取 太郎" not in detail and reverse("merchants:representative", args=[applicant.pk]) not in detail
    assert not AuditEvent.objects.filter(action="merchant.view_representative").exists()


# --- store changes from the portal -------------------------------------------------------------------------

def test_store_changes_from_the_portal_are_applied_by_staff(clerk, approved):
    services.merchant_update_store(actor=approved.portal_user, merchant=approved, review=True,
                                   fields={"opening_hours": "11:00〜20:00 年中無休"})
    detail = page(clerk.get(reverse("merchants:detail", args=[approved.pk])))
    assert "11:00〜20:00 年中無休" in detail and "Store changes awaiting review" in detail
    response = clerk.post(reverse("merchants:store_changes_apply", args=[approved.pk]), {"confirm": "on"})
    assert response.status_code == 302
    approved.refresh_from_db()
    assert approved.opening_hours == "11:00〜20:00 年中無休" and approved.pending_changes == {}
    again = clerk.post(reverse("merchants:store_changes_apply", args=[approved.pk]), {"confirm": "on"})
    assert again.status_code == 200 and "no store changes waiting" in page(again)


# --- export ------------------------------------------------------------------------------------------------

def test_the_export_job_writes_the_filtered_list_without_bank_or_personal_data(
        clerk, campaign, mizuho, alice, django_capture_on_commit_callbacks):
    east = services.merchant_approve(actor=alice, merchant=apply(campaign, email="east@example.jp"))
    apply(campaign, store_name="皆生食堂", store_name_kana="カイケショクドウ", area="west", email="west@example.jp")
    apply(campaign, store_name="湖山食堂", store_name_kana="コヤマショクドウ", area="east", email="koyama@example.jp")

    with django_capture_on_commit_callbacks(execute=True):
        response = clerk.post(reverse("merchants:export"), {"area": "east", "status": "approved",
                                                            "format": "csv_utf8"})
    job = Job.objects.get(kind="merchants_export")
    assert response.status_code == 302 and response["Location"] == reverse("staff:job_detail",
                                                                           args=[job.public_id])
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.message
    content = job.result_file.open("rb").read()
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0][0] == "Merchant number"
    assert [row[3] for row in rows[1:]] == [east.store_name]
    assert rows[1][0] == east.merchant_number
    text = content.decode("utf-8-sig")
    assert "1234567" not in text and "鳥取 太郎" not in text and "ﾄﾂﾄﾘ" not in text

    with django_capture_on_commit_callbacks(execute=True):
        clerk.post(reverse("merchants:export"), {"area": "east", "format": "csv_cp932"})
    cp932 = Job.objects.filter(kind="merchants_export").order_by("-pk").first()
    cp932.refresh_from_db()
    names = [row[3] for row in csv.reader(io.StringIO(cp932.result_file.open("rb").read().decode("cp932")))][1:]
    assert sorted(names) == sorted([east.store_name, "湖山食堂"])

    with django_capture_on_commit_callbacks(execute=True):
        clerk.post(reverse("merchants:export"), {"q": "こやま", "format": "xlsx"})
    workbook = Job.objects.filter(kind="merchants_export").order_by("-pk").first()
    workbook.refresh_from_db()
    sheet = load_workbook(io.BytesIO(workbook.result_file.open("rb").read())).active
    assert [row[3] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["湖山食堂"]

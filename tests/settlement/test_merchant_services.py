"""Merchant services: numbers, four-eyes bank changes (also enforced by the database), races on approval."""

from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from campaign.models import AuditEvent
from settlement import services
from settlement.models import BankAccount, Merchant
from tests.conftest import make_staff
from tests.settlement.fixtures import application, apply, bank_details
from vouchers.serials import damm_valid


@pytest.fixture(autouse=True)
def _english_messages():
    # These tests pin which rule refused; the Japanese wording is checked on the screens.
    with translation.override("en"):
        yield


@pytest.mark.django_db
def test_approval_issues_a_checked_number_a_portal_login_and_an_invitation(applicant, alice,
                                                                           django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        merchant = services.merchant_approve(actor=alice, merchant=applicant)
    assert len(merchant.merchant_number) == 8 and damm_valid(merchant.merchant_number)
    assert merchant.portal_user.email == "cafe@example.jp" and not merchant.portal_user.is_staff
    assert not merchant.portal_user.has_usable_password()
    assert merchant.bank_accounts.get().status == BankAccount.Status.ACTIVE
    assert len(mail.outbox) == 1 and merchant.merchant_number in mail.outbox[0].body
    assert "/merchant/" in mail.outbox[0].body
    assert AuditEvent.objects.filter(action="merchant.approve", target_id=str(merchant.pk)).exists()


@pytest.mark.django_db
def test_numbers_are_unique_and_never_reused(campaign, mizuho, alice):
    numbers = {services.merchant_approve(actor=alice, merchant=apply(campaign, email=f"s{i}@example.jp"))
               .merchant_number for i in range(5)}
    assert len(numbers) == 5


@pytest.mark.django_db
def test_the_requester_of_a_bank_change_cannot_approve_it(approved, bob, carol):
    clerk = make_staff("dan", "settlement_clerk")
    change = services.bank_account_request(actor=bob, merchant=approved,
                                           bank=bank_details(account_number="7654321", holder_name="トツトリ タロウ"))
    with pytest.raises(services.MerchantError, match="another staff member"):
        services.bank_account_approve(actor=bob, account=change)
    change.refresh_from_db()
    assert change.status == BankAccount.Status.PENDING
    old = approved.bank_accounts.get(status=BankAccount.Status.ACTIVE)
    services.bank_account_approve(actor=clerk, account=change)
    old.refresh_from_db()
    change.refresh_from_db()
    assert (old.status, change.status) == (BankAccount.Status.SUPERSEDED, BankAccount.Status.ACTIVE)
    assert change.holder_kana == "ﾄﾂﾄﾘ ﾀﾛｳ"


@pytest.mark.django_db
def test_the_database_refuses_a_self_approved_account(approved, bob):
    change = services.bank_account_request(actor=bob, merchant=approved, bank=bank_details(account_number="7654321"))
    with pytest.raises(IntegrityError), transaction.atomic():
        BankAccount.objects.filter(pk=change.pk).update(status="rejected", decided_by=bob)


@pytest.mark.django_db
def test_a_bad_account_is_refused_and_nothing_is_saved(campaign, mizuho):
    before = (Merchant.objects.count(), BankAccount.objects.count())
    for bad, reason in [(dict(account_number="12345"), "7 digits"), (dict(branch_code="999"), "999"),
                        (dict(holder_name="山田商店"), "山")]:
        with pytest.raises(services.MerchantError, match=reason):
            services.merchant_apply(campaign=campaign, fields=application(),
                                    representative={"name": "x", "name_kana": "エックス"}, bank=bank_details(**bad))
    assert (Merchant.objects.count(), BankAccount.objects.count()) == before


@pytest.mark.django_db(transaction=True)
def test_two_staff_approving_at_once_issue_one_number(campaign, mizuho, alice):
    merchant = apply(campaign)
    manager = make_staff("mika", "secretariat_manager")
    results = []
    barrier = threading.Barrier(2)

    def approve(actor):
        barrier.wait()
        try:
            results.append(services.merchant_approve(actor=actor, merchant=merchant).merchant_number)
        except services.MerchantError as exc:
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(actor,)) for actor in (alice, manager)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    numbers = [r for r in results if isinstance(r, str)]
    assert len(numbers) == 1 and len(results) == 2
    merchant.refresh_from_db()
    assert merchant.merchant_number == numbers[0]
    assert AuditEvent.objects.filter(action="merchant.approve").count() == 1

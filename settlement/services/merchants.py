"""Merchant lifecycle: application, review, portal login, bank accounts (four-eyes), suspension, kits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from campaign.audit import audit_log
from campaign.errors import DomainError
from campaign.japanese import search_key
from campaign.models import Campaign
from settlement.models import Bank, BankAccount, BankBranch, KitShipment, Merchant, MerchantRepresentative
from vouchers.serials import damm_digit

__all__ = [
    "MerchantError",
    "BankDetails",
    "merchant_apply",
    "merchant_approve",
    "merchant_reject",
    "merchant_request_correction",
    "merchant_suspend",
    "merchant_resume",
    "bank_account_request",
    "bank_account_approve",
    "bank_account_reject",
    "kit_ship",
    "merchant_search_text",
    "issue_merchant_number",
]

# Representatives' personal data is kept this long after the campaign's settlement deadline.
REPRESENTATIVE_RETENTION = timedelta(days=365 * 5)


class MerchantError(DomainError):
    """A merchant rule was broken; the message is for the person at the screen."""


@dataclass(frozen=True)
class BankDetails:
    bank_code: str
    branch_code: str
    account_type: str
    account_number: str
    holder_name: str  # as typed: normalised to the Zengin character set by the service


def merchant_search_text(merchant: Merchant) -> str:
    return search_key(" ".join([merchant.store_name, merchant.store_name_kana, merchant.address,
                                merchant.company_name]))


def issue_merchant_number() -> str:
    """Eight digits: a seven-digit serial from a database sequence and a Damm check digit."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('settlement_merchant_number_seq')")
        serial = f"{cursor.fetchone()[0]:07d}"
    return serial + damm_digit(serial)


def _bank_account(merchant: Merchant, details: BankDetails, requested_by) -> BankAccount:
    from settlement.zengin import ZenginNameError, zengin_kana

    bank = Bank.objects.filter(code=details.bank_code, is_active=True).first()
    if bank is None:
        raise MerchantError(_("Bank code %(code)s is not a bank in the Zengin data.") % {"code": details.bank_code})
    branch = BankBranch.objects.filter(bank=bank, code=details.branch_code, is_active=True).first()
    if branch is None:
        raise MerchantError(_("Branch code %(code)s is not a branch of %(bank)s.")
                            % {"code": details.branch_code, "bank": bank.name})
    if details.account_type not in BankAccount.AccountType.values:
        raise MerchantError(_("Choose the account type."))
    number = details.account_number.strip()
    if not (len(number) == 7 and number.isascii() and number.isdigit()):
        raise MerchantError(_("The account number must be exactly 7 digits (add leading zeros if shorter)."))
    try:
        holder = zengin_kana(details.holder_name)
    except ZenginNameError as exc:
        raise MerchantError(str(exc)) from exc
    return BankAccount.objects.create(merchant=merchant, bank=bank, branch=branch, account_type=details.account_type,
                                      account_number=number, holder_kana=holder, requested_by=requested_by)


@transaction.atomic
def merchant_apply(*, campaign: Campaign, fields: dict, representative: dict, bank: BankDetails,
                   request=None) -> Merchant:
    """A public application: the merchant, its representative (personal data) and its first bank account."""
    if not fields.get("infection_control"):
        raise MerchantError(_("Applications need the infection-control declaration."))
    merchant = Merchant(campaign=campaign, **fields)
    merchant.search_key = merchant_search_text(merchant)
    merchant.save()
    MerchantRepresentative.objects.create(merchant=merchant, name=representative["name"],
                                          name_kana=representative["name_kana"],
                                          retain_until=campaign.settlement_deadline + REPRESENTATIVE_RETENTION)
    _bank_account(merchant, bank, requested_by=None)
    audit_log(actor=None, action="merchant.apply", target=merchant, campaign=campaign, request=request)
    return merchant


def _portal_user(merchant: Merchant):
    User = get_user_model()
    user = merchant.portal_user
    if user is None:
        username = f"m{merchant.merchant_number}"
        user = User.objects.create_user(username=username, email=merchant.email, is_staff=False)
        user.set_unusable_password()
        user.save(update_fields=["password"])
        merchant.portal_user = user
    return user


def _send_portal_invitation(merchant: Merchant, user) -> None:
    from django.conf import settings

    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = settings.SITE_URL + reverse("merchant:password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    body = _(
        "%(store)s\n\nYour application to %(campaign)s has been approved. Your merchant number is %(number)s.\n\n"
        "Set the password of your merchant portal account here (valid for 3 days):\n%(link)s\n\n"
        "Log in with your e-mail address %(email)s."
    ) % {"store": merchant.store_name, "campaign": merchant.campaign.name, "number": merchant.merchant_number,
         "link": link, "email": merchant.email}
    send_mail(_("[%(campaign)s] Merchant registration approved") % {"campaign": merchant.campaign.name}, body,
              None, [merchant.email])


@transaction.atomic
def merchant_approve(*, actor, merchant: Merchant, request=None) -> Merchant:
    """Approve an application: issue the merchant number and a portal login (invitation by e-mail); the first
    bank account becomes active with this approval when the approver is not the person who entered it."""
    merchant = Merchant.objects.select_for_update().get(pk=merchant.pk)
    if merchant.status == Merchant.Status.APPROVED:
        raise MerchantError(_("This merchant is already approved."))
    if merchant.status == Merchant.Status.REJECTED:
        raise MerchantError(_("A rejected application cannot be approved; the merchant must apply again."))
    merchant.status = Merchant.Status.APPROVED
    merchant.merchant_number = issue_merchant_number()
    merchant.reviewed_at = timezone.now()
    merchant.reviewed_by = actor
    user = _portal_user(merchant)
    merchant.save()
    # The first account is confirmed by this approval, unless the approver entered or imported it: then it stays
    # pending and another person approves it among the bank account changes (four eyes; bank_account_approve).
    first = merchant.bank_accounts.filter(status=BankAccount.Status.PENDING).order_by("requested_at", "pk").first()
    first_account = "none"
    if first is not None and first.requested_by_id == actor.pk:
        first_account = "awaiting_second_person"
    elif first is not None:
        first.status = BankAccount.Status.ACTIVE
        first.decided_by = actor
        first.decided_at = timezone.now()
        first.save(update_fields=["status", "decided_by", "decided_at"])
        first_account = "active"
    audit_log(actor=actor, action="merchant.approve", target=merchant, campaign=merchant.campaign, request=request,
              data={"merchant_number": merchant.merchant_number, "first_bank_account": first_account})
    transaction.on_commit(lambda: _send_portal_invitation(merchant, user))
    return merchant


def _review(actor, merchant: Merchant, status: str, reason: str, action: str, request) -> Merchant:
    if not reason.strip():
        raise MerchantError(_("Give the reason; the merchant will read it."))
    merchant = Merchant.objects.select_for_update().get(pk=merchant.pk)
    if merchant.status == Merchant.Status.APPROVED:
        raise MerchantError(_("This merchant is already approved."))
    merchant.status = status
    merchant.review_note = reason.strip()
    merchant.reviewed_at = timezone.now()
    merchant.reviewed_by = actor
    merchant.save(update_fields=["status", "review_note", "reviewed_at", "reviewed_by"])
    audit_log(actor=actor, action=action, target=merchant, campaign=merchant.campaign, request=request,
              data={"reason": merchant.review_note})
    send_mail(_("[%(campaign)s] About your merchant application") % {"campaign": merchant.campaign.name},
              _("%(store)s\n\n%(reason)s") % {"store": merchant.store_name, "reason": merchant.review_note},
              None, [merchant.email])
    return merchant


@transaction.atomic
def merchant_reject(*, actor, merchant: Merchant, reason: str, request=None) -> Merchant:
    return _review(actor, merchant, Merchant.Status.REJECTED, reason, "merchant.reject", request)


@transaction.atomic
def merchant_request_correction(*, actor, merchant: Merchant, reason: str, request=None) -> Merchant:
    return _review(actor, merchant, Merchant.Status.CORRECTION, reason, "merchant.request_correction", request)


@transaction.atomic
def merchant_suspend(*, actor, merchant: Merchant, reason: str, request=None) -> Merchant:
    """Suspended merchants vanish from the directory, cannot claim and are not paid."""
    if not reason.strip():
        raise MerchantError(_("Give the reason for the suspension."))
    merchant = Merchant.objects.select_for_update().get(pk=merchant.pk)
    if merchant.is_suspended:
        raise MerchantError(_("This merchant is already suspended."))
    merchant.suspended_at = timezone.now()
    merchant.suspension_reason = reason.strip()
    merchant.save(update_fields=["suspended_at", "suspension_reason"])
    audit_log(actor=actor, action="merchant.suspend", target=merchant, campaign=merchant.campaign, request=request,
              data={"reason": merchant.suspension_reason})
    return merchant


@transaction.atomic
def merchant_resume(*, actor, merchant: Merchant, reason: str, request=None) -> Merchant:
    if not reason.strip():
        raise MerchantError(_("Give the reason for lifting the suspension."))
    merchant = Merchant.objects.select_for_update().get(pk=merchant.pk)
    if not merchant.is_suspended:
        raise MerchantError(_("This merchant is not suspended."))
    previous = merchant.suspension_reason
    merchant.suspended_at = None
    merchant.suspension_reason = ""
    merchant.save(update_fields=["suspended_at", "suspension_reason"])
    audit_log(actor=actor, action="merchant.resume", target=merchant, campaign=merchant.campaign, request=request,
              data={"reason": reason.strip(), "previous_reason": previous})
    return merchant


@transaction.atomic
def bank_account_request(*, actor, merchant: Merchant, bank: BankDetails, request=None) -> BankAccount:
    """Ask for a new payout account (by the merchant in the portal, or by staff from a paper form). It applies
    to payments only after a second person approves it."""
    if merchant.status != Merchant.Status.APPROVED:
        raise MerchantError(_("Bank account changes are for approved merchants; correct the application instead."))
    if merchant.bank_accounts.filter(status=BankAccount.Status.PENDING).exists():
        raise MerchantError(_("A bank account change is already waiting for approval."))
    account = _bank_account(merchant, bank, requested_by=actor)
    audit_log(actor=actor, action="merchant.bank_change_request", target=merchant, campaign=merchant.campaign,
              request=request, data={"account": str(account), "holder": account.holder_kana})
    return account


@transaction.atomic
def bank_account_approve(*, actor, account: BankAccount, request=None) -> BankAccount:
    """The second pair of eyes: the old account is kept as superseded, the new one is used from now on."""
    account = BankAccount.objects.select_for_update().get(pk=account.pk)
    if account.status != BankAccount.Status.PENDING:
        raise MerchantError(_("This change is not waiting for approval."))
    if account.requested_by_id is not None and account.requested_by_id == actor.pk:
        raise MerchantError(_("You entered this change yourself; another staff member must approve it."))
    now = timezone.now()
    BankAccount.objects.filter(merchant=account.merchant, status=BankAccount.Status.ACTIVE).update(
        status=BankAccount.Status.SUPERSEDED)
    account.status = BankAccount.Status.ACTIVE
    account.decided_by = actor
    account.decided_at = now
    account.save(update_fields=["status", "decided_by", "decided_at"])
    audit_log(actor=actor, action="merchant.bank_change_approve", target=account.merchant,
              campaign=account.merchant.campaign, request=request, data={"account": str(account)})
    return account


@transaction.atomic
def bank_account_reject(*, actor, account: BankAccount, reason: str, request=None) -> BankAccount:
    account = BankAccount.objects.select_for_update().get(pk=account.pk)
    if account.status != BankAccount.Status.PENDING:
        raise MerchantError(_("This change is not waiting for approval."))
    account.status = BankAccount.Status.REJECTED
    account.decided_by = actor
    account.decided_at = timezone.now()
    account.note = reason.strip()[:300]
    account.save(update_fields=["status", "decided_by", "decided_at", "note"])
    audit_log(actor=actor, action="merchant.bank_change_reject", target=account.merchant,
              campaign=account.merchant.campaign, request=request, data={"reason": account.note})
    return account


@transaction.atomic
def kit_ship(*, actor, merchant: Merchant, shipped_on: date, carrier: str = "", tracking_number: str = "",
             note: str = "") -> KitShipment:
    if merchant.status != Merchant.Status.APPROVED:
        raise MerchantError(_("Kits are sent to approved merchants only."))
    if shipped_on > timezone.localdate():
        raise MerchantError(_("The shipping date cannot be in the future."))
    shipment = KitShipment.objects.create(merchant=merchant, shipped_on=shipped_on, carrier=carrier,
                                          tracking_number=tracking_number, note=note, created_by=actor)
    audit_log(actor=actor, action="merchant.kit_ship", target=merchant, campaign=merchant.campaign,
              data={"tracking_number": tracking_number})
    return shipment

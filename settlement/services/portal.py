"""Writes made from the merchant portal: store details (live at once, or after staff review)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.audit import audit_log
from settlement.models import Merchant
from settlement.services.merchants import MerchantError, merchant_search_text

__all__ = [
    "STORE_PUBLIC_FIELDS",
    "store_changes_need_review",
    "merchant_update_store",
    "merchant_store_changes_apply",
    "merchant_store_changes_reject",
]

# What a merchant may change by themselves: the details residents see in the store directory. Everything
# else (business form, company, e-mail, bank account) goes through the secretariat.
STORE_PUBLIC_FIELDS = (
    "store_name", "store_name_kana", "postal_code", "address", "phone", "genre", "area", "opening_hours", "takeout",
)


def store_changes_need_review() -> bool:
    return getattr(settings, "MERCHANT_CHANGES_NEED_REVIEW", True)


def _apply(merchant: Merchant, changes: dict) -> None:
    for name, value in changes.items():
        setattr(merchant, name, value)
    merchant.search_key = merchant_search_text(merchant)


@transaction.atomic
def merchant_update_store(*, actor, merchant: Merchant, fields: dict, review: bool | None = None,
                          request=None) -> Merchant:
    """Change the public store details. With review on (``MERCHANT_CHANGES_NEED_REVIEW``, the default) the
    changes wait in ``pending_changes`` for staff and the directory keeps showing the old details; a new
    submission replaces what was waiting. ``review`` overrides the setting (staff editing on paper's behalf)."""
    unknown = set(fields) - set(STORE_PUBLIC_FIELDS)
    if unknown:
        raise MerchantError(_("These details cannot be changed here: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    merchant = Merchant.objects.select_for_update().get(pk=merchant.pk)
    if merchant.status != Merchant.Status.APPROVED:
        raise MerchantError(_("Store details can be changed once the application is approved."))
    changes = {name: value for name, value in fields.items() if getattr(merchant, name) != value}
    if review is None:
        review = store_changes_need_review()
    if review:
        if not changes and not merchant.pending_changes:
            raise MerchantError(_("Nothing was changed."))
        merchant.pending_changes = changes
        merchant.save(update_fields=["pending_changes"])
        action = "merchant.store_change_request" if changes else "merchant.store_change_withdraw"
        audit_log(actor=actor, action=action, target=merchant, campaign=merchant.campaign, request=request,
                  data={"changes": changes, "requested_at": timezone.now()})
        return merchant
    if not changes:
        raise MerchantError(_("Nothing was changed."))
    previous = {name: getattr(merchant, name) for name in changes}
    _apply(merchant, changes)
    merchant.pending_changes = {}
    merchant.save(update_fields=[*changes, "search_key", "pending_changes"])
    audit_log(actor=actor, action="merchant.store_update", target=merchant, campaign=merchant.campaign,
              request=request, data={"changes": changes, "previous": previous})
    return merchant


@transaction.atomic
def merchant_store_changes_apply(*, actor, merchant: Merchant, request=None) -> Merchant:
    """Staff accept the store changes a merchant asked for: they go live in the directory."""
    merchant = Merchant.objects.select_for_update().get(pk=merchant.pk)
    changes = {name: value for name, value in (merchant.pending_changes or {}).items() if name in STORE_PUBLIC_FIELDS}
    if not changes:
        raise MerchantError(_("There are no store changes waiting for review."))
    previous = {name: getattr(merchant, name) for name in changes}
    _apply(merchant, changes)
    merchant.pending_changes = {}
    merchant.save(update_fields=[*changes, "search_key", "pending_changes"])
    audit_log(actor=actor, action="merchant.store_changes_apply", target=merchant, campaign=merchant.campaign,
              request=request, data={"changes": changes, "previous": previous})
    return merchant


@transaction.atomic
def merchant_store_changes_reject(*, actor, merchant: Merchant, reason: str, request=None) -> Merchant:
    """Staff turn down the waiting store changes; the live details stay as they are."""
    if not reason.strip():
        raise MerchantError(_("Give the reason; the merchant will read it."))
    merchant = Merchant.objects.select_for_update().get(pk=merchant.pk)
    if not merchant.pending_changes:
        raise MerchantError(_("There are no store changes waiting for review."))
    changes = merchant.pending_changes
    merchant.pending_changes = {}
    merchant.save(update_fields=["pending_changes"])
    audit_log(actor=actor, action="merchant.store_changes_reject", target=merchant, campaign=merchant.campaign,
              request=request, data={"changes": changes, "reason": reason.strip()})
    subject = _("[%(campaign)s] About your store details") % {"campaign": merchant.campaign.name}
    body = _("%(store)s\n\nThe changes to your store details were not accepted:\n%(reason)s") % {
        "store": merchant.store_name, "reason": reason.strip()}
    transaction.on_commit(lambda: send_mail(subject, body, None, [merchant.email]))
    return merchant

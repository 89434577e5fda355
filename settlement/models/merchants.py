"""Merchants (加盟店), their bank accounts and the bank master data.

Settlement models (envelopes, redemptions, cutoffs, batches) join this module with the settlement issues.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campaign.models import Campaign


class Bank(models.Model):
    """A financial institution (金融機関) from the Zengin bank code data."""

    code = models.CharField(_("bank code"), max_length=4, unique=True)
    name = models.CharField(_("bank name"), max_length=100)
    kana = models.CharField(_("bank name (kana)"), max_length=100)
    hira = models.CharField(max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True,
                                    help_text=_("False once the bank is gone from the source data (kept for history)."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("bank")
        verbose_name_plural = _("banks")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class BankBranch(models.Model):
    """A branch (支店). A branch that disappears from the data (merged) is marked inactive, never deleted."""

    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, related_name="branches", verbose_name=_("bank"))
    code = models.CharField(_("branch code"), max_length=3)
    name = models.CharField(_("branch name"), max_length=100)
    kana = models.CharField(_("branch name (kana)"), max_length=100)
    hira = models.CharField(max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    retired_on = models.DateField(_("retired on"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("bank branch")
        verbose_name_plural = _("bank branches")
        ordering = ["bank", "code"]
        constraints = [models.UniqueConstraint(fields=["bank", "code"], name="bankbranch_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Merchant(models.Model):
    """A merchant (加盟店): from application through review to an approved store that redeems vouchers."""

    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        CORRECTION = "correction", _("Correction requested")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    class BusinessForm(models.TextChoices):
        CORPORATION = "corporation", _("Corporation")
        SOLE_PROPRIETOR = "sole_proprietor", _("Sole proprietor")

    class Genre(models.TextChoices):
        JAPANESE = "japanese", _("Japanese cuisine")
        SUSHI = "sushi", _("Sushi and seafood")
        NOODLES = "noodles", _("Ramen and noodles")
        IZAKAYA = "izakaya", _("Izakaya")
        YAKINIKU = "yakiniku", _("Yakiniku")
        WESTERN = "western", _("Western cuisine")
        CHINESE = "chinese", _("Chinese cuisine")
        CAFE = "cafe", _("Café and sweets")
        OTHER = "other", _("Other")

    class Area(models.TextChoices):
        EAST = "east", _("Eastern area")
        CENTRAL = "central", _("Central area")
        WEST = "west", _("Western area")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="merchants",
                                 verbose_name=_("campaign"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.APPLIED)
    merchant_number = models.CharField(_("merchant number"), max_length=8, unique=True, null=True, blank=True)
    store_name = models.CharField(_("store name"), max_length=200)
    store_name_kana = models.CharField(_("store name (kana)"), max_length=200)
    business_form = models.CharField(_("business form"), max_length=20, choices=BusinessForm.choices)
    company_name = models.CharField(_("company or owner name"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=8)
    address = models.CharField(_("address"), max_length=300)
    phone = models.CharField(_("store phone"), max_length=20)
    email = models.EmailField(_("e-mail"))
    genre = models.CharField(_("genre"), max_length=20, choices=Genre.choices)
    area = models.CharField(_("area"), max_length=20, choices=Area.choices)
    opening_hours = models.CharField(_("opening hours"), max_length=200, blank=True)
    takeout = models.BooleanField(_("takeout available"), default=False)
    infection_control = models.BooleanField(_("infection-control measures declared"), default=False)
    search_key = models.CharField(max_length=600, blank=True, db_index=True,
                                  help_text="Normalised name, kana and address for kana-insensitive search.")
    published = models.BooleanField(_("shown in the store directory"), default=True)
    suspended_at = models.DateTimeField(_("suspended at"), null=True, blank=True)
    suspension_reason = models.CharField(_("suspension reason"), max_length=300, blank=True)
    portal_user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="merchant", verbose_name=_("portal login"))
    pending_changes = models.JSONField(_("store changes awaiting review"), default=dict, blank=True)
    applied_at = models.DateTimeField(_("applied at"), auto_now_add=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("reviewed by"))
    review_note = models.TextField(_("review note"), blank=True)

    class Meta:
        verbose_name = _("merchant")
        verbose_name_plural = _("merchants")
        ordering = ["-applied_at"]
        constraints = [
            models.CheckConstraint(condition=Q(status="approved") | Q(merchant_number__isnull=True),
                                   name="merchant_number_only_when_approved"),
            models.CheckConstraint(condition=~Q(status="approved") | Q(merchant_number__isnull=False),
                                   name="merchant_approved_has_number"),
        ]
        indexes = [models.Index(fields=["campaign", "status"], name="merchant_status_idx")]

    def __str__(self) -> str:
        return f"{self.merchant_number or '—'} {self.store_name}"

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None


class MerchantRepresentative(models.Model):
    """The representative's personal data, kept apart and shown only to staff who review merchants."""

    merchant = models.OneToOneField(Merchant, on_delete=models.CASCADE, related_name="representative")
    name = models.CharField(_("representative"), max_length=100)
    name_kana = models.CharField(_("representative (kana)"), max_length=100)
    retain_until = models.DateField(_("keep until"), null=True, blank=True)

    class Meta:
        verbose_name = _("merchant representative")
        verbose_name_plural = _("merchant representatives")

    def __str__(self) -> str:
        return self.name


class BankAccount(models.Model):
    """A merchant's payout account. A change is a new row that applies only after a second person approves it;
    the old account is kept (superseded), never overwritten."""

    class AccountType(models.TextChoices):
        ORDINARY = "1", _("Ordinary (普通)")
        CURRENT = "2", _("Current (当座)")
        SAVINGS = "4", _("Savings (貯蓄)")

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting approval")
        ACTIVE = "active", _("In use")
        SUPERSEDED = "superseded", _("Replaced")
        REJECTED = "rejected", _("Rejected")

    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="bank_accounts",
                                 verbose_name=_("merchant"))
    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, verbose_name=_("bank"))
    branch = models.ForeignKey(BankBranch, on_delete=models.PROTECT, verbose_name=_("branch"))
    account_type = models.CharField(_("account type"), max_length=1, choices=AccountType.choices)
    account_number = models.CharField(_("account number"), max_length=7)
    holder_kana = models.CharField(_("account holder (Zengin kana)"), max_length=30)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("requested by"))
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("approved or rejected by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("bank account")
        verbose_name_plural = _("bank accounts")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(fields=["merchant"], condition=Q(status="active"),
                                    name="bankaccount_one_active_per_merchant"),
            models.UniqueConstraint(fields=["merchant"], condition=Q(status="pending"),
                                    name="bankaccount_one_pending_per_merchant"),
            models.CheckConstraint(condition=Q(account_number__regex=r"^[0-9]{7}$"), name="bankaccount_number_7"),
            # Four eyes: whoever asked for an account cannot be the one who approved it.
            models.CheckConstraint(
                condition=Q(requested_by__isnull=True) | Q(decided_by__isnull=True) | ~Q(requested_by=models.F("decided_by")),
                name="bankaccount_four_eyes",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bank.code}-{self.branch.code} {self.get_account_type_display()} {self.account_number}"


class KitShipment(models.Model):
    """A redemption kit (換金キット: slips, envelopes, instructions) sent to a merchant."""

    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="kit_shipments",
                                 verbose_name=_("merchant"))
    shipped_on = models.DateField(_("shipped on"))
    carrier = models.CharField(_("carrier"), max_length=100, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=50, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("redemption kit shipment")
        verbose_name_plural = _("redemption kit shipments")
        ordering = ["-shipped_on", "-id"]

    def __str__(self) -> str:
        return f"{self.merchant} {self.shipped_on:%Y-%m-%d}"

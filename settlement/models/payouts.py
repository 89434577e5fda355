"""Payouts: cutoff schedules (締日 → 支払日), frozen settlement batches and their lines, stored outputs, auditor
report revisions and the fraud watch list.

A batch is frozen when its cutoff is closed: every reconciled envelope received up to the cutoff and not yet in a
batch is attached to it through ``BatchEnvelope``, whose unique envelope column is the database's guarantee
that no envelope is ever paid by two batches, even when two closes race.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from campaign.models import Campaign


class Cutoff(models.Model):
    """A cutoff (締日) and the day its batch is paid (支払日): regular from the schedule, or extraordinary."""

    class Kind(models.TextChoices):
        REGULAR = "regular", _("Regular")
        EXTRAORDINARY = "extraordinary", _("Extraordinary")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+", verbose_name=_("campaign"))
    cutoff_date = models.DateField(_("cutoff date"))
    payment_date = models.DateField(_("payment date"))
    kind = models.CharField(_("kind"), max_length=14, choices=Kind.choices, default=Kind.REGULAR)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # An extraordinary cutoff (臨時) can be limited to chosen merchants or envelopes (Tottori's extraordinary
    # payment settled a fraud case for three merchants) and, as a relief cutoff, can take envelopes received after
    # the settlement deadline. Both are a manager's decision with its reason (cutoff_scope_set).
    merchants = models.ManyToManyField("settlement.Merchant", blank=True, related_name="+",
                                       verbose_name=_("limited to merchants"))
    envelopes = models.ManyToManyField("settlement.Envelope", blank=True, related_name="+",
                                       verbose_name=_("limited to envelopes"))
    accepts_late = models.BooleanField(_("accepts envelopes received after the settlement deadline"),
                                       default=False)
    scope_reason = models.TextField(_("reason for the limit or the relief"), blank=True)
    scope_decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                         blank=True, related_name="+", verbose_name=_("decided by"))
    scope_decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("cutoff")
        verbose_name_plural = _("cutoffs")
        ordering = ["cutoff_date", "kind", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "cutoff_date", "kind"], name="cutoff_unique_per_day"),
            models.CheckConstraint(condition=Q(payment_date__gt=F("cutoff_date")), name="cutoff_paid_after_cutoff"),
            models.CheckConstraint(condition=Q(kind="extraordinary") | Q(accepts_late=False),
                                   name="cutoff_relief_is_extraordinary"),
            models.CheckConstraint(condition=Q(accepts_late=False)
                                   | (~Q(scope_reason="") & Q(scope_decided_by__isnull=False)),
                                   name="cutoff_relief_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.cutoff_date:%Y-%m-%d} → {self.payment_date:%Y-%m-%d}"


class SettlementBatch(models.Model):
    """The frozen payout of one cutoff (精算バッチ). Prepared by one person, approved by another; files leave the
    system only after approval. Approval settles its envelopes; the bank's result marks it paid."""

    class Status(models.TextChoices):
        PREPARED = "prepared", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        PAID = "paid", _("Paid")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+", verbose_name=_("campaign"))
    cutoff = models.OneToOneField(Cutoff, on_delete=models.PROTECT, related_name="batch", verbose_name=_("cutoff"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PREPARED)
    # Empty when the beat task closed the cutoff at the end of its day: a person must then prepare (check and sign)
    # the batch before a second person can approve it (batch_prepare).
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("prepared by"))
    prepared_at = models.DateTimeField(_("prepared at"))
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("approved by"))
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    paid_recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="+", verbose_name=_("bank result recorded by"))
    paid_recorded_at = models.DateTimeField(_("bank result recorded at"), null=True, blank=True)
    envelopes = models.PositiveIntegerField(_("envelopes"), default=0)
    merchants = models.PositiveIntegerField(_("merchants paid"), default=0)
    held = models.PositiveIntegerField(_("merchants held"), default=0)
    amount = models.BigIntegerField(_("amount to pay (yen)"), default=0)
    held_amount = models.BigIntegerField(_("amount held (yen)"), default=0)

    class Meta:
        verbose_name = _("settlement batch")
        verbose_name_plural = _("settlement batches")
        ordering = ["-cutoff__cutoff_date", "-pk"]
        constraints = [
            # Four eyes: the approver is never the preparer.
            models.CheckConstraint(condition=Q(approved_by__isnull=True) | Q(prepared_by__isnull=True)
                                   | ~Q(approved_by=F("prepared_by")),
                                   name="batch_four_eyes"),
            models.CheckConstraint(condition=Q(status="prepared") | Q(approved_by__isnull=False),
                                   name="batch_approved_has_approver"),
            # A batch the scheduler closed is signed by a named preparer before anyone may approve it.
            models.CheckConstraint(condition=Q(status="prepared") | Q(prepared_by__isnull=False),
                                   name="batch_approved_was_prepared"),
        ]

    def __str__(self) -> str:
        return f"{self.cutoff.cutoff_date:%Y-%m-%d}"

    @property
    def is_released(self) -> bool:
        return self.status != self.Status.PREPARED


class PayoutLine(models.Model):
    """One merchant's payout in a batch (支払明細): tickets and amount per denomination, investigation
    adjustments, amounts carried from a failed transfer, and the bank account as it was at the cutoff."""

    class Status(models.TextChoices):
        PAYABLE = "payable", _("To be paid")
        HELD = "held", _("Held")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Transfer failed")
        # The merchant's envelopes in this batch pay ¥0 (every ticket rejected): settled, but no transfer record.
        NOTHING = "nothing", _("Nothing to pay")

    class HoldReason(models.TextChoices):
        SUSPENDED = "suspended", _("Merchant suspended")
        INVESTIGATION = "investigation", _("Open investigation")
        NO_ACCOUNT = "no_account", _("No confirmed bank account")
        ACCOUNT_FAILED = "account_failed", _("Bank account failed and not corrected yet")
        # Not a hold: why a line pays nothing (status NOTHING).
        NOTHING_PAYABLE = "nothing_payable", _("No payable tickets in its envelopes")

    batch = models.ForeignKey(SettlementBatch, on_delete=models.PROTECT, related_name="lines")
    merchant = models.ForeignKey("settlement.Merchant", on_delete=models.PROTECT, related_name="payout_lines",
                                 verbose_name=_("merchant"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    hold_reasons = models.JSONField(_("hold reasons"), default=list, blank=True)
    envelopes = models.PositiveIntegerField(_("envelopes"), default=0)
    tickets = models.PositiveIntegerField(_("tickets"), default=0)
    redeemed_amount = models.BigIntegerField(_("redeemed amount (yen)"), default=0)
    adjustment = models.BigIntegerField(_("adjustments (yen)"), default=0)
    carried_amount = models.BigIntegerField(_("carried from a failed transfer (yen)"), default=0)
    amount = models.BigIntegerField(_("amount (yen)"), default=0)
    # {"<denomination code>": {"name": ..., "face_value": ..., "tickets": n, "amount": yen}}
    per_denomination = models.JSONField(_("per denomination"), default=dict)
    bank_code = models.CharField(max_length=4, blank=True)
    bank_name = models.CharField(max_length=100, blank=True)
    bank_kana = models.CharField(max_length=100, blank=True)
    branch_code = models.CharField(max_length=3, blank=True)
    branch_name = models.CharField(max_length=100, blank=True)
    branch_kana = models.CharField(max_length=100, blank=True)
    account_type = models.CharField(max_length=1, blank=True)
    account_number = models.CharField(max_length=7, blank=True)
    holder_kana = models.CharField(max_length=30, blank=True)
    account = models.ForeignKey("settlement.BankAccount", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+")
    failure_reason = models.CharField(_("failure reason"), max_length=200, blank=True)
    # A failed line is paid again in a later batch: this points at the line that carries it.
    carried_to = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="carried_from")

    class Meta:
        verbose_name = _("payout line")
        verbose_name_plural = _("payout lines")
        ordering = ["batch", "merchant__merchant_number", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "merchant"], name="payoutline_one_per_merchant"),
            models.CheckConstraint(condition=Q(amount=F("redeemed_amount") + F("adjustment") + F("carried_amount")),
                                   name="payoutline_amount_adds_up"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="payoutline_amount_not_negative"),
            models.CheckConstraint(condition=~Q(status="held") | ~Q(hold_reasons=[]), name="payoutline_held_reason"),
            # No ¥0 transfer: a line that reaches the bank carries money; a ¥0 line is "nothing to pay", with why.
            models.CheckConstraint(condition=~Q(status__in=["payable", "paid", "failed"]) | Q(amount__gt=0),
                                   name="payoutline_transfer_not_zero"),
            models.CheckConstraint(condition=~Q(status="nothing") | (Q(amount=0) & ~Q(hold_reasons=[])),
                                   name="payoutline_nothing_is_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.batch} {self.merchant}"

    @property
    def masked_account(self) -> str:
        return "•" * max(0, len(self.account_number) - 3) + self.account_number[-3:]


class BatchEnvelope(models.Model):
    """An envelope paid by a batch. The unique envelope is the rule "an envelope is in one batch only"."""

    batch = models.ForeignKey(SettlementBatch, on_delete=models.PROTECT, related_name="batch_envelopes")
    line = models.ForeignKey(PayoutLine, on_delete=models.PROTECT, related_name="batch_envelopes", null=True)
    envelope = models.OneToOneField("settlement.Envelope", on_delete=models.PROTECT, related_name="batch_entry")
    amount = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("envelope in a batch")
        verbose_name_plural = _("envelopes in batches")

    def __str__(self) -> str:
        return f"{self.batch}: {self.envelope_id}"


class BatchOutput(models.Model):
    """A generated file of an approved batch, kept with its checksum. Regenerating writes the same bytes."""

    class Kind(models.TextChoices):
        ZENGIN = "zengin", _("Zengin transfer file")
        LIST = "list", _("Payout list (Excel)")
        NOTICES = "notices", _("Payment notices (zip)")
        SUMMARY = "summary", _("Batch summary (PDF)")

    batch = models.ForeignKey(SettlementBatch, on_delete=models.PROTECT, related_name="outputs")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    file = models.FileField(upload_to="payouts/%Y/%m/")
    file_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(default=0)
    records = models.PositiveIntegerField(_("records"), default=0)
    generated_at = models.DateTimeField(auto_now=True)
    generations = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("batch output")
        verbose_name_plural = _("batch outputs")
        constraints = [models.UniqueConstraint(fields=["batch", "kind"], name="batchoutput_one_per_kind")]

    def __str__(self) -> str:
        return self.file_name


class AuditReport(models.Model):
    """Figures for the auditor (実績確認監査) for a day or a period. A correction is a new revision with a diff to
    the previous one; revisions are never changed or deleted."""

    class Kind(models.TextChoices):
        DAILY = "daily", _("Daily")
        PERIOD = "period", _("Period")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    revision = models.PositiveIntegerField(_("revision"))
    figures = models.JSONField(_("figures"))
    diff = models.JSONField(_("changes from the previous revision"), default=dict, blank=True)
    reason = models.TextField(_("reason for the correction"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("issued by"))
    created_at = models.DateTimeField(_("issued at"), auto_now_add=True)

    class Meta:
        verbose_name = _("auditor report")
        verbose_name_plural = _("auditor reports")
        ordering = ["-period_start", "kind", "-revision"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "kind", "period_start", "period_end", "revision"],
                                    name="auditreport_revision_unique"),
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="auditreport_period_ordered"),
            models.CheckConstraint(condition=Q(revision=1) | ~Q(reason=""), name="auditreport_correction_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.period_start:%Y-%m-%d}–{self.period_end:%Y-%m-%d} r{self.revision}"


class FraudRule(models.Model):
    """A configurable detection rule of the daily fraud job (不正検知)."""

    class Code(models.TextChoices):
        WEEKLY_SPIKE = "weekly_spike", _("Redemptions this week against the merchant's own baseline")
        REPEAT_RATE = "repeat_rate", _("Share of repeated tickets")
        UNSOLD_HITS = "unsold_hits", _("Tickets from unsold stock")
        SHARED_SERIAL = "shared_serial", _("The same serial at two merchants")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("rule"), max_length=20, choices=Code.choices)
    is_active = models.BooleanField(_("active"), default=True)
    threshold = models.DecimalField(_("threshold"), max_digits=10, decimal_places=3)
    min_tickets = models.PositiveIntegerField(_("minimum tickets"), default=0)

    class Meta:
        verbose_name = _("fraud rule")
        verbose_name_plural = _("fraud rules")
        ordering = ["campaign", "code"]
        constraints = [models.UniqueConstraint(fields=["campaign", "code"], name="fraudrule_unique")]

    def __str__(self) -> str:
        return self.get_code_display()


class WatchCase(models.Model):
    """A merchant on the watch list (重要監視対象): watch → warning (recorded contact) → suspension, or closed."""

    class Status(models.TextChoices):
        WATCH = "watch", _("Watched")
        WARNED = "warned", _("Warned")
        SUSPENDED = "suspended", _("Suspended")
        CLOSED = "closed", _("Closed")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+")
    merchant = models.ForeignKey("settlement.Merchant", on_delete=models.PROTECT, related_name="watch_cases",
                                 verbose_name=_("merchant"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.WATCH)
    opened_on = models.DateField(_("opened on"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("watch case")
        verbose_name_plural = _("watch cases")
        ordering = ["-opened_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["merchant"], condition=~Q(status="closed"), name="watchcase_one_open"),
        ]

    def __str__(self) -> str:
        return f"{self.merchant} {self.get_status_display()}"


class FraudHit(models.Model):
    """A rule that fired for a merchant on a day. The daily job is idempotent: one hit per merchant, rule, day."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+")
    merchant = models.ForeignKey("settlement.Merchant", on_delete=models.PROTECT, related_name="fraud_hits")
    rule = models.CharField(_("rule"), max_length=20, choices=FraudRule.Code.choices)
    day = models.DateField(_("day"))
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=3)
    detail = models.JSONField(_("detail"), default=dict)
    case = models.ForeignKey(WatchCase, on_delete=models.PROTECT, related_name="hits", null=True)

    class Meta:
        verbose_name = _("fraud hit")
        verbose_name_plural = _("fraud hits")
        ordering = ["-day", "merchant", "rule"]
        constraints = [models.UniqueConstraint(fields=["merchant", "rule", "day"], name="fraudhit_once_a_day")]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.merchant} {self.rule}"


class WatchContact(models.Model):
    """A recorded contact with a watched merchant (the warning call: 是正勧告)."""

    case = models.ForeignKey(WatchCase, on_delete=models.PROTECT, related_name="contacts")
    contacted_at = models.DateTimeField(_("contacted at"))
    channel = models.CharField(_("contact channel"), max_length=20)
    summary = models.TextField(_("summary"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("contact record")
        verbose_name_plural = _("contact records")
        ordering = ["contacted_at", "pk"]

    def __str__(self) -> str:
        return f"{self.contacted_at:%Y-%m-%d} {self.channel}"

"""Redemption intake: envelopes of used vouchers, the serials read from them, and what each serial turned out to be.

A ticket is paid once: ``Redemption`` is unique per (campaign, book, ticket) — the database is the last guard
against paying twice, even when two clerks upload overlapping files at the same moment.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.db.models import Q
from django.db.models.fields.related_descriptors import ForwardManyToOneDescriptor
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campaign.models import Campaign, Denomination


class VerificationClass(models.TextChoices):
    """What a redeemed serial turned out to be (DESIGN.md, "Verification classes")."""

    VALID = "valid", pgettext_lazy("verification class", "Valid")
    BAD_CHECK = "bad_check", _("Bad check code (forged or mistyped)")
    NEVER_ISSUED = "never_issued", _("Never issued")
    UNSOLD = "unsold", _("Unsold stock")
    ALREADY_REDEEMED = "already_redeemed", _("Already redeemed")
    DUPLICATE_IN_BATCH = "duplicate_in_batch", _("Duplicate in the same envelope")
    OTHER_CAMPAIGN = "other_campaign", _("Another campaign")
    OUTSIDE_USAGE_PERIOD = "outside_usage_period", _("Outside the usage period")
    MERCHANT_SUSPENDED = "merchant_suspended", _("Merchant suspended")


class Envelope(models.Model):
    """A merchant's envelope of used vouchers (換金封筒) with its redemption slip (換金伝票)."""

    class Status(models.TextChoices):
        DECLARED = "declared", _("Declared")
        RECEIVED = "received", _("Received")
        VERIFIED = "verified", _("Verified")
        REVIEW = "review", _("Needs review")
        RECONCILED = "reconciled", _("Reconciled")
        SETTLED = "settled", _("Settled")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+")
    merchant = models.ForeignKey("settlement.Merchant", on_delete=models.PROTECT, related_name="envelopes",
                                 verbose_name=_("merchant"))
    number = models.CharField(_("envelope number"), max_length=12, unique=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DECLARED)
    declared_at = models.DateTimeField(_("declared at"), auto_now_add=True)
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    received_on = models.DateField(_("received on"), null=True, blank=True)
    seal_intact = models.BooleanField(_("seal intact"), null=True, blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("opened by"))
    opened_with = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("second person at the opening"))
    counted_tickets = models.PositiveIntegerField(_("tickets counted"), null=True, blank=True)
    # Set when the envelope's reading is finished and it matches its declaration (or a reviewer cleared it);
    # payouts take reconciled envelopes received up to a cutoff.
    reconciled_at = models.DateTimeField(_("reconciled at"), null=True, blank=True)
    reconciled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="+", verbose_name=_("reconciled by"))
    review_reasons = models.JSONField(_("review reasons"), default=list, blank=True)
    # The form's one-time key of the declaration (portal or staff claim form): a double click or a resent form
    # finds the envelope it already declared instead of declaring a second one (see envelope_declare).
    declare_key = models.CharField(_("declaration key"), max_length=64, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("envelope")
        verbose_name_plural = _("envelopes")
        ordering = ["-declared_at"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "declare_key"], condition=~Q(declare_key=""),
                                    name="envelope_declared_once"),
            # Two people open an envelope: never the same person twice.
            models.CheckConstraint(condition=Q(opened_by__isnull=True) | Q(opened_with__isnull=True)
                                   | ~Q(opened_by=models.F("opened_with")), name="envelope_two_person_opening"),
        ]

    def __str__(self) -> str:
        return self.number


class EnvelopeLine(models.Model):
    """Declared and accepted tickets of one denomination in an envelope."""

    envelope = models.ForeignKey(Envelope, on_delete=models.CASCADE, related_name="lines")
    denomination = models.ForeignKey(Denomination, on_delete=models.PROTECT, verbose_name=_("denomination"))
    declared_tickets = models.PositiveIntegerField(_("declared tickets"))
    declared_amount = models.BigIntegerField(_("declared amount (yen)"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["envelope", "denomination"], name="envelopeline_unique")]

    def __str__(self) -> str:
        return f"{self.envelope} {self.denomination}: {self.declared_tickets}"


class SerialRead(models.Model):
    """One reading of serials into an envelope: a scanner file or a manual keying session."""

    class Source(models.TextChoices):
        SCANNER = "scanner", _("Scanner file")
        MANUAL = "manual", _("Keyed by hand")

    envelope = models.ForeignKey(Envelope, on_delete=models.PROTECT, related_name="reads")
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    lines = models.PositiveIntegerField(_("lines"), default=0)
    skipped_lines = models.PositiveIntegerField(_("unreadable lines accepted as skipped"), default=0)
    read_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    read_at = models.DateTimeField(_("read at"), auto_now_add=True)

    class Meta:
        verbose_name = _("serial reading")
        verbose_name_plural = _("serial readings")
        constraints = [
            # The same scanner file is never read twice.
            models.UniqueConstraint(fields=["sha256"], condition=~Q(sha256=""), name="serialread_file_once"),
        ]

    def __str__(self) -> str:
        return f"{self.envelope} {self.get_source_display()} {self.read_at:%Y-%m-%d %H:%M}"


class Redemption(models.Model):
    """An accepted, payable ticket (換金済み券). Its primary key is the ticket itself, (campaign, book, ticket):
    the last guard against paying twice.

    The table is shaped for the intake engine, which inserts up to a million rows a reading into a table of tens
    of millions: one B-tree only (the key, which every probe for an earlier redemption uses too), no surrogate id
    (its sequence and index cost a third of each insert) and a BRIN index on the envelope. A reading's rows are
    written together (readings of a campaign take turns), so an envelope's redemptions lie on neighbouring pages
    and a block-range index finds them at a fraction of a B-tree's cost to maintain. (bench_intake, 950,000
    inserts against ten million: 3.4 s with the id and two more B-trees, 1.9 s like this.)
    """

    pk = models.CompositePrimaryKey("campaign", "book", "ticket")
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+", db_index=False)
    denomination = models.ForeignKey(Denomination, on_delete=models.PROTECT, related_name="+", db_index=False)
    book = models.PositiveIntegerField(_("book number"))
    ticket = models.PositiveSmallIntegerField(_("ticket"))
    face_value = models.BigIntegerField(_("face value (yen)"))
    envelope = models.ForeignKey(Envelope, on_delete=models.PROTECT, related_name="redemptions", db_index=False)
    read = models.ForeignKey(SerialRead, on_delete=models.PROTECT, related_name="+", db_index=False)
    merchant = models.ForeignKey("settlement.Merchant", on_delete=models.PROTECT, related_name="+",
                                 db_index=False)
    redeemed_at = models.DateTimeField(_("redeemed at"), auto_now_add=True)
    # Recorded by a reviewer's decision (an accepted investigation: an unsold-stock hit or a misread check code)
    # rather than by a reading. The row holds the ticket's one payment like any other, so a later reading of the
    # same code is a repeat; the money itself is paid as the investigation's adjustment, so payout and result
    # figures count the redeemed amount without these rows (see payouts._figures).
    by_decision = models.BooleanField(_("accepted by a decision"), default=False, db_default=False)

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        indexes = [BrinIndex(fields=["envelope"], name="redemption_envelope_brin", autosummarize=True)]

    def __str__(self) -> str:
        return f"{self.book}-{self.ticket}"


class _FirstRedemptionDescriptor(ForwardManyToOneDescriptor):
    """``outcome.first_redemption = None`` clears the pointer (the campaign column) only: the book and ticket the
    pointer shares are the outcome's own and stay."""

    def __set__(self, instance, value):
        if value is None:
            instance.repeat_campaign_id = None
            self.field.set_cached_value(instance, None)
            return
        super().__set__(instance, value)


class FirstRedemptionField(models.ForeignObject):
    """A repeat's pointer to its first redemption: (repeat campaign, book, ticket) → the redemption's key."""

    forward_related_accessor_class = _FirstRedemptionDescriptor


class ReadOutcome(models.Model):
    """A read serial that was not accepted, with the reason (and, for a repeat, the first redemption)."""

    read = models.ForeignKey(SerialRead, on_delete=models.CASCADE, related_name="outcomes")
    envelope = models.ForeignKey(Envelope, on_delete=models.PROTECT, related_name="outcomes", db_index=False)
    line_no = models.PositiveIntegerField(_("line"))
    code = models.CharField(_("code"), max_length=21)
    verification = models.CharField(_("class"), max_length=24, choices=VerificationClass.choices)
    detail = models.CharField(_("detail"), max_length=30, blank=True)
    book = models.PositiveIntegerField(null=True, blank=True)
    ticket = models.PositiveSmallIntegerField(null=True, blank=True)
    # A repeat (already redeemed) points at its first redemption: the campaign is set for repeats only, and with
    # the outcome's book and ticket it is that redemption's key (a composite foreign key in the database, checked
    # only when the campaign is set).
    repeat_campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                        db_index=False)
    first_redemption = FirstRedemptionField(Redemption, on_delete=models.PROTECT, null=True, blank=True,
                                          from_fields=["repeat_campaign", "book", "ticket"],
                                          to_fields=["campaign", "book", "ticket"],
                                          related_name="repeats", verbose_name=_("first redemption"))
    extra = models.CharField(_("extra columns"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("rejected serial")
        verbose_name_plural = _("rejected serials")
        ordering = ["read", "line_no"]
        indexes = [
            models.Index(fields=["envelope", "verification"], name="readoutcome_envelope_idx"),
            models.Index(fields=["repeat_campaign", "book", "ticket"], name="readoutcome_first_idx",
                         condition=Q(repeat_campaign__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.get_verification_display()}"


class Investigation(models.Model):
    """A rejected serial that staff must decide on: a repeat, an unsold-stock hit or a bad check code.

    Accepting pays the ticket's face value on top of the envelope's redemptions (``adjustment``); rejecting
    pays nothing. Decisions are final and audit-logged.
    """

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("investigation status", "Open")
        ACCEPTED = "accepted", _("Accepted (paid)")
        REJECTED = "rejected", _("Rejected (not paid)")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+")
    envelope = models.ForeignKey(Envelope, on_delete=models.PROTECT, related_name="investigations")
    outcome = models.OneToOneField(ReadOutcome, on_delete=models.PROTECT, related_name="investigation")
    verification = models.CharField(_("class"), max_length=24, choices=VerificationClass.choices)
    face_value = models.BigIntegerField(_("face value (yen)"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    adjustment = models.BigIntegerField(_("adjustment (yen)"), default=0)
    reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)

    class Meta:
        verbose_name = _("investigation")
        verbose_name_plural = _("investigations")
        ordering = ["opened_at", "pk"]
        indexes = [models.Index(fields=["campaign", "status"], name="investigation_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", decided_by__isnull=True, adjustment=0)
                | (Q(status__in=["accepted", "rejected"], decided_by__isnull=False, decided_at__isnull=False)
                   & ~Q(reason="")),
                name="investigation_decision_complete"),
            models.CheckConstraint(condition=Q(status="accepted") | Q(adjustment=0),
                                   name="investigation_adjustment_only_when_accepted"),
        ]

    def __str__(self) -> str:
        return f"{self.outcome.code} {self.get_status_display()}"


class Disposal(models.Model):
    """Shredding of the paper tickets of processed envelopes (date, envelopes, two witnesses)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+")
    disposed_on = models.DateField(_("disposed on"))
    method = models.CharField(_("method"), max_length=100)
    envelopes = models.ManyToManyField(Envelope, related_name="disposals", verbose_name=_("envelopes"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("recorded by"))
    witness = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("witness"))
    note = models.TextField(_("note"), blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("disposal")
        verbose_name_plural = _("disposals")
        ordering = ["-disposed_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(recorded_by=models.F("witness")), name="disposal_two_people"),
        ]

    def __str__(self) -> str:
        return f"{self.disposed_on} ({self.method})"

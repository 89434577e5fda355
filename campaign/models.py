"""Core data: the campaign itself, its denominations, departments, bank holidays, the audit log and jobs."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaign.prefectures import PREFECTURE_CHOICES


class Campaign(models.Model):
    """A premium meal-voucher campaign (キャンペーン) run by one prefecture's secretariat."""

    code = models.SlugField(
        _("code"), max_length=20, unique=True,
        help_text=_("Short identifier printed in serial codes, e.g. TOTTORI2020."),
    )
    name = models.CharField(_("name"), max_length=200)
    prefecture = models.CharField(_("prefecture"), max_length=2, choices=PREFECTURE_CHOICES)
    serial_prefix = models.PositiveSmallIntegerField(
        _("serial prefix"), unique=True,
        help_text=_("Two digits (10–99) that open every ticket code of this campaign."),
    )
    sales_start = models.DateField(_("sales start"))
    sales_end = models.DateField(_("sales end"))
    usage_start = models.DateField(_("usage start"))
    usage_end = models.DateField(_("usage end"))
    settlement_deadline = models.DateField(
        _("settlement deadline"), help_text=_("Last day merchants may submit used vouchers for payment.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-sales_start", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(sales_start__lte=F("sales_end")), name="campaign_sales_period_ordered"),
            models.CheckConstraint(condition=Q(usage_start__lte=F("usage_end")), name="campaign_usage_period_ordered"),
            models.CheckConstraint(
                condition=Q(settlement_deadline__gte=F("usage_end")), name="campaign_deadline_after_usage"
            ),
            models.CheckConstraint(condition=Q(code__regex=r"^[A-Za-z0-9_-]+$"), name="campaign_code_charset"),
            models.CheckConstraint(condition=Q(serial_prefix__gte=10, serial_prefix__lte=99),
                                   name="campaign_serial_prefix_two_digits"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Denomination(models.Model):
    """A kind of ticket (券種): face value, tickets per book and the book's sale price, in integer yen."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="denominations",
                                 verbose_name=_("campaign"))
    code = models.PositiveSmallIntegerField(
        _("code"), help_text=_("One digit (1–9) that identifies the denomination in serial codes.")
    )
    name = models.CharField(_("name"), max_length=100)
    face_value = models.BigIntegerField(_("face value (yen)"))
    tickets_per_book = models.PositiveIntegerField(_("tickets per book"))
    sale_price_per_book = models.BigIntegerField(_("sale price per book (yen)"))

    class Meta:
        verbose_name = _("denomination")
        verbose_name_plural = _("denominations")
        ordering = ["campaign", "code"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "code"], name="denomination_code_unique_per_campaign"),
            models.CheckConstraint(condition=Q(code__gte=1, code__lte=9), name="denomination_code_one_digit"),
            models.CheckConstraint(condition=Q(face_value__gt=0), name="denomination_face_value_positive"),
            models.CheckConstraint(condition=Q(tickets_per_book__gt=0), name="denomination_tickets_positive"),
            models.CheckConstraint(condition=Q(sale_price_per_book__gt=0), name="denomination_price_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def book_face_total(self) -> int:
        return self.face_value * self.tickets_per_book


class Department(models.Model):
    """A department of the secretariat (担当部署) that calls and escalations are routed to."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class BankHoliday(models.Model):
    """A day the banks are closed beyond weekends, national holidays and Dec 31–Jan 3 (editable)."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("bank holiday")
        verbose_name_plural = _("bank holidays")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"


class AuditEvent(models.Model):
    """One entry of the audit log (監査ログ). Append-only: a database trigger refuses UPDATE and DELETE."""

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("actor"))
    actor_label = models.CharField(_("actor name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    target_type = models.CharField(_("target type"), max_length=100, blank=True)
    target_id = models.CharField(_("target ID"), max_length=100, blank=True)
    target_label = models.CharField(_("target"), max_length=300, blank=True)
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("campaign"))
    data = models.JSONField(_("details"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="auditevent_target_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"


class Job(models.Model):
    """A long-running piece of work (export, PDF, cutoff output) with its progress and result file."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Finished")
        FAILED = "failed", _("Failed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=50)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    message = models.CharField(_("message"), max_length=500, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    result_file = models.FileField(_("result file"), upload_to="jobs/%Y/%m/", blank=True)
    result_name = models.CharField(_("file name"), max_length=200, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="jobs",
                              verbose_name=_("owner"))
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("campaign"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("file expires at"), null=True, blank=True)

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="job_progress_at_most_100"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)


class LoginFailure(models.Model):
    """A failed staff/merchant password attempt, kept for throttling (per user name and per address)."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("failed login")
        verbose_name_plural = _("failed logins")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username}"

"""Counter reservations (窓口予約): counters, opening rules, slots, residents and their reservations.

A slot is a row with a public capacity, a (higher) staff capacity and a ``booked`` counter. Booking is one
conditional UPDATE of that counter plus the reservation INSERT in one transaction (``reservations.booking``);
the check constraints below are the last guard, and the partial unique indexes keep one active reservation
per resident per campaign and make a repeated submit (same idempotency key) book once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaign.models import Campaign


class ReservationSettings(models.Model):
    """A campaign's reservation set-up (予約全体設定): window, slot length, who may book, form fields."""

    class AccessMode(models.TextChoices):
        BOTH = "both", _("With or without an account")
        ACCOUNT = "account", _("Resident account only")
        ANONYMOUS = "anonymous", _("Without an account only (access key)")

    campaign = models.OneToOneField(Campaign, on_delete=models.CASCADE, related_name="reservation_settings",
                                    verbose_name=_("campaign"))
    accept_from = models.DateTimeField(_("bookings accepted from"))
    accept_until = models.DateTimeField(_("bookings accepted until"))
    window_start = models.DateField(_("first visit date"))
    window_end = models.DateField(_("last visit date"))
    slot_minutes = models.PositiveSmallIntegerField(_("slot length (minutes)"), default=30)
    access_mode = models.CharField(_("booking with"), max_length=10, choices=AccessMode.choices,
                                   default=AccessMode.BOTH)
    # {"name": {"use": "required", "alias": ""}, ...} and [{"label", "kind", "use", "choices"}, ...];
    # read and validated only through reservations.fields.
    basic_fields = models.JSONField(_("basic fields"), default=dict, blank=True)
    extra_fields = models.JSONField(_("extra fields"), default=list, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("reservation settings")
        verbose_name_plural = _("reservation settings")
        constraints = [
            models.CheckConstraint(condition=Q(accept_from__lt=F("accept_until")),
                                   name="resv_settings_accept_ordered"),
            models.CheckConstraint(condition=Q(window_start__lte=F("window_end")),
                                   name="resv_settings_window_ordered"),
            models.CheckConstraint(condition=Q(slot_minutes__gte=5, slot_minutes__lte=480),
                                   name="resv_settings_slot_minutes_range"),
        ]

    def __str__(self) -> str:
        return str(self.campaign)


class Counter(models.Model):
    """A counter (窓口) where residents come at their booked time."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="counters",
                                 verbose_name=_("campaign"))
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=300, blank=True)
    access_notes = models.TextField(_("access notes"), blank=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("counter")
        verbose_name_plural = _("counters")
        ordering = ["campaign", "sort_order", "id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "name"], name="resv_counter_name_unique")]

    def __str__(self) -> str:
        return self.name


class OpeningRule(models.Model):
    """A weekly opening rule of a counter (開設時間): weekday, hours and the capacity of each slot."""

    counter = models.ForeignKey(Counter, on_delete=models.CASCADE, related_name="rules", verbose_name=_("counter"))
    weekday = models.PositiveSmallIntegerField(_("weekday"), help_text=_("0 = Monday … 6 = Sunday"))
    opens = models.TimeField(_("from"))
    closes = models.TimeField(_("until"))
    public_capacity = models.PositiveSmallIntegerField(_("seats per slot (public)"))
    staff_capacity = models.PositiveSmallIntegerField(_("seats per slot (staff)"))
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    class Meta:
        verbose_name = _("opening rule")
        verbose_name_plural = _("opening rules")
        ordering = ["counter", "weekday", "opens"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="resv_rule_weekday"),
            models.CheckConstraint(condition=Q(opens__lt=F("closes")), name="resv_rule_hours_ordered"),
            models.CheckConstraint(condition=Q(public_capacity__lte=F("staff_capacity")),
                                   name="resv_rule_staff_capacity_at_least_public"),
        ]

    def __str__(self) -> str:
        return f"{self.counter} {self.weekday_label} {self.opens:%H:%M}-{self.closes:%H:%M}"

    @property
    def weekday_label(self) -> str:
        from django.utils.dates import WEEKDAYS

        return str(WEEKDAYS[self.weekday])


class ClosedDay(models.Model):
    """A day a counter (or, without a counter, every counter) is closed (休館日)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+", verbose_name=_("campaign"))
    counter = models.ForeignKey(Counter, on_delete=models.CASCADE, null=True, blank=True, related_name="closed_days",
                                verbose_name=_("counter"))
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("closed day")
        verbose_name_plural = _("closed days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.reason}"


class ExcludedTime(models.Model):
    """A time on one day when a counter takes no bookings (除外時間), e.g. a lunch break or an event."""

    counter = models.ForeignKey(Counter, on_delete=models.CASCADE, related_name="excluded_times",
                                verbose_name=_("counter"))
    date = models.DateField(_("date"), null=True, blank=True, help_text=_("Empty: every day"))
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"))

    class Meta:
        verbose_name = _("excluded time")
        verbose_name_plural = _("excluded times")
        ordering = ["counter", "date", "start"]
        constraints = [models.CheckConstraint(condition=Q(start__lt=F("end")), name="resv_excluded_ordered")]

    def __str__(self) -> str:
        return f"{self.counter} {self.date or '*'} {self.start:%H:%M}-{self.end:%H:%M}"


class Slot(models.Model):
    """A bookable time at a counter (予約枠). ``booked`` only changes through ``reservations.booking``."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+", verbose_name=_("campaign"))
    counter = models.ForeignKey(Counter, on_delete=models.PROTECT, related_name="slots", verbose_name=_("counter"))
    day = models.DateField(_("date"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.IntegerField(_("seats (public)"))
    staff_capacity = models.IntegerField(_("seats (staff)"))
    booked = models.IntegerField(_("booked"), default=0)
    is_open = models.BooleanField(_("open for booking"), default=True)

    class Meta:
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        ordering = ["starts_at", "counter"]
        constraints = [
            models.UniqueConstraint(fields=["counter", "starts_at"], name="resv_slot_unique_start"),
            models.CheckConstraint(condition=Q(booked__gte=0), name="resv_slot_booked_not_negative"),
            models.CheckConstraint(condition=Q(booked__lte=F("staff_capacity")), name="resv_slot_not_overbooked"),
            models.CheckConstraint(condition=Q(capacity__gte=0, capacity__lte=F("staff_capacity")),
                                   name="resv_slot_capacities_ordered"),
            models.CheckConstraint(condition=Q(starts_at__lt=F("ends_at")), name="resv_slot_times_ordered"),
        ]
        indexes = [models.Index(fields=["counter", "day"], name="resv_slot_counter_day")]

    def __str__(self) -> str:
        local = timezone.localtime(self.starts_at)
        return f"{self.counter} {local:%Y-%m-%d %H:%M}"

    @property
    def remaining(self) -> int:
        return max(0, self.capacity - self.booked)


class Resident(models.Model):
    """A resident's account (利用者): a login ID and password on a Django user that is never staff."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="resident",
                                verbose_name=_("user"))
    login_id = models.CharField(_("login ID"), max_length=40, unique=True)
    resident_number = models.CharField(_("resident ID"), max_length=30, blank=True, db_index=True)
    email = models.EmailField(_("e-mail"))
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("resident account")
        verbose_name_plural = _("resident accounts")

    def __str__(self) -> str:
        return self.login_id


class Reservation(models.Model):
    """A booking of one seat in a slot (予約). The reservation number is the row's id."""

    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        VISITED = "visited", _("Visited")
        NO_SHOW = "no_show", _("No-show")
        CANCELLED = "cancelled", _("Cancelled")

    class Channel(models.TextChoices):
        WEB = "web", _("Web")
        API = "api", _("API")
        STAFF = "staff", _("Staff (proxy)")

    # No single-column indexes on these two: resv_kana leads with the campaign and resv_slot_status with the slot,
    # and every index is written by every booking of a rush.
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+", verbose_name=_("campaign"),
                                 db_index=False)
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="reservations", verbose_name=_("slot"),
                             db_index=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.BOOKED)
    channel = models.CharField(_("channel"), max_length=5, choices=Channel.choices, default=Channel.WEB)
    resident = models.ForeignKey(Resident, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="reservations", verbose_name=_("resident account"))
    resident_number = models.CharField(_("resident ID"), max_length=30, blank=True)
    access_key_hash = models.CharField(max_length=64, blank=True)
    idempotency_key = models.CharField(max_length=100, blank=True)
    # Basic fields (which of them are used is configured per campaign, see reservations.fields).
    name = models.CharField(_("name"), max_length=100, blank=True)
    kana = models.CharField(_("name (kana)"), max_length=100, blank=True)
    sex = models.CharField(_("sex"), max_length=10, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=8, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    phone2 = models.CharField(_("second phone"), max_length=20, blank=True)
    fax = models.CharField(_("fax"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    extra = models.JSONField(_("additional answers"), default=dict, blank=True)
    created_at = models.DateTimeField(_("booked at"), default=timezone.now, db_index=True)
    created_ip = models.GenericIPAddressField(null=True, blank=True)
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("booked by (staff)"))
    changed_at = models.DateTimeField(_("changed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    arrival_memo = models.TextField(_("memo"), blank=True)
    personal_data_purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        ordering = ["-id"]
        constraints = [
            # (Bookings without an account have no resident: left out of the index, they never conflict anyway.)
            models.UniqueConstraint(fields=["campaign", "resident"], condition=Q(status="booked", resident__isnull=False),
                                    name="resv_one_active_per_resident"),
            models.UniqueConstraint(fields=["campaign", "resident_number"],
                                    condition=Q(status="booked") & ~Q(resident_number=""),
                                    name="resv_one_active_per_resident_number"),
            models.UniqueConstraint(fields=["campaign", "idempotency_key"], condition=~Q(idempotency_key=""),
                                    name="resv_idempotency_key_unique"),
            models.CheckConstraint(condition=Q(status__in=["booked", "visited", "no_show", "cancelled"]),
                                   name="resv_status_known"),
        ]
        indexes = [
            models.Index(fields=["slot", "status"], name="resv_slot_status"),
            models.Index(fields=["campaign", "kana"], name="resv_kana"),
        ]

    def __str__(self) -> str:
        return f"{_('Reservation')} {self.number}"

    @property
    def number(self) -> str:
        return str(self.pk)

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.BOOKED


# Applicant progress tracking, labels and letters (issue 9) live in their own module.
from reservations.models_applicants import (  # noqa: E402, F401
    Applicant,
    CounterOutlet,
    CounterSale,
    LetterTemplate,
    ProgressEvent,
    StatusLabel,
)

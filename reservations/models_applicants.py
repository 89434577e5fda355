"""Applicants and their progress (進捗管理): the people a notice is mailed to before they book.

An applicant (申込者 / 交付対象者) carries a link code (リンクコード) printed on the notice letter; booking with it
ties the reservation to the applicant. Progress is an append-only list of events (time, status, operator):
a status change appends an event, an undo appends a cancelling event, and the current status is derived from
the events (the newest event that no undo cancelled). The table refuses UPDATE and DELETE (migration 0002).

Personal data (name, address, …) sits on ``Applicant`` only and is blanked when ``retention_until`` passes;
the events hold no personal data and stay as the record.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaign.models import Campaign

# The statuses the system itself appends; their codes are fixed, their labels are configurable.
NOTICE_SENT, RETURNED, RESERVED, VISITED, HANDED_OVER, REVISIT = (
    "notice_sent", "returned", "reserved", "visited", "handed_over", "revisit")
SYSTEM_STATUSES = (NOTICE_SENT, RETURNED, RESERVED, VISITED, HANDED_OVER, REVISIT)


class StatusLabel(models.Model):
    """A progress status and the words shown for it (進捗状況の表記), set by the system administrator."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    label = models.CharField(_("label"), max_length=40)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("in use"), default=True,
                                    help_text=_("A status not in use can no longer be chosen; past events keep it."))

    class Meta:
        verbose_name = _("progress status")
        verbose_name_plural = _("progress statuses")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.label

    @property
    def is_system(self) -> bool:
        return self.code in SYSTEM_STATUSES


class Applicant(models.Model):
    """A resident a notice is mailed to (交付対象者), identified on paper by an unguessable link code."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+", verbose_name=_("campaign"))
    link_code = models.CharField(_("link code"), max_length=20, unique=True)
    resident_number = models.CharField(_("resident ID"), max_length=30, blank=True)
    name = models.CharField(_("name"), max_length=100, blank=True)
    kana = models.CharField(_("name (kana)"), max_length=100, blank=True)
    sex = models.CharField(_("sex"), max_length=10, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=8, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # The reservation booked with the link code; set by one conditional UPDATE (… WHERE reservation_id IS
    # NULL), so the code books exactly once; cleared when that reservation is cancelled.
    reservation = models.OneToOneField("reservations.Reservation", on_delete=models.SET_NULL, null=True,
                                       blank=True, related_name="applicant", verbose_name=_("reservation"))
    created_at = models.DateTimeField(_("registered at"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    retention_until = models.DateField(_("keep personal data until"))
    personal_data_purged_at = models.DateTimeField(_("personal data deleted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("applicant")
        verbose_name_plural = _("applicants")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "resident_number"], condition=~Q(resident_number=""),
                                    name="resv_applicant_resident_number_unique"),
        ]
        indexes = [
            models.Index(fields=["campaign", "kana"], name="resv_applicant_kana"),
            models.Index(fields=["retention_until"], name="resv_applicant_retention",
                         condition=Q(personal_data_purged_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{_('Applicant')} {self.pk}"

    @property
    def link_code_display(self) -> str:
        from reservations.linkcodes import format_code

        return format_code(self.link_code)


class ProgressEvent(models.Model):
    """One entry of an applicant's progress (進捗): a status set, or the undo of an earlier entry."""

    class Kind(models.TextChoices):
        SET = "set", _("Status")
        UNDO = "undo", _("Undo")

    applicant = models.ForeignKey(Applicant, on_delete=models.PROTECT, related_name="events",
                                  verbose_name=_("applicant"))
    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices, default=Kind.SET)
    status = models.ForeignKey(StatusLabel, on_delete=models.PROTECT, related_name="+", verbose_name=_("status"))
    cancels = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="cancelled_by", verbose_name=_("cancels"))
    occurred_at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("recorded by"))
    actor_label = models.CharField(_("recorded by"), max_length=150, blank=True)
    reservation_id_ref = models.BigIntegerField(_("reservation number"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("progress event")
        verbose_name_plural = _("progress events")
        ordering = ["applicant", "id"]
        constraints = [
            # An undo names the entry it cancels (with that entry's status); a status entry names none.
            models.CheckConstraint(condition=(Q(kind="set") & Q(cancels__isnull=True))
                                   | (Q(kind="undo") & Q(cancels__isnull=False)),
                                   name="resv_progress_undo_names_its_entry"),
        ]
        indexes = [models.Index(fields=["applicant", "-id"], name="resv_progress_latest")]

    def __str__(self) -> str:
        return f"{self.applicant_id} {self.kind} {self.status_id}"


class LetterTemplate(models.Model):
    """The campaign's notice letter (交付案内文): title and body with merge fields, edited by the set-up role."""

    campaign = models.OneToOneField(Campaign, on_delete=models.CASCADE, related_name="+",
                                    verbose_name=_("campaign"))
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("body"))
    deadline = models.DateField(_("booking deadline"), null=True, blank=True)
    sender = models.CharField(_("sender"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notice letter template")
        verbose_name_plural = _("notice letter templates")

    def __str__(self) -> str:
        return self.title


class CounterOutlet(models.Model):
    """Which voucher outlet a counter sells at (窓口販売): counter sales go to that outlet's stock."""

    counter = models.OneToOneField("reservations.Counter", on_delete=models.CASCADE, related_name="outlet_link",
                                   verbose_name=_("counter"))
    outlet = models.ForeignKey("vouchers.Outlet", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("outlet"))

    class Meta:
        verbose_name = _("counter outlet")
        verbose_name_plural = _("counter outlets")

    def __str__(self) -> str:
        return f"{self.counter} → {self.outlet}"


class CounterSale(models.Model):
    """Books sold to a visitor at a counter (窓口販売記録); the stock moves through vouchers.services."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+")
    counter = models.ForeignKey("reservations.Counter", on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("counter"))
    applicant = models.ForeignKey(Applicant, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="sales", verbose_name=_("applicant"))
    reservation = models.ForeignKey("reservations.Reservation", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("reservation"))
    ranges = models.CharField(_("book numbers"), max_length=500)
    books = models.PositiveIntegerField(_("books"))
    amount = models.BigIntegerField(_("amount (yen)"))
    sales_report_ids = models.JSONField(default=list)
    sold_at = models.DateTimeField(_("sold at"), default=timezone.now)
    sold_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("sold by"))

    class Meta:
        verbose_name = _("counter sale")
        verbose_name_plural = _("counter sales")
        ordering = ["-id"]
        constraints = [models.CheckConstraint(condition=Q(books__gt=0), name="resv_countersale_books_positive")]

    def __str__(self) -> str:
        return f"{self.counter} {self.ranges}"

"""Call center data: phone lines, call records, the FAQ knowledge base and its search log, escalations to the
back office, and callback requests (the only place personal data of callers lives)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaign.models import Campaign, Department


class DepartmentMember(models.Model):
    """A staff user who works in a department (所属): sees its callback requests and escalations."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="department_memberships",
                             verbose_name=_("user"))
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="members",
                                   verbose_name=_("department"))

    class Meta:
        verbose_name = _("department member")
        verbose_name_plural = _("department members")
        constraints = [models.UniqueConstraint(fields=["user", "department"], name="callcenter_member_unique")]

    def __str__(self) -> str:
        return f"{self.department} / {self.user}"


class Line(models.Model):
    """A phone line (回線) of the call center: one for residents, one for merchants, each with its hours."""

    class Kind(models.TextChoices):
        CONSUMER = "consumer", _("Consumers")
        MERCHANT = "merchant", _("Merchants")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    phone = models.CharField(_("phone number"), max_length=20)
    opens_at = models.TimeField(_("opens at"))
    closes_at = models.TimeField(_("closes at"))
    weekdays_only = models.BooleanField(_("weekdays only"), default=True,
                                        help_text=_("Closed on weekends, holidays and Dec 31–Jan 3."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("phone line")
        verbose_name_plural = _("phone lines")
        ordering = ["kind", "name"]
        constraints = [models.CheckConstraint(condition=Q(opens_at__lt=models.F("closes_at")),
                                              name="callcenter_line_hours_ordered")]

    def __str__(self) -> str:
        return self.name

    def is_open_at(self, moment: datetime) -> bool:
        """Tell whether a call received at ``moment`` falls inside the line's hours."""
        from campaign.bankdays import is_bank_business_day

        local = timezone.localtime(moment)
        if self.weekdays_only and not is_bank_business_day(local.date()):
            return False
        return self.opens_at <= local.time() < self.closes_at


class Category(models.Model):
    """A call and FAQ category (施策分類) in a two-level tree: a top category and its sub-categories."""

    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children",
                               verbose_name=_("parent category"))
    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["order", "name"]
        constraints = [models.UniqueConstraint(fields=["parent", "name"], name="callcenter_category_unique",
                                               nulls_distinct=False),
                       models.CheckConstraint(condition=~Q(parent=models.F("id")), name="callcenter_category_not_own_parent")]

    def __str__(self) -> str:
        return f"{self.parent.name} › {self.name}" if self.parent_id else self.name


class FaqItem(models.Model):
    """One question and its answer in the knowledge base (FAQ)."""

    class Visibility(models.TextChoices):
        INTERNAL = "internal", _("Internal (operators only)")
        PUBLIC = "public", _("Public")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    external_id = models.CharField(_("external ID"), max_length=100, unique=True, null=True, blank=True,
                                   help_text=_("The item's ID in imported files; imports update the item with the same ID."))
    category = models.ForeignKey(Category, on_delete=models.PROTECT, null=True, blank=True, related_name="faq_items",
                                 verbose_name=_("category"))
    question = models.CharField(_("question"), max_length=500)
    answer = models.TextField(_("answer"))
    keywords = models.CharField(_("keywords"), max_length=500, blank=True,
                                help_text=_("Other words callers use, separated by spaces or commas."))
    visibility = models.CharField(_("visibility"), max_length=10, choices=Visibility.choices,
                                  default=Visibility.INTERNAL)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    # Search terms computed from the text when the item is saved (see callcenter.search.document_terms), so the
    # in-memory index is rebuilt from the database without running the morphological analyser again.
    search_terms = models.JSONField(default=dict, blank=True, editable=False)
    revision = models.PositiveIntegerField(_("revision"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("edited by"))

    class Meta:
        verbose_name = _("FAQ item")
        verbose_name_plural = _("FAQ items")
        ordering = ["category__order", "pk"]

    def __str__(self) -> str:
        return self.question


class FaqRevision(models.Model):
    """A saved version of an FAQ item: who changed it, when, and what it said."""

    item = models.ForeignKey(FaqItem, on_delete=models.CASCADE, related_name="revisions", verbose_name=_("FAQ item"))
    number = models.PositiveIntegerField(_("revision"))
    question = models.CharField(_("question"), max_length=500)
    answer = models.TextField(_("answer"))
    keywords = models.CharField(_("keywords"), max_length=500, blank=True)
    category_name = models.CharField(_("category"), max_length=210, blank=True)
    visibility = models.CharField(_("visibility"), max_length=10, choices=FaqItem.Visibility.choices)
    status = models.CharField(_("status"), max_length=10, choices=FaqItem.Status.choices)
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("edited by"))
    edited_at = models.DateTimeField(_("edited at"), default=timezone.now)

    class Meta:
        verbose_name = _("FAQ revision")
        verbose_name_plural = _("FAQ revisions")
        ordering = ["item", "-number"]
        constraints = [models.UniqueConstraint(fields=["item", "number"], name="callcenter_faq_revision_unique")]

    def __str__(self) -> str:
        return f"{self.item_id} r{self.number}"


class SynonymGroup(models.Model):
    """Words and phrases callers use for the same thing (返金 / 払い戻し); the search treats them alike."""

    terms = models.TextField(_("words"), help_text=_("One word or phrase per line (or separated by commas)."))
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("edited by"))

    class Meta:
        verbose_name = _("synonym group")
        verbose_name_plural = _("synonym groups")
        ordering = ["pk"]

    def __str__(self) -> str:
        return " / ".join(self.term_list())

    def term_list(self) -> list[str]:
        import re

        return [t.strip() for t in re.split(r"[\n,、，]", self.terms) if t.strip()]


class CallRecord(models.Model):
    """One call (対応履歴): what was asked and answered, by whom, on which line. Holds no personal data."""

    class CallerType(models.TextChoices):
        RESIDENT = "resident", _("Resident / buyer")
        MERCHANT = "merchant", _("Merchant")
        OUTLET = "outlet", _("Sales outlet")
        OTHER = "other", _("Other")

    class ResponseType(models.TextChoices):
        ANSWERED = "answered", _("Answered")
        TRANSFERRED = "transferred", _("Transferred")
        ESCALATED = "escalated", _("Escalated")
        CALLBACK = "callback", _("Callback requested")
        OUT_OF_SCOPE = "out_of_scope", _("Out of scope")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+", verbose_name=_("campaign"))
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    line = models.ForeignKey(Line, on_delete=models.PROTECT, related_name="calls", verbose_name=_("line"))
    outside_hours = models.BooleanField(_("outside hours"), default=False)
    caller_type = models.CharField(_("caller"), max_length=10, choices=CallerType.choices)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, null=True, blank=True, related_name="calls",
                                 verbose_name=_("category"))
    summary = models.TextField(_("inquiry summary"))
    answer = models.TextField(_("answer given"), blank=True)
    faq_items = models.ManyToManyField(FaqItem, blank=True, related_name="calls", verbose_name=_("FAQ items used"))
    response_type = models.CharField(_("response"), max_length=15, choices=ResponseType.choices)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name=_("department in charge"))
    related_departments = models.ManyToManyField(Department, blank=True, related_name="+",
                                                 verbose_name=_("related departments"))
    transfer_to = models.CharField(_("transferred to"), max_length=200, blank=True)
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("operator"))
    # NULL when the operator did not enter a duration: unknown, which is not the same as a zero-second call.
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), null=True, blank=True)
    created_at = models.DateTimeField(_("logged at"), auto_now_add=True)

    class Meta:
        verbose_name = _("call record")
        verbose_name_plural = _("call records")
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(response_type="transferred") | ~Q(transfer_to=""),
                                   name="callcenter_call_transfer_has_destination"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {timezone.localtime(self.received_at):%Y-%m-%d %H:%M}"


class Escalation(models.Model):
    """A call handed to a back-office department (エスカレーション), which answers for it until it is resolved."""

    class Priority(models.TextChoices):
        HIGH = "high", _("High")
        NORMAL = "normal", _("Normal")
        LOW = "low", _("Low")

    class Status(models.TextChoices):
        OPEN = "open", _("Unresolved")
        IN_PROGRESS = "in_progress", _("In progress")
        RESOLVED = "resolved", _("Resolved")

    # Business hours allowed per priority before an escalation is overdue.
    DUE_HOURS = {"high": 4, "normal": 16, "low": 40}

    call = models.OneToOneField(CallRecord, on_delete=models.PROTECT, related_name="escalation",
                                verbose_name=_("call"))
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("department in charge"))
    related_departments = models.ManyToManyField(Department, blank=True, related_name="+",
                                                 verbose_name=_("related departments"))
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    due_at = models.DateTimeField(_("due"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN, db_index=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("assignee"))
    outcome = models.TextField(_("outcome"), blank=True)
    escalated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("escalated by"))
    created_at = models.DateTimeField(_("escalated at"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["due_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(status="resolved", resolved_at__isnull=False)
                                   | (~Q(status="resolved") & Q(resolved_at__isnull=True)),
                                   name="callcenter_escalation_resolved_has_time"),
        ]

    def __str__(self) -> str:
        return f"E-{self.pk:06d}"

    @property
    def is_overdue(self) -> bool:
        return self.status != self.Status.RESOLVED and self.due_at < timezone.now()


class EscalationNote(models.Model):
    """An internal note on an escalation, by the owning department or a related one (referral, 合議)."""

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="notes",
                                   verbose_name=_("escalation"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("author"))
    department = models.ForeignKey(Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name=_("department"))
    body = models.TextField(_("note"))
    created_at = models.DateTimeField(_("written at"), default=timezone.now)

    class Meta:
        verbose_name = _("escalation note")
        verbose_name_plural = _("escalation notes")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.escalation_id} {self.created_at:%Y-%m-%d %H:%M}"


class CallbackRequest(models.Model):
    """A caller's request to be called back by the responsible department (折り返し依頼), with personal data.

    Only the department and call-center supervisors may see it; every view is audit-logged; the personal fields
    are erased one year after collection (``purge_after``) and ``purged_at`` records when. The row itself stays,
    without personal data, for the call statistics.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for callback")
        DONE = "done", _("Called back")

    PERSONAL_FIELDS = ("name", "phone", "address", "inquiry", "email", "fax", "response_note")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+", verbose_name=_("campaign"))
    call = models.OneToOneField(CallRecord, on_delete=models.PROTECT, related_name="callback", null=True, blank=True,
                                verbose_name=_("call"))
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("responsible department"))
    name = models.CharField(_("name"), max_length=100, blank=True)
    phone = models.CharField(_("daytime phone"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    inquiry = models.TextField(_("inquiry"), blank=True)
    email = models.EmailField(_("e-mail (only if needed)"), blank=True)
    fax = models.CharField(_("FAX (only if needed)"), max_length=20, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    response_note = models.TextField(_("response note"), blank=True)
    collected_at = models.DateTimeField(_("collected at"), default=timezone.now)
    purge_after = models.DateField(_("delete personal data after"))
    purged_at = models.DateTimeField(_("personal data deleted at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("taken by"))
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("called back by"))
    handled_at = models.DateTimeField(_("called back at"), null=True, blank=True)

    class Meta:
        verbose_name = _("callback request")
        verbose_name_plural = _("callback requests")
        ordering = ["-collected_at", "-pk"]

    def __str__(self) -> str:
        # Never the caller's name: this string ends up in audit events and page titles.
        return f"CB-{self.pk:06d}"


class FaqSearchLog(models.Model):
    """A search in the FAQ (console or public page), kept for the "unanswered topics" report."""

    class Source(models.TextChoices):
        CONSOLE = "console", _("Console")
        PUBLIC = "public", _("Public FAQ page")

    at = models.DateTimeField(default=timezone.now, db_index=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+")
    token = models.CharField(max_length=40, blank=True, db_index=True)
    query = models.CharField(_("search words"), max_length=200)
    result_count = models.PositiveIntegerField(default=0)
    top_ids = models.JSONField(default=list, blank=True)
    picked = models.BooleanField(default=False)
    call = models.ForeignKey(CallRecord, on_delete=models.SET_NULL, null=True, blank=True, related_name="searches")

    class Meta:
        verbose_name = _("FAQ search")
        verbose_name_plural = _("FAQ searches")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.source}"


class FaqIndexState(models.Model):
    """One row whose counter goes up on every change to FAQ items or synonyms: each process's in-memory search
    index compares it (a primary-key read) before a search and rebuilds when it moved."""

    generation = models.BigIntegerField(default=0)
    # A random stamp as well: a rolled-back transaction can repeat a generation number, never a stamp.
    stamp = models.CharField(max_length=32, blank=True)

    class Meta:
        verbose_name = _("FAQ index state")
        verbose_name_plural = _("FAQ index state")

    def __str__(self) -> str:
        return str(self.generation)

    @classmethod
    def bump(cls) -> None:
        import uuid

        stamp = uuid.uuid4().hex
        updated = cls.objects.filter(pk=1).update(generation=models.F("generation") + 1, stamp=stamp)
        if not updated:
            cls.objects.update_or_create(pk=1, defaults={"generation": 1, "stamp": stamp})

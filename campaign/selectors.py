"""Reads of core data used by views, exports and other apps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from django.db.models import Q, QuerySet
from django.utils import timezone

from campaign.models import AuditEvent, Campaign, Job


def campaigns_for_picker() -> QuerySet[Campaign]:
    return Campaign.objects.order_by("-is_active", "-sales_start", "code")


def default_campaign() -> Campaign | None:
    return Campaign.objects.filter(is_active=True).order_by("-sales_start", "code").first()


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""
    action: str = ""
    target: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def as_params(self) -> dict:
        return {
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
        }

    @classmethod
    def from_params(cls, params: dict) -> AuditFilter:
        def parse(value):
            return date.fromisoformat(value) if value else None

        return cls(
            actor=params.get("actor", ""),
            action=params.get("action", ""),
            target=params.get("target", ""),
            date_from=parse(params.get("date_from")),
            date_to=parse(params.get("date_to")),
        )


def audit_events(flt: AuditFilter) -> QuerySet[AuditEvent]:
    """Audit events matching the filter, newest first. Dates are whole days in Japan time."""
    qs = AuditEvent.objects.select_related("actor", "campaign")
    if flt.actor:
        qs = qs.filter(Q(actor_label__icontains=flt.actor) | Q(actor__username__iexact=flt.actor))
    if flt.action:
        qs = qs.filter(action__istartswith=flt.action)
    if flt.target:
        qs = qs.filter(
            Q(target_label__icontains=flt.target) | Q(target_type__iexact=flt.target) | Q(target_id=flt.target)
        )
    tz = timezone.get_current_timezone()
    if flt.date_from:
        qs = qs.filter(at__gte=datetime.combine(flt.date_from, time.min, tzinfo=tz))
    if flt.date_to:
        qs = qs.filter(at__lte=datetime.combine(flt.date_to, time.max, tzinfo=tz))
    return qs.order_by("-at", "-id")


def jobs_of(user) -> QuerySet[Job]:
    return Job.objects.filter(owner=user).order_by("-created_at")

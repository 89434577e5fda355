"""Reads of the call center: who may see which escalation and callback request, and the analytics figures."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta

from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet, Value
from django.db.models.functions import ExtractHour, TruncDate, TruncMonth, TruncWeek
from django.utils import timezone

from callcenter.models import (
    CallbackRequest,
    CallRecord,
    DepartmentMember,
    Escalation,
    FaqItem,
    FaqSearchLog,
)
from campaign.models import Campaign
from campaign.roles import has_capability


def department_ids(user) -> set[int]:
    return set(DepartmentMember.objects.filter(user=user).values_list("department_id", flat=True))


def is_supervisor(user) -> bool:
    return has_capability(user, "callcenter.supervise")


def callbacks_visible_to(user, campaign: Campaign) -> QuerySet[CallbackRequest]:
    """Supervisors see every callback request; anyone else only those of their own departments."""
    qs = CallbackRequest.objects.filter(campaign=campaign).select_related("department")
    if is_supervisor(user):
        return qs
    return qs.filter(department_id__in=department_ids(user))


def callbacks_listed_for(user, campaign: Campaign) -> QuerySet[CallbackRequest]:
    """The callback list: the requests whose personal data the user may see (``pii`` True), and the requests the
    user took at the console (``pii`` False unless also visible), which an operator follows by number,
    department and status without seeing the caller's data again."""
    qs = CallbackRequest.objects.filter(campaign=campaign).select_related("department", "created_by")
    if is_supervisor(user):
        return qs.annotate(pii=Value(True, output_field=BooleanField()))
    mine = department_ids(user)
    if not mine:
        return qs.filter(created_by=user).annotate(pii=Value(False, output_field=BooleanField()))
    return qs.filter(Q(department_id__in=mine) | Q(created_by=user)).annotate(
        pii=ExpressionWrapper(Q(department_id__in=mine), output_field=BooleanField()))


def can_see_callback(user, callback: CallbackRequest) -> bool:
    return is_supervisor(user) or callback.department_id in department_ids(user)


def escalations_visible_to(user, campaign: Campaign) -> QuerySet[Escalation]:
    """Supervisors see all; members of the owning or a related department, and the operator who escalated,
    see theirs."""
    qs = Escalation.objects.filter(call__campaign=campaign).select_related("department", "call", "assignee")
    if is_supervisor(user):
        return qs
    mine = department_ids(user)
    return qs.filter(Q(department_id__in=mine) | Q(related_departments__in=mine) | Q(escalated_by=user)).distinct()


def escalation_access(user, escalation: Escalation) -> str:
    """'manage' (owner department, supervisors), 'note' (related department), 'read' (who escalated), or ''."""
    if is_supervisor(user):
        return "manage"
    mine = department_ids(user)
    if escalation.department_id in mine:
        return "manage"
    if escalation.related_departments.filter(pk__in=mine).exists():
        return "note"
    if escalation.escalated_by_id == user.pk:
        return "read"
    return ""


def merchant_lookup(campaign: Campaign, query: str):
    from settlement.selectors_callcenter import merchants_for_callcenter

    return merchants_for_callcenter(campaign, query)


# --- analytics ---------------------------------------------------------------------------------------------

def _bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return (timezone.make_aware(datetime.combine(date_from, time.min), tz),
            timezone.make_aware(datetime.combine(date_to + timedelta(days=1), time.min), tz))


def calls_between(campaign: Campaign, date_from: date, date_to: date) -> QuerySet[CallRecord]:
    start, end = _bounds(date_from, date_to)
    return CallRecord.objects.filter(campaign=campaign, received_at__gte=start, received_at__lt=end)


def report(campaign: Campaign, date_from: date, date_to: date) -> dict:
    """Every figure of the analytics page, as plain lists of (label, count) pairs."""
    calls = calls_between(campaign, date_from, date_to)
    tz = timezone.get_current_timezone()

    def series(trunc):
        rows = calls.annotate(p=trunc("received_at", tzinfo=tz)).values("p").annotate(n=Count("pk")).order_by("p")
        return [(row["p"], row["n"]) for row in rows]

    by_day = dict(series(TruncDate))
    days = [(date_from + timedelta(days=i)) for i in range((date_to - date_from).days + 1)]
    per_day = [(d, by_day.get(d, 0)) for d in days]
    hours = dict(calls.annotate(h=ExtractHour("received_at", tzinfo=tz)).values("h").annotate(n=Count("pk"))
                 .values_list("h", "n"))
    per_hour = [(h, hours.get(h, 0)) for h in range(24)]

    def counted(field, labels=None):
        rows = calls.values(field).annotate(n=Count("pk")).order_by("-n")
        out = []
        for row in rows:
            key = row[field]
            out.append((labels.get(key, key) if labels else (key or "—"), row["n"]))
        return out

    responses = dict(CallRecord.ResponseType.choices)
    start, end = _bounds(date_from, date_to)
    top_faq = (FaqItem.objects.filter(calls__in=calls).annotate(n=Count("calls")).order_by("-n", "pk")[:10])
    logs = FaqSearchLog.objects.filter(at__gte=start, at__lt=end)
    unanswered = Counter()
    for query, count, picked in logs.values_list("query", "result_count", "picked"):
        if count == 0 or not picked:
            unanswered[query] += 1
    escalations = Escalation.objects.filter(call__campaign=campaign)
    now = timezone.now()
    return {
        "total": calls.count(),
        "outside_hours": calls.filter(outside_hours=True).count(),
        "per_day": per_day,
        "per_week": [(d.date() if isinstance(d, datetime) else d, n) for d, n in series(TruncWeek)],
        "per_month": [(d.date() if isinstance(d, datetime) else d, n) for d, n in series(TruncMonth)],
        "per_hour": per_hour,
        "per_line": counted("line__name"),
        "per_category": counted("category__name"),
        "per_response": counted("response_type", responses),
        "top_faq": [(item.question, item.n) for item in top_faq],
        "unanswered": unanswered.most_common(20),
        "escalations_open": escalations.exclude(status=Escalation.Status.RESOLVED).count(),
        "escalations_overdue": escalations.exclude(status=Escalation.Status.RESOLVED).filter(due_at__lt=now).count(),
        "callbacks_open": CallbackRequest.objects.filter(campaign=campaign, status="open").count(),
    }

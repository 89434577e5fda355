"""Every write of the call center: FAQ items and their revisions, imports, synonyms, calls (with their
escalation or callback request in the same transaction), escalation work, callback requests and the daily
deletion of their personal data.

Audit events written here never carry a caller's personal data: callback requests appear by their number
(``CB-000123``) only, so deleting the request deletes every copy of the data without touching the
append-only audit table.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from callcenter import search
from callcenter.bizhours import add_business_hours
from callcenter.models import (
    CallbackRequest,
    CallRecord,
    Category,
    Escalation,
    EscalationNote,
    FaqItem,
    FaqRevision,
    FaqSearchLog,
    Line,
    SynonymGroup,
)
from campaign.audit import audit_log
from campaign.errors import DomainError
from campaign.japanese import normalize, search_key
from campaign.models import AuditEvent, Campaign, Department, Job

# Callback requests' personal data is deleted this long after it was collected.
CALLBACK_RETENTION_DAYS = 365
CALLBACK_EXPORT_KIND = "callcenter.callbacks_export"


class CallCenterError(DomainError):
    """A call-center rule was broken; the message is for the person at the screen."""


# --- FAQ ---------------------------------------------------------------------------------------------------

def _category_label(category: Category | None) -> str:
    return str(category) if category else ""


@transaction.atomic
def faq_save(*, actor, item: FaqItem | None = None, question: str, answer: str, keywords: str = "",
             category: Category | None = None, visibility: str = FaqItem.Visibility.INTERNAL,
             status: str = FaqItem.Status.DRAFT, external_id: str | None = None, audit: bool = True) -> FaqItem:
    """Create or change an FAQ item, keeping a revision of every saved version and its search terms."""
    question, answer, keywords = question.strip(), answer.strip(), keywords.strip()
    if not question or not answer:
        raise CallCenterError(_("An FAQ item needs a question and an answer."))
    created = item is None
    if created:
        item = FaqItem(external_id=external_id or None)
    elif (item.question, item.answer, item.keywords, item.category_id, item.visibility, item.status) == (
            question, answer, keywords, category.pk if category else None, visibility, status):
        return item  # nothing changed: no new revision
    item.question, item.answer, item.keywords = question, answer, keywords
    item.category, item.visibility, item.status = category, visibility, status
    item.search_terms = search.document_terms(question=question, answer=answer, keywords=keywords,
                                              category=_category_label(category))
    item.revision += 1
    item.updated_by = actor if getattr(actor, "is_authenticated", False) else None
    item.save()
    search.invalidate()
    FaqRevision.objects.create(item=item, number=item.revision, question=question, answer=answer, keywords=keywords,
                               category_name=_category_label(category), visibility=visibility, status=status,
                               edited_by=item.updated_by)
    if audit:
        audit_log(actor=actor, action="faq.create" if created else "faq.update", target=item,
                  data={"revision": item.revision, "status": status, "visibility": visibility})
    return item


def category_by_path(path: str, *, create: bool = True) -> Category | None:
    """The category named ``"Top"`` or ``"Top/Sub"`` (also ``›`` or ``>``), created when missing."""
    parts = [p.strip() for p in path.replace("›", "/").replace(">", "/").split("/") if p.strip()][:2]
    if not parts:
        return None
    parent = None
    for name in parts:
        if create:
            parent, _created = Category.objects.get_or_create(parent=parent, name=name)
        else:
            parent = Category.objects.filter(parent=parent, name=name).first()
            if parent is None:
                return None
    return parent


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)


@transaction.atomic
def faq_import(*, actor, lines, status: str = FaqItem.Status.PUBLISHED,
               visibility: str = FaqItem.Visibility.PUBLIC) -> ImportResult:
    """Import JSONL lines ``{"id","category","question","answer"}`` (optional ``keywords``, ``visibility``,
    ``status``), updating the item with the same external id. All or nothing: one bad line, no change."""
    parsed, errors, seen = [], [], set()
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as exc:
            errors.append(_("Line %(line)d: not valid JSON (%(reason)s).") % {"line": number, "reason": exc.msg})
            continue
        if not isinstance(row, dict):
            errors.append(_("Line %(line)d: expected a JSON object.") % {"line": number})
            continue
        for name in ("id", "question", "answer"):
            if not str(row.get(name) or "").strip():
                errors.append(_("Line %(line)d: the field “%(field)s” is missing or empty.") % {"line": number,
                                                                                               "field": name})
        ext = str(row.get("id") or "").strip()
        if ext and ext in seen:
            errors.append(_("Line %(line)d: the id “%(id)s” appears twice.") % {"line": number, "id": ext})
        seen.add(ext)
        for name, choices in (("visibility", FaqItem.Visibility.values), ("status", FaqItem.Status.values)):
            if row.get(name) and row[name] not in choices:
                errors.append(_("Line %(line)d: “%(field)s” must be one of %(choices)s.") % {
                    "line": number, "field": name, "choices": ", ".join(choices)})
        if len(str(row.get("question") or "")) > 500:
            errors.append(_("Line %(line)d: the question is longer than 500 characters.") % {"line": number})
        parsed.append(row)
    result = ImportResult(errors=errors)
    if errors:
        return result
    existing = {i.external_id: i for i in FaqItem.objects.filter(external_id__in=[str(r["id"]) for r in parsed])}
    for row in parsed:
        ext = str(row["id"]).strip()
        item = existing.get(ext)
        category = category_by_path(str(row.get("category") or ""))
        before = item.revision if item else None
        item = faq_save(actor=actor, item=item, external_id=ext, question=str(row["question"]),
                        answer=str(row["answer"]), keywords=str(row.get("keywords") or ""), category=category,
                        visibility=row.get("visibility") or visibility, status=row.get("status") or status,
                        audit=False)
        if before is None:
            result.created += 1
        elif item.revision != before:
            result.updated += 1
        else:
            result.unchanged += 1
    audit_log(actor=actor, action="faq.import", target_type="callcenter.faqitem",
              data={"created": result.created, "updated": result.updated, "unchanged": result.unchanged})
    return result


@transaction.atomic
def synonym_save(*, actor, group: SynonymGroup | None = None, terms: str, note: str = "") -> SynonymGroup:
    group = group or SynonymGroup()
    group.terms, group.note = terms.strip(), note.strip()
    if len(group.term_list()) < 2:
        raise CallCenterError(_("A synonym group needs at least two words."))
    group.updated_by = actor
    group.save()
    search.invalidate()
    audit_log(actor=actor, action="faq.synonyms_save", target=group, data={"terms": group.term_list()})
    return group


@transaction.atomic
def synonym_delete(*, actor, group: SynonymGroup) -> None:
    audit_log(actor=actor, action="faq.synonyms_delete", target=group, data={"terms": group.term_list()})
    group.delete()
    search.invalidate()


def default_synonym_groups() -> list[str]:
    from pathlib import Path

    path = Path(__file__).parent / "data" / "synonyms_default.txt"
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]


@transaction.atomic
def category_save(*, actor, category: Category | None = None, name: str, parent: Category | None = None,
                  order: int = 0) -> Category:
    """Create or rename a category. The tree has two levels: a parent must itself be a top category."""
    if parent is not None and parent.parent_id is not None:
        raise CallCenterError(_("Categories have two levels: choose a top category as the parent."))
    if category is not None and parent is not None and (parent.pk == category.pk or category.children.exists()):
        raise CallCenterError(_("A category with sub-categories cannot become a sub-category."))
    if Category.objects.filter(parent=parent, name=name.strip()).exclude(pk=getattr(category, "pk", None)).exists():
        raise CallCenterError(_("A category with this name already exists here."))
    category = category or Category()
    category.name, category.parent, category.order = name.strip(), parent, order
    category.save()
    audit_log(actor=actor, action="callcenter.category_save", target=category)
    return category


@transaction.atomic
def line_save(*, actor, line: Line | None = None, **fields) -> Line:
    line = line or Line()
    for name, value in fields.items():
        setattr(line, name, value)
    if line.opens_at >= line.closes_at:
        raise CallCenterError(_("The line must open before it closes."))
    line.save()
    audit_log(actor=actor, action="callcenter.line_save", target=line)
    return line


# --- calls -------------------------------------------------------------------------------------------------

@dataclass
class EscalationInput:
    department: Department
    priority: str = Escalation.Priority.NORMAL
    related_departments: list[Department] = field(default_factory=list)
    note: str = ""


@dataclass
class CallbackInput:
    department: Department
    name: str
    phone: str
    inquiry: str
    address: str = ""
    email: str = ""
    fax: str = ""


@transaction.atomic
def call_log(*, actor, campaign: Campaign, line: Line, caller_type: str, summary: str, response_type: str,
             received_at: datetime | None = None, category: Category | None = None, answer: str = "",
             faq_items=(), department: Department | None = None, related_departments=(), transfer_to: str = "",
             duration_seconds: int | None = None, escalation: EscalationInput | None = None,
             callback: CallbackInput | None = None, search_token: str = "") -> CallRecord:
    """Log one call, and with it the escalation or the callback request it led to, in one transaction.

    ``duration_seconds`` is None when the operator did not enter it: the call's length is then unknown."""
    received_at = received_at or timezone.now()
    if received_at > timezone.now() + timedelta(minutes=5):
        raise CallCenterError(_("The call cannot have been received in the future."))
    if response_type == CallRecord.ResponseType.TRANSFERRED and not transfer_to.strip():
        raise CallCenterError(_("Say where the call was transferred to."))
    if response_type == CallRecord.ResponseType.ESCALATED and escalation is None:
        raise CallCenterError(_("Choose the department the call is escalated to."))
    if response_type == CallRecord.ResponseType.CALLBACK and callback is None:
        raise CallCenterError(_("Enter the caller's name, daytime phone and inquiry for the callback."))
    call = CallRecord.objects.create(
        campaign=campaign, received_at=received_at, line=line, outside_hours=not line.is_open_at(received_at),
        caller_type=caller_type, category=category, summary=summary.strip(), answer=answer.strip(),
        response_type=response_type,
        department=department or (escalation.department if escalation else None)
        or (callback.department if callback else None),
        transfer_to=transfer_to.strip(), operator=actor,
        duration_seconds=None if duration_seconds is None else max(0, int(duration_seconds)),
    )
    if faq_items:
        call.faq_items.set(faq_items)
    if related_departments:
        call.related_departments.set(related_departments)
    audit_log(actor=actor, action="call.log", target=call, campaign=campaign,
              data={"response_type": response_type, "line": line.pk, "faq_items": [i.pk for i in faq_items]})
    if escalation is not None and response_type == CallRecord.ResponseType.ESCALATED:
        escalation_open(actor=actor, call=call, data=escalation)
    if callback is not None and response_type == CallRecord.ResponseType.CALLBACK:
        callback_create(actor=actor, call=call, data=callback)
    if search_token:
        FaqSearchLog.objects.filter(token=search_token, user=actor, call__isnull=True).update(
            call=call, picked=bool(faq_items))
    return call


# --- escalations -------------------------------------------------------------------------------------------

def escalation_open(*, actor, call: CallRecord, data: EscalationInput) -> Escalation:
    now = timezone.now()
    escalation = Escalation.objects.create(
        call=call, department=data.department, priority=data.priority, escalated_by=actor, created_at=now,
        due_at=add_business_hours(now, Escalation.DUE_HOURS[data.priority]),
    )
    related = [d for d in data.related_departments if d.pk != data.department.pk]
    if related:
        escalation.related_departments.set(related)
    if data.note.strip():
        EscalationNote.objects.create(escalation=escalation, author=actor, body=data.note.strip())
    audit_log(actor=actor, action="escalation.open", target=escalation, campaign=call.campaign,
              data={"department": data.department.code, "priority": data.priority,
                    "due_at": escalation.due_at.isoformat()})
    return escalation


@transaction.atomic
def escalation_update(*, actor, escalation: Escalation, status: str, assignee=None, outcome: str = "") -> Escalation:
    """The owning department takes, works on or resolves an escalation. Resolving needs the outcome, which the
    operator who escalated then reads."""
    escalation = Escalation.objects.select_for_update().get(pk=escalation.pk)
    if status == Escalation.Status.RESOLVED and not outcome.strip():
        raise CallCenterError(_("Write the outcome before resolving the escalation."))
    escalation.status = status
    escalation.assignee = assignee
    escalation.outcome = outcome.strip()
    escalation.resolved_at = timezone.now() if status == Escalation.Status.RESOLVED else None
    escalation.save()
    audit_log(actor=actor, action="escalation.update", target=escalation,
              data={"status": status, "assignee": assignee.pk if assignee else None})
    return escalation


@transaction.atomic
def escalation_note_add(*, actor, escalation: Escalation, body: str, department: Department | None = None
                        ) -> EscalationNote:
    if not body.strip():
        raise CallCenterError(_("The note is empty."))
    note = EscalationNote.objects.create(escalation=escalation, author=actor, department=department,
                                         body=body.strip())
    audit_log(actor=actor, action="escalation.note", target=escalation, data={"note": note.pk})
    return note


# --- callback requests (personal data) ---------------------------------------------------------------------

# Dashes and minus signs an input method may produce between the groups of a number; NFKC already turns the
# full-width hyphen-minus (－) into "-", but not these.
_PHONE_DASHES = str.maketrans({ch: "-" for ch in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff70"})


def phone_normalize(value: str) -> str:
    """A phone or FAX number as we store it: NFKC (full-width digits become ASCII), dashes unified to "-",
    and nothing but digits and hyphens kept (「０８５７－２２－１２３４」 → "0857-22-1234")."""
    text = unicodedata.normalize("NFKC", value or "").translate(_PHONE_DASHES)
    kept = "".join(ch for ch in text if ch == "-" or "0" <= ch <= "9")
    return re.sub(r"-{2,}", "-", kept).strip("-")


def callback_create(*, actor, call: CallRecord, data: CallbackInput) -> CallbackRequest:
    """Take a callback request with the caller's personal data; phone and FAX numbers are normalised first."""
    phone, fax = phone_normalize(data.phone), phone_normalize(data.fax)
    if not (data.name.strip() and data.phone.strip() and data.inquiry.strip()):
        raise CallCenterError(_("Enter the caller's name, daytime phone and inquiry for the callback."))
    if not phone or (data.fax.strip() and not fax):
        raise CallCenterError(_("A phone or FAX number needs digits (hyphens are allowed)."))
    now = timezone.now()
    request = CallbackRequest.objects.create(
        campaign=call.campaign, call=call, department=data.department, name=data.name.strip(),
        phone=phone, address=data.address.strip(), inquiry=data.inquiry.strip(),
        email=data.email.strip(), fax=fax, collected_at=now,
        purge_after=timezone.localdate(now) + timedelta(days=CALLBACK_RETENTION_DAYS), created_by=actor,
    )
    # Only the number and the department: never the caller's data (see the module docstring).
    audit_log(actor=actor, action="callback.create", target=request, campaign=call.campaign,
              data={"department": data.department.code, "purge_after": request.purge_after})
    return request


def callback_view(*, actor, callback: CallbackRequest, request=None) -> None:
    """Record that someone looked at a callback request's personal data."""
    audit_log(actor=actor, action="callback.view", target=callback, request=request, campaign=callback.campaign)


@transaction.atomic
def callbacks_list_view(*, actor, campaign: Campaign, callbacks, request=None) -> None:
    """Record that someone saw callback requests' personal data (name, inquiry) in a list: one "viewed" event
    per request shown, so a request's audit trail is complete whichever page showed its data."""
    for callback in callbacks:
        audit_log(actor=actor, action="callback.view", target=callback, request=request,
                  campaign=campaign, data={"via": "list"})


@transaction.atomic
def callback_complete(*, actor, callback: CallbackRequest, note: str) -> CallbackRequest:
    callback = CallbackRequest.objects.select_for_update().get(pk=callback.pk)
    if callback.purged_at:
        raise CallCenterError(_("This request's personal data has been deleted."))
    if callback.status == CallbackRequest.Status.DONE:
        raise CallCenterError(_("This caller has already been called back."))
    callback.status = CallbackRequest.Status.DONE
    callback.response_note = note.strip()
    callback.handled_by, callback.handled_at = actor, timezone.now()
    callback.save()
    audit_log(actor=actor, action="callback.complete", target=callback, campaign=callback.campaign)
    return callback


def _pii_fragments(callback: CallbackRequest) -> list[str]:
    """The pieces of a request that identify the caller, as search keys, for finding copies in free text."""
    values = [callback.name, callback.phone, callback.email, callback.fax, callback.address]
    keys = []
    for value in values:
        key = search_key(normalize(value or ""))
        if len(key) >= 3:
            keys.append(key)
        digits = "".join(ch for ch in key if ch.isdigit())
        if len(digits) >= 6:
            keys.append(digits)
    name_key = search_key(normalize(callback.name or ""))
    if 2 <= len(name_key) < 3:
        keys.append(name_key)
    return keys


@transaction.atomic
def callbacks_purge(*, today: date | None = None) -> int:
    """Delete the personal data of callback requests past ``purge_after`` and every copy of it: the search log
    (queries typed during the call, or containing the caller's name or number) and export files that listed the
    request. The request row stays, without personal data, for the call statistics. Returns how many."""
    today = today or timezone.localdate()
    due = list(CallbackRequest.objects.select_for_update().filter(purge_after__lt=today, purged_at__isnull=True))
    if not due:
        return 0
    due_ids = [c.pk for c in due]
    # Search logs: those written during the calls, and any that quote the data.
    call_ids = [c.call_id for c in due if c.call_id]
    logs_removed = FaqSearchLog.objects.filter(call_id__in=call_ids).delete()[0]
    fragments = {f for c in due for f in _pii_fragments(c)}
    if fragments:
        ids = [pk for pk, query in FaqSearchLog.objects.values_list("pk", "query").iterator()
               if any(f in search_key(normalize(query)) or f in "".join(ch for ch in query if ch.isdigit())
                      for f in fragments)]
        logs_removed += FaqSearchLog.objects.filter(pk__in=ids).delete()[0]
    # Exports: the job's file goes; the job row says why.
    files_removed = 0
    for job in Job.objects.filter(kind=CALLBACK_EXPORT_KIND).exclude(result_file=""):
        if set(job.params.get("ids", [])) & set(due_ids):
            job.result_file.delete(save=False)
            job.result_name = ""
            job.message = "personal data deleted (retention)"
            job.save(update_fields=["result_file", "result_name", "message"])
            files_removed += 1
    now = timezone.now()
    blank = {name: "" for name in CallbackRequest.PERSONAL_FIELDS}
    CallbackRequest.objects.filter(pk__in=due_ids).update(purged_at=now, **blank)
    audit_log(actor=None, action="retention.callbacks_purge", target_type="callcenter.callbackrequest",
              data={"purged": len(due_ids), "ids": due_ids, "search_logs": logs_removed, "export_files": files_removed,
                    "before": today.isoformat()})
    return len(due_ids)


def audit_events_quoting(text: str):
    """Audit events whose details or label contain ``text`` (used by tests and the retention check page)."""
    return AuditEvent.objects.filter(Q(data__icontains=text) | Q(target_label__icontains=text))


# --- search log ----------------------------------------------------------------------------------------------

def search_log(*, user, source: str, query: str, hits: list, token: str = "") -> FaqSearchLog | None:
    """Log a search for the unanswered-topics report. As-you-type searches of one console page (same token)
    that extend or shorten the previous words update one row instead of adding a row per keystroke."""
    query = normalize(query)[:200]
    if not query:
        return None
    top = [h.pk for h in hits[:5]]
    if token:
        last = FaqSearchLog.objects.filter(token=token, call__isnull=True).order_by("-at", "-pk").first()
        if last and (query.startswith(last.query) or last.query.startswith(query)):
            last.query, last.result_count, last.top_ids, last.at = query, len(hits), top, timezone.now()
            last.save(update_fields=["query", "result_count", "top_ids", "at"])
            return last
    return FaqSearchLog.objects.create(source=source, user=user if getattr(user, "is_authenticated", False) else None,
                                       token=token, query=query, result_count=len(hits), top_ids=top)

"""Call-center screens: the operator console (with the as-you-type FAQ panel and merchant lookup), call log,
escalations, callback requests, the FAQ editor, synonyms, categories, lines, analytics, and the public FAQ."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from callcenter import charts, forms, search, selectors, services
from callcenter.models import (
    CallbackRequest,
    CallRecord,
    Category,
    Escalation,
    FaqItem,
    FaqSearchLog,
    Line,
    SynonymGroup,
)
from campaign.decorators import campaign_required as require_campaign
from campaign.decorators import staff_view
from campaign.exports import write_xlsx
from campaign.forms import form_attempt
from campaign.jobs import JobError, job_start
from campaign.people import person_name
from campaign.roles import has_capability
from campaign.selectors import default_campaign

campaign_required = require_campaign("callcenter/no_campaign.html")
PAGE_SIZE = 30


def _page(request, qs):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


# --- console -----------------------------------------------------------------------------------------------

@staff_view("callcenter.console")
@campaign_required
def console(request, campaign):
    if request.method == "POST":
        form = forms.CallForm(request.POST)
        if form.is_valid():
            call = form_attempt(form, lambda: _log_call(request, campaign, form.cleaned_data))
            if call is not None:
                messages.success(request, _logged_message(call))
                return redirect("callcenter:console")
    else:
        form = forms.CallForm(initial={"received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
                                       "search_token": uuid.uuid4().hex})
    picked = form["faq_items"].value() or []
    return render(request, "callcenter/console.html", {
        "form": form,
        "picked": FaqItem.objects.filter(pk__in=[p for p in picked if str(p).isdigit()]),
        "recent": CallRecord.objects.filter(campaign=campaign, operator=request.user).select_related("line")[:5],
        "my_escalations": Escalation.objects.filter(escalated_by=request.user, call__campaign=campaign)
        .select_related("department").order_by("-created_at")[:5],
        "my_callbacks": CallbackRequest.objects.filter(created_by=request.user, campaign=campaign)
        .select_related("department")[:5],
    })


def _logged_message(call: CallRecord) -> str:
    """The success message gives the number the caller is told: the escalation's or the callback request's."""
    escalation = getattr(call, "escalation", None) if call.response_type == CallRecord.ResponseType.ESCALATED else None
    callback = getattr(call, "callback", None) if call.response_type == CallRecord.ResponseType.CALLBACK else None
    if escalation is not None:
        return _("Call #%(number)s logged. Escalation number to give the caller: %(reference)s.") % {
            "number": call.pk, "reference": escalation}
    if callback is not None:
        return _("Call #%(number)s logged. Callback number to give the caller: %(reference)s.") % {
            "number": call.pk, "reference": callback}
    return _("Call #%(number)s logged.") % {"number": call.pk}


def _log_call(request, campaign, data):
    kind = data["response_type"]
    escalation = callback = None
    if kind == CallRecord.ResponseType.ESCALATED:
        escalation = services.EscalationInput(department=data["department"], priority=data["priority"] or "normal",
                                              related_departments=list(data["related_departments"]),
                                              note=data["escalation_note"])
    if kind == CallRecord.ResponseType.CALLBACK:
        callback = services.CallbackInput(department=data["department"], name=data["cb_name"], phone=data["cb_phone"],
                                          inquiry=data["cb_inquiry"], address=data["cb_address"],
                                          email=data["cb_email"], fax=data["cb_fax"])
    minutes = data["duration_minutes"]  # None when left blank: the duration is unknown
    return services.call_log(
        actor=request.user, campaign=campaign, line=data["line"], caller_type=data["caller_type"],
        summary=data["summary"], response_type=kind, received_at=data["received_at"], category=data["category"],
        answer=data["answer"], faq_items=list(data["faq_items"]), department=data["department"],
        related_departments=list(data["related_departments"]), transfer_to=data["transfer_to"],
        duration_seconds=None if minutes is None else int(minutes * 60), escalation=escalation, callback=callback,
        search_token=data["search_token"])


@require_GET
@staff_view("callcenter.console")
def console_search(request):
    """The as-you-type FAQ panel (htmx): ranked, highlighted results the operator can pick for the call."""
    query = request.GET.get("q", "")[:200]
    hits, plan = search.search(query) if query.strip() else ([], None)
    items = {i.pk: i for i in FaqItem.objects.filter(pk__in=[h.pk for h in hits]).select_related("category")}
    results = [{"item": items[h.pk], "question": search.highlight(items[h.pk].question, plan),
                "answer": search.highlight(items[h.pk].answer, plan, snippet=140)} for h in hits if h.pk in items]
    if query.strip():
        services.search_log(user=request.user, source=FaqSearchLog.Source.CONSOLE, query=query, hits=hits,
                            token=request.GET.get("token", "")[:40])
    return render(request, "callcenter/_faq_results.html", {
        "results": results, "query": query, "synonyms": plan.synonyms_used if plan else [], "pickable": True})


@require_GET
@staff_view("callcenter.console")
@campaign_required
def merchant_lookup(request, campaign):
    query = request.GET.get("mq", "")[:100]
    return render(request, "callcenter/_merchant_results.html",
                  {"merchants": selectors.merchant_lookup(campaign, query), "query": query})


# --- calls ---------------------------------------------------------------------------------------------------

@staff_view("callcenter.console")
@campaign_required
def call_list(request, campaign):
    qs = CallRecord.objects.filter(campaign=campaign).select_related("line", "category", "operator", "department")
    if not selectors.is_supervisor(request.user):
        qs = qs.filter(operator=request.user)
    return render(request, "callcenter/call_list.html", {"page": _page(request, qs)})


@staff_view("callcenter.console")
@campaign_required
def call_detail(request, campaign, pk):
    call = get_object_or_404(CallRecord.objects.select_related("line", "category", "operator"), pk=pk,
                             campaign=campaign)
    if call.operator_id != request.user.pk and not selectors.is_supervisor(request.user):
        raise PermissionDenied
    callback = getattr(call, "callback", None)
    return render(request, "callcenter/call_detail.html", {
        "call": call, "escalation": getattr(call, "escalation", None), "operator_name": person_name(call.operator),
        "callback": callback,
        "can_see_callback": callback is not None and selectors.can_see_callback(request.user, callback)})


# --- escalations -------------------------------------------------------------------------------------------

@staff_view("staff.home")
@campaign_required
def escalation_list(request, campaign):
    qs = selectors.escalations_visible_to(request.user, campaign)
    state = request.GET.get("state", "open")
    if state == "open":
        qs = qs.exclude(status=Escalation.Status.RESOLVED)
    elif state == "overdue":
        qs = qs.exclude(status=Escalation.Status.RESOLVED).filter(due_at__lt=timezone.now())
    return render(request, "callcenter/escalation_list.html", {"page": _page(request, qs), "state": state})


@staff_view("staff.home")
@campaign_required
def escalation_detail(request, campaign, pk):
    escalation = get_object_or_404(Escalation.objects.select_related("call", "department", "assignee"), pk=pk,
                                   call__campaign=campaign)
    access = selectors.escalation_access(request.user, escalation)
    if not access:
        raise PermissionDenied
    from django.contrib.auth import get_user_model

    assignees = get_user_model().objects.filter(department_memberships__department=escalation.department)
    update_form = forms.EscalationUpdateForm(assignees=assignees, initial={
        "status": escalation.status, "assignee": escalation.assignee_id, "outcome": escalation.outcome})
    note_form = forms.NoteForm()
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "update" and access == "manage":
            update_form = forms.EscalationUpdateForm(request.POST, assignees=assignees)
            if update_form.is_valid() and form_attempt(update_form, lambda: services.escalation_update(
                    actor=request.user, escalation=escalation, **update_form.cleaned_data)):
                messages.success(request, _("The escalation was updated."))
                return redirect("callcenter:escalation_detail", pk=pk)
        elif action == "note" and access in ("manage", "note"):
            note_form = forms.NoteForm(request.POST)
            mine = selectors.department_ids(request.user)
            dept = (escalation.department if escalation.department_id in mine
                    else escalation.related_departments.filter(pk__in=mine).first())
            if note_form.is_valid() and form_attempt(note_form, lambda: services.escalation_note_add(
                    actor=request.user, escalation=escalation, body=note_form.cleaned_data["body"], department=dept)):
                messages.success(request, _("The note was added."))
                return redirect("callcenter:escalation_detail", pk=pk)
        else:
            raise PermissionDenied
    return render(request, "callcenter/escalation_detail.html", {
        "escalation": escalation, "access": access, "update_form": update_form, "note_form": note_form,
        "notes": escalation.notes.select_related("author", "department"),
        "related": escalation.related_departments.all()})


# --- callback requests -------------------------------------------------------------------------------------

@staff_view("staff.home")
@campaign_required
def callback_list(request, campaign):
    qs = selectors.callbacks_listed_for(request.user, campaign)
    state = request.GET.get("state", "open")
    if state in CallbackRequest.Status.values:
        qs = qs.filter(status=state)
    page = _page(request, qs)
    for callback in page:
        callback.taken_by_name = person_name(callback.created_by)
    # Names and inquiries are shown only where the user may see them (pii), and each showing is audit-logged
    # like the detail page; requests the operator took herself show without them.
    services.callbacks_list_view(actor=request.user, campaign=campaign, request=request,
                                 callbacks=[c for c in page if c.pii and not c.purged_at])
    return render(request, "callcenter/callback_list.html", {"page": page, "state": state})


@staff_view("staff.home")
@campaign_required
def callback_detail(request, campaign, pk):
    callback = get_object_or_404(CallbackRequest.objects.select_related("department", "call"), pk=pk,
                                 campaign=campaign)
    if not selectors.can_see_callback(request.user, callback):
        raise PermissionDenied
    form = forms.CallbackCompleteForm()
    if request.method == "POST":
        form = forms.CallbackCompleteForm(request.POST)
        if form.is_valid() and form_attempt(form, lambda: services.callback_complete(
                actor=request.user, callback=callback, note=form.cleaned_data["note"])):
            messages.success(request, _("Marked as called back."))
            return redirect("callcenter:callback_detail", pk=pk)
    services.callback_view(actor=request.user, callback=callback, request=request)
    return render(request, "callcenter/callback_detail.html", {"callback": callback, "form": form})


@staff_view("staff.home")
@require_POST
@campaign_required
def callback_export(request, campaign):
    try:
        job = job_start(actor=request.user, kind=services.CALLBACK_EXPORT_KIND, campaign=campaign, request=request,
                        params={"format": request.POST.get("format", "xlsx")})
    except (JobError, PermissionError):
        messages.error(request, _("The job could not be started. Please try again or contact the system "
                                  "administrator."))
        return redirect("callcenter:callback_list")
    return redirect("staff:job_detail", public_id=job.public_id)


# --- FAQ knowledge base --------------------------------------------------------------------------------------

@staff_view("callcenter.console")
def faq_list(request):
    qs = FaqItem.objects.select_related("category", "updated_by")
    status = request.GET.get("status", "")
    if status in FaqItem.Status.values:
        qs = qs.filter(status=status)
    return render(request, "callcenter/faq_list.html", {
        "page": _page(request, qs), "status": status,
        "can_edit": has_capability(request.user, "callcenter.supervise")})


@staff_view("callcenter.console")
def faq_detail(request, pk):
    item = get_object_or_404(FaqItem.objects.select_related("category", "updated_by"), pk=pk)
    return render(request, "callcenter/faq_detail.html", {
        "item": item, "revisions": item.revisions.select_related("edited_by"),
        "can_edit": has_capability(request.user, "callcenter.supervise")})


@staff_view("callcenter.supervise")
def faq_edit(request, pk=None):
    item = get_object_or_404(FaqItem, pk=pk) if pk else None
    initial = ({"question": item.question, "answer": item.answer, "keywords": item.keywords,
                "category": item.category_id, "visibility": item.visibility, "status": item.status}
               if item else {"status": FaqItem.Status.DRAFT, "visibility": FaqItem.Visibility.INTERNAL})
    form = forms.FaqForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = form_attempt(form, lambda: services.faq_save(actor=request.user, item=item, **form.cleaned_data))
        if saved:
            messages.success(request, _("The FAQ item was saved."))
            return redirect("callcenter:faq_detail", pk=saved.pk)
    return render(request, "callcenter/faq_form.html", {"form": form, "item": item})


@staff_view("callcenter.supervise")
def synonym_list(request):
    form = forms.SynonymForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if form_attempt(form, lambda: services.synonym_save(actor=request.user, terms=form.cleaned_data["terms"],
                                                           note=form.cleaned_data["note"])):
            messages.success(request, _("The synonym group was saved."))
            return redirect("callcenter:synonym_list")
    return render(request, "callcenter/synonym_list.html", {"groups": SynonymGroup.objects.all(), "form": form})


@staff_view("callcenter.supervise")
def synonym_edit(request, pk):
    group = get_object_or_404(SynonymGroup, pk=pk)
    form = forms.SynonymForm(request.POST or None, instance=group)
    if request.method == "POST":
        if request.POST.get("action") == "delete":
            services.synonym_delete(actor=request.user, group=group)
            messages.success(request, _("The synonym group was deleted."))
            return redirect("callcenter:synonym_list")
        if form.is_valid() and form_attempt(form, lambda: services.synonym_save(
                actor=request.user, group=group, terms=form.cleaned_data["terms"], note=form.cleaned_data["note"])):
            messages.success(request, _("The synonym group was saved."))
            return redirect("callcenter:synonym_list")
    return render(request, "callcenter/synonym_form.html", {"form": form, "group": group})


@staff_view("callcenter.supervise")
def category_list(request):
    form = forms.CategoryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if form_attempt(form, lambda: services.category_save(actor=request.user, **form.cleaned_data)):
            messages.success(request, _("The category was saved."))
            return redirect("callcenter:category_list")
    tops = Category.objects.filter(parent=None).prefetch_related("children")
    return render(request, "callcenter/category_list.html", {"tops": tops, "form": form})


@staff_view("callcenter.supervise")
def line_list(request):
    form = forms.LineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if form_attempt(form, lambda: services.line_save(actor=request.user, **form.cleaned_data)):
            messages.success(request, _("The line was saved."))
            return redirect("callcenter:line_list")
    return render(request, "callcenter/line_list.html", {"lines": Line.objects.all(), "form": form})


# --- analytics -----------------------------------------------------------------------------------------------

def _report_range(request):
    today = timezone.localdate()
    form = forms.ReportForm(request.GET or None, initial={"date_from": today - timedelta(days=29), "date_to": today})
    if form.is_bound and form.is_valid() and form.cleaned_data["date_from"] <= form.cleaned_data["date_to"]:
        return form, form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    return form, today - timedelta(days=29), today


@staff_view("callcenter.supervise")
@campaign_required
def reports(request, campaign):
    form, date_from, date_to = _report_range(request)
    data = selectors.report(campaign, date_from, date_to)
    return render(request, "callcenter/reports.html", {
        "form": form, "data": data, "date_from": date_from, "date_to": date_to,
        "day_chart": charts.bar_chart([(d.strftime("%m/%d"), n) for d, n in data["per_day"]]),
        "hour_chart": charts.bar_chart([(f"{h}", n) for h, n in data["per_hour"]]),
    })


@staff_view("callcenter.supervise")
@campaign_required
def reports_export(request, campaign):
    import io

    _form, date_from, date_to = _report_range(request)
    data = selectors.report(campaign, date_from, date_to)
    rows = [(_("Calls per day"), d, n) for d, n in data["per_day"]]
    rows += [(_("Calls per week"), d, n) for d, n in data["per_week"]]
    rows += [(_("Calls per month"), d, n) for d, n in data["per_month"]]
    rows += [(_("Calls per hour of day"), f"{h}:00", n) for h, n in data["per_hour"]]
    rows += [(_("Calls per line"), str(k), n) for k, n in data["per_line"]]
    rows += [(_("Calls per category"), str(k), n) for k, n in data["per_category"]]
    rows += [(_("Calls per response"), str(k), n) for k, n in data["per_response"]]
    rows += [(_("Top FAQ items"), k, n) for k, n in data["top_faq"]]
    rows += [(_("Unanswered topics"), k, n) for k, n in data["unanswered"]]
    rows += [(_("Escalations open"), "", data["escalations_open"]),
             (_("Escalations overdue"), "", data["escalations_overdue"])]
    buffer = io.BytesIO()
    write_xlsx(buffer, [_("Figure"), _("Key"), _("Count")], rows, sheet_title=_("Call center"))
    response = HttpResponse(buffer.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = content_disposition_header(
        True, f"callcenter-{date_from:%Y%m%d}-{date_to:%Y%m%d}.xlsx")
    return response


# --- public FAQ ----------------------------------------------------------------------------------------------

@require_GET
def public_faq(request):
    query = request.GET.get("q", "")[:200]
    campaign = default_campaign()
    if query.strip():
        hits, plan = search.search(query, public_only=True)
        items = {i.pk: i for i in FaqItem.objects.filter(pk__in=[h.pk for h in hits])}
        results = [{"item": items[h.pk], "question": search.highlight(items[h.pk].question, plan),
                    "answer": search.highlight(items[h.pk].answer, plan)} for h in hits if h.pk in items]
        services.search_log(user=None, source=FaqSearchLog.Source.PUBLIC, query=query, hits=hits)
        groups = None
    else:
        results = None
        items = FaqItem.objects.filter(status=FaqItem.Status.PUBLISHED, visibility=FaqItem.Visibility.PUBLIC
                                       ).select_related("category", "category__parent")
        groups: dict = {}
        for item in items:
            groups.setdefault(str(item.category.parent or item.category) if item.category else _("Other"),
                              []).append(item)
    return render(request, "callcenter/public_faq.html", {
        "query": query, "results": results, "groups": groups, "campaign": campaign})

"""Staff screens for applicants under /staff/reservations/applicants/: the list with search, export and printing,
import with a per-row preview, registration, the per-applicant history with status changes and undo, counter
sales, and (set-up) status labels, the letter template and the counter → outlet links. Also the resident's
entry with a link code, /reserve/code/.

Every page that shows an applicant's personal data writes an audit event.
"""

from __future__ import annotations

import os
from urllib.parse import urlencode

from django.contrib import messages
from django.core import signing
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from campaign.audit import audit_log
from campaign.decorators import staff_view
from campaign.forms import ExportFormatForm
from campaign.jobs import job_start
from campaign.uploads import store_upload
from reservations import forms_applicants as forms
from reservations import imports_applicants
from reservations import selectors_applicants as selectors
from reservations import services_applicants as services
from reservations.errors import ReservationError
from reservations.fields import FieldErrors, display_value
from reservations.forms import AnswersForm, postal_autofill
from reservations.letters import DEFAULT_BODY, DEFAULT_TITLE, site_url_problem
from reservations.models import Applicant, Counter, CounterOutlet, CounterSale, LetterTemplate, ProgressEvent
from reservations.views_staff import _render, campaign_required

UPLOAD_DIR = "applicant-imports"
UPLOAD_SALT = "reservations.applicant-import"
UPLOAD_MAX_AGE = 3600
MAX_BYTES = 30 * 2**20
ERRORS_SHOWN = 500


def _applicant(campaign, pk) -> Applicant:
    found = selectors.with_current_status(Applicant.objects.filter(campaign=campaign, pk=pk)).first()
    if found is None:
        raise Http404
    return found


def _search_context(request, campaign) -> dict:
    form = forms.ApplicantSearchForm(request.GET or None)
    flt = form.search_filter()
    page = Paginator(selectors.search(campaign, flt), 50).get_page(request.GET.get("page"))
    audit_log(actor=request.user, action="applicant.search", target=campaign, campaign=campaign, request=request,
              data={"filter": flt.to_params(), "page": page.number, "shown": len(page.object_list)})
    query = request.GET.copy()
    query.pop("page", None)
    names = selectors.labels()
    for applicant in page.object_list:
        status = names.get(applicant.current_status_id)
        applicant.status_label = status.label if status else ""
    return {"form": form, "page": page, "query": query.urlencode(),
            "filter_items": [(k, v) for k, v in form.data.items() if k != "page"] if form.is_bound else []}


@staff_view("reservations.view")
@campaign_required
def applicant_list(request, campaign):
    context = _search_context(request, campaign)
    return _render(request, "reservations/applicants/list.html", {
        **context, "export_form": ExportFormatForm(), "print_form": forms.PrintForm(),
        "site_problem": site_url_problem(),
        "bulk_form": forms.BulkStatusForm(prefix="bulk"), "fields": selectors.used_fields(campaign.pk)})


def _filter_from_post(request) -> dict:
    form = forms.ApplicantSearchForm(request.POST)
    return form.search_filter().to_params()


@staff_view("reservations.view")
@campaign_required
@require_POST
def applicant_export(request, campaign):
    form = ExportFormatForm(request.POST)
    fmt = form.cleaned_data["format"] if form.is_valid() else "xlsx"
    job = job_start(actor=request.user, kind="applicants_export", campaign=campaign, request=request,
                    params={"campaign": campaign.pk, "format": fmt, "filter": _filter_from_post(request)})
    return redirect("staff:job_detail", public_id=job.public_id)


@staff_view("reservations.manage")
@campaign_required
@require_POST
def applicant_print(request, campaign):
    if request.POST.get("what") == "letters":
        return _letters_confirm(request, campaign)
    form = forms.PrintForm(request.POST)
    sheet = form.cleaned_data["sheet"] if form.is_valid() else "12"
    job = job_start(actor=request.user, kind="applicant_labels", campaign=campaign, request=request,
                    params={"campaign": campaign.pk, "sheet": sheet, "filter": _filter_from_post(request)})
    return redirect("staff:job_detail", public_id=job.public_id)


def _posted_int(request, name: str) -> int | None:
    value = request.POST.get(name, "")
    return int(value) if value.isdigit() else None


def _letters_confirm(request, campaign):
    """Notice letters are printed only from this confirmation: the number of letters, the applicants left out
    because they already received their vouchers (with the choice to include them), and a warning — with a
    required "test print" tick — while the site address printed on the letters is a development one. The job
    starts only when the numbers the clerk saw are still the numbers found."""
    flt = forms.ApplicantSearchForm(request.POST).search_filter()
    problem = site_url_problem()
    submitted = request.POST.get("step") == "print"
    form = forms.LetterPrintForm(request.POST if submitted else None, site_problem=problem)
    found = selectors.letter_recipients(campaign, flt)
    count, excluded = found.applicants.count(), found.excluded_received
    if submitted and form.is_valid():
        if (_posted_int(request, "expected_letters"), _posted_int(request, "expected_excluded")) != (count, excluded):
            form.add_error(None, _("The applicants found have changed since the numbers were shown. Check the new "
                                   "numbers and confirm again."))
        else:
            d = form.cleaned_data
            job = job_start(actor=request.user, kind="applicant_letters", campaign=campaign, request=request,
                            params={"campaign": campaign.pk, "filter": flt.to_params(),
                                    "include_received": d["include_received"],
                                    "test_print": bool(problem and d.get("test_print"))})
            return redirect("staff:job_detail", public_id=job.public_id)
    return _render(request, "reservations/applicants/letters_confirm.html", {
        "form": form, "count": count, "excluded": excluded, "with_received": count + excluded,
        "site_problem": problem, "filter_items": list(flt.to_params().items()),
        "back_query": urlencode(flt.to_params())}, status=400 if submitted else 200)


@staff_view("reservations.manage")
@campaign_required
@require_POST
def applicant_bulk_status(request, campaign):
    """One status for every applicant the search finds (e.g. "notice sent" after mailing the letters)."""
    form = forms.BulkStatusForm(request.POST, prefix="bulk")
    search_form = forms.ApplicantSearchForm(request.POST)
    flt = search_form.search_filter()
    if not form.is_valid():
        messages.error(request, _("Choose a status and confirm the number of applicants."))
    else:
        ids = list(selectors.search(campaign, flt).values_list("pk", flat=True))
        status = services.status_get(form.cleaned_data["status"])
        try:
            count = services.progress_bulk_append(campaign=campaign, applicant_ids=ids, status=status,
                                                  actor=request.user, note=form.cleaned_data["note"],
                                                  request=request)
        except ReservationError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("“%(label)s” recorded for %(n)d applicants.") % {"label": status.label,
                                                                                        "n": count})
    return redirect(reverse("reservations:applicant_list") + "?" + urlencode(flt.to_params()))


def _answers(campaign, applicant: Applicant) -> list[tuple[str, str]]:
    return [(spec.label, display_value(spec, getattr(applicant, spec.name)))
            for spec in selectors.applicant_field_config(campaign.pk).shown()]


@staff_view("reservations.view")
@campaign_required
def applicant_detail(request, campaign, pk: int):
    applicant = _applicant(campaign, pk)
    audit_log(actor=request.user, action="applicant.view", target=applicant, campaign=campaign, request=request)
    events = selectors.history(applicant)
    status = selectors.labels().get(applicant.current_status_id)
    sale_form = forms.SaleForm(campaign=campaign)
    return _render(request, "reservations/applicants/detail.html", {
        "a": applicant, "rows": _answers(campaign, applicant), "events": events, "status": status,
        "status_form": forms.StatusForm(), "sale_form": sale_form,
        "sales": CounterSale.objects.filter(applicant=applicant).select_related("counter", "sold_by"),
        "reservation": applicant.reservation})


@staff_view("reservations.manage")
@campaign_required
@require_POST
def applicant_status(request, campaign, pk: int):
    applicant = _applicant(campaign, pk)
    form = forms.StatusForm(request.POST)
    if form.is_valid():
        try:
            services.progress_append(applicant=applicant, status=form.cleaned_data["status"], actor=request.user,
                                     note=form.cleaned_data["note"], request=request)
        except ReservationError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The status has been recorded."))
    else:
        messages.error(request, _("Choose a status."))
    return redirect("reservations:applicant_detail", pk=applicant.pk)


@staff_view("reservations.manage")
@campaign_required
@require_http_methods(["GET", "POST"])
def event_undo(request, campaign, pk: int):
    """Undo one status entry after a confirmation; the entry stays and an undo entry is appended."""
    event = get_object_or_404(ProgressEvent.objects.select_related("status", "applicant"), pk=pk,
                              applicant__campaign=campaign)
    form = forms.UndoForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            services.progress_undo(event=event, actor=request.user, note=form.cleaned_data["note"], request=request)
        except ReservationError as exc:
            error = str(exc)
        else:
            messages.success(request, _("“%(label)s” has been undone.") % {"label": event.status.label})
            return redirect("reservations:applicant_detail", pk=event.applicant_id)
    return _render(request, "reservations/applicants/undo.html", {"event": event, "form": form, "error": error})


@staff_view("reservations.manage")
@campaign_required
@require_POST
def applicant_sale(request, campaign, pk: int):
    applicant = _applicant(campaign, pk)
    form = forms.SaleForm(request.POST, campaign=campaign)
    if form.is_valid():
        try:
            sale = services.counter_sale_record(actor=request.user, counter=form.cleaned_data["counter"],
                                                ranges_text=form.cleaned_data["ranges"], applicant=applicant,
                                                reservation=applicant.reservation, request=request)
        except ReservationError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Sold %(books)d books (%(ranges)s), ¥%(amount)s.") % {
                "books": sale.books, "ranges": sale.ranges, "amount": f"{sale.amount:,}"})
    else:
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    return redirect("reservations:applicant_detail", pk=applicant.pk)


def _edit(request, campaign, applicant: Applicant | None):
    config = selectors.applicant_field_config(campaign.pk)
    initial = {}
    if applicant is not None:
        for spec in config.for_audience("staff"):
            value = getattr(applicant, spec.name)
            initial[spec.name] = value.isoformat() if hasattr(value, "isoformat") else value
    form = AnswersForm(request.POST or None, config=config, audience="staff", initial=initial)
    postal_autofill(form, reverse("reservations:postal_lookup"))
    other = forms.ApplicantOtherForm(request.POST or None, initial={
        "resident_number": applicant.resident_number, "notes": applicant.notes} if applicant else None)
    if request.method == "POST" and form.is_valid() and other.is_valid():
        values = {**form.raw_answers(), **other.cleaned_data}
        try:
            if applicant is None:
                applicant = services.applicant_create(campaign=campaign, actor=request.user, values=values,
                                                      request=request)
                messages.success(request, _("Applicant %(n)d registered.") % {"n": applicant.pk})
            else:
                services.applicant_update(applicant=applicant, actor=request.user, values=values, request=request)
                messages.success(request, _("The applicant has been saved."))
        except FieldErrors as exc:
            for name, msgs in exc.errors.items():
                target = form if name in form.fields else other
                target.add_error(name if name in target.fields else None, " ".join(msgs))
        except ReservationError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("reservations:applicant_detail", pk=applicant.pk)
    elif applicant is not None and request.method == "GET":
        audit_log(actor=request.user, action="applicant.view", target=applicant, campaign=campaign, request=request,
                  data={"page": "edit"})
    return _render(request, "reservations/applicants/edit.html", {"form": form, "other": other, "a": applicant})


@staff_view("reservations.manage")
@campaign_required
def applicant_create(request, campaign):
    return _edit(request, campaign, None)


@staff_view("reservations.manage")
@campaign_required
def applicant_edit(request, campaign, pk: int):
    return _edit(request, campaign, _applicant(campaign, pk))


# --- import ------------------------------------------------------------------------------------------------

def _store_upload(content: bytes, filename: str) -> str:
    return store_upload(content, filename, directory=UPLOAD_DIR, max_age_seconds=UPLOAD_MAX_AGE,
                        default_extension=".csv")


def _sample(campaign, rows: list[dict]) -> list[tuple]:
    specs = selectors.used_fields(campaign.pk)
    return [(row["_line"], row["resident_number"], [display_value(spec, row.get(spec.name)) for spec in specs])
            for row in rows]


@staff_view("reservations.manage")
@campaign_required
@require_http_methods(["GET", "POST"])
def applicant_import(request, campaign):
    """Upload → every row checked → preview with each bad row; only an error-free file can be imported."""
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    context = {"form": form, "fields": selectors.used_fields(campaign.pk)}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        filename = os.path.basename(upload.name)
        if upload.size > MAX_BYTES:
            form.add_error("file", _("The file is larger than %(mb)s MB; split it into smaller files.")
                           % {"mb": MAX_BYTES // 2**20})
            return _render(request, "reservations/applicants/import.html", context, status=400)
        content = upload.read()
        try:
            preview = imports_applicants.preview_import(campaign=campaign, content=content, filename=filename)
        except ReservationError as exc:
            form.add_error("file", str(exc))
            return _render(request, "reservations/applicants/import.html", context, status=400)
        audit_log(actor=request.user, action="applicant.import_preview", target=campaign, campaign=campaign,
                  request=request, data={"file": filename, "rows": preview.total, "errors": len(preview.errors)})
        token = ""
        if preview.ok:
            path = _store_upload(content, filename)
            token = signing.dumps({"path": path, "name": filename, "user": request.user.pk,
                                   "campaign": campaign.pk}, salt=UPLOAD_SALT)
        return _render(request, "reservations/applicants/import_preview.html", {
            "preview": preview, "errors": preview.errors[:ERRORS_SHOWN], "token": token, "filename": filename,
            "sample": _sample(campaign, preview.rows[:10]), "fields": selectors.used_fields(campaign.pk)},
            status=200 if preview.ok else 400)
    return _render(request, "reservations/applicants/import.html", context)


@staff_view("reservations.manage")
@campaign_required
@require_POST
def applicant_import_accept(request, campaign):
    try:
        ticket = signing.loads(request.POST.get("token", ""), salt=UPLOAD_SALT, max_age=UPLOAD_MAX_AGE)
    except signing.BadSignature:
        ticket = None
    if (ticket is None or ticket.get("user") != request.user.pk or ticket.get("campaign") != campaign.pk
            or not str(ticket.get("path", "")).startswith(UPLOAD_DIR + "/")
            or not default_storage.exists(ticket["path"])):
        messages.error(request, _("The preview has expired or belongs to someone else. Upload the file again."))
        return redirect("reservations:applicant_import")
    with default_storage.open(ticket["path"], "rb") as handle:
        content = handle.read()
    try:
        count = imports_applicants.applicants_import(campaign=campaign, actor=request.user, content=content,
                                                     filename=ticket["name"], request=request)
    except imports_applicants.ImportRejected as exc:
        return _render(request, "reservations/applicants/import_preview.html", {
            "preview": exc.preview, "errors": exc.preview.errors[:ERRORS_SHOWN], "token": "",
            "filename": ticket["name"], "sample": [], "fields": selectors.used_fields(campaign.pk)}, status=400)
    default_storage.delete(ticket["path"])
    messages.success(request, _("%(n)d applicants imported.") % {"n": count})
    return redirect("reservations:applicant_list")


# --- set-up ------------------------------------------------------------------------------------------------

@staff_view("reservations.setup")
@campaign_required
@require_http_methods(["GET", "POST"])
def applicant_setup(request, campaign):
    """Status labels (system administrator), the notice letter template and the counter → outlet links."""
    services.statuses_ensure()
    action = request.POST.get("action", "")
    label_form = forms.StatusLabelForm(request.POST if action == "label" else None, prefix="label")
    template = LetterTemplate.objects.filter(campaign=campaign).first()
    letter_form = forms.LetterTemplateForm(
        request.POST if action == "letter" else None, prefix="letter",
        instance=template or LetterTemplate(campaign=campaign, title=DEFAULT_TITLE, body=DEFAULT_BODY))
    outlet_form = forms.CounterOutletForm(request.POST if action == "outlet" else None, prefix="outlet",
                                          campaign=campaign)
    if request.method == "POST":
        try:
            if action == "label" and label_form.is_valid():
                d = label_form.cleaned_data
                services.status_label_save(actor=request.user, code=d["code"], label=d["label"],
                                           sort_order=d["sort_order"], is_active=d["is_active"], request=request)
                messages.success(request, _("The status “%(label)s” has been saved.") % {"label": d["label"]})
                return redirect("reservations:applicant_setup")
            if action == "letter" and letter_form.is_valid():
                values = {k: letter_form.cleaned_data[k] for k in forms.LetterTemplateForm.Meta.fields}
                services.letter_template_save(campaign=campaign, actor=request.user, values=values, request=request)
                messages.success(request, _("The letter template has been saved."))
                return redirect("reservations:applicant_setup")
            if action == "outlet" and outlet_form.is_valid():
                from vouchers.models import Outlet

                outlet_id = outlet_form.cleaned_data["outlet"]
                outlet = Outlet.objects.filter(pk=outlet_id, campaign=campaign).first() if outlet_id else None
                services.counter_outlet_set(counter=outlet_form.cleaned_data["counter"], outlet=outlet,
                                            actor=request.user, request=request)
                messages.success(request, _("The counter's sales outlet has been saved."))
                return redirect("reservations:applicant_setup")
        except ReservationError as exc:
            messages.error(request, str(exc))
    return _render(request, "reservations/applicants/setup.html", {
        "statuses": services.statuses_ensure(), "label_form": label_form, "letter_form": letter_form,
        "outlet_form": outlet_form,
        "links": CounterOutlet.objects.filter(counter__campaign=campaign).select_related("counter", "outlet"),
        "counters": Counter.objects.filter(campaign=campaign)})

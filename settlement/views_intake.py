"""/staff/settlement/intake/ — envelopes of used vouchers from receipt to reconciliation.

    find by barcode → receive (two-person opening) → read: scanner file upload (per-line error preview, explicit
    acceptance of the good lines) and/or keying by hand → reconcile → review list → investigations → disposal

Every write is POST → service → message → redirect; a refused write shows why and changes nothing.
"""

from __future__ import annotations

import io
import os

from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from campaign.decorators import campaign_required as require_campaign
from campaign.decorators import staff_view
from campaign.errors import DomainError
from campaign.models import Denomination
from campaign.roles import has_capability
from campaign.uploads import store_upload
from settlement import forms_intake as forms
from settlement import selectors_intake as selectors
from settlement import services
from settlement.intake import MAX_BYTES, IntakeError, envelope_read
from settlement.models import Envelope, Investigation, SerialRead, VerificationClass
from settlement.slips import redemption_slip_pdf, slip_document

PAGE_SIZE = 50
UPLOAD_DIR = "intake-uploads"
UPLOAD_SALT = "settlement.intake-upload"
UPLOAD_TOKEN_MAX_AGE = 60 * 60
ERRORS_SHOWN = 500
OUTCOMES_SHOWN = 500


def _render(request, template: str, context: dict | None = None, *, status: int = 200) -> HttpResponse:
    context = {"can_intake": has_capability(request.user, "settlement.intake"), **(context or {})}
    return render(request, template, context, status=status)


campaign_required = require_campaign("settlement/intake/no_campaign.html", render_page=_render)


def _envelope(campaign, number: str) -> Envelope:
    envelope = selectors.envelope_by_number(campaign, number)
    if envelope is None:
        raise Http404
    return envelope


def _detail_url(envelope: Envelope) -> str:
    return reverse("intake:envelope", args=[envelope.number])


# --- home, find, claim -------------------------------------------------------------------------------------

@staff_view("settlement.view")
@campaign_required
def home(request, campaign):
    status = request.GET.get("status", "")
    if status not in Envelope.Status.values:
        status = ""
    q = request.GET.get("q", "")
    page = Paginator(selectors.envelopes(campaign, status=status, q=q), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    counts = selectors.status_counts(campaign)
    return _render(request, "settlement/intake/home.html", {
        "find_form": forms.EnvelopeFindForm(), "page": page, "status": status, "q": q,
        "query": query.urlencode(), "counts": counts,
        "status_rows": [(code, label, counts.get(code, 0)) for code, label in Envelope.Status.choices],
    })


@staff_view("settlement.view")
@campaign_required
def find(request, campaign):
    form = forms.EnvelopeFindForm(request.GET or None)
    if form.is_valid():
        envelope = selectors.envelope_by_number(campaign, form.cleaned_data["number"])
        if envelope is not None:
            return redirect(_detail_url(envelope))
        form.add_error("number", _("No envelope %(number)s in this campaign. Check the number, or create the "
                                   "claim from the paper slip.") % {"number": form.cleaned_data["number"]})
    counts = selectors.status_counts(campaign)
    page = Paginator(selectors.envelopes(campaign), PAGE_SIZE).get_page(1)
    return _render(request, "settlement/intake/home.html", {
        "find_form": form, "page": page, "status": "", "q": "", "query": "", "counts": counts,
        "status_rows": [(code, label, counts.get(code, 0)) for code, label in Envelope.Status.choices],
    })


@staff_view("settlement.intake")
@campaign_required
def claim(request, campaign):
    form = forms.StaffClaimForm(request.POST or None, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        try:
            envelope = services.envelope_declare(actor=request.user, merchant=form.merchant, tickets=form.tickets(),
                                                 key=form.cleaned_data["submit_key"], request=request)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Envelope %(number)s created from the paper slip. Record its receipt next.")
                             % {"number": envelope.number})
            return redirect(_detail_url(envelope))
    return _render(request, "settlement/intake/claim.html", {"form": form})


# --- one envelope ------------------------------------------------------------------------------------------

def _detail_context(request, envelope: Envelope) -> dict:
    outcomes = selectors.outcomes(envelope)
    rows = selectors.reconciliation(envelope)
    return {
        "envelope": envelope,
        "rows": rows,
        "declared_total": sum(r.declared for r in rows),
        "accepted_total": sum(r.accepted for r in rows),
        "accepted_amount": sum(r.accepted_amount for r in rows),
        "payable": selectors.payable_amount(envelope),
        "rejected": selectors.rejected_counts(envelope),
        "outcomes": outcomes[:OUTCOMES_SHOWN],
        "outcome_total": outcomes.count(),
        "reads": selectors.reads(envelope),
        "receive_form": forms.ReceiveForm(user=request.user),
        "upload_form": forms.UploadForm(suspended=envelope.merchant.is_suspended),
        "release_form": forms.ReasonForm(),
        "open_investigations": envelope.investigations.filter(status=Investigation.Status.OPEN).count(),
        "readable": envelope.received_on is not None and envelope.status != Envelope.Status.SETTLED
        and envelope.reconciled_at is None,
        "max_mb": MAX_BYTES // 2**20,
    }


@staff_view("settlement.view")
@campaign_required
def envelope_detail(request, campaign, number):
    envelope = _envelope(campaign, number)
    return _render(request, "settlement/intake/envelope.html", _detail_context(request, envelope))


@staff_view("settlement.view")
@campaign_required
def envelope_slip(request, campaign, number):
    """The redemption slip PDF, for an envelope claimed from a paper slip or a merchant who lost theirs."""
    envelope = _envelope(campaign, number)
    buffer = io.BytesIO()
    with translation.override("ja"):
        redemption_slip_pdf(buffer, slip_document(envelope))
    response = HttpResponse(buffer.getvalue(), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, f"換金伝票_{envelope.number}.pdf")
    return response


@staff_view("settlement.intake")
@require_POST
@campaign_required
@sensitive_post_parameters("second-password", "second-token")
def envelope_receive(request, campaign, number):
    envelope = _envelope(campaign, number)
    form = forms.ReceiveForm(request.POST, user=request.user, request=request)
    if form.is_valid():
        try:
            services.envelope_receive(actor=request.user, envelope=envelope, request=request, **form.cleaned_data,
                                      opened_with=form.second_person.cleaned_data["second_person"])
        except DomainError as exc:
            form.add_error(None, str(exc))
            # Their code is used up: the second person confirms again with the next one.
            form.second_person = form.second_person.unbound_copy()
        else:
            messages.success(request, _("Envelope %(number)s received. Read its tickets next.")
                             % {"number": envelope.number})
            return redirect(_detail_url(envelope))
    context = _detail_context(request, envelope)
    context["receive_form"] = form
    return _render(request, "settlement/intake/envelope.html", context, status=400)


def _report_message(request, envelope, report) -> None:
    labels = dict(VerificationClass.choices)
    parts = [f"{labels.get(cls, cls)} {n:,}" for cls, n in sorted(report.counts.items(), key=lambda kv: -kv[1])]
    text = _("%(total)s codes read into envelope %(number)s: %(parts)s. Accepted amount ¥%(amount)s.") % {
        "total": f"{sum(report.counts.values()):,}", "number": envelope.number, "parts": ", ".join(parts),
        "amount": f"{report.accepted_amount:,}"}
    if report.skipped:
        text += " " + _("%(n)s unreadable lines were skipped as you chose.") % {"n": len(report.skipped)}
    (messages.warning if report.rejected or report.skipped else messages.success)(request, text)


def _store_upload(content: bytes, filename: str) -> str:
    return store_upload(content, filename, directory=UPLOAD_DIR, max_age_seconds=UPLOAD_TOKEN_MAX_AGE,
                        default_extension=".txt")


def _preview(request, envelope, *, error: str, errors, token: str = "", filename: str = "", status: int = 400):
    return _render(request, "settlement/intake/upload_preview.html", {
        "envelope": envelope, "error": error, "errors": errors[:ERRORS_SHOWN], "error_total": len(errors),
        "token": token, "filename": filename,
    }, status=status)


@staff_view("settlement.intake")
@require_POST
@campaign_required
def envelope_upload(request, campaign, number):
    envelope = _envelope(campaign, number)
    form = forms.UploadForm(request.POST, request.FILES, suspended=envelope.merchant.is_suspended)
    if not form.is_valid():
        context = _detail_context(request, envelope)
        context["upload_form"] = form
        return _render(request, "settlement/intake/envelope.html", context, status=400)
    upload = form.cleaned_data["file"]
    filename = os.path.basename(upload.name)
    if upload.size > MAX_BYTES:
        return _preview(request, envelope, errors=[], filename=filename, error=_(
            "The file is larger than %(mb)s MB; split it into smaller files.") % {"mb": MAX_BYTES // 2**20})
    content = upload.read()
    try:
        report = envelope_read(actor=request.user, envelope=envelope, source=SerialRead.Source.SCANNER,
                               content=content, file_name=filename,
                               hold_suspended=form.cleaned_data.get("hold_suspended", False), request=request)
    except IntakeError as exc:
        token = ""
        if exc.errors and len(exc.errors) < sum(1 for line in content.splitlines() if line.strip()):
            # Some lines are good: the file waits (under a random name) until the clerk accepts them explicitly.
            path = _store_upload(content, filename)
            token = signing.dumps({"path": path, "name": filename, "user": request.user.pk, "envelope": envelope.pk,
                                   "hold": form.cleaned_data.get("hold_suspended", False)}, salt=UPLOAD_SALT)
        return _preview(request, envelope, error=str(exc), errors=exc.errors, token=token, filename=filename)
    _report_message(request, envelope, report)
    return redirect(_detail_url(envelope))


@staff_view("settlement.intake")
@require_POST
@campaign_required
def envelope_upload_accept(request, campaign, number):
    """The clerk saw the unreadable lines and chose to read the good ones (the rest are re-keyed)."""
    envelope = _envelope(campaign, number)
    try:
        ticket = signing.loads(request.POST.get("token", ""), salt=UPLOAD_SALT, max_age=UPLOAD_TOKEN_MAX_AGE)
    except signing.BadSignature:
        ticket = None
    if (ticket is None or ticket.get("user") != request.user.pk or ticket.get("envelope") != envelope.pk
            or not str(ticket.get("path", "")).startswith(UPLOAD_DIR + "/")
            or not default_storage.exists(ticket["path"])):
        messages.error(request, _("The preview has expired or belongs to someone else. Upload the file again."))
        return redirect(_detail_url(envelope))
    with default_storage.open(ticket["path"], "rb") as handle:
        content = handle.read()
    try:
        report = envelope_read(actor=request.user, envelope=envelope, source=SerialRead.Source.SCANNER,
                               content=content, file_name=ticket["name"], accept_good_lines=True,
                               hold_suspended=bool(ticket.get("hold")), request=request)
    except IntakeError as exc:
        return _preview(request, envelope, error=str(exc), errors=exc.errors, filename=ticket["name"])
    default_storage.delete(ticket["path"])
    _report_message(request, envelope, report)
    return redirect(_detail_url(envelope))


@staff_view("settlement.intake")
@campaign_required
def envelope_key(request, campaign, number):
    """Keying unreadable tickets by hand. With JavaScript every code is checked (Damm digit) as it is typed and
    listed for correction; without it the same textarea is checked on the server, line by line."""
    envelope = _envelope(campaign, number)
    form = forms.KeyingForm(request.POST or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        try:
            report = envelope_read(actor=request.user, envelope=envelope, source=SerialRead.Source.MANUAL,
                                   codes=form.code_lines(), request=request)
        except IntakeError as exc:
            form.add_error(None, str(exc))
            errors = exc.errors
        else:
            _report_message(request, envelope, report)
            return redirect(_detail_url(envelope))
    denominations = list(Denomination.objects.filter(campaign=campaign).order_by("code").values("code", "name"))
    return _render(request, "settlement/intake/key.html", {
        "envelope": envelope, "form": form, "errors": errors, "denominations": denominations,
        "prefix": f"{campaign.serial_prefix:02d}",
    }, status=400 if form.errors else 200)


@staff_view("settlement.intake")
@require_POST
@campaign_required
def envelope_reconcile(request, campaign, number):
    envelope = _envelope(campaign, number)
    try:
        envelope = services.envelope_reconcile(actor=request.user, envelope=envelope, request=request)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        if envelope.status == Envelope.Status.RECONCILED:
            messages.success(request, _("Envelope %(number)s matches its slip and is ready for payment.")
                             % {"number": envelope.number})
        else:
            messages.warning(request, _("Envelope %(number)s does not match its slip or has rejected tickets; it is "
                                        "on the review list.") % {"number": envelope.number})
    return redirect(_detail_url(envelope))


@staff_view("settlement.intake")
@require_POST
@campaign_required
def envelope_release(request, campaign, number):
    envelope = _envelope(campaign, number)
    form = forms.ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.envelope_clear_review(actor=request.user, envelope=envelope, reason=form.cleaned_data["reason"],
                                           request=request)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Envelope %(number)s released for payment.") % {"number": envelope.number})
    else:
        messages.error(request, _("Give the reason for releasing the envelope."))
    return redirect(_detail_url(envelope))


# --- review list and investigations ------------------------------------------------------------------------

@staff_view("settlement.view")
@campaign_required
def review_list(request, campaign):
    page = Paginator(selectors.envelopes(campaign, status=Envelope.Status.REVIEW), PAGE_SIZE).get_page(
        request.GET.get("page"))
    return _render(request, "settlement/intake/review.html", {"page": page, "query": ""})


@staff_view("settlement.view")
@campaign_required
def investigation_list(request, campaign):
    status = request.GET.get("status", Investigation.Status.OPEN)
    if status not in Investigation.Status.values and status != "all":
        status = Investigation.Status.OPEN
    verification = request.GET.get("class", "")
    if verification not in VerificationClass.values:
        verification = ""
    qs = selectors.investigations(campaign, status="" if status == "all" else status, verification=verification)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return _render(request, "settlement/intake/investigations.html", {
        "page": page, "status": status, "verification": verification, "query": query.urlencode(),
        "status_choices": [*Investigation.Status.choices, ("all", _("All"))],
        "class_choices": [(c, label) for c, label in VerificationClass.choices if c in services.INVESTIGATED_CLASSES],
    })


@staff_view("settlement.view")
@campaign_required
def investigation_detail(request, campaign, pk):
    investigation = get_object_or_404(Investigation.objects.select_related("envelope__merchant", "outcome__read",
                                                                           "decided_by"), pk=pk, campaign=campaign)
    form = forms.DecisionForm(request.POST or None)
    if request.method == "POST":
        if not has_capability(request.user, "settlement.intake"):
            raise PermissionDenied
        if form.is_valid():
            try:
                services.investigation_decide(actor=request.user, investigation=investigation,
                                              accept=form.cleaned_data["decision"] == "accept",
                                              reason=form.cleaned_data["reason"], request=request)
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Decision recorded."))
                following = (selectors.investigations(campaign).filter(pk__gt=investigation.pk).first())
                if following is not None and request.POST.get("next") == "1":
                    return redirect("intake:investigation", pk=following.pk)
                return redirect("intake:investigation", pk=investigation.pk)
    return _render(request, "settlement/intake/investigation.html", {
        "investigation": investigation, "evidence": selectors.evidence(investigation), "form": form,
    }, status=400 if form.errors else 200)


# --- disposal ----------------------------------------------------------------------------------------------

@staff_view("settlement.view")
@campaign_required
@sensitive_post_parameters("second-password", "second-token")
def disposal_list(request, campaign):
    available = selectors.disposable_envelopes(campaign)
    form = forms.DisposalForm(request.POST or None, user=request.user, envelopes=available, request=request)
    if request.method == "POST":
        if not has_capability(request.user, "settlement.intake"):
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                disposal = services.disposal_record(
                    actor=request.user, campaign=campaign, disposed_on=data["disposed_on"], method=data["method"],
                    envelopes=list(data["envelopes"]), witness=form.second_person.cleaned_data["second_person"],
                    note=data["note"], request=request)
            except DomainError as exc:
                form.add_error(None, str(exc))
                form.second_person = form.second_person.unbound_copy()
            else:
                messages.success(request, _("Disposal of %(n)s envelopes recorded.") % {"n": disposal.envelopes.count()})
                return redirect("intake:disposals")
    page = Paginator(selectors.disposals(campaign), PAGE_SIZE).get_page(request.GET.get("page"))
    return _render(request, "settlement/intake/disposals.html", {
        "form": form, "page": page, "query": "", "available": available.count(),
    }, status=400 if request.method == "POST" else 200)  # a POST that gets here was refused


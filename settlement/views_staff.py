"""Staff screens of the merchant registry: list and export, review, bank changes (four-eyes), suspension,
redemption kits and the bulk import. Reads come from ``selectors``, writes from ``services``.

Every write is POST → service → message → redirect. A rule the service refuses (``MerchantError``) comes back
as a form error on the same page with nothing changed: each service runs in one transaction.
"""

from __future__ import annotations

import io
import json
import os
import re

from django.contrib import messages
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaign.audit import audit_log
from campaign.decorators import campaign_required as require_campaign
from campaign.decorators import staff_view
from campaign.exports import write_csv, write_xlsx
from campaign.forms import form_attempt
from campaign.jobs import JobError, job_start
from campaign.roles import has_capability
from campaign.uploads import store_upload
from settlement import forms_staff as forms
from settlement import selectors, services
from settlement.models import BankAccount, Merchant, MerchantRepresentative
from settlement.services import imports

PAGE_SIZE = 50
IMPORT_DIR = "merchant-imports"
IMPORT_SALT = "settlement.merchant-import"
IMPORT_TOKEN_MAX_AGE = 60 * 60  # an hour from the preview to the confirmation
IMPORT_PREVIEW_ROWS = 100
IMPORT_ERRORS_SHOWN = 500


def _render(request, template: str, context: dict | None = None, *, status: int = 200) -> HttpResponse:
    """Render with what the merchant menu needs to know about the user's capabilities."""
    context = {
        "can_review": has_capability(request.user, "merchants.review"),
        "can_approve_banks": has_capability(request.user, "merchants.bank_approve"),
        **(context or {}),
    }
    return render(request, template, context, status=status)


campaign_required = require_campaign("settlement/staff/no_campaign.html", render_page=_render)


def _merchant(campaign, pk) -> Merchant:
    return get_object_or_404(Merchant.objects.select_related("campaign", "portal_user", "reviewed_by"), pk=pk,
                             campaign=campaign)


# --- list and export ---------------------------------------------------------------------------------------

@staff_view("merchants.view")
@campaign_required
def merchant_list(request, campaign):
    form = forms.MerchantFilterForm(request.GET or None)
    flt = form.merchant_filter()
    page = Paginator(selectors.merchants(campaign, flt), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    counts = selectors.status_counts(campaign)
    return _render(request, "settlement/staff/merchant_list.html", {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "counts": counts,
        "status_rows": [(code, label, counts[code]) for code, label in Merchant.Status.choices],
        "export_form": forms.ExportForm(),
    })


@staff_view("merchants.view")
@require_POST
@campaign_required
def merchant_export(request, campaign):
    filter_form = forms.MerchantFilterForm(request.POST)
    export_form = forms.ExportForm(request.POST)
    back = reverse("merchants:list")
    if not filter_form.is_valid() or not export_form.is_valid():
        messages.error(request, _("The export could not start: check the filter and the format."))
        return redirect(back)
    flt = filter_form.merchant_filter()
    try:
        job = job_start(actor=request.user, kind="merchants_export", campaign=campaign, request=request,
                        params={"campaign": campaign.pk, "filter": flt.as_params(),
                                "format": export_form.cleaned_data["format"]})
    except (JobError, PermissionError):
        messages.error(request, _("The job could not be started. Please try again or contact the system "
                                  "administrator."))
        return redirect(back)
    return redirect("staff:job_detail", public_id=job.public_id)


# --- detail ------------------------------------------------------------------------------------------------

def _choice_display(merchant: Merchant, name: str, value):
    field = Merchant._meta.get_field(name)
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return value


_STORE_FIELDS = {f.name for f in Merchant._meta.concrete_fields}


def _pending_changes(merchant: Merchant) -> list[dict]:
    rows = []
    for name, value in (merchant.pending_changes or {}).items():
        if name not in _STORE_FIELDS:  # a key the portal keeps for itself, not a store field
            continue
        field = Merchant._meta.get_field(name)
        rows.append({"label": field.verbose_name, "current": _choice_display(merchant, name, getattr(merchant, name)),
                     "proposed": _choice_display(merchant, name, value)})
    return rows


_ACCOUNT_NUMBER = re.compile(r"\b[0-9]{7}\b")


def _events(merchant: Merchant, full_numbers: bool) -> list[dict]:
    """The merchant's audit trail with readable details; account numbers stay masked for those who may not
    see them in full."""
    rows = []
    for event in selectors.merchant_audit_events(merchant)[:100]:
        data = dict(event.data or {})
        if event.action == "merchant.import":
            data.pop("merchant_ids", None)  # thousands of ids of the other merchants of the same file
        details = json.dumps(data, ensure_ascii=False, sort_keys=True) if data else ""
        if not full_numbers and event.action.startswith("merchant.bank_change"):
            details = _ACCOUNT_NUMBER.sub(lambda match: selectors.mask_account_number(match.group()), details)
        rows.append({"event": event, "details": details})
    return rows


def _detail_page(request, merchant: Merchant, *, representative=None, status: int = 200, **forms_given):
    user = request.user
    full_numbers = has_capability(user, "merchants.bank_approve")
    accounts = [
        {"account": account,
         "number": account.account_number if full_numbers else selectors.mask_account_number(account.account_number)}
        for account in selectors.bank_accounts_of(merchant)
    ]
    context = {
        "merchant": merchant,
        "accounts": accounts,
        "full_numbers": full_numbers,
        "kits": selectors.kit_shipments_of(merchant),
        "events": _events(merchant, full_numbers),
        "pending_changes": _pending_changes(merchant),
        "representative": representative,
        "approve_form": forms.ConfirmForm(auto_id="id_approve_%s"),
        "reject_form": forms.ReasonForm(auto_id="id_reject_%s"),
        "correction_form": forms.ReasonForm(auto_id="id_correction_%s"),
        "suspend_form": forms.SuspensionForm(auto_id="id_suspend_%s"),
        "resume_form": forms.ResumeForm(auto_id="id_resume_%s"),
        "kit_form": forms.KitShipmentForm(auto_id="id_kit_%s"),
        "changes_apply_form": forms.ConfirmForm(auto_id="id_changes_apply_%s"),
        "changes_reject_form": forms.ReasonForm(auto_id="id_changes_reject_%s"),
    }
    # A refusal is shown at the top of the page: the section of the form may be gone after the change
    # (an approved merchant has no review forms), and the clerk should see it first anyway.
    refusals = []
    for form in forms_given.values():
        if form.is_bound and NON_FIELD_ERRORS in form.errors:
            refusals.extend(form.errors.pop(NON_FIELD_ERRORS))
    context.update(forms_given, refusals=refusals)
    return _render(request, "settlement/staff/merchant_detail.html", context, status=status)


@staff_view("merchants.view")
@campaign_required
def merchant_detail(request, campaign, pk):
    return _detail_page(request, _merchant(campaign, pk))


@staff_view("merchants.review")
@campaign_required
def merchant_representative(request, campaign, pk):
    """The detail page with the representative's personal data; every look at it is written to the audit log."""
    merchant = _merchant(campaign, pk)
    representative = MerchantRepresentative.objects.filter(merchant=merchant).first()
    audit_log(actor=request.user, action="merchant.view_representative", target=merchant,
              campaign=merchant.campaign, request=request)
    return _detail_page(request, merchant, representative=representative or False)


# --- review ------------------------------------------------------------------------------------------------

@staff_view("merchants.review")
@require_POST
@campaign_required
def merchant_approve(request, campaign, pk):
    merchant = _merchant(campaign, pk)
    form = forms.ConfirmForm(request.POST, auto_id="id_approve_%s")
    if form.is_valid():
        done = form_attempt(form, lambda: services.merchant_approve(actor=request.user, merchant=merchant,
                                                                request=request))
        if done is not None:
            messages.success(request, _("Approved. Merchant number %(number)s has been issued and the portal "
                                        "invitation is sent to %(email)s.")
                             % {"number": done.merchant_number, "email": done.email})
            return redirect("merchants:detail", pk=merchant.pk)
    return _detail_page(request, merchant, approve_form=form)


def _review(request, campaign, pk, *, service, form_name: str, success: str):
    merchant = _merchant(campaign, pk)
    form = forms.ReasonForm(request.POST, auto_id=f"id_{form_name.removesuffix('_form')}_%s")
    if form.is_valid():
        done = form_attempt(form, lambda: service(actor=request.user, merchant=merchant,
                                              reason=form.cleaned_data["reason"], request=request))
        if done is not None:
            messages.success(request, success)
            return redirect("merchants:detail", pk=merchant.pk)
    return _detail_page(request, merchant, **{form_name: form})


@staff_view("merchants.review")
@require_POST
@campaign_required
def merchant_reject(request, campaign, pk):
    return _review(request, campaign, pk, service=services.merchant_reject, form_name="reject_form",
                   success=_("The application was rejected; the merchant has been told the reason by e-mail."))


@staff_view("merchants.review")
@require_POST
@campaign_required
def merchant_correction(request, campaign, pk):
    return _review(request, campaign, pk, service=services.merchant_request_correction,
                   form_name="correction_form",
                   success=_("The merchant has been asked by e-mail to correct the application."))


# --- suspension --------------------------------------------------------------------------------------------

@staff_view("merchants.review")
@require_POST
@campaign_required
def merchant_suspend(request, campaign, pk):
    merchant = _merchant(campaign, pk)
    form = forms.SuspensionForm(request.POST, auto_id="id_suspend_%s")
    if form.is_valid():
        done = form_attempt(form, lambda: services.merchant_suspend(actor=request.user, merchant=merchant,
                                                                reason=form.cleaned_data["reason"], request=request))
        if done is not None:
            messages.success(request, _("%(store)s is suspended and no longer shown in the store directory.")
                             % {"store": merchant.store_name})
            return redirect("merchants:detail", pk=merchant.pk)
    return _detail_page(request, merchant, suspend_form=form)


@staff_view("merchants.review")
@require_POST
@campaign_required
def merchant_resume(request, campaign, pk):
    merchant = _merchant(campaign, pk)
    form = forms.ResumeForm(request.POST, auto_id="id_resume_%s")
    if form.is_valid():
        done = form_attempt(form, lambda: services.merchant_resume(actor=request.user, merchant=merchant,
                                                               reason=form.cleaned_data["reason"], request=request))
        if done is not None:
            messages.success(request, _("The suspension of %(store)s is lifted.") % {"store": merchant.store_name})
            return redirect("merchants:detail", pk=merchant.pk)
    return _detail_page(request, merchant, resume_form=form)


# --- store changes from the portal ---------------------------------------------------------------------------

@staff_view("merchants.review")
@require_POST
@campaign_required
def store_changes_apply(request, campaign, pk):
    from settlement.services import merchant_store_changes_apply

    merchant = _merchant(campaign, pk)
    form = forms.ConfirmForm(request.POST, auto_id="id_changes_apply_%s")
    if form.is_valid():
        done = form_attempt(form, lambda: merchant_store_changes_apply(actor=request.user, merchant=merchant,
                                                                   request=request))
        if done is not None:
            messages.success(request, _("The store changes are applied and shown in the directory."))
            return redirect("merchants:detail", pk=merchant.pk)
    return _detail_page(request, merchant, changes_apply_form=form)


@staff_view("merchants.review")
@require_POST
@campaign_required
def store_changes_reject(request, campaign, pk):
    from settlement.services import merchant_store_changes_reject

    merchant = _merchant(campaign, pk)
    form = forms.ReasonForm(request.POST, auto_id="id_changes_reject_%s")
    if form.is_valid():
        done = form_attempt(form, lambda: merchant_store_changes_reject(
            actor=request.user, merchant=merchant, reason=form.cleaned_data["reason"], request=request))
        if done is not None:
            messages.success(request, _("The store changes were turned down; the merchant has been told why."))
            return redirect("merchants:detail", pk=merchant.pk)
    return _detail_page(request, merchant, changes_reject_form=form)


# --- bank accounts (four-eyes) -----------------------------------------------------------------------------

@staff_view("merchants.review")
@campaign_required
def bank_request(request, campaign, pk):
    """Staff enter a bank account change from the merchant's paper form; another person approves it."""
    merchant = _merchant(campaign, pk)
    form = forms.StaffBankChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        account = form_attempt(form, lambda: services.bank_account_request(
            actor=request.user, merchant=merchant, request=request, bank=services.BankDetails(
                bank_code=data["bank_code"], branch_code=data["branch_code"], account_type=data["account_type"],
                account_number=data["account_number"], holder_name=data["holder_name"])))
        if account is not None:
            messages.success(request, _("The bank account change is entered. Another staff member must approve it "
                                        "before it is used for payments."))
            return redirect("merchants:detail", pk=merchant.pk)
    current = merchant.bank_accounts.filter(status=BankAccount.Status.ACTIVE).select_related("bank", "branch").first()
    return _render(request, "settlement/staff/bank_request.html", {
        "merchant": merchant, "form": form, "current": current,
        "current_number": (current.account_number if has_capability(request.user, "merchants.bank_approve")
                           else selectors.mask_account_number(current.account_number)) if current else "",
    })


def _bank_changes_page(request, campaign, failed=None, failed_form=None, status: int = 200):
    changes = list(selectors.pending_bank_changes(campaign))
    active = selectors.active_accounts(change.merchant_id for change in changes)
    rows = []
    for change in changes:
        failed_here = failed is not None and change.pk == failed.pk
        rows.append({
            "change": change,
            "current": active.get(change.merchant_id),
            "own": change.requested_by_id == request.user.pk,
            "approve_form": failed_form if failed_here and failed_form.prefix == "approve"
            else forms.ConfirmForm(prefix="approve", auto_id=f"id_approve{change.pk}_%s"),
            "reject_form": failed_form if failed_here and failed_form.prefix == "reject"
            else forms.BankRejectForm(prefix="reject", auto_id=f"id_reject{change.pk}_%s"),
        })
    return _render(request, "settlement/staff/bank_changes.html", {"rows": rows}, status=status)


@staff_view("merchants.bank_approve")
@campaign_required
def bank_changes(request, campaign):
    return _bank_changes_page(request, campaign)


def _bank_change(campaign, pk) -> BankAccount:
    return get_object_or_404(BankAccount.objects.select_related("merchant", "bank", "branch"), pk=pk,
                             merchant__campaign=campaign)


@staff_view("merchants.bank_approve")
@require_POST
@campaign_required
def bank_approve(request, campaign, pk):
    change = _bank_change(campaign, pk)
    form = forms.ConfirmForm(request.POST, prefix="approve", auto_id=f"id_approve{change.pk}_%s")
    if form.is_valid():
        done = form_attempt(form, lambda: services.bank_account_approve(actor=request.user, account=change,
                                                                    request=request))
        if done is not None:
            messages.success(request, _("The new bank account of %(store)s is approved and used from now on; the "
                                        "old one is kept as replaced.") % {"store": change.merchant.store_name})
            return redirect("merchants:bank_changes")
    return _bank_changes_page(request, campaign, failed=change, failed_form=form)


@staff_view("merchants.bank_approve")
@require_POST
@campaign_required
def bank_reject(request, campaign, pk):
    change = _bank_change(campaign, pk)
    form = forms.BankRejectForm(request.POST, prefix="reject", auto_id=f"id_reject{change.pk}_%s")
    if form.is_valid():
        done = form_attempt(form, lambda: services.bank_account_reject(actor=request.user, account=change,
                                                                   reason=form.cleaned_data["reason"],
                                                                   request=request))
        if done is not None:
            messages.success(request, _("The bank account change of %(store)s is rejected; the current account "
                                        "stays in use.") % {"store": change.merchant.store_name})
            return redirect("merchants:bank_changes")
    return _bank_changes_page(request, campaign, failed=change, failed_form=form)


# --- redemption kits ---------------------------------------------------------------------------------------

@staff_view("merchants.review")
@require_POST
@campaign_required
def kit_ship(request, campaign, pk):
    merchant = _merchant(campaign, pk)
    form = forms.KitShipmentForm(request.POST, auto_id="id_kit_%s")
    if form.is_valid():
        data = form.cleaned_data
        done = form_attempt(form, lambda: services.kit_ship(
            actor=request.user, merchant=merchant, shipped_on=data["shipped_on"], carrier=data["carrier"],
            tracking_number=data["tracking_number"], note=data["note"]))
        if done is not None:
            messages.success(request, _("Kit shipment recorded."))
            if request.POST.get("next") == "kits_missing":
                return redirect("merchants:kits_missing")
            return redirect("merchants:detail", pk=merchant.pk)
    return _detail_page(request, merchant, kit_form=form)


@staff_view("merchants.view")
@campaign_required
def kits_missing(request, campaign):
    page = Paginator(selectors.kits_missing(campaign), PAGE_SIZE).get_page(request.GET.get("page"))
    return _render(request, "settlement/staff/kits_missing.html", {"page": page, "kit_form": forms.KitShipmentForm()})


# --- bulk import -------------------------------------------------------------------------------------------

def _import_page(request, *, form=None, table=None, errors=(), token="", confirm_form=None, file_error="",
                 filename="", status: int = 200):
    errors = list(errors)
    lines_with_errors = {error.line for error in errors}
    preview = []
    if table is not None:
        for row in table.rows[:IMPORT_PREVIEW_ROWS]:
            preview.append({"line": row.line, "values": row.values, "bad": row.line in lines_with_errors})
    return _render(request, "settlement/staff/import.html", {
        "form": form or forms.ImportUploadForm(),
        "columns": imports.IMPORT_COLUMNS,
        "genres": Merchant.Genre.choices,
        "max_rows": imports.IMPORT_MAX_ROWS,
        "table": table,
        "preview": preview,
        "more_rows": max(0, len(table.rows) - IMPORT_PREVIEW_ROWS) if table is not None else 0,
        "errors": errors[:IMPORT_ERRORS_SHOWN],
        "more_errors": max(0, len(errors) - IMPORT_ERRORS_SHOWN),
        "bad_rows": len(lines_with_errors - {None}),
        "file_error": file_error,
        "filename": filename,
        "token": token,
        "confirm_form": confirm_form or (forms.ImportConfirmForm(initial={"token": token}) if token else None),
    }, status=status)


def _store_upload(content: bytes, filename: str) -> str:
    return store_upload(content, filename, directory=IMPORT_DIR, max_age_seconds=IMPORT_TOKEN_MAX_AGE)


@staff_view("merchants.review")
@campaign_required
def merchant_import(request, campaign):
    """Upload a list, see every row checked; only a list without errors can be confirmed."""
    form = forms.ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method != "POST" or not form.is_valid():
        return _import_page(request, form=form)
    upload = form.cleaned_data["file"]
    filename = os.path.basename(upload.name)
    if upload.size > imports.IMPORT_MAX_BYTES:
        return _import_page(request, form=form, filename=filename, file_error=_(
            "The file is larger than %(mb)d MB.") % {"mb": imports.IMPORT_MAX_BYTES // 2**20})
    content = upload.read()
    try:
        table = imports.import_file_read(content, filename)
    except services.MerchantImportError as exc:
        return _import_page(request, form=form, filename=filename, file_error=str(exc), errors=exc.errors)
    _cleaned, errors = imports.merchants_import_check(table)
    token = ""
    if not errors:
        # The file waits in storage (shared by all web processes) under a random name; the signed token
        # ties it to this clerk and campaign until they confirm.
        path = _store_upload(content, filename)
        token = signing.dumps({"path": path, "name": filename, "user": request.user.pk, "campaign": campaign.pk},
                              salt=IMPORT_SALT)
    return _import_page(request, form=form, table=table, errors=errors, token=token, filename=filename)


@staff_view("merchants.review")
@require_POST
@campaign_required
def merchant_import_confirm(request, campaign):
    form = forms.ImportConfirmForm(request.POST)
    try:
        ticket = signing.loads(request.POST.get("token", ""), salt=IMPORT_SALT, max_age=IMPORT_TOKEN_MAX_AGE)
    except signing.BadSignature:
        ticket = None
    if (ticket is None or ticket.get("user") != request.user.pk or ticket.get("campaign") != campaign.pk
            or not str(ticket.get("path", "")).startswith(IMPORT_DIR + "/") or not default_storage.exists(ticket["path"])):
        messages.error(request, _("The preview has expired or belongs to someone else. Upload the file again."))
        return redirect("merchants:import")
    with default_storage.open(ticket["path"], "rb") as handle:
        content = handle.read()
    filename = ticket["name"]
    try:
        table = imports.import_file_read(content, filename)
    except services.MerchantImportError as exc:
        return _import_page(request, filename=filename, file_error=str(exc), errors=exc.errors)
    if not form.is_valid():
        return _import_page(request, table=table, token=request.POST["token"], confirm_form=form, filename=filename)
    try:
        count = services.merchants_import(actor=request.user, campaign=campaign, rows=table, source=filename,
                                          request=request)
    except services.MerchantImportError as exc:
        # The bank tables or the form rules changed since the preview: show why, import nothing.
        return _import_page(request, table=table, errors=exc.errors, file_error=str(exc), filename=filename)
    default_storage.delete(ticket["path"])
    messages.success(request, _("%(count)d merchants imported as applications. Review them like web "
                                "applications.") % {"count": count})
    return redirect(reverse("merchants:list") + "?" + urlencode({"status": Merchant.Status.APPLIED}))


@staff_view("merchants.review")
def import_template(request):
    """An empty list in the import format with one example row, as Excel or CSV (UTF-8 with BOM)."""
    header, rows = imports.import_example_rows()
    buffer = io.BytesIO()
    if request.GET.get("format") == "csv":
        write_csv(buffer, header, rows, encoding="utf-8-sig")
        filename, content_type = "merchant-import-template.csv", "text/csv; charset=utf-8"
    else:
        write_xlsx(buffer, header, rows, sheet_title=_("Merchants"))
        filename = "merchant-import-template.xlsx"
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = HttpResponse(buffer.getvalue(), content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response

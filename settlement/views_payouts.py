"""Staff screens of the payouts (/staff/settlement/payouts/, namespace "payouts"): dashboard, cutoff schedule,
batches (close, approve, outputs, bank result), fraud watch and auditor reports.

Writes are POST → service → message → redirect; a refused rule comes back as a message with nothing changed.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections import defaultdict
from datetime import date
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q, Sum
from django.db.models.functions import TruncMonth
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from campaign import formats
from campaign.audit import audit_log
from campaign.decorators import campaign_required as require_campaign
from campaign.decorators import staff_view
from campaign.errors import DomainError
from campaign.exports import EXPORT_FORMATS, write_table
from campaign.jobs import JobError, job_start
from campaign.models import Job
from campaign.roles import has_capability
from settlement import payout_documents, reports
from settlement.models import (
    AuditReport,
    BatchOutput,
    Cutoff,
    Envelope,
    FraudHit,
    FraudRule,
    Investigation,
    Merchant,
    PayoutLine,
    Redemption,
    SettlementBatch,
    WatchCase,
)
from settlement.services import cutoffs as cutoff_services
from settlement.services import fraud as fraud_services
from settlement.services import payouts as payout_services

PAGE_SIZE = 100


def _render(request, template: str, context: dict | None = None, *, status: int = 200):
    user = request.user
    context = {
        "can_prepare": has_capability(user, "settlement.intake"),
        "can_approve": has_capability(user, "settlement.approve"),
        "can_audit": has_capability(user, "reports.audit"),
        **(context or {}),
    }
    return render(request, template, context, status=status)


campaign_required = require_campaign("settlement/payouts/no_campaign.html", render_page=_render)


def _attempt(request, call, success: str | None = None):
    try:
        result = call()
    except DomainError as exc:
        messages.error(request, str(exc))
        return None
    if success:
        messages.success(request, success)
    return result


# --- forms ---------------------------------------------------------------------------------------------------

class DateInput(forms.DateInput):
    input_type = "date"


class CutoffForm(forms.Form):
    cutoff_date = forms.DateField(label=gettext_lazy("Cutoff date"), widget=DateInput)
    payment_date = forms.DateField(label=gettext_lazy("Payment date"), widget=DateInput)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Cutoff.Kind.choices)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=200)


# Numbers typed one per line or separated by commas, semicolons or spaces (Japanese punctuation too).
_NUMBER_SEPARATORS = re.compile(r"[\s,;、]+")


def _numbers(text: str) -> list[str]:
    """The numbers in ``text`` in the order typed, each once; full-width digits and letters are read as ASCII."""
    return list(dict.fromkeys(n for n in _NUMBER_SEPARATORS.split(unicodedata.normalize("NFKC", text).upper()) if n))


class CutoffScopeForm(forms.Form):
    """A manager's limit and relief of an extraordinary cutoff (cutoff_scope_set): numbers are checked against the
    campaign here, so a mistyped one is named next to its field and nothing is saved."""

    merchants = forms.CharField(
        label=gettext_lazy("Merchants (merchant numbers)"), required=False,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off", "spellcheck": "false"}),
        help_text=gettext_lazy("One per line or separated by commas. Only the envelopes of these merchants are paid."))
    envelopes = forms.CharField(
        label=gettext_lazy("Envelopes (envelope numbers)"), required=False,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off", "spellcheck": "false"}),
        help_text=gettext_lazy("One per line or separated by commas. These envelopes are paid as well. Leave both "
                               "lists empty to pay every merchant's envelopes."))
    accepts_late = forms.BooleanField(
        label=gettext_lazy("Accept envelopes received after the settlement deadline (relief)"), required=False)
    reason = forms.CharField(label=gettext_lazy("Reason for the limit or the relief"),
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign

    @classmethod
    def for_cutoff(cls, cutoff: Cutoff) -> CutoffScopeForm:
        return cls(campaign=cutoff.campaign, initial={
            "merchants": "\n".join(sorted(m.merchant_number for m in cutoff.merchants.all())),
            "envelopes": "\n".join(sorted(e.number for e in cutoff.envelopes.all())),
            "accepts_late": cutoff.accepts_late, "reason": cutoff.scope_reason})

    def _lookup(self, field: str, model, number_field: str, message: str) -> list:
        numbers = _numbers(self.cleaned_data[field])
        found = {getattr(row, number_field): row for row in
                 model.objects.filter(campaign=self.campaign, **{f"{number_field}__in": numbers})}
        missing = [n for n in numbers if n not in found]
        if missing:
            raise ValidationError([ValidationError(message, params={"number": n}) for n in missing])
        return [found[n] for n in numbers]

    def clean_merchants(self) -> list[Merchant]:
        return self._lookup("merchants", Merchant, "merchant_number",
                            _("There is no merchant %(number)s in this campaign."))

    def clean_envelopes(self) -> list[Envelope]:
        return self._lookup("envelopes", Envelope, "number", _("There is no envelope %(number)s in this campaign."))


_PAY_DAYS_AFTER = re.compile(r"\+(\d{1,2})")


class GenerateForm(forms.Form):
    """A monthly rule: the cutoff day and how the payment date follows it, chosen rather than typed. The typed
    rule of old links and bookmarks (``pay=last-business-day``, ``pay=+3``) is still read."""

    LAST_BUSINESS_DAY = "last-business-day"
    DAYS_AFTER = "days-after"

    day = forms.IntegerField(label=gettext_lazy("Cutoff day of the month"), min_value=1, max_value=31, initial=10)
    pay_rule = forms.ChoiceField(label=gettext_lazy("Payment rule"), initial=LAST_BUSINESS_DAY, choices=[
        (LAST_BUSINESS_DAY, gettext_lazy("Last bank business day of the month")),
        (DAYS_AFTER, gettext_lazy("N bank business days after the cutoff"))])
    pay_days = forms.IntegerField(label=gettext_lazy("N (bank business days after the cutoff)"), required=False,
                                  min_value=1, max_value=99,
                                  help_text=gettext_lazy("Only for “N bank business days after the cutoff”."))
    first = forms.CharField(label=gettext_lazy("First month (YYYY-MM)"), max_length=7)
    last = forms.CharField(label=gettext_lazy("Last month (YYYY-MM)"), max_length=7)

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and "pay" in data and "pay_rule" not in data:
            data = data.copy()
            typed = (data.get("pay") or "").strip()
            del data["pay"]
            match = _PAY_DAYS_AFTER.fullmatch(typed)
            if match:
                data["pay_rule"], data["pay_days"] = self.DAYS_AFTER, match.group(1)
            else:
                data["pay_rule"] = typed  # "last-business-day", or a choice the field refuses with its own error
        super().__init__(data, *args, **kwargs)

    def clean(self):
        data = super().clean()
        if data.get("pay_rule") == self.DAYS_AFTER:
            if not data.get("pay_days"):
                if "pay_days" not in self.errors:
                    self.add_error("pay_days", _("Enter N, the number of bank business days after the cutoff."))
            else:
                data["pay"] = f"+{data['pay_days']}"
        elif data.get("pay_rule") == self.LAST_BUSINESS_DAY:
            self.errors.pop("pay_days", None)  # an N left in the field does not matter for this rule
            data["pay"] = self.LAST_BUSINESS_DAY
        return data


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Schedule file (CSV or Excel)"),
                           help_text=gettext_lazy("Columns: cutoff date, payment date, kind (regular/extraordinary)."))


class BankResultForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Bank result (CSV of failed transfers)"), required=False,
                           help_text=gettext_lazy("Merchant number, reason — one line per failed transfer. "
                                                  "Leave empty when every transfer went through."))


class WarnForm(forms.Form):
    contacted_at = forms.DateTimeField(label=gettext_lazy("Contacted at"),
                                       widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    channel = forms.ChoiceField(label=gettext_lazy("Contact channel"), choices=[
        ("phone", gettext_lazy("Phone")), ("visit", gettext_lazy("Visit")), ("letter", gettext_lazy("Letter")),
        ("email", gettext_lazy("E-mail"))])
    summary = forms.CharField(label=gettext_lazy("What was said"), widget=forms.Textarea(attrs={"rows": 3}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class ReportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Report"), choices=AuditReport.Kind.choices)
    start = forms.DateField(label=gettext_lazy("From (or the day)"), widget=DateInput)
    end = forms.DateField(label=gettext_lazy("To"), widget=DateInput, required=False)
    reason = forms.CharField(label=gettext_lazy("Reason for a correction"), required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))


# --- dashboard -----------------------------------------------------------------------------------------------

def month_chart(rows: list[tuple[date, int, int]], *, width: int = 640, height: int = 240) -> dict | None:
    """Grouped bars per month (redeemed, paid) as SVG coordinates, drawn by the template (no JS library)."""
    if not rows:
        return None
    left, right, top, bottom = 84, 8, 8, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    ymax = max(max(r, p) for _m, r, p in rows) or 1
    slot = plot_w / len(rows)
    bar = max(2.0, slot * 0.35)
    bars, labels = [], []
    for i, (month, redeemed, paid) in enumerate(rows):
        x0 = left + i * slot + slot * 0.12
        for j, (value, colour, label) in enumerate(((redeemed, "#0031d8", _("Redeemed")), (paid, "#197a4b", _("Paid")))):
            h = value / ymax * plot_h
            bars.append({"x": f"{x0 + j * bar:.1f}", "y": f"{top + plot_h - h:.1f}", "w": f"{bar:.1f}",
                         "h": f"{h:.1f}", "colour": colour, "title": f"{month:%Y-%m} {label}: ¥{value:,}"})
        labels.append({"x": f"{left + i * slot + slot / 2:.1f}", "text": f"{month:%y/%m}"})
    grid = [{"y": f"{top + plot_h - v / ymax * plot_h:.1f}", "label": f"¥{v:,}"} for v in (0, ymax // 2, ymax)]
    return {"width": width, "height": height, "left": left, "right": width - right, "bottom": top + plot_h,
            "bars": bars, "labels": labels, "grid": grid, "label_x": left - 6, "axis_y": height - 14}


def monthly_figures(campaign) -> list[tuple[date, int, int]]:
    redeemed = {row["month"].date() if hasattr(row["month"], "date") else row["month"]: int(row["yen"]) for row in
                Redemption.objects.filter(campaign=campaign, by_decision=False).annotate(month=TruncMonth("redeemed_at"))
                .values("month").annotate(yen=Sum("face_value")).order_by()}
    paid = {row["month"]: int(row["yen"]) for row in
            SettlementBatch.objects.filter(campaign=campaign).exclude(status=SettlementBatch.Status.PREPARED)
            .annotate(month=TruncMonth("cutoff__payment_date")).values("month").annotate(yen=Sum("amount")).order_by()}
    months = sorted(set(redeemed) | set(paid))
    return [(m, redeemed.get(m, 0), paid.get(m, 0)) for m in months]


@staff_view("settlement.view")
@campaign_required
def dashboard(request, campaign):
    rows = monthly_figures(campaign)
    redeemed_total = sum(r for _m, r, _p in rows)
    adjustments = Investigation.objects.filter(campaign=campaign, status="accepted").aggregate(s=Sum("adjustment"))["s"] or 0
    paid_total = sum(p for _m, _r, p in rows)
    cutoffs = (Cutoff.objects.filter(campaign=campaign).select_related("batch").order_by("-cutoff_date", "kind"))
    return _render(request, "settlement/payouts/dashboard.html", {
        "chart": month_chart(rows), "months": rows, "redeemed_total": redeemed_total, "adjustments": adjustments,
        "paid_total": paid_total, "outstanding": redeemed_total + adjustments - paid_total, "cutoffs": cutoffs[:60],
        "open_cases": WatchCase.objects.filter(campaign=campaign).exclude(status="closed").count(),
    })


# --- cutoffs -------------------------------------------------------------------------------------------------

@staff_view("settlement.view")
@campaign_required
def cutoff_list(request, campaign):
    preview = None
    generate = GenerateForm(request.GET if "day" in request.GET else None)
    if generate.is_bound and generate.is_valid():
        data = generate.cleaned_data
        try:
            preview = cutoff_services.generate_schedule(
                day=data["day"], pay=cutoff_services.parse_pay_rule(data["pay"]),
                first=cutoff_services.parse_month(data["first"]), last=cutoff_services.parse_month(data["last"]))
        except DomainError as exc:
            generate.add_error(None, str(exc))
    return _render(request, "settlement/payouts/cutoffs.html", {
        "cutoffs": _with_scope(Cutoff.objects.filter(campaign=campaign)).select_related("batch").order_by(
            "cutoff_date", "kind"),
        "form": CutoffForm(), "generate": generate, "preview": preview, "import_form": ImportForm(),
    })


@staff_view("settlement.intake")
@require_POST
@campaign_required
def cutoff_create(request, campaign):
    form = CutoffForm(request.POST)
    if form.is_valid():
        _attempt(request, lambda: cutoff_services.cutoff_create(actor=request.user, campaign=campaign,
                                                                request=request, **form.cleaned_data),
                 _("The cutoff was added."))
    else:
        messages.error(request, _("Enter both dates and the kind."))
    return redirect("payouts:cutoffs")


@staff_view("settlement.intake")
@require_POST
@campaign_required
def cutoff_generate(request, campaign):
    form = GenerateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the rule."))
        return redirect("payouts:cutoffs")
    data = form.cleaned_data

    def save():
        rows = cutoff_services.generate_schedule(
            day=data["day"], pay=cutoff_services.parse_pay_rule(data["pay"]),
            first=cutoff_services.parse_month(data["first"]), last=cutoff_services.parse_month(data["last"]))
        return cutoff_services.schedule_save(actor=request.user, campaign=campaign, rows=rows, request=request,
                                             source=f"rule: day {data['day']}, {data['pay']}")

    created = _attempt(request, save)
    if created:
        messages.success(request, _("%(n)d cutoffs were added.") % {"n": len(created)})
    return redirect("payouts:cutoffs")


@staff_view("settlement.intake")
@require_POST
@campaign_required
def cutoff_import(request, campaign):
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a CSV or Excel file."))
        return redirect("payouts:cutoffs")
    upload = form.cleaned_data["file"]
    created = _attempt(request, lambda: cutoff_services.cutoffs_import(
        actor=request.user, campaign=campaign, content=upload.read(), file_name=upload.name, request=request))
    if created:
        messages.success(request, _("%(n)d cutoffs were imported.") % {"n": len(created)})
    return redirect("payouts:cutoffs")


def _with_scope(cutoffs):
    """Cutoffs with what an extraordinary one is limited to, numbers in order, and who decided it."""
    return cutoffs.select_related("scope_decided_by").prefetch_related(
        Prefetch("merchants", queryset=Merchant.objects.order_by("merchant_number")),
        Prefetch("envelopes", queryset=Envelope.objects.order_by("number")))


def _cutoff(campaign, pk) -> Cutoff:
    return get_object_or_404(_with_scope(Cutoff.objects.select_related("campaign")), pk=pk, campaign=campaign)


def _cutoff_form(cutoff: Cutoff, data=None) -> CutoffForm:
    return CutoffForm(data, initial={"cutoff_date": cutoff.cutoff_date, "payment_date": cutoff.payment_date,
                                     "kind": cutoff.kind, "note": cutoff.note})


def _render_cutoff_edit(request, cutoff: Cutoff, *, form=None, scope_form=None):
    form = form if form is not None else _cutoff_form(cutoff)
    closed = hasattr(cutoff, "batch")
    # Limit and relief: a manager's decision on an extraordinary cutoff that is not closed; others read it.
    if scope_form is None and cutoff.kind == Cutoff.Kind.EXTRAORDINARY and not closed \
            and has_capability(request.user, "settlement.approve"):
        scope_form = CutoffScopeForm.for_cutoff(cutoff)
    return _render(request, "settlement/payouts/cutoff_edit.html", {
        "cutoff": cutoff, "form": form, "scope_form": scope_form, "closed": closed})


@staff_view("settlement.intake")
@campaign_required
def cutoff_edit(request, campaign, pk):
    cutoff = _cutoff(campaign, pk)
    form = _cutoff_form(cutoff, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cutoff_services.cutoff_update(actor=request.user, cutoff=cutoff, request=request, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The cutoff was changed."))
            return redirect("payouts:cutoffs")
    return _render_cutoff_edit(request, cutoff, form=form)


@staff_view("settlement.approve")
@require_POST
@campaign_required
def cutoff_scope(request, campaign, pk):
    cutoff = _cutoff(campaign, pk)
    form = CutoffScopeForm(request.POST, campaign=campaign)
    if form.is_valid():
        data = form.cleaned_data
        try:
            cutoff_services.cutoff_scope_set(actor=request.user, cutoff=cutoff, merchants=data["merchants"],
                                             envelopes=data["envelopes"], accepts_late=data["accepts_late"],
                                             reason=data["reason"], request=request)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The limit and relief of the cutoff were saved."))
            return redirect("payouts:cutoffs")
    return _render_cutoff_edit(request, cutoff, scope_form=form)


@staff_view("settlement.intake")
@require_POST
@campaign_required
def cutoff_delete(request, campaign, pk):
    cutoff = _cutoff(campaign, pk)
    _attempt(request, lambda: cutoff_services.cutoff_delete(actor=request.user, cutoff=cutoff, request=request),
             _("The cutoff was deleted."))
    return redirect("payouts:cutoffs")


@staff_view("settlement.intake")
@require_POST
@campaign_required
def cutoff_close(request, campaign, pk):
    cutoff = _cutoff(campaign, pk)
    batch = _attempt(request, lambda: payout_services.batch_close(actor=request.user, cutoff=cutoff, request=request))
    if batch:
        messages.success(request, _("The cutoff was closed: %(n)d merchants to pay, ¥%(amount)s. A second person "
                                    "must approve the batch.") % {"n": batch.merchants, "amount": f"{batch.amount:,}"})
        return redirect("payouts:batch", pk=batch.pk)
    return redirect("payouts:cutoffs")


# --- batches -------------------------------------------------------------------------------------------------

def _batch(campaign, pk) -> SettlementBatch:
    return get_object_or_404(SettlementBatch.objects.select_related("cutoff", "prepared_by", "approved_by"),
                             pk=pk, campaign=campaign)


@staff_view("settlement.view")
@campaign_required
def batch_list(request, campaign):
    batches = SettlementBatch.objects.filter(campaign=campaign).select_related("cutoff").order_by(
        "-cutoff__cutoff_date", "-pk")
    return _render(request, "settlement/payouts/batch_list.html", {"batches": batches})


_PAYING = (PayoutLine.Status.PAYABLE, PayoutLine.Status.PAID, PayoutLine.Status.FAILED)


def _line_notes(batch: SettlementBatch, lines: list[PayoutLine]) -> dict[int, list[dict]]:
    """What a clerk must read next to a line so that no amount seems to be paid twice: where a carried amount comes
    from (a failed transfer of an earlier batch) and whether it is paid here or still waiting, and which batch pays
    a merchant whose money is also shown held in another batch. Each note is ``{"kind", "text", "batch"}`` (the
    batch to open, or None)."""
    notes: dict[int, list[dict]] = defaultdict(list)
    if not lines:
        return notes
    by_merchant = {line.merchant_id: line for line in lines}
    by_pk = {line.pk: line for line in lines}

    def note(line, kind, text, other=None):
        notes[line.pk].append({"kind": kind, "text": text, "batch": other})

    # Carried into a paying line: the failed lines that point at it.
    paying = [line.pk for line in lines if line.status in _PAYING and line.carried_amount]
    for source in (PayoutLine.objects.filter(carried_to__in=paying).select_related("batch__cutoff")
                   .order_by("batch__cutoff__cutoff_date", "pk")):
        note(by_pk[source.carried_to_id], "carried",
             _("of which carried %(amount)s (failed transfer of the cutoff %(day)s)")
             % {"amount": formats.yen(source.amount), "day": formats.day(source.batch.cutoff.cutoff_date)},
             source.batch_id)
    # Shown on a held line: the failed lines that were waiting when this batch was closed. They stay with their
    # own batch until a later batch pays them (carried_to).
    held = [line.merchant_id for line in lines if line.status == PayoutLine.Status.HELD and line.carried_amount]
    waiting = (PayoutLine.objects.filter(merchant_id__in=held, status=PayoutLine.Status.FAILED,
                                         batch__paid_recorded_at__lt=batch.prepared_at)
               .exclude(batch=batch)
               .filter(Q(carried_to__isnull=True) | Q(carried_to__batch__prepared_at__gt=batch.prepared_at))
               .select_related("batch__cutoff", "carried_to__batch__cutoff").order_by("batch__cutoff__cutoff_date", "pk"))
    for source in waiting:
        line = by_merchant[source.merchant_id]
        values = {"amount": formats.yen(source.amount), "day": formats.day(source.batch.cutoff.cutoff_date)}
        note(line, "waiting", _("of which carried %(amount)s, still waiting (failed transfer of the cutoff %(day)s)")
             % values, source.batch_id)
        if source.carried_to_id and source.carried_to.batch_id != batch.pk:
            note(line, "paid_by", _("%(amount)s is paid by the batch of the cutoff %(day)s")
                 % {"amount": values["amount"], "day": formats.day(source.carried_to.batch.cutoff.cutoff_date)},
                 source.carried_to.batch_id)
    # The same merchant in other batches: a held line here and a line in a newer batch, or a line here and a held
    # line in an older batch still awaiting approval. Say which batch pays.
    merchants = list(by_merchant)
    newer: dict[int, list[PayoutLine]] = defaultdict(list)
    older_held: dict[int, list[PayoutLine]] = defaultdict(list)
    others = (PayoutLine.objects.filter(merchant_id__in=merchants, batch__campaign_id=batch.campaign_id)
              .exclude(batch=batch).select_related("batch__cutoff").order_by("batch__prepared_at", "batch_id"))
    for other in others:
        if (other.batch.prepared_at, other.batch_id) > (batch.prepared_at, batch.pk):
            newer[other.merchant_id].append(other)
        elif (other.status == PayoutLine.Status.HELD
              and other.batch.status == SettlementBatch.Status.PREPARED):
            older_held[other.merchant_id].append(other)
    for merchant_id, line in by_merchant.items():
        if line.status == PayoutLine.Status.HELD and newer.get(merchant_id):
            later = next((o for o in newer[merchant_id] if o.status in _PAYING), newer[merchant_id][-1])
            day = formats.day(later.batch.cutoff.cutoff_date)
            if later.status in _PAYING:
                text = _("Not paid by this batch: the newer batch of the cutoff %(day)s pays it.") % {"day": day}
            else:
                text = _("Not paid by this batch: held again in the newer batch of the cutoff %(day)s.") % {"day": day}
            note(line, "newer", text, later.batch_id)
        for other in older_held.get(merchant_id, []):
            day = formats.day(other.batch.cutoff.cutoff_date)
            if line.status in _PAYING:
                text = _("Also shown held in the batch of the cutoff %(day)s (awaiting approval): this batch pays it, "
                         "that one does not.") % {"day": day}
            else:
                text = _("Also shown held in the batch of the cutoff %(day)s (awaiting approval): neither batch pays "
                         "it yet.") % {"day": day}
            note(line, "older", text, other.batch_id)
    return notes


def _all_files_job(request, batch: SettlementBatch) -> Job | None:
    """The "all four files" job named in ``?files=``, when it is the viewer's own job for this batch."""
    public_id = request.GET.get("files", "")
    try:
        return Job.objects.filter(public_id=public_id, owner=request.user, kind=payout_documents.ALL_JOB_KIND,
                                  params__batch=batch.pk).first()
    except ValidationError:
        return None


def _output_rows(request, batch: SettlementBatch) -> list[dict]:
    outputs = {o.kind: o for o in batch.outputs.all()}
    return [{"kind": kind, "label": label, "output": outputs.get(kind),
             "can_generate": has_capability(request.user, payout_documents.DOWNLOAD_CAPABILITY[kind])
             and has_capability(request.user, "settlement.intake" if kind != "zengin" else "settlement.approve"),
             "can_download": has_capability(request.user, payout_documents.DOWNLOAD_CAPABILITY[kind])}
            for kind, label in BatchOutput.Kind.choices]


@staff_view("settlement.view")
@campaign_required
def batch_detail(request, campaign, pk):
    batch = _batch(campaign, pk)
    status = request.GET.get("status", "")
    lines = batch.lines.select_related("merchant").order_by("merchant__merchant_number", "pk")
    if status in PayoutLine.Status.values:
        lines = lines.filter(status=status)
    page = Paginator(lines, PAGE_SIZE).get_page(request.GET.get("page"))
    notes = _line_notes(batch, list(page.object_list))
    for line in page.object_list:
        line.notes = notes.get(line.pk, [])
        line.reason_labels = _reason_labels(line.hold_reasons)
    output_rows = _output_rows(request, batch)
    nothing = batch.lines.filter(status=PayoutLine.Status.NOTHING).aggregate(n=Count("pk"), e=Sum("envelopes"))
    return _render(request, "settlement/payouts/batch_detail.html", {
        "batch": batch, "page": page, "status": status, "statuses": PayoutLine.Status.choices,
        "output_rows": output_rows, "result_form": BankResultForm(),
        "can_generate_all": all(row["can_generate"] for row in output_rows),
        "files_job": _all_files_job(request, batch),
        "is_preparer": batch.prepared_by_id == request.user.pk,
        "nothing_merchants": nothing["n"], "nothing_envelopes": nothing["e"] or 0,
    })


_HOLD_LABELS = dict(PayoutLine.HoldReason.choices)


def _reason_labels(reasons) -> list[str]:
    # Each reason once (lines closed before issue 17 may repeat "open investigation").
    return [str(_HOLD_LABELS.get(code, code)) for code in payout_services.hold_reasons_unique(reasons)]


@staff_view("settlement.intake")  # as closing a cutoff: the person who signs is the one who could have closed it
@require_POST
@campaign_required
def batch_prepare(request, campaign, pk):
    batch = _batch(campaign, pk)
    _attempt(request, lambda: payout_services.batch_prepare(actor=request.user, batch=batch, request=request),
             _("You signed the batch as its preparer. A second person must now approve it."))
    return redirect("payouts:batch", pk=batch.pk)


@staff_view("settlement.approve")
@require_POST
@campaign_required
def batch_approve(request, campaign, pk):
    batch = _batch(campaign, pk)
    _attempt(request, lambda: payout_services.batch_approve(actor=request.user, batch=batch, request=request),
             _("The batch was approved; its files can now be generated."))
    return redirect("payouts:batch", pk=batch.pk)


@staff_view("settlement.intake")
@require_POST
@campaign_required
def batch_discard(request, campaign, pk):
    batch = _batch(campaign, pk)
    if _attempt(request, lambda: payout_services.batch_discard(actor=request.user, batch=batch, request=request),
                _("The batch was discarded; the cutoff can be closed again.")):
        return redirect("payouts:cutoffs")
    return redirect("payouts:batch", pk=batch.pk)


@staff_view("settlement.approve")
@require_POST
@campaign_required
def batch_bank_result(request, campaign, pk):
    batch = _batch(campaign, pk)
    form = BankResultForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("The result file could not be read."))
        return redirect("payouts:batch", pk=batch.pk)
    upload = form.cleaned_data.get("file")

    def record():
        failures = payout_services.parse_bank_result(upload.read()) if upload else []
        return payout_services.batch_record_bank_result(actor=request.user, batch=batch, failures=failures,
                                                        request=request)

    result = _attempt(request, record)
    if result:
        messages.success(request, _("Bank result recorded: %(paid)d paid, %(failed)d failed (they return in the next "
                                    "batch once the account is corrected).") % result)
    return redirect("payouts:batch", pk=batch.pk)


@staff_view("settlement.intake")
@require_POST
@campaign_required
def output_generate(request, campaign, pk, kind):
    batch = _batch(campaign, pk)
    if kind not in payout_documents.JOB_KINDS:
        raise Http404
    try:
        job = job_start(actor=request.user, kind=payout_documents.JOB_KINDS[kind], campaign=campaign,
                        params={"batch": batch.pk}, request=request)
    except PermissionError:
        messages.error(request, _("Your role may not generate this file."))
        return redirect("payouts:batch", pk=batch.pk)
    except JobError as exc:
        messages.error(request, str(exc))
        return redirect("payouts:batch", pk=batch.pk)
    return redirect("staff:job_detail", public_id=job.public_id)


@staff_view("settlement.intake")
@require_POST
@campaign_required
def output_generate_all(request, campaign, pk):
    """One job for the batch's four files (Zengin, list, notices, summary); the batch page follows its progress and
    then offers the four downloads."""
    batch = _batch(campaign, pk)
    try:
        job = job_start(actor=request.user, kind=payout_documents.ALL_JOB_KIND, campaign=campaign,
                        params={"batch": batch.pk}, request=request)
    except PermissionError:
        messages.error(request, _("Your role may not generate these files."))
        return redirect("payouts:batch", pk=batch.pk)
    except JobError as exc:
        messages.error(request, str(exc))
        return redirect("payouts:batch", pk=batch.pk)
    return redirect(f"{reverse('payouts:batch', kwargs={'pk': batch.pk})}?files={job.public_id}#outputs-title")


@staff_view("settlement.view")
@campaign_required
def output_all_status(request, campaign, pk):
    """The progress of the "all four files" job, polled by the batch page; the downloads once it has finished."""
    batch = _batch(campaign, pk)
    job = _all_files_job(request, batch)
    if job is None and request.GET.get("files"):  # a job that is not this user's, or none at all
        raise Http404
    if job is None:  # nothing asked for yet: an empty block (the page does not poll)
        return HttpResponse('<div id="all-files" data-testid="all-files"></div>')
    return _render(request, "settlement/payouts/_all_files.html", {
        "batch": batch, "files_job": job, "output_rows": _output_rows(request, batch)})


@staff_view("settlement.view")
@campaign_required
def output_download(request, campaign, pk, kind):
    batch = _batch(campaign, pk)
    output = get_object_or_404(BatchOutput, batch=batch, kind=kind)
    if not has_capability(request.user, payout_documents.DOWNLOAD_CAPABILITY[kind]):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    audit_log(actor=request.user, action="settlement.output_download", target=output, campaign=campaign,
              request=request, data={"kind": kind, "sha256": output.sha256})
    return FileResponse(output.file.open("rb"), as_attachment=True, filename=output.file_name)


# --- fraud watch ---------------------------------------------------------------------------------------------

@staff_view("settlement.view")
@campaign_required
def fraud_list(request, campaign):
    cases = (WatchCase.objects.filter(campaign=campaign).select_related("merchant").order_by("status", "-opened_on"))
    show = request.GET.get("show", "open")
    if show != "all":
        cases = cases.exclude(status=WatchCase.Status.CLOSED)
    return _render(request, "settlement/payouts/fraud_list.html", {
        "cases": cases, "show": show, "rules": fraud_services.fraud_rules(campaign).values(),
        "recent_hits": FraudHit.objects.filter(campaign=campaign).select_related("merchant")[:30],
    })


@staff_view("settlement.intake")
@require_POST
@campaign_required
def fraud_scan(request, campaign):
    hits = fraud_services.fraud_scan(campaign=campaign, actor=request.user)
    messages.success(request, _("Scan finished: %(n)d new hits.") % {"n": len(hits)})
    return redirect("payouts:fraud")


@staff_view("settlement.approve")
@require_POST
@campaign_required
def fraud_rule_update(request, campaign, pk):
    rule = get_object_or_404(FraudRule, pk=pk, campaign=campaign)
    try:
        threshold = Decimal(request.POST.get("threshold", ""))
        min_tickets = int(request.POST.get("min_tickets", "0"))
    except (ArithmeticError, ValueError):
        messages.error(request, _("The threshold and the minimum must be numbers."))
        return redirect("payouts:fraud")
    _attempt(request, lambda: fraud_services.fraud_rule_update(
        actor=request.user, rule=rule, is_active=request.POST.get("is_active") == "on", threshold=threshold,
        min_tickets=min_tickets, request=request), _("The rule was saved."))
    return redirect("payouts:fraud")


def _case(campaign, pk) -> WatchCase:
    return get_object_or_404(WatchCase.objects.select_related("merchant"), pk=pk, campaign=campaign)


@staff_view("settlement.view")
@campaign_required
def watch_detail(request, campaign, pk):
    case = _case(campaign, pk)
    return _render(request, "settlement/payouts/watch_detail.html", {
        "case": case, "hits": case.hits.order_by("-day"), "contacts": case.contacts.select_related("recorded_by"),
        "warn_form": WarnForm(initial={"contacted_at": timezone.localtime().replace(second=0, microsecond=0)}),
        "reason_form": ReasonForm(),
    })


@staff_view("settlement.intake")
@require_POST
@campaign_required
def watch_warn(request, campaign, pk):
    case = _case(campaign, pk)
    form = WarnForm(request.POST)
    if form.is_valid():
        _attempt(request, lambda: fraud_services.watch_warn(actor=request.user, case=case, request=request,
                                                            **form.cleaned_data), _("The warning was recorded."))
    else:
        messages.error(request, _("Enter when and how the merchant was contacted and what was said."))
    return redirect("payouts:watch", pk=case.pk)


@staff_view("settlement.approve")
@require_POST
@campaign_required
def watch_suspend(request, campaign, pk):
    case = _case(campaign, pk)
    _attempt(request, lambda: fraud_services.watch_suspend(actor=request.user, case=case, request=request,
                                                           reason=request.POST.get("reason", "")),
             _("The merchant was suspended; its payouts are held."))
    return redirect("payouts:watch", pk=case.pk)


@staff_view("settlement.intake")
@require_POST
@campaign_required
def watch_close(request, campaign, pk):
    case = _case(campaign, pk)
    _attempt(request, lambda: fraud_services.watch_close(actor=request.user, case=case, request=request,
                                                         note=request.POST.get("reason", "")),
             _("The case was closed."))
    return redirect("payouts:watch", pk=case.pk)


# --- auditor reports -----------------------------------------------------------------------------------------

@staff_view("reports.audit")
@campaign_required
def report_list(request, campaign):
    return _render(request, "settlement/payouts/report_list.html", {
        "reports": AuditReport.objects.filter(campaign=campaign).select_related("created_by")[:200],
        "form": ReportForm(initial={"kind": "daily", "start": timezone.localdate()}),
        "can_issue": has_capability(request.user, "settlement.approve"),
    })


@staff_view("settlement.approve")
@require_POST
@campaign_required
def report_issue(request, campaign):
    form = ReportForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the report and its dates."))
        return redirect("payouts:reports")
    data = form.cleaned_data
    report = _attempt(request, lambda: reports.report_issue(
        actor=request.user, campaign=campaign, kind=data["kind"], start=data["start"],
        end=data["end"] or data["start"], reason=data["reason"], request=request))
    if report:
        messages.success(request, _("Revision %(n)d was issued.") % {"n": report.revision})
        return redirect("payouts:report", pk=report.pk)
    return redirect("payouts:reports")


@staff_view("reports.audit")
@campaign_required
def report_detail(request, campaign, pk):
    report = get_object_or_404(AuditReport.objects.select_related("created_by"), pk=pk, campaign=campaign)
    revisions = AuditReport.objects.filter(campaign=campaign, kind=report.kind, period_start=report.period_start,
                                           period_end=report.period_end).order_by("-revision")
    return _render(request, "settlement/payouts/report_detail.html", {
        "report": report, "revisions": revisions, "figures": report.figures, "diff": report.diff,
        "formats": EXPORT_FORMATS,
    })


@staff_view("reports.audit")
@campaign_required
def report_download(request, campaign, pk):
    report = get_object_or_404(AuditReport, pk=pk, campaign=campaign)
    fmt = request.GET.get("format", "xlsx")
    if fmt not in EXPORT_FORMATS:
        raise Http404
    buffer = io.BytesIO()
    write_table(fmt, buffer, reports.TABLE_HEADER, reports.table_rows(report), sheet_title=f"r{report.revision}")
    spec = EXPORT_FORMATS[fmt]
    name = f"実績報告_{report.period_start:%Y-%m-%d}_{report.period_end:%Y-%m-%d}_r{report.revision}{spec.extension}"
    audit_log(actor=request.user, action="settlement.report_download", target=report, campaign=campaign,
              request=request, data={"format": fmt})
    response = HttpResponse(buffer.getvalue(), content_type=spec.mime_type)
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response

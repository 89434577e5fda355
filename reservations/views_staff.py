"""Staff screens under /staff/reservations/: today's visitors with arrival marking, reservation detail with
proxy change / cancel, proxy booking, search and export, occupancy across counters, and the set-up
(settings, counters, bulk opening rules, closed days, excluded times, fields, slot generation with conflicts).

Every write is POST → service → message → redirect; viewing a reservation's personal data is audit-logged.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from campaign.audit import audit_log
from campaign.decorators import campaign_required as require_campaign
from campaign.decorators import staff_view
from campaign.forms import ExportFormatForm
from campaign.jobs import job_start
from campaign.roles import has_capability
from reservations import forms, selectors, services, services_applicants
from reservations.errors import ReservationError
from reservations.fields import FieldErrors
from reservations.linkcodes import format_code
from reservations.models import (
    Applicant,
    ClosedDay,
    Counter,
    ExcludedTime,
    OpeningRule,
    Reservation,
    ReservationSettings,
    Resident,
    Slot,
)
from reservations.views_public import _answers_table, _initial


def _render(request, template: str, context: dict | None = None, *, status: int = 200):
    context = {"can_manage": has_capability(request.user, "reservations.manage"),
               "can_setup": has_capability(request.user, "reservations.setup"), **(context or {})}
    return render(request, template, context, status=status)


campaign_required = require_campaign("reservations/staff/no_campaign.html", render_page=_render)


def _day(request) -> date:
    try:
        return date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return timezone.localdate()


@staff_view("reservations.view")
@campaign_required
def today(request, campaign):
    day = _day(request)
    groups = selectors.day_visitors(campaign, day)
    audit_log(actor=request.user, action="reservation.view_day", target=campaign, campaign=campaign,
              data={"day": day.isoformat(), "count": sum(len(rows) for _c, rows in groups)}, request=request)
    return _render(request, "reservations/staff/today.html", {
        "day": day, "groups": groups, "prev": day - timedelta(days=1), "next": day + timedelta(days=1),
        "prev_week": day - timedelta(days=7), "next_week": day + timedelta(days=7),
        "arrival_form": forms.ArrivalForm()})


@staff_view("reservations.view")
@campaign_required
def occupancy(request, campaign):
    day = _day(request)
    cols, rows = selectors.occupancy(campaign, day)
    return _render(request, "reservations/staff/occupancy.html", {
        "day": day, "cols": cols, "rows": rows, "prev": day - timedelta(days=1), "next": day + timedelta(days=1)})


@staff_view("reservations.view")
@campaign_required
def search(request, campaign):
    form = forms.SearchForm(request.GET or None)
    flt = form.search_filter()
    page = Paginator(selectors.search(campaign, flt), 50).get_page(request.GET.get("page"))
    if form.is_bound:
        audit_log(actor=request.user, action="reservation.search", target=campaign, campaign=campaign,
                  data={"filter": flt.to_params(), "page": page.number}, request=request)
    query = request.GET.copy()
    query.pop("page", None)
    return _render(request, "reservations/staff/search.html", {
        "form": form, "page": page, "query": query.urlencode(), "export_form": ExportFormatForm()})


@staff_view("reservations.view")
@campaign_required
@require_POST
def export(request, campaign):
    form = ExportFormatForm(request.POST)
    fmt = form.cleaned_data["format"] if form.is_valid() else "xlsx"
    search_form = forms.SearchForm(request.POST)
    flt = search_form.search_filter()
    job = job_start(actor=request.user, kind="reservations_export", campaign=campaign, request=request,
                    params={"campaign": campaign.pk, "format": fmt, "filter": flt.to_params()})
    return redirect("staff:job_detail", public_id=job.public_id)


def _reservation(campaign, pk) -> Reservation:
    found = selectors.reservation_for_staff(campaign, pk)
    if found is None:
        raise Http404
    return found


@staff_view("reservations.view")
@campaign_required
def detail(request, campaign, pk: int):
    r = _reservation(campaign, pk)
    audit_log(actor=request.user, action="reservation.view", target=r, campaign=campaign, request=request)
    return _render(request, "reservations/staff/detail.html", {
        "r": r, "rows": _answers_table(campaign.pk, r), "arrival_form": forms.ArrivalForm(
            initial={"memo": r.arrival_memo})})


@staff_view("reservations.manage")
@campaign_required
@require_POST
def arrive(request, campaign, pk: int):
    r = _reservation(campaign, pk)
    form = forms.ArrivalForm(request.POST)
    memo = form.cleaned_data["memo"] if form.is_valid() else ""
    try:
        if request.POST.get("action") == "memo":
            services.reservation_memo(reservation=r, actor=request.user, memo=memo, request=request)
            messages.success(request, _("The memo has been saved."))
        else:
            services.reservation_arrive(reservation=r, actor=request.user, memo=memo, request=request)
            messages.success(request, _("Reservation %(n)s: marked as arrived.") % {"n": r.number})
    except ReservationError as exc:
        messages.error(request, str(exc))
    target = request.POST.get("next", "")
    return redirect(target if target.startswith("/staff/reservations/") else reverse("reservations:detail",
                                                                                     args=[r.pk]))


@staff_view("reservations.manage")
@campaign_required
def cancel(request, campaign, pk: int):
    r = _reservation(campaign, pk)
    error = None
    if request.method == "POST":
        try:
            services.reservation_cancel(reservation=r, actor=request.user, request=request)
        except ReservationError as exc:
            error = str(exc)
        else:
            messages.success(request, _("Reservation %(n)s has been cancelled.") % {"n": r.number})
            return redirect("reservations:detail", pk=r.pk)
    return _render(request, "reservations/staff/cancel.html", {"r": r, "error": error})


def _slot_choices(campaign, counter_id: int | None, day: date | None, current: int | None = None):
    qs = Slot.objects.filter(campaign=campaign, ends_at__gt=timezone.now()).select_related("counter")
    if counter_id:
        qs = qs.filter(counter_id=counter_id)
    if day:
        qs = qs.filter(day=day)
    else:
        qs = qs.filter(day__lte=timezone.localdate() + timedelta(days=60))
    return [s for s in qs.order_by("starts_at")[:500] if s.booked < s.staff_capacity or s.pk == current]


@staff_view("reservations.manage")
@campaign_required
def change(request, campaign, pk: int):
    r = _reservation(campaign, pk)
    ctx = selectors.booking_context(campaign.pk)
    form = forms.AnswersForm(request.POST or None, config=ctx.fields, audience="staff", initial=_initial(r))
    if request.method == "POST" and form.is_valid():
        slot_value = request.POST.get("slot", "")
        try:
            services.reservation_change(reservation=r, actor=request.user, answers=form.raw_answers(),
                                        slot_id=int(slot_value) if slot_value.isdigit() else None, request=request)
        except FieldErrors as exc:
            for name, msgs in exc.errors.items():
                form.add_error(name if name in form.fields else None, " ".join(msgs))
        except ReservationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Reservation %(n)s has been changed.") % {"n": r.number})
            return redirect("reservations:detail", pk=r.pk)
    return _render(request, "reservations/staff/change.html", {
        "r": r, "form": form, "slots": _slot_choices(campaign, r.slot.counter_id, None, r.slot_id)})


def _proxy_applicant(campaign, code_form) -> Applicant | None:
    """The applicant whose link code staff entered, or None (no code, or an error put on the form). A code
    already used is refused by the booking itself (``on_reservation_booked``), so that a double click on
    "Book" still finds its first booking."""
    code = code_form.cleaned_data.get("link_code") if code_form.is_valid() else ""
    if not code:
        return None
    applicant = services_applicants.applicant_for_code(campaign_id=campaign.pk, code=code)
    if applicant is None:
        code_form.add_error("link_code", _("No applicant of this campaign has this link code. Please check it "
                                           "with the resident."))
    return applicant


@staff_view("reservations.manage")
@campaign_required
def proxy_book(request, campaign):
    """Proxy booking (代理予約): pick a counter and day, then a slot, the fields, the resident ID and the link
    code of the resident's letter if they have one (the booking is then the applicant's, as on the web)."""
    pick = forms.ProxyPickForm(request.GET or None, campaign=campaign)
    slots = _slot_choices(campaign, pick.cleaned_data["counter"].pk, pick.cleaned_data["day"]) \
        if pick.is_bound and pick.is_valid() else []
    ctx = selectors.booking_context(campaign.pk)
    form = forms.AnswersForm(request.POST or None, config=ctx.fields, audience="staff")
    forms.postal_autofill(form, reverse("reservations:postal_lookup"))
    code_form = forms.ProxyLinkCodeForm(request.POST or None, prefix="applicant")
    answers_valid = form.is_valid()  # both forms checked, so that all their errors show at once
    if request.method == "POST" and code_form.is_valid() and answers_valid:
        slot_value = request.POST.get("slot", "")
        resident_number = request.POST.get("resident_number", "").strip()[:30]
        applicant = _proxy_applicant(campaign, code_form)
        if not slot_value.isdigit():
            form.add_error(None, _("Choose a time slot."))
        elif not code_form.errors:
            resident = Resident.objects.filter(resident_number=resident_number).first() if resident_number else None
            try:
                result = services.reservation_book(
                    slot_id=int(slot_value), campaign_id=campaign.pk, answers=form.raw_answers(),
                    channel=Reservation.Channel.STAFF, actor=request.user, resident=resident,
                    resident_number=resident_number, request=request, applicant=applicant,
                    idempotency_key=f"staff:{request.POST.get('token', '')}" if request.POST.get("token") else "")
            except FieldErrors as exc:
                for name, msgs in exc.errors.items():
                    form.add_error(name if name in form.fields else None, " ".join(msgs))
            except ReservationError as exc:
                if exc.code == "link_used":
                    applicant.refresh_from_db(fields=["reservation"])
                    code_form.add_error("link_code", _(
                        "This link code has already been used for reservation %(n)s. Change that reservation "
                        "instead.") % {"n": applicant.reservation_id or "—"})
                else:
                    form.add_error(None, str(exc))
            else:
                if result.access_key:
                    messages.success(request, _("Booked: reservation %(n)s. Access key for the resident: %(key)s")
                                     % {"n": result.number, "key": result.access_key})
                else:
                    messages.success(request, _("Booked: reservation %(n)s.") % {"n": result.number})
                if applicant is not None:
                    messages.success(request, _("The booking is tied to the link code %(code)s and the applicant "
                                                "is recorded as reserved.") % {"code": format_code(applicant.link_code)})
                return redirect("reservations:detail", pk=result.reservation_id)
    return _render(request, "reservations/staff/proxy_book.html", {
        "pick": pick, "slots": slots, "form": form, "code_form": code_form, "token": secrets.token_urlsafe(16),
        "resident_number": request.POST.get("resident_number", "")})


@staff_view("reservations.manage")
@campaign_required
@require_GET
def postal_lookup(request, campaign):
    """htmx, for the counter's forms (proxy booking, applicant): the address for a postal code from Japan Post's
    data (``settlement.postal``, the lookup of the merchant application) as a status line, and the address input
    swapped out of band — only when it is empty or holds another area's address, so a street number and
    building already typed are kept."""
    from settlement.postal import address_for, format_postal_code, parse_postal_code

    raw = request.GET.get("postal_code", "")
    code = parse_postal_code(raw)
    template = "reservations/staff/_postal_result.html"
    if code is None:
        if sum(ch.isdigit() for ch in raw) >= 7:
            return render(request, template, {"message": _("Enter the postal code as 7 digits, e.g. 680-0011."),
                                              "error": True})
        return HttpResponse(_("7 digits, e.g. 680-0011"))
    address = address_for(code)
    if address is None:
        message = _("No address was found for 〒%(code)s. Check the postal code, or type the address yourself.") % {
            "code": format_postal_code(code)}
        return render(request, template, {"message": message, "error": True})
    address_input = None
    if not request.GET.get("address", "").strip().startswith(address):
        form = forms.AnswersForm(config=selectors.booking_context(campaign.pk).fields, audience="staff",
                                 initial={"address": address})
        if "address" in form.fields:
            address_input = form["address"].as_widget(attrs={"hx-swap-oob": "true"})
            message = _("Address filled in: %(address)s. Add the street number and building.") % {"address": address}
    if address_input is None:
        message = _("The postal code matches the address: %(address)s.") % {"address": address}
    return render(request, template, {"message": message, "address_input": address_input})


# --- set-up ------------------------------------------------------------------------------------------------

def _settings_row(campaign) -> ReservationSettings | None:
    return ReservationSettings.objects.filter(campaign=campaign).first()


@staff_view("reservations.setup")
@campaign_required
def setup(request, campaign):
    row = _settings_row(campaign)
    today_ = timezone.localdate()
    initial = {} if row else {"accept_from": timezone.now(), "accept_until": timezone.now() + timedelta(days=30),
                              "window_start": today_ + timedelta(days=1), "window_end": today_ + timedelta(days=30),
                              "slot_minutes": 30}
    form = forms.SettingsForm(request.POST or None, instance=row or ReservationSettings(campaign=campaign),
                              initial=initial)
    if request.method == "POST" and form.is_valid():
        values = {k: form.cleaned_data[k] for k in forms.SettingsForm.Meta.fields}
        services.settings_save(campaign=campaign, actor=request.user, values=values, request=request)
        messages.success(request, _("The reservation settings have been saved."))
        return redirect("reservations:setup")
    return _render(request, "reservations/staff/setup.html", {
        "form": form, "row": row, "counters": Counter.objects.filter(campaign=campaign),
        "rules": OpeningRule.objects.filter(counter__campaign=campaign).select_related("counter"),
        "closed_days": ClosedDay.objects.filter(campaign=campaign, date__gte=today_).select_related("counter"),
        "excluded": ExcludedTime.objects.filter(counter__campaign=campaign).select_related("counter"),
        "counter_form": forms.CounterForm(prefix="counter"),
        "rule_form": forms.RuleBulkForm(prefix="rule", campaign=campaign),
        "closed_form": forms.ClosedDayForm(prefix="closed", campaign=campaign),
        "excluded_form": forms.ExcludedTimeForm(prefix="excluded", campaign=campaign),
        "conflicts": selectors.conflicts(campaign)[:200],
        "slot_count": Slot.objects.filter(campaign=campaign).count()})


def _setup_error(request, form):
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
    return redirect("reservations:setup")


@staff_view("reservations.setup")
@campaign_required
@require_POST
def counter_add(request, campaign):
    form = forms.CounterForm(request.POST, prefix="counter", instance=Counter(campaign=campaign))
    if not form.is_valid():
        return _setup_error(request, form)
    counter = form.save()
    audit_log(actor=request.user, action="reservation.counter_add", target=counter, campaign=campaign,
              request=request)
    messages.success(request, _("Counter “%(name)s” added.") % {"name": counter.name})
    return redirect("reservations:setup")


@staff_view("reservations.setup")
@campaign_required
def counter_edit(request, campaign, pk: int):
    counter = get_object_or_404(Counter, pk=pk, campaign=campaign)
    form = forms.CounterForm(request.POST or None, instance=counter)
    if request.method == "POST" and form.is_valid():
        form.save()
        audit_log(actor=request.user, action="reservation.counter_edit", target=counter, campaign=campaign,
                  request=request)
        messages.success(request, _("Counter “%(name)s” saved.") % {"name": counter.name})
        return redirect("reservations:setup")
    return _render(request, "reservations/staff/counter_edit.html", {"form": form, "counter": counter})


@staff_view("reservations.setup")
@campaign_required
@require_POST
def rules_add(request, campaign):
    form = forms.RuleBulkForm(request.POST, prefix="rule", campaign=campaign)
    if not form.is_valid():
        return _setup_error(request, form)
    d = form.cleaned_data
    try:
        count = services.rules_bulk_create(counters=list(d["counters"]), weekdays=d["weekdays"], opens=d["opens"],
                                           closes=d["closes"], public_capacity=d["public_capacity"],
                                           staff_capacity=d["staff_capacity"], valid_from=d["valid_from"],
                                           valid_until=d["valid_until"], actor=request.user, request=request)
    except ReservationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(n)d opening rules added. Generate the slots to apply them.") % {"n": count})
    return redirect("reservations:setup")


@staff_view("reservations.setup")
@campaign_required
@require_POST
def rule_delete(request, campaign, pk: int):
    rule = get_object_or_404(OpeningRule, pk=pk, counter__campaign=campaign)
    audit_log(actor=request.user, action="reservation.rule_delete", target=rule, campaign=campaign, request=request)
    rule.delete()
    messages.success(request, _("The opening rule has been deleted. Generate the slots to apply it."))
    return redirect("reservations:setup")


@staff_view("reservations.setup")
@campaign_required
@require_POST
def closed_add(request, campaign):
    form = forms.ClosedDayForm(request.POST, prefix="closed", campaign=campaign)
    if not form.is_valid():
        return _setup_error(request, form)
    d = form.cleaned_data
    end = d["date_to"] or d["date_from"]
    if end < d["date_from"] or (end - d["date_from"]).days > 366:
        messages.error(request, _("The period must run forwards and be at most a year."))
        return redirect("reservations:setup")
    days = [d["date_from"] + timedelta(days=i) for i in range((end - d["date_from"]).days + 1)]
    ClosedDay.objects.bulk_create([ClosedDay(campaign=campaign, counter=d["counter"], date=day, reason=d["reason"])
                                   for day in days])
    audit_log(actor=request.user, action="reservation.closed_days_add", target=campaign, campaign=campaign,
              data={"counter": d["counter"].pk if d["counter"] else None, "from": d["date_from"], "to": end},
              request=request)
    messages.success(request, _("%(n)d closed days added. Generate the slots to apply them.") % {"n": len(days)})
    return redirect("reservations:setup")


@staff_view("reservations.setup")
@campaign_required
@require_POST
def excluded_add(request, campaign):
    form = forms.ExcludedTimeForm(request.POST, prefix="excluded", campaign=campaign)
    if not form.is_valid():
        return _setup_error(request, form)
    d = form.cleaned_data
    row = ExcludedTime.objects.create(counter=d["counter"], date=d["date"], start=d["start"], end=d["end"])
    audit_log(actor=request.user, action="reservation.excluded_add", target=row, campaign=campaign, request=request)
    messages.success(request, _("Excluded time added. Generate the slots to apply it."))
    return redirect("reservations:setup")


@staff_view("reservations.setup")
@campaign_required
def fields_config(request, campaign):
    row = _settings_row(campaign)
    if row is None:
        return _render(request, "reservations/staff/fields.html", {"form": None})
    form = forms.FieldConfigForm(request.POST or None, settings_row=row)
    if request.method == "POST" and form.is_valid():
        basic, extra = form.values()
        services.settings_save(campaign=campaign, actor=request.user,
                               values={"basic_fields": basic, "extra_fields": extra}, request=request)
        messages.success(request, _("The form fields have been saved."))
        return redirect("reservations:fields")
    return _render(request, "reservations/staff/fields.html", {"form": form})


@staff_view("reservations.setup")
@campaign_required
@require_POST
def generate(request, campaign):
    if _settings_row(campaign) is None:
        messages.error(request, _("Save the reservation settings first."))
        return redirect("reservations:setup")
    job = job_start(actor=request.user, kind="reservation_slots_generate", campaign=campaign, request=request,
                    params={"campaign": campaign.pk})
    return redirect("staff:job_detail", public_id=job.public_id)

"""Resident pages under /reserve/: counters, the week calendar, booking (with an account or an access key),
the done page that shows the key once, lookup / change / cancel, and resident accounts.

Residents are ordinary users without the staff flag and without roles: they never reach /staff/.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from functools import wraps

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from campaign.audit import audit_log, client_ip
from reservations import ratelimit, selectors, services, views_code
from reservations.errors import RateLimited, ReservationError
from reservations.fields import FieldErrors, display_value
from reservations.forms import AnswersForm, LookupForm, ResidentLoginForm, ResidentSignupForm
from reservations.models import Counter, Reservation, Resident, Slot

OPENED_KEY = "reserve_opened"  # reservation ids this browser opened with number + key
DONE_KEY = "reserve_done"  # {number: access key} to show once on the done page
DRAFT_KEY = "reserve_draft"


def _campaign(request):
    campaign = request.campaign
    if not campaign:
        raise Http404(_("No campaign is open at the moment."))
    return campaign


def resident_of(user) -> Resident | None:
    if not getattr(user, "is_authenticated", False) or user.is_staff or not user.is_active:
        return None
    return Resident.objects.filter(user=user).first()


def _rate_limited(request, exc: RateLimited, template: str, context: dict) -> HttpResponse:
    context = {**context, "rate_message": str(exc)}
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


def _base(request, extra: dict | None = None) -> dict:
    campaign = request.campaign
    ctx = selectors.booking_context(campaign.pk) if campaign else None
    return {"ctx": ctx, "resident": resident_of(request.user), **(extra or {})}


def index(request):
    campaign = _campaign(request)
    return render(request, "reservations/public/index.html", _base(request, {
        "counters": selectors.counters(campaign), "campaign": campaign}))


def _week_start(value: str | None) -> date:
    today = timezone.localdate()
    try:
        start = date.fromisoformat(value) if value else today
    except ValueError:
        start = today
    return max(start, today - timedelta(days=7))


def calendar(request, counter_id: int):
    campaign = _campaign(request)
    counter = get_object_or_404(Counter, pk=counter_id, campaign=campaign, is_active=True)
    start = _week_start(request.GET.get("start"))
    grid = selectors.week_grid(counter, start)
    return render(request, "reservations/public/calendar.html", _base(request, {
        "counter": counter, "grid": grid, "start": start, "prev": start - timedelta(days=7),
        "next": start + timedelta(days=7), "counters": selectors.counters(campaign)}))


def _slot(request, slot_id: int) -> Slot:
    return get_object_or_404(Slot.objects.select_related("counter"), pk=slot_id, campaign=_campaign(request))


def _answers_table(campaign_id: int, answers_source) -> list[tuple[str, str]]:
    ctx = selectors.booking_context(campaign_id)
    rows = []
    for spec in ctx.fields.shown():
        if isinstance(answers_source, Reservation):
            value = getattr(answers_source, spec.name) if spec.basic else answers_source.extra.get(spec.name)
        else:
            value = answers_source.get(spec.name)
        rows.append((spec.label, display_value(spec, value)))
    return rows


@require_http_methods(["GET", "POST"])
def book(request, slot_id: int):
    """Step 1: the configured fields. Step 2 (POST with ``confirm``): the confirmation, then the booking."""
    slot = _slot(request, slot_id)
    ctx = selectors.booking_context(slot.campaign_id)
    resident = resident_of(request.user)
    if not ctx.allows_anonymous and resident is None:
        return redirect_to_login(request.get_full_path(), reverse("reserve:login"))
    form = AnswersForm(request.POST or None, config=ctx.fields, audience="public",
                       initial=views_code.booking_initial(request))
    context = _base(request, {"slot": slot, "form": form, "accepting": ctx.accepting(),
                              "remaining": slot.remaining})
    if request.method == "POST" and form.is_valid():
        if request.POST.get("step") != "confirm":
            token = secrets.token_urlsafe(18)
            request.session[DRAFT_KEY] = {"token": token, "slot": slot.pk}
            return render(request, "reservations/public/confirm.html", {
                **context, "token": token, "rows": _answers_table(slot.campaign_id, form.answers)})
        draft = request.session.get(DRAFT_KEY) or {}
        token = request.POST.get("token", "")
        if not token or draft.get("slot") != slot.pk or draft.get("token") != token:
            form.add_error(None, _("This page has expired. Please check your entries and confirm again."))
        else:
            try:
                ratelimit.check("book", client_ip(request))
                result = services.reservation_book(
                    slot_id=slot.pk, campaign_id=slot.campaign_id, answers=form.raw_answers(),
                    channel=Reservation.Channel.WEB, resident=resident, idempotency_key=f"web:{token}",
                    request=request, applicant=views_code.applicant_of_session(request))
            except RateLimited as exc:
                return _rate_limited(request, exc, "reservations/public/book.html", context)
            except FieldErrors as exc:
                for name, msgs in exc.errors.items():
                    form.add_error(name if name in form.fields else None, " ".join(msgs))
            except ReservationError as exc:
                form.add_error(None, str(exc))
            else:
                done = request.session.get(DONE_KEY, {})
                done[result.number] = result.access_key or ""
                request.session[DONE_KEY] = done
                opened = set(request.session.get(OPENED_KEY, []))
                opened.add(result.reservation_id)
                request.session[OPENED_KEY] = sorted(opened)
                request.session.pop(views_code.APPLICANT_KEY, None)
                return redirect("reserve:done", number=result.reservation_id)
    return render(request, "reservations/public/book.html", context)


def done(request, number: int):
    reservation = _opened(request, number)
    keys = request.session.get(DONE_KEY, {})
    access_key = keys.pop(str(number), None)
    request.session[DONE_KEY] = keys
    if access_key is None and not reservation.resident_id:
        return redirect("reserve:detail", number=number)
    return render(request, "reservations/public/done.html", _base(request, {
        "r": reservation, "access_key": access_key, "rows": _answers_table(reservation.campaign_id, reservation)}))


def _opened(request, number: int) -> Reservation:
    """A reservation this browser may see: opened with its key here, or booked by the logged-in resident."""
    reservation = get_object_or_404(Reservation.objects.select_related("slot", "slot__counter"), pk=number)
    resident = resident_of(request.user)
    if number in request.session.get(OPENED_KEY, []) or (resident and reservation.resident_id == resident.pk):
        return reservation
    raise Http404


@require_http_methods(["GET", "POST"])
def lookup(request):
    form = LookupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ratelimit.check("lookup", client_ip(request))
        except RateLimited as exc:
            return _rate_limited(request, exc, "reservations/public/lookup.html", _base(request, {"form": form}))
        found = services.reservation_lookup(number=form.cleaned_data["number"],
                                            access_key=form.cleaned_data["access_key"])
        if found is None:
            form.add_error(None, _("No reservation matches this number and access key. Please check both."))
        else:
            opened = set(request.session.get(OPENED_KEY, []))
            opened.add(found.pk)
            request.session[OPENED_KEY] = sorted(opened)
            return redirect("reserve:detail", number=found.pk)
    return render(request, "reservations/public/lookup.html", _base(request, {"form": form}))


def detail(request, number: int):
    reservation = _opened(request, number)
    return render(request, "reservations/public/detail.html", _base(request, {
        "r": reservation, "rows": _answers_table(reservation.campaign_id, reservation),
        "editable": reservation.is_active and reservation.slot.starts_at > timezone.now()}))


def _initial(reservation: Reservation) -> dict:
    ctx = selectors.booking_context(reservation.campaign_id)
    initial = {}
    for spec in ctx.fields.for_audience("public"):
        value = getattr(reservation, spec.name) if spec.basic else reservation.extra.get(spec.name)
        if spec.kind == "yesno" and value is not None:
            value = "yes" if value else "no"
        initial[spec.name] = value.isoformat() if isinstance(value, date) else value
    return initial


@require_http_methods(["GET", "POST"])
def change(request, number: int):
    reservation = _opened(request, number)
    ctx = selectors.booking_context(reservation.campaign_id)
    form = AnswersForm(request.POST or None, config=ctx.fields, audience="public", initial=_initial(reservation))
    slots = selectors.bookable_slots(reservation.campaign_id, counter_id=reservation.slot.counter_id,
                                     day_to=timezone.localdate() + timedelta(days=60), limit=500)
    choices = [(s, *selectors.seat_symbol(max(0, s["capacity"] - s["booked"]), s["capacity"])) for s in slots
               if s["booked"] < s["capacity"] or s["id"] == reservation.slot_id]
    for s, *_rest in choices:
        s["local"] = timezone.localtime(s["starts_at"])
    if request.method == "POST" and form.is_valid():
        slot_value = request.POST.get("slot", "")
        try:
            services.reservation_change(reservation=reservation, answers=form.raw_answers(), request=request,
                                        slot_id=int(slot_value) if slot_value.isdigit() else None)
        except FieldErrors as exc:
            for name, msgs in exc.errors.items():
                form.add_error(name if name in form.fields else None, " ".join(msgs))
        except ReservationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Your reservation has been changed."))
            return redirect("reserve:detail", number=number)
    return render(request, "reservations/public/change.html", _base(request, {
        "r": reservation, "form": form, "choices": choices}))


@require_http_methods(["GET", "POST"])
def cancel(request, number: int):
    reservation = _opened(request, number)
    error = None
    if request.method == "POST":
        try:
            services.reservation_cancel(reservation=reservation, request=request)
        except ReservationError as exc:
            error = str(exc)
        else:
            messages.success(request, _("Your reservation has been cancelled."))
            return redirect("reserve:detail", number=number)
    return render(request, "reservations/public/cancel.html", _base(request, {
        "r": reservation, "error": error, "rows": _answers_table(reservation.campaign_id, reservation)}))


# --- resident accounts -------------------------------------------------------------------------------------

def resident_required(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if resident_of(request.user) is None:
            return redirect_to_login(request.get_full_path(), reverse("reserve:login"))
        return view(request, *args, **kwargs)

    return wrapped


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    return target if target.startswith("/reserve/") and not target.startswith("//") else reverse("reserve:account")


@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def login_view(request):
    form = ResidentLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ratelimit.check("account", client_ip(request))
        except RateLimited as exc:
            return _rate_limited(request, exc, "reservations/public/login.html",
                                 _base(request, {"form": form, "next": _safe_next(request)}))
        user = services.resident_authenticate(login_id=form.cleaned_data["login_id"],
                                              password=form.cleaned_data["password"])
        if user is None:
            form.add_error(None, _("The login ID or password is not correct."))
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            audit_log(actor=user, action="resident.login", target=user, request=request)
            return redirect(_safe_next(request))
    return render(request, "reservations/public/login.html", _base(request, {"form": form,
                                                                          "next": _safe_next(request)}))


@require_POST
def logout_view(request):
    logout(request)
    messages.info(request, _("You have logged out."))
    return redirect("reserve:index")


@sensitive_post_parameters("password", "password2")
@require_http_methods(["GET", "POST"])
def signup(request):
    form = ResidentSignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ratelimit.check("account", client_ip(request))
            resident = services.resident_signup(login_id=form.cleaned_data["login_id"],
                                                email=form.cleaned_data["email"],
                                                password=form.cleaned_data["password"], request=request)
        except RateLimited as exc:
            return _rate_limited(request, exc, "reservations/public/signup.html", _base(request, {"form": form}))
        except ReservationError as exc:
            form.add_error("password" if exc.code == "password" else "login_id", str(exc))
        else:
            login(request, resident.user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Your account has been created."))
            return redirect(_safe_next(request))
    return render(request, "reservations/public/signup.html", _base(request, {"form": form,
                                                                           "next": _safe_next(request)}))


@resident_required
def account(request):
    resident = resident_of(request.user)
    reservations = (Reservation.objects.filter(resident=resident).select_related("slot", "slot__counter")
                    .order_by("-slot__starts_at"))
    return render(request, "reservations/public/account.html", _base(request, {"reservations": reservations,
                                                                            "now": timezone.now()}))


class ResidentPasswordResetForm(PasswordResetForm):
    """Reset links go to resident accounts only; staff and merchants have their own pages."""

    def get_users(self, email):
        for resident in Resident.objects.select_related("user").filter(email__iexact=email, user__is_active=True,
                                                                        user__is_staff=False):
            yield resident.user


password_reset = auth_views.PasswordResetView.as_view(
    form_class=ResidentPasswordResetForm, template_name="reservations/public/password_reset.html",
    email_template_name="reservations/mail/password_reset.txt",
    subject_template_name="reservations/mail/password_reset_subject.txt",
    success_url=reverse_lazy("reserve:password_reset_done"))
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="reservations/public/password_reset_done.html")
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="reservations/public/password_reset_confirm.html",
    success_url=reverse_lazy("reserve:password_reset_complete"))
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="reservations/public/password_reset_complete.html")

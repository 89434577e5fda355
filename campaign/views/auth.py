"""Staff login: password, then TOTP (or a backup code); enrolment of an authenticator on first login."""

from __future__ import annotations

import base64
from urllib.parse import urlencode

import segno
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token

from campaign import auth
from campaign.audit import audit_log, client_ip
from campaign.decorators import staff_view
from campaign.forms import LoginForm, TokenForm
from campaign.roles import is_staff_member

BACKUP_CODES_SESSION_KEY = "fresh_backup_codes"


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                 require_https=request.is_secure()):
        return target
    return reverse("staff:home")


def _with_next(url_name: str, request) -> str:
    return reverse(url_name) + "?" + urlencode({"next": _next_url(request)})


def staff_public(view):
    """Mark a /staff/ view that is reachable before login (login, second factor, password reset)."""
    view.staff_public = True
    return view


def _throttled_message(device) -> str | None:
    # django-otp doubles the wait after each wrong code; say so instead of "wrong code" for a right one.
    allowed, _info = device.verify_is_allowed() if device is not None else (True, None)
    if allowed:
        return None
    return _("Too many wrong codes. Wait a few seconds, then enter the code currently shown.")


@staff_public
@sensitive_post_parameters("password")
def login_view(request):
    if request.user.is_authenticated and is_staff_member(request.user) and request.user.is_verified():
        return redirect(_next_url(request))
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        if not auth.login_allowed(username=username, ip=client_ip(request)):
            form.add_error(None, _("Too many failed attempts. Please wait 15 minutes and try again, "
                                   "or ask a system administrator to help."))
        else:
            user = authenticate(request, username=username, password=form.cleaned_data["password"])
            if user is None or not is_staff_member(user):
                auth.login_failure_record(username=username, request=request)
                form.add_error(None, _("The user name or password is not correct."))
            else:
                auth.login_failures_clear(username=username)
                login(request, user)
                audit_log(actor=user, action="auth.password_ok", target=user, request=request)
                return redirect(_with_next("staff:otp", request))
    return render(request, "staff/auth/login.html", {"form": form, "next": _next_url(request)})


def _require_password_session(request):
    if not request.user.is_authenticated or not is_staff_member(request.user):
        return redirect(reverse("staff:login"))
    return None


@staff_public
def otp_view(request):
    """Second step: a TOTP code or a backup code. Users without an authenticator are sent to enrolment."""
    if (response := _require_password_session(request)) is not None:
        return response
    if request.user.is_verified():
        return redirect(_next_url(request))
    if auth.confirmed_totp(request.user) is None:
        return redirect(_with_next("staff:otp_setup", request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        throttled = _throttled_message(auth.confirmed_totp(request.user))
        device = None if throttled else match_token(request.user, form.cleaned_data["token"])
        if device is None:
            audit_log(actor=request.user, action="auth.otp_failed", target=request.user, request=request)
            form.add_error("token", throttled or _("The code is not correct or has expired. Enter the current code."))
        else:
            otp_login(request, device)
            audit_log(actor=request.user, action="auth.login", target=request.user, request=request,
                      data={"device": device.persistent_id.split("/")[0]})
            return redirect(_next_url(request))
    return render(request, "staff/auth/otp.html", {"form": form, "next": _next_url(request)})


@staff_public
def otp_setup_view(request):
    """Enrol an authenticator app: show the QR code and secret, confirm with a first code."""
    if (response := _require_password_session(request)) is not None:
        return response
    if auth.confirmed_totp(request.user) is not None and not request.user.is_verified():
        # Replacing an authenticator needs the old one (or a backup code) first.
        return redirect(_with_next("staff:otp", request))
    device = auth.totp_pending(request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        throttled = _throttled_message(device)
        if not throttled and device.verify_token(form.cleaned_data["token"]):
            codes = auth.totp_confirm(user=request.user, device=device, request=request)
            otp_login(request, device)
            request.session[BACKUP_CODES_SESSION_KEY] = codes
            return redirect(_with_next("staff:backup_codes", request))
        form.add_error("token", throttled or _(
            "The code is not correct. Check the time on your phone and enter the current code."))
    uri = device.config_url
    qr_svg = segno.make(uri, error="m").svg_inline(scale=5, dark="#1a1a1c", light="#ffffff",
                                                    title=_("QR code for your authenticator app"))
    secret = base64.b32encode(device.bin_key).decode()
    return render(request, "staff/auth/otp_setup.html", {
        "form": form, "qr_svg": qr_svg, "secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
        "next": _next_url(request),
    })


@staff_view("staff.home")
def backup_codes_view(request):
    """Backup codes are shown once, right after they are made; regenerating replaces all of them."""
    if request.method == "POST":
        with transaction.atomic():
            codes = auth.backup_codes_regenerate(user=request.user, request=request)
        messages.success(request, _("New backup codes were issued. The old ones no longer work."))
    else:
        codes = request.session.pop(BACKUP_CODES_SESSION_KEY, None)
    return render(request, "staff/auth/backup_codes.html", {"codes": codes, "next": _next_url(request)})


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        audit_log(actor=request.user, action="auth.logout", target=request.user, request=request)
    logout(request)
    messages.info(request, _("You have logged out."))
    return redirect("staff:login")


logout_view.staff_public = True

"""The merchant portal (/merchant/): login by e-mail, password reset (also the invitation link), dashboard,
store details and bank account change. Merchants are not staff: no roles, no second factor, and staff
accounts cannot use this login."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from campaign import auth
from campaign.audit import audit_log, client_ip
from settlement import services
from settlement.forms_public import BankChangeForm, PortalLoginForm, StoreEditForm
from settlement.models import BankAccount, Merchant

BANK_DRAFT_SESSION_KEY = "merchant_bank_change"

# The invitation mail promises three days; reset links sent from the portal use the same generator.
MERCHANT_LINK_TIMEOUT = 60 * 60 * 24 * 3


class MerchantLinkTokenGenerator(PasswordResetTokenGenerator):
    """Django's password-reset tokens (so the invitation made with ``default_token_generator`` is accepted),
    but valid for three days instead of the staff setting ``PASSWORD_RESET_TIMEOUT``: a merchant approved on
    a Friday evening may open the mail on Monday."""

    def check_token(self, user, token):
        if not (user and token):
            return False
        try:
            ts_b36, _hash = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        if not any(constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token)
                   for secret in [self.secret, *self.secret_fallbacks]):
            return False
        return (self._num_seconds(self._now()) - ts) <= MERCHANT_LINK_TIMEOUT


merchant_token_generator = MerchantLinkTokenGenerator()


def merchant_of(user) -> Merchant | None:
    """The merchant a portal user belongs to; None for staff, residents and anonymous visitors."""
    if not getattr(user, "is_authenticated", False) or user.is_staff or not user.is_active:
        return None
    return Merchant.objects.filter(portal_user=user).select_related("campaign").first()


def merchant_required(view):
    """Portal pages: logged in as the portal user of an approved merchant. ``request.merchant`` is set."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("merchant:login"))
        merchant = merchant_of(request.user)
        if merchant is None or merchant.status != Merchant.Status.APPROVED:
            raise PermissionDenied
        request.merchant = merchant
        return view(request, *args, **kwargs)

    return wrapped


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith(reverse("merchant:dashboard")) and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("merchant:dashboard")


def _portal_users(login_name: str):
    """Portal users matching an e-mail address (several stores may share one) or a merchant number."""
    User = get_user_model()
    users = User.objects.filter(is_active=True, is_staff=False, merchant__isnull=False)
    if login_name.isdigit():
        return list(users.filter(merchant__merchant_number=login_name))
    return list(users.filter(email__iexact=login_name))


@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def login_view(request):
    if merchant_of(request.user) is not None:
        return redirect(_next_url(request))
    form = PortalLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        login_name = form.cleaned_data["login"]
        if not auth.login_allowed(username=login_name, ip=client_ip(request)):
            form.add_error(None, _("Too many failed attempts. Please wait 15 minutes and try again, "
                                   "or call the merchant help line."))
        else:
            password = form.cleaned_data["password"]
            matches = [user for user in _portal_users(login_name) if user.check_password(password)]
            if len(matches) == 1:
                user = matches[0]
                auth.login_failures_clear(username=login_name)
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                audit_log(actor=user, action="merchant.login", target=user, request=request)
                return redirect(_next_url(request))
            if len(matches) > 1:
                form.add_error("login", _("Several stores use this e-mail address and password. "
                                          "Log in with the merchant number of the store instead."))
            else:
                auth.login_failure_record(username=login_name, request=request)
                form.add_error(None, _("The e-mail address or password is not correct."))
    return render(request, "merchant/login.html", {"form": form, "next": _next_url(request)})


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        audit_log(actor=request.user, action="merchant.logout", target=request.user, request=request)
    logout(request)
    messages.info(request, _("You have logged out."))
    return redirect("merchant:login")


class MerchantPasswordResetForm(PasswordResetForm):
    """Reset links go to merchant portal users only, including those who never set a password (a lost
    invitation mail); staff reset their password on the staff login page."""

    def get_users(self, email):
        User = get_user_model()
        return User.objects.filter(email__iexact=email, is_active=True, is_staff=False, merchant__isnull=False,
                                   merchant__status=Merchant.Status.APPROVED)


password_reset = auth_views.PasswordResetView.as_view(
    form_class=MerchantPasswordResetForm,
    token_generator=merchant_token_generator,
    template_name="merchant/password_reset.html",
    email_template_name="merchant/password_reset_email.txt",
    subject_template_name="merchant/password_reset_subject.txt",
    success_url=reverse_lazy("merchant:password_reset_done"),
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(template_name="merchant/password_reset_done.html")
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    token_generator=merchant_token_generator,
    template_name="merchant/password_reset_confirm.html",
    success_url=reverse_lazy("merchant:password_reset_complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="merchant/password_reset_complete.html")


# --- portal pages ---------------------------------------------------------------------------------------

def _mask(number: str) -> str:
    return "•" * (len(number) - 3) + number[-3:]


@merchant_required
def dashboard(request):
    merchant = request.merchant
    accounts = merchant.bank_accounts.select_related("bank", "branch")
    active = accounts.filter(status=BankAccount.Status.ACTIVE).first()
    pending = accounts.filter(status=BankAccount.Status.PENDING).first()
    latest_rejected = accounts.filter(status=BankAccount.Status.REJECTED, decided_at__isnull=False).first()
    kit = merchant.kit_shipments.first()
    return render(request, "merchant/dashboard.html", {
        "merchant": merchant,
        "active_account": active, "active_masked": _mask(active.account_number) if active else "",
        "pending_account": pending, "pending_masked": _mask(pending.account_number) if pending else "",
        "rejected_account": latest_rejected if latest_rejected and (
            active is None or latest_rejected.requested_at > active.requested_at) else None,
        "kit": kit,
        "pending_changes": _pending_rows(merchant),
        "nav": "dashboard",
    })


def _pending_rows(merchant: Merchant) -> list[dict]:
    """The waiting store changes as (label, current, new) for display."""
    form = StoreEditForm()
    rows = []
    for name, value in (merchant.pending_changes or {}).items():
        field = form.fields.get(name)
        if field is None:
            continue

        def show(v, field=field):
            if isinstance(v, bool):
                return _("Yes") if v else _("No")
            return dict(getattr(field, "choices", [])).get(v, v)

        rows.append({"label": field.label, "current": show(getattr(merchant, name)), "new": show(value)})
    return rows


@merchant_required
@require_http_methods(["GET", "POST"])
def store_edit(request):
    merchant = request.merchant
    review = services.store_changes_need_review()
    current = {name: getattr(merchant, name) for name in services.STORE_PUBLIC_FIELDS}
    if request.method == "POST":
        form = StoreEditForm(request.POST)
        if form.is_valid():
            try:
                services.merchant_update_store(actor=request.user, merchant=merchant, fields=form.cleaned_data,
                                               request=request)
            except services.MerchantError as exc:
                form.add_error(None, str(exc))
            else:
                if review:
                    messages.success(request, _("Your changes were sent to the secretariat. They appear in the "
                                                "store directory once they have been reviewed."))
                else:
                    messages.success(request, _("Your store details were updated."))
                return redirect("merchant:dashboard")
    else:
        form = StoreEditForm(initial={**current, **(merchant.pending_changes or {})})
    return render(request, "merchant/store_edit.html", {
        "form": form, "merchant": merchant, "review": review, "pending_changes": _pending_rows(merchant),
        "nav": "store",
    })


@merchant_required
@require_http_methods(["GET", "POST"])
def bank_change(request):
    """A new payout account: form → confirmation (the holder name as the bank transfer will carry it) →
    request. It applies to payments once the secretariat has checked and approved it."""
    merchant = request.merchant
    accounts = merchant.bank_accounts.select_related("bank", "branch")
    active = accounts.filter(status=BankAccount.Status.ACTIVE).first()
    pending = accounts.filter(status=BankAccount.Status.PENDING).first()
    context = {"merchant": merchant, "active_account": active, "pending_account": pending, "nav": "bank",
               "active_masked": _mask(active.account_number) if active else "",
               "pending_masked": _mask(pending.account_number) if pending else ""}
    action = request.POST.get("action", "confirm")
    if request.method == "POST" and action == "back":
        draft = request.session.get(BANK_DRAFT_SESSION_KEY) or {}
        form = BankChangeForm(initial=draft)
    elif request.method == "POST":
        data = request.session.get(BANK_DRAFT_SESSION_KEY) if action == "submit" else None
        form = BankChangeForm(data if data is not None else request.POST)
        if action == "submit" and data is None:
            return redirect("merchant:bank_change")
        if form.is_valid():
            cleaned = form.cleaned_data
            if action != "submit":
                request.session[BANK_DRAFT_SESSION_KEY] = {
                    name: cleaned[name] for name in BankChangeForm.base_fields}
                return render(request, "merchant/bank_confirm.html", {
                    **context, "data": cleaned,
                    "account_type_label": BankAccount.AccountType(cleaned["account_type"]).label})
            try:
                services.bank_account_request(
                    actor=request.user, merchant=merchant, request=request,
                    bank=services.BankDetails(bank_code=cleaned["bank_code"], branch_code=cleaned["branch_code"],
                                              account_type=cleaned["account_type"],
                                              account_number=cleaned["account_number"],
                                              holder_name=cleaned["holder_name"]))
            except services.MerchantError as exc:
                form.add_error(None, str(exc))
            else:
                request.session.pop(BANK_DRAFT_SESSION_KEY, None)
                messages.success(request, _("Your new bank account was sent to the secretariat. Payments go to "
                                            "the current account until the change has been approved."))
                return redirect("merchant:dashboard")
    else:
        form = BankChangeForm()
    return render(request, "merchant/bank_change.html", {**context, "form": form})

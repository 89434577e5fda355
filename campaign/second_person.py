"""The second person of a four-eyes step (二人目の確認): an envelope opened by two people, a disposal witnessed.

The second person confirms by signing in on the first clerk's screen — their own login ID, password and a code
from their authenticator (or a backup code) — and is never picked from a list: a name in a list proves nothing
about who stood at the desk. The check does not log them in; the first clerk's session is untouched.

A refusal says only that the second person could not be confirmed, whatever was wrong, so the screen cannot be
used to learn which of a colleague's password or code is right. Each refusal counts as a failed sign-in of the
login ID typed (the same throttle as the login page, see ``campaign.auth``) and is written to the audit log.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import authenticate
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_otp import match_token

from campaign import auth
from campaign.audit import audit_log, client_ip
from campaign.models import LoginFailure
from campaign.roles import has_capability

PREFIX = "second"


class SecondPersonForm(forms.Form):
    """Embed in a host form (``host.second_person``), render inside the same ``<form>``; ``cleaned_data`` gives
    the confirmed user as ``second_person``."""

    login = forms.CharField(
        label=_("Login ID of the second person"), max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}))
    password = forms.CharField(
        label=_("Password of the second person"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}))
    token = forms.CharField(
        label=_("Code of the second person"), max_length=16,
        help_text=_("The 6-digit code from their authenticator app (TOTP), or one of their backup codes."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}))

    def __init__(self, data=None, *, first_user, capability: str, request=None, **kwargs):
        super().__init__(data, prefix=PREFIX, **kwargs)
        self.first_user = first_user
        self.capability = capability
        self.request = request

    def unbound_copy(self) -> SecondPersonForm:
        """The same part, empty again (the login ID kept): shown when the host form was refused for another
        reason, so that the second person is not checked — nor a code used up — for a form that cannot be saved."""
        login = (self.data.get(self.add_prefix("login")) or "").strip() if self.is_bound else ""
        return SecondPersonForm(first_user=self.first_user, capability=self.capability, request=self.request,
                                initial={"login": login})

    def clean_token(self):
        return "".join(self.cleaned_data["token"].split())

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        login = cleaned["login"].strip()
        if not auth.login_allowed(username=login, ip=client_ip(self.request)):
            self._refuse(login, "throttled")
            raise forms.ValidationError(_("Too many failed attempts for this person. Wait 15 minutes and try "
                                          "again."), code="throttled")
        user = authenticate(self.request, username=login, password=cleaned["password"])
        reason = _refusal(user, first_user=self.first_user, capability=self.capability)
        # The code is checked last, so that a refusal for another reason does not use up a backup code.
        if reason is None and match_token(user, cleaned["token"]) is None:
            reason = "code"
        if reason is not None:
            self._refuse(login, reason)
            raise forms.ValidationError(_("The second person could not be confirmed. Check the login ID, the "
                                          "password and the current code, and try again."), code="not_confirmed")
        auth.login_failures_clear(username=login)
        cleaned["second_person"] = user
        return cleaned

    def _refuse(self, login: str, reason: str) -> None:
        with transaction.atomic():
            if reason != "throttled":
                LoginFailure.objects.create(username=login[:150], ip=client_ip(self.request))
            audit_log(actor=self.first_user, action="auth.second_person_failed", target_type="auth.user",
                      target_label=login[:300], request=self.request,
                      data={"capability": self.capability, "reason": reason})


def _refusal(user, *, first_user, capability: str) -> str | None:
    """Why this user cannot be the second person (for the audit log only), or None."""
    if user is None:
        return "password"
    if user.pk == first_user.pk:
        return "same_person"
    if not has_capability(user, capability):  # active staff holding it (an auditor never opens an envelope)
        return "not_allowed"
    return None


class WithSecondPerson:
    """For a host form: ``add_second_person()`` in ``__init__``; ``is_valid()`` then checks the host's own fields
    first and the second person only when those are valid."""

    def add_second_person(self, *, first_user, capability: str, request=None) -> None:
        self.second_person = SecondPersonForm(self.data if self.is_bound else None, first_user=first_user,
                                              capability=capability, request=request)

    def is_valid(self) -> bool:
        if not super().is_valid():
            self.second_person = self.second_person.unbound_copy()
            return False
        return self.second_person.is_valid()

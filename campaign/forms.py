from django import forms
from django.utils.translation import gettext_lazy as _

from campaign.errors import DomainError
from campaign.exports import EXPORT_FORMATS


def form_attempt(form, call):
    """Run a service for a form view; a refused rule becomes a form error and None is returned.

    Services are transactional, so a refusal leaves the database as it was; the page re-renders with the message.
    """
    try:
        return call()
    except DomainError as exc:
        form.add_error(None, str(exc))
        return None


class LoginForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150,
                               widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}))
    password = forms.CharField(label=_("Password"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Code"),
        max_length=16,
        help_text=_("The 6-digit code from your authenticator app, or one of your 8-digit backup codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )

    def clean_token(self):
        return "".join(self.cleaned_data["token"].split())


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("Actor"), required=False)
    action = forms.CharField(label=_("Action"), required=False, help_text=_("e.g. auth. or job.start"))
    target = forms.CharField(label=_("Target"), required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date must not be before the start date."))
        return data


class ExportFormatForm(forms.Form):
    format = forms.ChoiceField(label=_("Format"), choices=[(code, spec[0]) for code, spec in EXPORT_FORMATS.items()])

"""Forms of the intake screens: find an envelope, claim from a paper slip, receipt, readings, review, disposal."""

from __future__ import annotations

import re
import secrets
import unicodedata

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaign.models import Denomination
from campaign.second_person import WithSecondPerson
from settlement.models import Envelope, Merchant


class EnvelopeFindForm(forms.Form):
    number = forms.CharField(
        label=_("Envelope number"), max_length=20,
        help_text=_("Scan the barcode on the redemption slip or type the 12 digits."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "autofocus": True}))

    def clean_number(self):
        # As a typed ticket code: full-width digits (a barcode scanner in a Japanese input mode sends them), spaces
        # and hyphens are fine.
        text = unicodedata.normalize("NFKC", self.cleaned_data["number"])
        digits = "".join(ch for ch in text if ch in "0123456789")
        if len(digits) != 12:
            raise forms.ValidationError(_("An envelope number has 12 digits (%(n)s given).") % {"n": len(digits)})
        return digits


class TicketCountsMixin:
    """One field per denomination of the campaign: tickets declared."""

    def add_denomination_fields(self, campaign):
        self.denominations = list(Denomination.objects.filter(campaign=campaign).order_by("code"))
        for d in self.denominations:
            self.fields[f"d{d.code}"] = forms.IntegerField(
                label=_("%(name)s (tickets)") % {"name": d.name}, min_value=0, max_value=100_000, required=False,
                initial=0, widget=forms.NumberInput(attrs={"inputmode": "numeric"}))

    def tickets(self) -> dict:
        return {d: self.cleaned_data.get(f"d{d.code}") or 0 for d in self.denominations}


class StaffClaimForm(TicketCountsMixin, forms.Form):
    """A claim typed from a paper redemption slip that arrived without a portal declaration."""

    merchant_number = forms.CharField(label=_("Merchant number"), max_length=8,
                                      widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    # One key per form shown: sending the same form twice (a double click, the browser's resend) creates the
    # envelope once (see envelope_declare).
    submit_key = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.add_denomination_fields(campaign)
        if not self.is_bound:
            self.fields["submit_key"].initial = secrets.token_urlsafe(16)


    def clean_merchant_number(self):
        number = self.cleaned_data["merchant_number"].strip()
        merchant = Merchant.objects.filter(campaign=self.campaign, merchant_number=number).first()
        if merchant is None:
            raise forms.ValidationError(_("No merchant with number %(number)s in this campaign.") % {"number": number})
        self.merchant = merchant
        return number

    def clean(self):
        cleaned = super().clean()
        if not re.fullmatch(r"[A-Za-z0-9_-]{16,64}", cleaned.get("submit_key") or ""):
            raise forms.ValidationError(_("This form has expired. Reload the page and enter the slip again."))
        if not self.errors and not any(self.tickets().values()):
            raise forms.ValidationError(_("Enter the tickets of at least one denomination."))
        return cleaned


class ReceiveForm(WithSecondPerson, forms.Form):
    """The receipt and opening of an envelope. Envelopes are opened by two people: the second confirms with their
    own login ID, password and code on this screen (``second_person``), and becomes ``opened_with``."""

    received_on = forms.DateField(label=_("Received on"), widget=forms.DateInput(attrs={"type": "date"}))
    seal_intact = forms.TypedChoiceField(
        label=_("Envelope seal"), choices=[("yes", _("Intact")), ("no", _("Broken or opened"))],
        coerce=lambda v: v == "yes", widget=forms.RadioSelect)
    counted_tickets = forms.IntegerField(label=_("Tickets counted"), min_value=0, max_value=1_000_000,
                                         widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    confirm_difference = forms.BooleanField(
        label=_("The count differs from the slip and I have counted again: keep the difference"), required=False)

    def __init__(self, *args, user, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["received_on"].initial = timezone.localdate()
        # Settlement staff, managers and administrators; never an auditor, an operator or counter staff.
        self.add_second_person(first_user=user, capability="settlement.intake", request=request)


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Scanner file"),
                           help_text=_("One code per line (spaces and hyphens allowed), optionally followed by "
                                       "columns separated by a comma or tab. UTF-8 or Shift_JIS."))
    hold_suspended = forms.BooleanField(
        label=_("The merchant is suspended: record the tickets as held evidence (nothing is paid)"), required=False)

    def __init__(self, *args, suspended: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not suspended:
            del self.fields["hold_suspended"]


class KeyingForm(forms.Form):
    codes = forms.CharField(label=_("Ticket codes"), required=False, widget=forms.Textarea(attrs={"rows": 8, "autocomplete": "off"}),
                            help_text=_("One 21-digit code per line."))

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not self.code_lines():
            raise forms.ValidationError(_("Key at least one ticket code."))
        return cleaned

    def code_lines(self) -> list[str]:
        return [line for line in self.cleaned_data.get("codes", "").splitlines() if line.strip()]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))


class DecisionForm(ReasonForm):
    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect, choices=[
        ("accept", _("Accept: pay the face value")), ("reject", _("Reject: do not pay"))])
    field_order = ["decision", "reason"]


class DisposalForm(WithSecondPerson, forms.Form):
    """A disposal is witnessed by a second person, who confirms with their own login ID, password and code on
    this screen (``second_person``)."""

    disposed_on = forms.DateField(label=_("Disposed on"), widget=forms.DateInput(attrs={"type": "date"}))
    method = forms.CharField(label=_("Method"), max_length=100, initial=_("Shredded on site"))
    envelopes = forms.ModelMultipleChoiceField(label=_("Envelopes disposed of"), queryset=Envelope.objects.none(),
                                               widget=forms.CheckboxSelectMultiple)
    note = forms.CharField(label=_("Note"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    confirm = forms.BooleanField(label=_("I confirm these tickets were destroyed in front of the witness. This "
                                         "cannot be undone."))

    def __init__(self, *args, user, envelopes, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        # The witness is somebody who may handle envelopes (settlement staff, managers): never an auditor or operator.
        self.add_second_person(first_user=user, capability="settlement.intake", request=request)
        self.fields["envelopes"].queryset = envelopes
        self.fields["envelopes"].label_from_instance = lambda e: f"{e.number} {e.merchant.store_name}"
        self.fields["disposed_on"].initial = timezone.localdate()

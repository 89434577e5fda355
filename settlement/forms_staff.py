"""Forms of the staff merchant screens: they parse what the clerk typed; the rules live in the services."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaign.exports import EXPORT_FORMATS
from settlement.forms_public import BankAccountForm
from settlement.models import Merchant
from settlement.selectors import MerchantFilter


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


_ANY = [("", _("All"))]


class MerchantFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100,
                        help_text=_("Store name, reading (kana), address or company, or the merchant number."))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=_ANY + list(Merchant.Status.choices))
    suspended = forms.ChoiceField(label=_("Suspension"), required=False,
                                  choices=_ANY + [("yes", _("Suspended")), ("no", _("Not suspended"))])
    area = forms.ChoiceField(label=_("Area"), required=False, choices=_ANY + list(Merchant.Area.choices))
    genre = forms.ChoiceField(label=_("Genre"), required=False, choices=_ANY + list(Merchant.Genre.choices))
    kit = forms.ChoiceField(label=_("Redemption kit"), required=False,
                            choices=_ANY + [("yes", _("Shipped")), ("no", _("Not shipped"))])

    def merchant_filter(self) -> MerchantFilter:
        if not self.is_valid():
            return MerchantFilter()
        return MerchantFilter(**{name: (self.cleaned_data.get(name) or "").strip() for name in
                                 MerchantFilter.__dataclass_fields__})


class ExportForm(forms.Form):
    format = forms.ChoiceField(label=_("Format"), choices=[(code, spec.label) for code, spec in EXPORT_FORMATS.items()])


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1000, strip=True,
                             help_text=_("The merchant reads this in the e-mail we send."),
                             widget=forms.Textarea(attrs={"rows": 3}))


class SuspensionForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, strip=True,
                             help_text=_("Kept in the audit log; the store disappears from the directory at once."),
                             widget=forms.Textarea(attrs={"rows": 2}))


class ResumeForm(forms.Form):
    reason = forms.CharField(label=_("Reason for lifting the suspension"), max_length=300, strip=True,
                             widget=forms.Textarea(attrs={"rows": 2}))


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(label=_("I have checked the details above and want to go ahead."),
                                 error_messages={"required": _("Tick the box to confirm.")})


class StaffBankChangeForm(BankAccountForm):
    """A bank account change entered by staff from the merchant's paper form (same checks as the portal)."""


class BankRejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason for rejecting"), max_length=300, strip=True,
                             widget=forms.TextInput())


class KitShipmentForm(forms.Form):
    shipped_on = forms.DateField(label=_("Shipped on"), widget=DateInput())
    carrier = forms.CharField(label=_("Carrier"), max_length=100, required=False,
                              help_text=_("e.g. ゆうパック, ヤマト運輸"))
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=50, required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"shipped_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=_("List of merchants"),
                           help_text=_("Excel workbook (.xlsx) or CSV file (UTF-8 or Shift_JIS), header in the "
                                       "first row, at most 5,000 rows."),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,text/csv"}))


class ImportConfirmForm(ConfirmForm):
    token = forms.CharField(widget=forms.HiddenInput)

"""Forms of the voucher screens: they parse what the clerk typed; the rules of the stock live in the services."""

from __future__ import annotations

import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaign.models import Campaign, Denomination
from vouchers import selectors
from vouchers.models import Destruction, Outlet, OutletOrder
from vouchers.movements import BookRange, VoucherError, normalise, parse_ranges


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def date_field(label, **kwargs) -> forms.DateField:
    return forms.DateField(label=label, widget=DateInput(), **kwargs)


def ranges_field(label, *, required=False, help_text=None, rows=3) -> forms.CharField:
    return forms.CharField(
        label=label, required=required, strip=True,
        help_text=help_text or _("Book numbers or ranges, e.g. 100-199, 250. One per line or comma separated."),
        widget=forms.Textarea(attrs={"rows": rows, "inputmode": "numeric", "autocomplete": "off",
                                     "spellcheck": "false"}),
    )


def _parse(text: str) -> list[BookRange]:
    try:
        return parse_ranges(text)
    except VoucherError as exc:
        raise forms.ValidationError(str(exc)) from exc


class DenominationFieldsMixin:
    """One integer field (and optionally one ranges field) per denomination of the campaign."""

    def add_denomination_fields(self, denominations, *, label, required=False, with_ranges=False, initial=None):
        self.denominations: list[Denomination] = list(denominations)
        self.with_ranges = with_ranges
        initial = initial or {}
        for d in self.denominations:
            self.fields[f"books_{d.code}"] = forms.IntegerField(
                label=label % {"name": d.name}, required=required, min_value=0, initial=initial.get(d.pk),
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )
            if with_ranges:
                self.fields[f"ranges_{d.code}"] = ranges_field(
                    _("%(name)s: book ranges") % {"name": d.name},
                    help_text=_("Instead of a number of books: the book numbers, e.g. 100-199, 250."), rows=2)

    def denomination_counts(self) -> dict[Denomination, int]:
        """The counts that were filled in (an empty field is left out; 0 stays 0)."""
        return {d: self.cleaned_data[f"books_{d.code}"] for d in self.denominations
                if self.cleaned_data.get(f"books_{d.code}") is not None}

    def denomination_ranges(self) -> list[BookRange]:
        ranges: list[BookRange] = []
        for d in getattr(self, "denominations", []):
            ranges += self.cleaned_data.get(f"ranges_{d.code}") or []
        return ranges

    def clean_denomination_ranges(self, campaign: Campaign) -> None:
        """Parse the ranges fields; each must hold books of its own row's denomination only."""
        for d in self.denominations:
            name = f"ranges_{d.code}"
            text = self.cleaned_data.get(name, "")
            try:
                ranges = _parse(text) if text else []
            except forms.ValidationError as exc:
                self.add_error(name, exc)
                continue
            self.cleaned_data[name] = ranges
            if ranges and self.cleaned_data.get(f"books_{d.code}"):
                self.add_error(name, _("Give either a number of books or book ranges for %(name)s, not both.")
                               % {"name": d.name})
            elif ranges and selectors.books_of_other_denominations(campaign, d, ranges):
                self.add_error(name, _("These ranges hold books of another denomination than %(name)s.")
                               % {"name": d.name})
        if not self.errors:
            try:
                normalise(self.denomination_ranges())
            except VoucherError as exc:
                self.add_error(None, str(exc))


# --- ledger ------------------------------------------------------------------------------------------------

class LedgerDayForm(forms.Form):
    day = date_field(_("Date"))

    def clean_day(self):
        day = self.cleaned_data["day"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The ledger cannot show a future date."))
        return day


# --- printing ----------------------------------------------------------------------------------------------

class PrintOrderForm(DenominationFieldsMixin, forms.Form):
    printer = forms.CharField(label=_("Printer"), max_length=200)
    ordered_on = date_field(_("Ordered on"))
    requested_delivery = date_field(_("Requested delivery"))
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, campaign: Campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_denomination_fields(campaign.denominations.order_by("code"), label=_("%(name)s: books"))


class LotForm(forms.Form):
    denomination = forms.ModelChoiceField(label=_("Denomination"), queryset=Denomination.objects.none())
    completed_on = date_field(_("Completed on"))
    first_book = forms.IntegerField(label=_("First book number"), min_value=1, max_value=9_999_999)
    last_book = forms.IntegerField(label=_("Last book number"), min_value=1, max_value=9_999_999)
    spoiled_sheets = forms.IntegerField(label=_("Spoiled sheets"), min_value=0, initial=0,
                                        help_text=_("Sheets spoiled in printing and finishing (ヤレ)."))

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["denomination"].queryset = Denomination.objects.filter(
            campaign_id=order.campaign_id, pk__in=order.lines.values("denomination")).order_by("code")

    def clean(self):
        data = super().clean()
        if data.get("first_book") and data.get("last_book") and data["last_book"] < data["first_book"]:
            self.add_error("last_book", _("The last book number must not be smaller than the first."))
        return data


class NumberingForm(forms.Form):
    """An empty form: the button that starts the printer's numbering file."""


# --- outlets and their orders ------------------------------------------------------------------------------

class OutletFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or code"), required=False,
                        widget=forms.TextInput(attrs={"type": "search"}))
    route = forms.ChoiceField(label=_("Delivery route"), required=False,
                              choices=[("", _("All routes")), *Outlet.Route.choices])
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All kinds")), *Outlet.Kind.choices])


class OutletForm(forms.ModelForm):
    class Meta:
        model = Outlet
        fields = ["code", "name", "kind", "route", "postal_code", "address", "contact_name", "phone", "fax",
                  "is_active"]
        widgets = {
            "postal_code": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
            "phone": forms.TextInput(attrs={"type": "tel"}),
            "fax": forms.TextInput(attrs={"type": "tel"}),
        }

    def __init__(self, *args, campaign: Campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        taken = Outlet.objects.filter(campaign=self.campaign, code=code).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("Another outlet already has this code."))
        return code


class OutletOrderForm(DenominationFieldsMixin, forms.Form):
    received_on = date_field(_("Received on"))
    order_deadline = date_field(_("Order deadline"))
    delivery_date = date_field(_("Delivery date"))
    note = forms.CharField(label=_("Note"), required=False, max_length=300)

    def __init__(self, *args, campaign: Campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_denomination_fields(campaign.denominations.order_by("code"), label=_("%(name)s: books"))


# --- deliveries --------------------------------------------------------------------------------------------

class DeliveryForm(DenominationFieldsMixin, forms.Form):
    outlet = forms.ModelChoiceField(label=_("Outlet"), queryset=Outlet.objects.none())
    delivery_date = date_field(_("Delivery date"))
    order = forms.ModelChoiceField(label=_("Outlet order"), queryset=OutletOrder.objects.none(), required=False,
                                   help_text=_("The FAX order this delivery fills, if any."))

    def __init__(self, *args, campaign: Campaign, initial_books=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.fields["outlet"].queryset = Outlet.objects.filter(campaign=campaign, is_active=True).order_by("code")
        self.fields["order"].queryset = (OutletOrder.objects.filter(campaign=campaign).select_related("outlet")
                                         .order_by("-delivery_date", "-id"))
        self.add_denomination_fields(campaign.denominations.order_by("code"), label=_("%(name)s: books"),
                                     with_ranges=True, initial=initial_books)

    def clean(self):
        data = super().clean()
        self.clean_denomination_ranges(self.campaign)
        order, outlet = data.get("order"), data.get("outlet")
        if order and outlet and order.outlet_id != outlet.pk:
            self.add_error("order", _("The order belongs to another outlet."))
        return data


class DeliveryConfirmForm(forms.Form):
    received_by = forms.CharField(label=_("Received by"), max_length=100,
                                  help_text=_("The name on the signed receipt."))
    confirmed_on = date_field(_("Received on"))


# --- sales, stock-takes, collections, destruction ----------------------------------------------------------

class SalesReportForm(forms.Form):
    outlet = forms.ModelChoiceField(label=_("Outlet"), queryset=Outlet.objects.none())
    denomination = forms.ModelChoiceField(label=_("Denomination"), queryset=Denomination.objects.none())
    sales_date = date_field(_("Sales date"))
    books = forms.IntegerField(label=_("Books sold"), required=False, min_value=1,
                               help_text=_("Leave empty when you give the book ranges."))
    ranges = ranges_field(_("Book ranges sold"), help_text=_(
        "Optional: the book numbers sold, e.g. 100-129. Without them the lowest-numbered books at the outlet "
        "are marked sold."))

    def __init__(self, *args, campaign: Campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outlet"].queryset = Outlet.objects.filter(campaign=campaign).order_by("code")
        self.fields["denomination"].queryset = campaign.denominations.order_by("code")

    def clean_ranges(self):
        text = self.cleaned_data["ranges"]
        return _parse(text) if text else []

    def clean(self):
        data = super().clean()
        if not data.get("books") and not data.get("ranges") and not self.errors:
            raise forms.ValidationError(_("Give the number of books sold or their ranges."))
        return data


class StockTakeForm(DenominationFieldsMixin, forms.Form):
    counted_on = date_field(_("Counted on"))
    outlet = forms.ModelChoiceField(label=_("Place"), queryset=Outlet.objects.none(), required=False,
                                    empty_label=_("Vault (printer's security room)"))
    witnesses = forms.CharField(label=_("Witnesses"), max_length=300,
                                help_text=_("e.g. one secretariat member and two printer staff, comma separated."))
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, campaign: Campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outlet"].queryset = Outlet.objects.filter(campaign=campaign).order_by("code")
        self.add_denomination_fields(campaign.denominations.order_by("code"), label=_("%(name)s: books counted"))

    def clean(self):
        data = super().clean()
        if not self.errors and not self.denomination_counts():
            raise forms.ValidationError(_("Enter the count of at least one denomination."))
        return data


class ResolveForm(forms.Form):
    resolution = forms.CharField(label=_("How was the discrepancy resolved?"),
                                 widget=forms.Textarea(attrs={"rows": 2}))


class CollectionOpenForm(forms.Form):
    outlet = forms.ModelChoiceField(label=_("Outlet"), queryset=Outlet.objects.none())
    collected_on = date_field(_("Collection date"))

    def __init__(self, *args, campaign: Campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outlet"].queryset = Outlet.objects.filter(campaign=campaign).order_by("code")


class CollectionReturnForm(forms.Form):
    ranges = ranges_field(
        _("Returned book numbers"), required=True, rows=6,
        help_text=_("Scan or type each book number, one per line, or ranges like 100-149, comma separated."))

    def clean_ranges(self):
        return _parse(self.cleaned_data["ranges"])


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(label=_("I have checked the figures above and want to go ahead."),
                                 error_messages={"required": _("Tick the box to confirm.")})


class DestructionForm(forms.Form):
    destroyed_on = date_field(_("Destroyed on"))
    method = forms.ChoiceField(label=_("Method"), choices=Destruction.Method.choices)
    place = forms.CharField(label=_("Place"), max_length=200)
    contractor = forms.CharField(label=_("Contractor"), max_length=200, required=False)
    witnesses = forms.CharField(label=_("Witnesses"), max_length=300, help_text=_("Comma separated."))
    ranges = ranges_field(_("Books destroyed"), rows=4, help_text=_(
        "Book numbers or ranges, e.g. 100-199, 250. Only books in the vault or collected back can be destroyed."))
    spoiled_sheets = forms.IntegerField(label=_("Spoiled sheets destroyed"), min_value=0, initial=0)
    confirm = forms.BooleanField(label=_("I confirm these books were destroyed under witness. This cannot be undone."),
                                 error_messages={"required": _("Tick the box to confirm.")})

    def clean_ranges(self):
        text = self.cleaned_data["ranges"]
        return _parse(text) if text else []


def split_witnesses(text: str) -> list[str]:
    """"佐藤、田中, 鈴木" → the names, for the certificate's signature rows."""
    return [name.strip() for name in re.split(r"[、，,;；\n]+", text) if name.strip()]

"""Forms merchants fill in themselves: the public application, and in the portal the login, store details
and bank account change. Values are normalised here (width, kana, postal code) so that services and the
directory see one spelling whatever the applicant's phone or keyboard produced."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from campaign.japanese import fold_kana, is_hiragana, is_katakana, normalize
from settlement.models import Bank, BankAccount, BankBranch, Merchant
from settlement.postal import parse_postal_code

_PHONE = re.compile(r"[0-9()\-]+")
_DIGITS = re.compile(r"[0-9]+")


def _text(max_length: int, label, *, required: bool = True, autocomplete: str = "", help_text="", **attrs):
    widget_attrs = {"autocomplete": autocomplete} if autocomplete else {}
    widget_attrs.update(attrs)
    return forms.CharField(label=label, max_length=max_length, required=required, help_text=help_text,
                           widget=forms.TextInput(attrs=widget_attrs))


def _digits(max_length: int, label, *, help_text="", autocomplete: str = "off"):
    return forms.CharField(
        label=label, max_length=max_length + 4, help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": autocomplete,
                                      "maxlength": max_length + 4, "class": "input--digits"}),
    )


def clean_kana(value: str) -> str:
    """Furigana as katakana: katakana or hiragana are accepted (full- or half-width) and stored as katakana."""
    value = normalize(value)
    if not (is_katakana(value) or is_hiragana(value) or is_katakana(fold_kana(value))):
        raise forms.ValidationError(_("Write the reading in katakana or hiragana only (no kanji, letters or symbols)."))
    return fold_kana(value)


def clean_digits(value: str, length: int, message) -> str:
    value = normalize(value).replace("-", "").replace(" ", "")
    if not (_DIGITS.fullmatch(value) and len(value) <= length):
        raise forms.ValidationError(message)
    return value


class StoreDetailsForm(forms.Form):
    """The public store details: the same fields and checks in the application and in the portal."""

    store_name = _text(200, _("Store name"), autocomplete="organization")
    store_name_kana = _text(200, _("Store name (furigana)"), autocomplete="off",
                            help_text=_("In katakana, e.g. カフェドトットリ."))
    postal_code = forms.CharField(
        label=_("Postal code"), max_length=10, help_text=_("7 digits, e.g. 680-0011. The address is filled in for you."),
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric", "class": "input--postal"}),
    )
    address = _text(300, _("Address"), autocomplete="street-address",
                    help_text=_("Prefecture, city, street, building and floor."))
    phone = forms.CharField(
        label=_("Store phone number"), max_length=20, help_text=_("e.g. 0857-00-1234"),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    genre = forms.ChoiceField(label=_("Genre"), choices=[("", _("Choose…")), *Merchant.Genre.choices])
    area = forms.ChoiceField(label=_("Area"), choices=[("", _("Choose…")), *Merchant.Area.choices])
    opening_hours = _text(200, _("Opening hours"), required=False,
                          help_text=_("e.g. 11:00–14:00, 17:00–22:00; closed on Mondays"))
    takeout = forms.BooleanField(label=_("Takeout available"), required=False)

    def clean_store_name(self):
        return normalize(self.cleaned_data["store_name"])

    def clean_store_name_kana(self):
        return clean_kana(self.cleaned_data["store_name_kana"])

    def clean_postal_code(self):
        code = parse_postal_code(self.cleaned_data["postal_code"])
        if code is None:
            raise forms.ValidationError(_("Enter the postal code as 7 digits, e.g. 680-0011."))
        return code

    def clean_address(self):
        return normalize(self.cleaned_data["address"])

    def clean_phone(self):
        phone = normalize(self.cleaned_data["phone"]).replace(" ", "-")
        digits = re.sub(r"[^0-9]", "", phone)
        if not _PHONE.fullmatch(phone) or not 10 <= len(digits) <= 11:
            raise forms.ValidationError(_("Enter the phone number with its area code, e.g. 0857-00-1234."))
        return phone

    def clean_opening_hours(self):
        return normalize(self.cleaned_data["opening_hours"])


class BankAccountForm(forms.Form):
    """Bank, branch, account type and number, and the holder's name as the bank has it (口座名義)."""

    bank_code = _digits(4, _("Bank code"), help_text=_("4 digits. Search by the bank's name below if you do not know it."))
    branch_code = _digits(3, _("Branch code"), help_text=_("3 digits. Search by the branch's name below."))
    account_type = forms.ChoiceField(label=_("Account type"), choices=BankAccount.AccountType.choices,
                                     initial=BankAccount.AccountType.ORDINARY, widget=forms.RadioSelect)
    account_number = _digits(7, _("Account number"), help_text=_("7 digits, as printed in the bankbook."))
    holder_name = _text(60, _("Account holder"), autocomplete="off",
                        help_text=_("In katakana as registered at the bank, e.g. カ）トツトリカフエ. "
                                    "You will see it in the form used for bank transfers before you submit."))

    def clean_bank_code(self):
        return clean_digits(self.cleaned_data["bank_code"], 4, _("The bank code has 4 digits.")).zfill(4)

    def clean_branch_code(self):
        return clean_digits(self.cleaned_data["branch_code"], 3, _("The branch code has 3 digits.")).zfill(3)

    def clean_account_number(self):
        number = clean_digits(self.cleaned_data["account_number"], 7,
                              _("The account number must be exactly 7 digits (add leading zeros if shorter)."))
        if len(number) != 7:
            raise forms.ValidationError(
                _("The account number must be exactly 7 digits (add leading zeros if shorter)."))
        return number

    def clean_holder_name(self):
        from settlement.zengin import ZenginNameError, zengin_kana

        holder = normalize(self.cleaned_data["holder_name"])
        try:
            self.holder_kana = zengin_kana(holder)
        except ZenginNameError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return holder

    def clean(self):
        data = super().clean()
        bank_code, branch_code = data.get("bank_code"), data.get("branch_code")
        if bank_code:
            bank = Bank.objects.filter(code=bank_code, is_active=True).first()
            if bank is None:
                self.add_error("bank_code", _("There is no bank with this code. Search by name to find the code."))
            else:
                data["bank_name"] = bank.name
                if branch_code:
                    branch = BankBranch.objects.filter(bank=bank, code=branch_code, is_active=True).first()
                    if branch is None:
                        self.add_error("branch_code", _("%(bank)s has no branch with this code.") % {"bank": bank.name})
                    else:
                        data["branch_name"] = branch.name
        if "holder_name" in data:
            data["holder_kana"] = self.holder_kana
        return data


class ApplicationForm(StoreDetailsForm, BankAccountForm):
    """The public application (加盟店申込): store, business, representative, contact, declaration and bank."""

    business_form = forms.ChoiceField(label=_("Business form"), choices=Merchant.BusinessForm.choices,
                                      widget=forms.RadioSelect)
    company_name = _text(200, _("Company name or owner's name"), autocomplete="organization",
                         help_text=_("For a corporation, the registered name, e.g. 株式会社とっとりカフェ."))
    representative_name = _text(100, _("Representative's name"), autocomplete="name")
    representative_kana = _text(100, _("Representative's name (furigana)"), autocomplete="off",
                                help_text=_("In katakana, e.g. トットリ タロウ."))
    email = forms.EmailField(label=_("E-mail address"), max_length=254,
                             help_text=_("We send the confirmation and, after approval, your portal login here."),
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    email_confirm = forms.EmailField(label=_("E-mail address (again)"), max_length=254,
                                     widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    infection_control = forms.BooleanField(
        label=_("I declare that the store takes the infection-control measures required by the campaign."),
        error_messages={"required": _("Applications need the infection-control declaration.")},
    )

    # The order the fields appear in: the confirmation page and the form template follow it.
    field_order = [
        "store_name", "store_name_kana", "genre", "area", "opening_hours", "takeout", "business_form",
        "company_name", "representative_name", "representative_kana", "postal_code", "address", "phone", "email",
        "email_confirm", "bank_code", "branch_code", "account_type", "account_number", "holder_name",
        "infection_control",
    ]

    def clean_company_name(self):
        return normalize(self.cleaned_data["company_name"])

    def clean_representative_name(self):
        return normalize(self.cleaned_data["representative_name"])

    def clean_representative_kana(self):
        return clean_kana(self.cleaned_data["representative_kana"])

    def clean_email(self):
        return self.cleaned_data["email"].strip()

    def clean(self):
        data = super().clean()
        email, again = data.get("email"), data.get("email_confirm")
        if email and again and email.casefold() != again.casefold():
            self.add_error("email_confirm", _("The two e-mail addresses differ. Check them for typos."))
        return data

    # --- for the service call -------------------------------------------------------------------------

    MERCHANT_FIELDS = ("store_name", "store_name_kana", "business_form", "company_name", "postal_code", "address",
                       "phone", "email", "genre", "area", "opening_hours", "takeout", "infection_control")


class StoreEditForm(StoreDetailsForm):
    """Store details in the portal."""


class BankChangeForm(BankAccountForm):
    """A new payout account, asked for in the portal."""


class PortalLoginForm(forms.Form):
    login = forms.CharField(
        label=_("E-mail address"), max_length=254,
        help_text=_("If several of your stores use the same address, enter the store's merchant number instead."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "inputmode": "email", "autocapitalize": "none",
                                      "spellcheck": "false"}),
    )
    password = forms.CharField(label=_("Password"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    def clean_login(self):
        return normalize(self.cleaned_data["login"])

"""Forms of the reservation pages. ``AnswersForm`` is built from the campaign's field configuration and checks
its input with the same ``validate_answers`` the API and the staff screens use."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from reservations.fields import (
    BASIC_FIELDS,
    CHOICE,
    EXTRA_KINDS,
    MAX_EXTRA,
    MULTI,
    SEX_CHOICES,
    USES,
    YESNO,
    FieldConfig,
    FieldErrors,
    validate_answers,
)
from reservations.linkcodes import is_valid as link_code_is_valid
from reservations.linkcodes import normalize as link_code_normalize
from reservations.models import Counter, ReservationSettings
from reservations.selectors import SearchFilter

_INPUT_ATTRS = {
    "name": {"autocomplete": "name"},
    "kana": {"autocomplete": "off"},
    "postal_code": {"autocomplete": "postal-code", "inputmode": "numeric"},
    "address": {"autocomplete": "street-address"},
    "phone": {"autocomplete": "tel", "inputmode": "tel"},
    "phone2": {"autocomplete": "tel", "inputmode": "tel"},
    "fax": {"inputmode": "tel"},
    "email": {"autocomplete": "email"},
}


class AnswersForm(forms.Form):
    def __init__(self, *args, config: FieldConfig, audience: str = "public", **kwargs):
        super().__init__(*args, **kwargs)
        self.config = config
        self.audience = audience
        self.specs = config.for_audience(audience)
        for spec in self.specs:
            required = spec.required
            if spec.kind == "sex":
                field = forms.ChoiceField(choices=list(SEX_CHOICES.items()), widget=forms.RadioSelect)
            elif spec.kind == CHOICE:
                field = forms.ChoiceField(choices=[(c, c) for c in spec.choices], widget=forms.RadioSelect)
            elif spec.kind == MULTI:
                field = forms.MultipleChoiceField(choices=[(c, c) for c in spec.choices],
                                                  widget=forms.CheckboxSelectMultiple)
            elif spec.kind == YESNO:
                field = forms.ChoiceField(choices=[("yes", _("Yes")), ("no", _("No"))], widget=forms.RadioSelect)
            elif spec.kind == "date":
                field = forms.CharField(widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}))
            elif spec.kind == "email":
                field = forms.CharField(widget=forms.EmailInput(attrs=_INPUT_ATTRS["email"]))
            elif spec.kind == "phone":
                field = forms.CharField(widget=forms.TextInput(attrs={"type": "tel", **_INPUT_ATTRS[spec.name]}),
                                        help_text=_("e.g. 0857-00-1234"))
            elif spec.kind == "postal":
                field = forms.CharField(widget=forms.TextInput(attrs=_INPUT_ATTRS["postal_code"]),
                                        help_text=_("7 digits, e.g. 680-0011"))
            else:
                field = forms.CharField(max_length=spec.max_length,
                                        widget=forms.TextInput(attrs=_INPUT_ATTRS.get(spec.name, {})))
                if spec.kind == "kana":
                    field.help_text = _("In katakana or hiragana")
            field.label = spec.label
            field.required = required
            self.fields[spec.name] = field

    def clean(self):
        data = super().clean()
        raw = {name: self.data.getlist(name) if isinstance(self.fields[name], forms.MultipleChoiceField)
               else self.data.get(name, "") for name in self.fields} if self.is_bound else {}
        try:
            self.answers = validate_answers(self.config, raw, audience=self.audience)
        except FieldErrors as exc:
            for name, messages in exc.errors.items():
                for message in messages:
                    if name in self.fields and name not in self.errors:
                        self.add_error(name, message)
                    elif name not in self.fields:
                        self.add_error(None, message)
        return data

    def raw_answers(self) -> dict:
        return {name: self.data.getlist(name) if isinstance(self.fields[name], forms.MultipleChoiceField)
                else self.data.get(name, "") for name in self.fields}


def postal_autofill(form: forms.Form, url: str) -> bool:
    """Wire a staff form's postal code to fill its address (htmx, as on the merchant application): typing seven
    digits asks ``url`` for the address, shown in place of the postal code's help text, and the address input
    is filled when it is empty or holds another area. Without JavaScript nothing changes: the address stays a
    plain input to type. False when the form has no postal code or no address field."""
    if "postal_code" not in form.fields or "address" not in form.fields:
        return False
    postal, address = form["postal_code"], form["address"]
    form.fields["postal_code"].widget.attrs.update({
        "hx-get": url, "hx-trigger": "input changed delay:300ms, change",
        "hx-include": f"#{address.auto_id}", "hx-target": f"#{postal.auto_id}_helptext", "hx-swap": "innerHTML",
        "hx-sync": "this:replace"})
    return True


class LookupForm(forms.Form):
    number = forms.CharField(label=_("Reservation number"), max_length=20,
                             widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    access_key = forms.CharField(label=_("Access key"), max_length=60,
                                 help_text=_("The key shown after booking (also in the confirmation e-mail). "
                                             "Hyphens and spaces do not matter."),
                                 widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                                               "spellcheck": "false"}))


class ResidentLoginForm(forms.Form):
    login_id = forms.CharField(label=_("Login ID"), max_length=40,
                               widget=forms.TextInput(attrs={"autocomplete": "username"}))
    password = forms.CharField(label=_("Password"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class ResidentSignupForm(forms.Form):
    login_id = forms.RegexField(label=_("Login ID"), max_length=40, min_length=4, regex=r"^[A-Za-z0-9_.@-]+$",
                                help_text=_("4 to 40 letters, digits or _ . @ -"),
                                error_messages={"invalid": _("Use letters, digits or _ . @ - only.")},
                                widget=forms.TextInput(attrs={"autocomplete": "username"}))
    email = forms.EmailField(label=_("E-mail"), help_text=_("For the confirmation and for resetting the password."),
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(label=_("Password"), strip=False, help_text=_("At least 10 characters."),
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label=_("Password (again)"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password2") and data["password"] != data["password2"]:
            self.add_error("password2", _("The two passwords differ."))
        return data


# --- staff -------------------------------------------------------------------------------------------------

class DateForm(forms.Form):
    day = forms.DateField(label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class ArrivalForm(forms.Form):
    memo = forms.CharField(label=_("Memo"), required=False, max_length=1000,
                           widget=forms.TextInput(attrs={"autocomplete": "off"}))


class SearchForm(forms.Form):
    number = forms.CharField(label=_("Reservation number"), required=False, max_length=20)
    resident_number = forms.CharField(label=_("Resident ID"), required=False, max_length=30)
    name = forms.CharField(label=_("Name or kana"), required=False, max_length=100)
    name_match = forms.ChoiceField(label=_("Name match"), required=False,
                                   choices=[("partial", _("Contains")), ("prefix", _("Starts with"))])
    date_kind = forms.ChoiceField(label=_("Date of"), required=False,
                                  choices=[("visit", _("Visit date")), ("booked", _("Booking"))])
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args, **kwargs):
        from reservations.models import Reservation

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("Any"))] + list(Reservation.Status.choices)

    def search_filter(self) -> SearchFilter:
        if not self.is_bound or not self.is_valid():
            return SearchFilter()
        d = self.cleaned_data
        return SearchFilter(number=d["number"].strip(), resident_number=d["resident_number"].strip(),
                            name=d["name"].strip(), name_match=d["name_match"] or "partial",
                            date_kind=d["date_kind"] or "visit", date_from=d["date_from"], date_to=d["date_to"],
                            status=d["status"])


class ProxyPickForm(forms.Form):
    counter = forms.ModelChoiceField(label=_("Counter"), queryset=Counter.objects.none())
    day = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["counter"].queryset = Counter.objects.filter(campaign=campaign, is_active=True)


class ProxyLinkCodeForm(forms.Form):
    """The link code of the resident's notice letter, read out on the phone: the booking is then the
    applicant's (optional). Checked here for its check character; the view looks the applicant up."""

    link_code = forms.CharField(
        label=_("Link code"), required=False, max_length=40,
        help_text=_("From the resident's notice letter, with or without hyphens. Ties the booking to the "
                    "applicant and records them as reserved."))

    def clean_link_code(self) -> str:
        typed = self.cleaned_data["link_code"].strip()
        code = link_code_normalize(typed)
        if typed and not link_code_is_valid(code):
            raise forms.ValidationError(_("This link code is not valid: a character is wrong or missing. Please "
                                          "ask the resident to read it again from the letter."))
        return code


class SettingsForm(forms.ModelForm):
    class Meta:
        model = ReservationSettings
        fields = ["accept_from", "accept_until", "window_start", "window_end", "slot_minutes", "access_mode"]
        widgets = {
            "accept_from": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "accept_until": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "window_start": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "window_end": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def clean(self):
        data = super().clean()
        if data.get("accept_from") and data.get("accept_until") and data["accept_from"] >= data["accept_until"]:
            self.add_error("accept_until", _("The end must be after the start."))
        if data.get("window_start") and data.get("window_end") and data["window_start"] > data["window_end"]:
            self.add_error("window_end", _("The end must not be before the start."))
        return data


class CounterForm(forms.ModelForm):
    class Meta:
        model = Counter
        fields = ["name", "address", "access_notes", "sort_order", "is_active"]
        widgets = {"access_notes": forms.Textarea(attrs={"rows": 2})}


WEEKDAYS = [(0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")), (3, _("Thursday")), (4, _("Friday")),
            (5, _("Saturday")), (6, _("Sunday"))]


class RuleBulkForm(forms.Form):
    counters = forms.ModelMultipleChoiceField(label=_("Counters"), queryset=Counter.objects.none(),
                                              widget=forms.CheckboxSelectMultiple)
    weekdays = forms.TypedMultipleChoiceField(label=_("Weekdays"), choices=WEEKDAYS, coerce=int,
                                              widget=forms.CheckboxSelectMultiple)
    opens = forms.TimeField(label=_("From"), widget=forms.TimeInput(attrs={"type": "time"}))
    closes = forms.TimeField(label=_("Until"), widget=forms.TimeInput(attrs={"type": "time"}))
    public_capacity = forms.IntegerField(label=_("Seats per slot (public)"), min_value=0, max_value=1000)
    staff_capacity = forms.IntegerField(label=_("Seats per slot (staff)"), min_value=0, max_value=1000)
    valid_from = forms.DateField(label=_("Valid from"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(label=_("Valid until"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["counters"].queryset = Counter.objects.filter(campaign=campaign)


class ClosedDayForm(forms.Form):
    counter = forms.ModelChoiceField(label=_("Counter"), queryset=Counter.objects.none(), required=False,
                                     empty_label=_("All counters"))
    date_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                              help_text=_("Empty: one day"))
    reason = forms.CharField(label=_("Reason"), required=False, max_length=100)

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["counter"].queryset = Counter.objects.filter(campaign=campaign)


class ExcludedTimeForm(forms.Form):
    counter = forms.ModelChoiceField(label=_("Counter"), queryset=Counter.objects.none())
    date = forms.DateField(label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                           help_text=_("Empty: every day"))
    start = forms.TimeField(label=_("From"), widget=forms.TimeInput(attrs={"type": "time"}))
    end = forms.TimeField(label=_("Until"), widget=forms.TimeInput(attrs={"type": "time"}))

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["counter"].queryset = Counter.objects.filter(campaign=campaign)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] >= data["end"]:
            self.add_error("end", _("The end must be after the start."))
        return data


class FieldConfigForm(forms.Form):
    """Use and alias per basic field, then label / kind / use / choices for the five extra fields."""

    def __init__(self, *args, settings_row: ReservationSettings, **kwargs):
        super().__init__(*args, **kwargs)
        basic = settings_row.basic_fields or {}
        for name, (label, _kind, _max) in BASIC_FIELDS.items():
            entry = basic.get(name) or {}
            self.fields[f"{name}__use"] = forms.ChoiceField(label=label, choices=list(USES.items()),
                                                            initial=entry.get("use", "unused"))
            self.fields[f"{name}__alias"] = forms.CharField(label=_("%(field)s: alias label") % {"field": label},
                                                            required=False, max_length=60,
                                                            initial=entry.get("alias", ""))
        extra = settings_row.extra_fields or []
        for i in range(1, MAX_EXTRA + 1):
            entry = extra[i - 1] if i <= len(extra) else {}
            self.fields[f"extra{i}__label"] = forms.CharField(label=_("Extra field %(n)d: label") % {"n": i},
                                                              required=False, max_length=60,
                                                              initial=entry.get("label", ""))
            self.fields[f"extra{i}__kind"] = forms.ChoiceField(label=_("Extra field %(n)d: kind") % {"n": i},
                                                               choices=list(EXTRA_KINDS.items()),
                                                               initial=entry.get("kind", "text"))
            self.fields[f"extra{i}__use"] = forms.ChoiceField(
                label=_("Extra field %(n)d: use") % {"n": i},
                choices=[(k, v) for k, v in USES.items() if k != "display"], initial=entry.get("use", "unused"))
            self.fields[f"extra{i}__choices"] = forms.CharField(
                label=_("Extra field %(n)d: choices") % {"n": i}, required=False, max_length=500,
                help_text=_("One per line (single or multiple choice)"), widget=forms.Textarea(attrs={"rows": 2}),
                initial="\n".join(entry.get("choices", [])))

    def clean(self):
        data = super().clean()
        for i in range(1, MAX_EXTRA + 1):
            kind, use = data.get(f"extra{i}__kind"), data.get(f"extra{i}__use")
            if use and use != "unused" and not data.get(f"extra{i}__label"):
                self.add_error(f"extra{i}__label", _("A used field needs a label."))
            if use and use != "unused" and kind in (CHOICE, MULTI) and not (data.get(f"extra{i}__choices") or "").strip():
                self.add_error(f"extra{i}__choices", _("A choice field needs at least one choice."))
        return data

    def values(self) -> tuple[dict, list]:
        d = self.cleaned_data
        basic = {name: {"use": d[f"{name}__use"], "alias": d[f"{name}__alias"].strip()} for name in BASIC_FIELDS}
        extra = []
        for i in range(1, MAX_EXTRA + 1):
            choices = [c.strip() for c in (d[f"extra{i}__choices"] or "").splitlines() if c.strip()]
            extra.append({"label": d[f"extra{i}__label"].strip(), "kind": d[f"extra{i}__kind"],
                          "use": d[f"extra{i}__use"], "choices": choices})
        return basic, extra

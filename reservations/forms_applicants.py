"""Forms of the applicant screens. The personal fields come from the reservation field configuration
(``AnswersForm`` over the applicant's fields), so the same rules apply here, in the import and when booking."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from reservations.letters import MERGE_FIELDS, template_errors
from reservations.models import Counter, LetterTemplate, StatusLabel
from reservations.selectors_applicants import ApplicantFilter


def _status_choices(*, with_none: bool, active_only: bool) -> list[tuple[str, str]]:
    qs = StatusLabel.objects.all()
    if active_only:
        qs = qs.filter(is_active=True)
    choices = [(s.code, s.label) for s in qs]
    return ([("", _("Any")), ("none", _("No status yet"))] + choices) if with_none else choices


class ApplicantSearchForm(forms.Form):
    status = forms.ChoiceField(label=_("Current status"), required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                                help_text=_("Period: when the current status was set (with a status chosen), "
                                            "otherwise any progress entry"))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    name = forms.CharField(label=_("Name or kana"), required=False, max_length=100)
    link_code = forms.CharField(label=_("Link code"), required=False, max_length=30)
    resident_number = forms.CharField(label=_("Resident ID"), required=False, max_length=30)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = _status_choices(with_none=True, active_only=False)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date must not be before the start date."))
        return data

    def search_filter(self) -> ApplicantFilter:
        if not self.is_bound or not self.is_valid():
            return ApplicantFilter()
        d = self.cleaned_data
        return ApplicantFilter(status=d["status"] or "", date_from=d["date_from"], date_to=d["date_to"],
                               name=d["name"].strip(), link_code=d["link_code"].strip(),
                               resident_number=d["resident_number"].strip())


class ApplicantOtherForm(forms.Form):
    resident_number = forms.CharField(label=_("Resident ID"), required=False, max_length=30)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=2000,
                            widget=forms.Textarea(attrs={"rows": 3}))


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"))
    note = forms.CharField(label=_("Note"), required=False, max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = _status_choices(with_none=False, active_only=True)


class UndoForm(forms.Form):
    note = forms.CharField(label=_("Reason for the undo"), required=False, max_length=300)


class BulkStatusForm(StatusForm):
    confirm = forms.BooleanField(label=_("I have checked the number of applicants above"))


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Applicant list (CSV in UTF-8 or Shift_JIS, or Excel .xlsx)"))


class PrintForm(forms.Form):
    sheet = forms.ChoiceField(label=_("Label sheet"), choices=[("12", _("A4, 12 labels (2 × 6)")),
                                                              ("24", _("A4, 24 labels (3 × 8)"))])


class LetterPrintForm(forms.Form):
    """The confirmation before notice letters are printed: the clerk has seen the number of letters, chooses
    whether those already handed their vouchers get one too, and — only while the site address is a
    development one — confirms that this is a test print."""

    include_received = forms.BooleanField(
        label=_("Also print letters for applicants who already received their vouchers"), required=False)
    test_print = forms.BooleanField(
        label=_("Print anyway (test print)"), required=False,
        help_text=_("Every page is marked “TEST PRINT — do not mail”."))
    confirm = forms.BooleanField(label=_("I have checked the number of letters"))

    def __init__(self, *args, site_problem: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.site_problem = site_problem
        if not site_problem:
            del self.fields["test_print"]

    def clean(self):
        data = super().clean()
        if self.site_problem and not data.get("test_print"):
            self.add_error("test_print", _("The letters would carry a development address. Tick “Print anyway "
                                           "(test print)” for a test print, or set the public address first."))
        return data


class SaleForm(forms.Form):
    counter = forms.ModelChoiceField(label=_("Counter"), queryset=Counter.objects.none())
    ranges = forms.CharField(label=_("Book numbers sold"), max_length=500,
                             help_text=_("e.g. 1201-1203, 2050 (ranges or single numbers)"))

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["counter"].queryset = Counter.objects.filter(campaign=campaign, is_active=True,
                                                                 outlet_link__isnull=False)


class StatusLabelForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=30, help_text=_("Letters, digits, - and _; fixed once saved"))
    label = forms.CharField(label=_("Label"), max_length=40)
    sort_order = forms.IntegerField(label=_("Order"), min_value=0, max_value=999, initial=100)
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)


class LetterTemplateForm(forms.ModelForm):
    class Meta:
        model = LetterTemplate
        fields = ["title", "body", "deadline", "sender"]
        widgets = {"body": forms.Textarea(attrs={"rows": 12}),
                   "deadline": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                   "sender": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = " ".join("{" + f + "}" for f in MERGE_FIELDS)
        self.fields["body"].help_text = _("Merge fields: %(fields)s") % {"fields": fields}

    def _check(self, name):
        value = self.cleaned_data.get(name, "")
        unknown = template_errors(value)
        if unknown:
            raise forms.ValidationError(_("Unknown merge field: %(fields)s") % {
                "fields": ", ".join("{" + f + "}" for f in unknown)})
        return value

    def clean_title(self):
        return self._check("title")

    def clean_body(self):
        return self._check("body")


class CounterOutletForm(forms.Form):
    counter = forms.ModelChoiceField(label=_("Counter"), queryset=Counter.objects.none())
    outlet = forms.ChoiceField(label=_("Sales outlet"), required=False)

    def __init__(self, *args, campaign, **kwargs):
        from vouchers.selectors import outlets

        super().__init__(*args, **kwargs)
        self.fields["counter"].queryset = Counter.objects.filter(campaign=campaign)
        self.fields["outlet"].choices = [("", _("Not linked"))] + [(o.pk, o.name) for o in outlets(campaign)]

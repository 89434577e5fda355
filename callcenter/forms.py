from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from callcenter.models import CallRecord, Category, Escalation, FaqItem, Line, SynonymGroup
from campaign.models import Department


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return str(obj)


class CallForm(forms.Form):
    """The quick-entry console: one post logs the call, and its escalation or callback request."""

    received_at = forms.DateTimeField(label=_("Received at"), widget=forms.DateTimeInput(
        attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    line = forms.ModelChoiceField(label=_("Line"), queryset=Line.objects.filter(is_active=True), empty_label=None)
    caller_type = forms.ChoiceField(label=_("Caller"), choices=CallRecord.CallerType.choices)
    category = CategoryChoiceField(label=_("Category"), queryset=Category.objects.select_related("parent")
                                   .order_by("parent__order", "parent__name", "order", "name"), required=False)
    summary = forms.CharField(label=_("Inquiry summary"), widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("No names or phone numbers here: use a callback request for those."))
    answer = forms.CharField(label=_("Answer given"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    faq_items = forms.ModelMultipleChoiceField(label=_("FAQ items used"), queryset=FaqItem.objects.all(),
                                               required=False, widget=forms.MultipleHiddenInput)
    response_type = forms.ChoiceField(label=_("Response"), choices=CallRecord.ResponseType.choices,
                                      widget=forms.RadioSelect, initial=CallRecord.ResponseType.ANSWERED)
    department = forms.ModelChoiceField(label=_("Department in charge"),
                                        queryset=Department.objects.filter(is_active=True), required=False)
    related_departments = forms.ModelMultipleChoiceField(
        label=_("Related departments"), queryset=Department.objects.filter(is_active=True), required=False,
        widget=forms.CheckboxSelectMultiple)
    transfer_to = forms.CharField(label=_("Transferred to"), max_length=200, required=False)
    duration_minutes = forms.DecimalField(label=_("Duration (minutes)"), min_value=0, max_value=600,
                                          decimal_places=1, required=False)
    priority = forms.ChoiceField(label=_("Escalation priority"), choices=Escalation.Priority.choices,
                                 initial=Escalation.Priority.NORMAL, required=False)
    escalation_note = forms.CharField(label=_("Note for the department"), required=False,
                                      widget=forms.Textarea(attrs={"rows": 2}))
    cb_name = forms.CharField(label=_("Caller's name"), max_length=100, required=False)
    cb_phone = forms.CharField(label=_("Daytime phone"), max_length=20, required=False)
    cb_address = forms.CharField(label=_("Address"), max_length=300, required=False)
    cb_inquiry = forms.CharField(label=_("Inquiry for the department"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 2}))
    cb_email = forms.EmailField(label=_("E-mail (only if needed)"), required=False)
    cb_fax = forms.CharField(label=_("FAX (only if needed)"), max_length=20, required=False)
    search_token = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_received_at(self):
        value = self.cleaned_data["received_at"]
        if value > timezone.now() + timezone.timedelta(minutes=5):
            raise forms.ValidationError(_("The call cannot have been received in the future."))
        return value

    def clean(self):
        data = super().clean()
        kind = data.get("response_type")
        if kind == CallRecord.ResponseType.TRANSFERRED and not data.get("transfer_to"):
            self.add_error("transfer_to", _("Say where the call was transferred to."))
        if kind in (CallRecord.ResponseType.ESCALATED, CallRecord.ResponseType.CALLBACK) and not data.get("department"):
            self.add_error("department", _("Choose the department in charge."))
        if kind == CallRecord.ResponseType.CALLBACK:
            for name in ("cb_name", "cb_phone", "cb_inquiry"):
                if not data.get(name):
                    self.add_error(name, _("Needed for a callback request."))
        return data


class EscalationUpdateForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Escalation.Status.choices)
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=None, required=False)
    outcome = forms.CharField(label=_("Outcome"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                              help_text=_("The operator who escalated reads this."))

    def __init__(self, *args, assignees=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignees


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Internal note"), widget=forms.Textarea(attrs={"rows": 2}))


class CallbackCompleteForm(forms.Form):
    note = forms.CharField(label=_("Result of the callback"), widget=forms.Textarea(attrs={"rows": 2}))


class FaqForm(forms.Form):
    question = forms.CharField(label=_("Question"), max_length=500)
    answer = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 6}))
    keywords = forms.CharField(label=_("Keywords"), max_length=500, required=False,
                               help_text=_("Other words callers use, separated by spaces or commas."))
    category = CategoryChoiceField(label=_("Category"), queryset=Category.objects.select_related("parent"),
                                   required=False)
    visibility = forms.ChoiceField(label=_("Visibility"), choices=FaqItem.Visibility.choices)
    status = forms.ChoiceField(label=_("Status"), choices=FaqItem.Status.choices)


class SynonymForm(forms.ModelForm):
    class Meta:
        model = SynonymGroup
        fields = ["terms", "note"]
        widgets = {"terms": forms.Textarea(attrs={"rows": 4})}


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    parent = forms.ModelChoiceField(label=_("Parent category"), queryset=Category.objects.filter(parent=None),
                                    required=False, help_text=_("Empty for a top category."))
    order = forms.IntegerField(label=_("Order"), min_value=0, initial=0)


class LineForm(forms.ModelForm):
    class Meta:
        model = Line
        fields = ["name", "kind", "phone", "opens_at", "closes_at", "weekdays_only", "is_active"]
        widgets = {"opens_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                   "closes_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}


class ReportForm(forms.Form):
    date_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

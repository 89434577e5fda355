"""The merchant's redemption claim: how many used tickets of each denomination go into the envelope.

Only counts are typed; the amount is computed (here for the confirmation page, and again by the service).
Phones send full-width digits, thousands separators and the odd minus sign: they are read, and anything
that is not a count gets a message that says which denomination and why.
"""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from campaign.japanese import normalize
from campaign.models import Denomination

# A redemption envelope holds a few hundred tickets; thousands belong in several envelopes (and a slip each),
# and a typo of three extra zeros should not reach the secretariat as a claim of millions of yen.
MAX_TICKETS_PER_ENVELOPE = 5_000
_MINUS = "-−ー―‐"
_COUNT = re.compile(r"[0-9]+")


def field_name(denomination: Denomination) -> str:
    return f"tickets_{denomination.code}"


class DeclareForm(forms.Form):
    """One count per denomination of the merchant's campaign; at least one ticket, at most the envelope limit."""

    def __init__(self, *args, denominations: list[Denomination], **kwargs):
        super().__init__(*args, **kwargs)
        self.denominations = denominations
        for denomination in denominations:
            self.fields[field_name(denomination)] = forms.CharField(
                label=denomination.name, required=False, max_length=12,
                help_text=gettext("Number of tickets, %(value)s yen each.") % {"value": f"{denomination.face_value:,}"},
                widget=forms.TextInput(attrs={
                    "inputmode": "numeric", "autocomplete": "off", "class": "input--digits input--count",
                    "data-face-value": denomination.face_value, "placeholder": "0"}),
            )

    def _clean_count(self, name: str) -> int:
        raw = normalize(self.cleaned_data.get(name) or "").replace(",", "").replace(" ", "")
        if not raw:
            return 0
        if raw[0] in _MINUS and _COUNT.fullmatch(raw[1:]):
            raise forms.ValidationError(_("The number of tickets cannot be negative."))
        if not _COUNT.fullmatch(raw):
            raise forms.ValidationError(_("Enter the number of tickets in digits only (for example 12)."))
        count = int(raw)
        if count > MAX_TICKETS_PER_ENVELOPE:
            raise forms.ValidationError(
                _("At most %(max)s tickets fit in one envelope; use several envelopes with a slip each.")
                % {"max": f"{MAX_TICKETS_PER_ENVELOPE:,}"})
        return count

    def clean(self):
        data = super().clean()
        counts = {}
        for denomination in self.denominations:
            name = field_name(denomination)
            try:
                counts[name] = self._clean_count(name)
            except forms.ValidationError as error:
                self.add_error(name, error)
        if self.errors:
            return data
        data.update(counts)
        total = sum(counts.values())
        if total == 0:
            raise forms.ValidationError(_("Enter the number of tickets for at least one denomination."),
                                        code="empty")
        if total > MAX_TICKETS_PER_ENVELOPE:
            raise forms.ValidationError(
                _("%(total)s tickets in all: at most %(max)s fit in one envelope. Use several envelopes with a slip "
                  "each.") % {"total": f"{total:,}", "max": f"{MAX_TICKETS_PER_ENVELOPE:,}"}, code="too_many")
        return data

    def tickets(self) -> dict[Denomination, int]:
        """The declared counts (only after ``is_valid()``), zeros included."""
        return {d: self.cleaned_data[field_name(d)] for d in self.denominations}

    def as_hidden_values(self) -> dict[str, int]:
        return {field_name(d): self.cleaned_data[field_name(d)] for d in self.denominations}

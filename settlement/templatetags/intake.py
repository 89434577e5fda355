"""Template filters of the intake screens."""

from django import template
from django.utils.translation import gettext as _

from settlement.models import VerificationClass

register = template.Library()

_CLASSES = dict(VerificationClass.choices)


@register.filter
def review_reason(reason: dict) -> str:
    """One entry of ``Envelope.review_reasons`` as a sentence."""
    kind = reason.get("kind")
    if kind == "mismatch":
        return _("%(denomination)s: %(declared)s declared, %(accepted)s accepted") % reason
    if kind == "count":
        return _("%(counted)s tickets counted at the opening, %(read)s read") % reason
    if kind == "rejected":
        return _("%(label)s: %(count)s") % {"label": _CLASSES.get(reason.get("class"), reason.get("class")),
                                             "count": reason.get("count")}
    if kind == "skipped":
        return _("%(count)s unreadable lines skipped") % reason
    return str(reason)


@register.filter
def verification_label(code: str) -> str:
    return _CLASSES.get(code, code)

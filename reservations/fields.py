"""The configurable booking fields (申込項目設定) and the one validator the web form, the staff form and the
API all use.

Each basic field is unused / required / optional / display only, with an alias label; up to five extra fields
(text, single choice, multiple choice, yes/no) follow. ``validate_answers`` takes the raw answers (strings, or
lists for multiple choice) and returns the cleaned values or raises ``FieldErrors`` naming each field.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

UNUSED, REQUIRED, OPTIONAL, DISPLAY = "unused", "required", "optional", "display"
USES = {
    UNUSED: gettext_lazy("Unused"),
    REQUIRED: gettext_lazy("Required"),
    OPTIONAL: gettext_lazy("Optional"),
    DISPLAY: gettext_lazy("Display only"),
}
MAX_EXTRA = 5

TEXT, CHOICE, MULTI, YESNO = "text", "choice", "multi", "yesno"
EXTRA_KINDS = {
    TEXT: gettext_lazy("Text"),
    CHOICE: gettext_lazy("Single choice"),
    MULTI: gettext_lazy("Multiple choice"),
    YESNO: gettext_lazy("Yes / no"),
}

# name → (default label, input kind, max length)
BASIC_FIELDS: dict[str, tuple] = {
    "name": (gettext_lazy("Full name"), "text", 100),
    "kana": (gettext_lazy("Name (kana)"), "kana", 100),
    "sex": (gettext_lazy("Sex"), "sex", 10),
    "birth_date": (gettext_lazy("Birth date"), "date", 10),
    "postal_code": (gettext_lazy("Postal code"), "postal", 8),
    "address": (gettext_lazy("Address"), "text", 300),
    "phone": (gettext_lazy("Phone"), "phone", 20),
    "phone2": (gettext_lazy("Second phone"), "phone", 20),
    "fax": (gettext_lazy("Fax"), "phone", 20),
    "email": (gettext_lazy("E-mail"), "email", 254),
}
SEX_CHOICES = {"male": gettext_lazy("Male"), "female": gettext_lazy("Female"), "other": gettext_lazy("Other")}

# What a fresh campaign asks: a name and a phone number, e-mail optional (for the confirmation).
DEFAULT_BASIC = {"name": REQUIRED, "kana": OPTIONAL, "phone": REQUIRED, "email": OPTIONAL}

_PHONE = re.compile(r"^0\d{1,4}-?\d{1,4}-?\d{3,4}$")
_KANA = re.compile(r"^[\u30a0-\u30ff\u3040-\u309f\s・ー]+$")


class FieldErrors(Exception):
    """Answers that break the configured rules: ``errors`` maps a field name to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class FieldSpec:
    name: str  # a basic field name, or "extra1" … "extra5"
    label: str
    use: str
    kind: str
    max_length: int = 200
    choices: tuple[str, ...] = ()
    basic: bool = True

    @property
    def required(self) -> bool:
        return self.use == REQUIRED


@dataclass(frozen=True)
class FieldConfig:
    specs: tuple[FieldSpec, ...] = field(default_factory=tuple)

    def for_audience(self, audience: str) -> list[FieldSpec]:
        """The fields a form asks: display-only fields are shown to residents but entered by staff."""
        wanted = {REQUIRED, OPTIONAL} | ({DISPLAY} if audience == "staff" else set())
        return [s for s in self.specs if s.use in wanted]

    def shown(self) -> list[FieldSpec]:
        return [s for s in self.specs if s.use != UNUSED]


def build_config(basic: dict | None, extra: list | None) -> FieldConfig:
    """Turn the stored JSON into specs (unknown names are ignored, so old rows never break a page)."""
    basic = basic if basic is not None else {}
    specs = []
    for name, (label, kind, max_length) in BASIC_FIELDS.items():
        entry = basic.get(name, {"use": DEFAULT_BASIC.get(name, UNUSED)} if not basic else UNUSED)
        if isinstance(entry, str):
            entry = {"use": entry}
        use = entry.get("use", UNUSED)
        if use not in USES:
            use = UNUSED
        specs.append(FieldSpec(name=name, label=entry.get("alias") or str(label), use=use, kind=kind,
                               max_length=max_length))
    for index, entry in enumerate((extra or [])[:MAX_EXTRA], start=1):
        use = entry.get("use", UNUSED)
        if use not in USES or not entry.get("label"):
            continue
        kind = entry.get("kind", TEXT)
        if kind not in EXTRA_KINDS:
            kind = TEXT
        choices = tuple(c for c in entry.get("choices", []) if c)
        specs.append(FieldSpec(name=f"extra{index}", label=entry["label"], use=use, kind=kind, max_length=200,
                               choices=choices, basic=False))
    return FieldConfig(specs=tuple(specs))


def _clean_one(spec: FieldSpec, value):
    """Clean one present, non-empty value; raise ValidationError with a message for the resident."""
    if spec.kind == MULTI:
        values = value if isinstance(value, list | tuple) else [value]
        values = [str(v) for v in values if str(v).strip()]
        bad = [v for v in values if v not in spec.choices]
        if bad:
            raise ValidationError(_("Choose from the listed options."))
        return values
    if isinstance(value, list | tuple | dict):
        raise ValidationError(_("Enter a single value."))
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if len(text) > spec.max_length:
        raise ValidationError(_("Use at most %(n)d characters.") % {"n": spec.max_length})
    if spec.kind == "kana":
        import jaconv

        text = jaconv.hira2kata(text)
        if not _KANA.match(text):
            raise ValidationError(_("Enter the name in kana."))
    elif spec.kind == "sex":
        if text not in SEX_CHOICES:
            raise ValidationError(_("Choose from the listed options."))
    elif spec.kind == "date":
        try:
            parsed = date.fromisoformat(text.replace("/", "-"))
        except ValueError:
            raise ValidationError(_("Enter a date like 1960-04-01.")) from None
        if parsed > date.today() or parsed.year < 1900:
            raise ValidationError(_("Enter a real birth date."))
        return parsed
    elif spec.kind == "postal":
        digits = text.replace("-", "").replace("〒", "")
        if not (digits.isdigit() and len(digits) == 7):
            raise ValidationError(_("Enter the 7-digit postal code, like 680-0011."))
        return f"{digits[:3]}-{digits[3:]}"
    elif spec.kind == "phone":
        text = text.replace("ー", "-").replace(" ", "")
        if not _PHONE.match(text):
            raise ValidationError(_("Enter a phone number like 0857-00-1234."))
    elif spec.kind == "email":
        try:
            validate_email(text)
        except ValidationError:
            raise ValidationError(_("Enter a valid e-mail address.")) from None
    elif spec.kind == CHOICE:
        if text not in spec.choices:
            raise ValidationError(_("Choose from the listed options."))
    elif spec.kind == YESNO:
        lowered = text.lower()
        if lowered in ("yes", "true", "1", "はい"):
            return True
        if lowered in ("no", "false", "0", "いいえ"):
            return False
        raise ValidationError(_("Answer yes or no."))
    return text


def _is_empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, list | tuple) and not [v for v in value if str(v).strip()])


def validate_answers(config: FieldConfig, raw: dict, *, audience: str = "public") -> dict:
    """Check ``raw`` against the configuration; return {field name: cleaned value} for the asked fields.

    Unknown names and fields the audience may not enter are errors (an API client learns it sent something
    that is not used), so that the three entry points really follow the same rules.
    """
    raw = raw or {}
    errors: dict[str, list[str]] = {}
    asked = {s.name: s for s in config.for_audience(audience)}
    for name in raw:
        if name not in asked and not _is_empty(raw[name]):
            errors[name] = [_("This field is not used.")]
    cleaned: dict = {}
    for name, spec in asked.items():
        value = raw.get(name)
        if _is_empty(value):
            if spec.required:
                errors[name] = [_("%(field)s is required.") % {"field": spec.label}]
            continue
        try:
            cleaned[name] = _clean_one(spec, value)
        except ValidationError as exc:
            errors[name] = list(exc.messages)
    if errors:
        raise FieldErrors(errors)
    return cleaned


def split_answers(cleaned: dict) -> tuple[dict, dict]:
    """(basic field values for the reservation's columns, extra answers keyed by their label position)."""
    basic = {k: v for k, v in cleaned.items() if k in BASIC_FIELDS}
    extra = {k: v for k, v in cleaned.items() if k not in BASIC_FIELDS}
    return basic, extra


def display_value(spec: FieldSpec, value) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if spec.kind == "sex":
        return str(SEX_CHOICES.get(value, value))
    if spec.kind == YESNO:
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return "、".join(value)
    if isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value)

"""Applicant import from the municipality's list (CSV in UTF-8 or CP932, or Excel): every row is checked
against the campaign's field configuration first, the clerk sees every bad row with its line, field and
reason, and only a file without a single error is imported — in one transaction, all rows or none.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from campaign.audit import audit_log
from campaign.models import Campaign
from reservations.fields import BASIC_FIELDS, FieldErrors
from reservations.linkcodes import is_valid, new_code, normalize
from reservations.models import Applicant
from reservations.selectors_applicants import applicant_field_config
from reservations.services_applicants import ApplicantError, applicant_clean, default_retention

MAX_ROWS = 200_000

# Column headings a municipal list may use, besides the field's own (aliased) label and its code.
HEADINGS = {
    "resident_number": ("住民ID", "住民番号", "宛名番号", "個人番号以外の住民番号", "resident_id"),
    "name": ("氏名", "名前", "漢字氏名"),
    "kana": ("フリガナ", "ふりがな", "カナ氏名", "氏名カナ", "カナ", "氏名（フリガナ）"),
    "sex": ("性別",),
    "birth_date": ("生年月日",),
    "postal_code": ("郵便番号", "〒"),
    "address": ("住所", "住所1", "現住所"),
    "phone": ("電話番号", "電話", "連絡先電話番号"),
    "email": ("メールアドレス", "メール", "e-mail", "mail"),
    "link_code": ("リンクコード", "リンク番号"),
    "notes": ("備考", "メモ"),
}
OTHER_FIELDS = ("resident_number", "link_code", "notes")

_SEX = {"男": "male", "男性": "male", "m": "male", "1": "male", "male": "male",
        "女": "female", "女性": "female", "f": "female", "2": "female", "female": "female",
        "その他": "other", "other": "other", "9": "other"}
_ERAS = {"明治": 1867, "M": 1867, "大正": 1911, "T": 1911, "昭和": 1925, "S": 1925, "平成": 1988, "H": 1988,
         "令和": 2018, "R": 2018}
_WAREKI = re.compile(r"^(明治|大正|昭和|平成|令和|[MTSHR])\s*(\d{1,2}|元)[年./-](\d{1,2})[月./-](\d{1,2})日?$")
_SEIREKI = re.compile(r"^(\d{4})[年./-](\d{1,2})[月./-](\d{1,2})日?$")


class ImportRejected(ApplicantError):
    """The file has bad rows; ``preview.errors`` lists them. Nothing was imported."""

    def __init__(self, message: str, preview: ImportPreview):
        super().__init__(message, code="import")
        self.preview = preview


@dataclass
class RowError:
    line: int
    field: str
    message: str


@dataclass
class ImportPreview:
    rows: list[dict] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    columns: list[tuple[str, str]] = field(default_factory=list)  # (heading, field label)
    ignored: list[str] = field(default_factory=list)
    total: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


def _norm_heading(text) -> str:
    return re.sub(r"[\s　]+", "", unicodedata.normalize("NFKC", str(text or ""))).lower()


def read_table(content: bytes, filename: str = "") -> list[list]:
    """The file's rows as lists of cell values: Excel by its signature, else CSV in UTF-8 (with or without
    BOM) or, failing that, CP932."""
    if content[:2] == b"PK":
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 - any unreadable workbook is the same answer for the clerk
            raise ApplicantError(_("The Excel file could not be read. Save it again as .xlsx or as CSV.")) from None
        sheet = workbook.worksheets[0]
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        workbook.close()
        return rows
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("cp932")
        except UnicodeDecodeError:
            raise ApplicantError(_("The file is neither UTF-8 nor Shift_JIS (CP932) text, nor an Excel file.")) \
                from None
    return [row for row in csv.reader(io.StringIO(text, newline=""))]


def _heading_map(campaign_id: int) -> tuple[dict[str, str], dict[str, str]]:
    """(normalised heading → field name, field name → label) for the used fields and the fixed ones."""
    config = applicant_field_config(campaign_id)
    used = {s.name: s.label for s in config.for_audience("staff")}
    labels = {**used, "resident_number": _("Resident ID"), "link_code": _("Link code"), "notes": _("Notes")}
    mapping: dict[str, str] = {}
    for name in (*BASIC_FIELDS, *OTHER_FIELDS):
        names = {name, *HEADINGS.get(name, ())}
        if name in BASIC_FIELDS:
            names.add(str(BASIC_FIELDS[name][0]))
        if name in labels:
            names.add(labels[name])
        for heading in names:
            mapping.setdefault(_norm_heading(heading), name)
    return mapping, labels


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return unicodedata.normalize("NFKC", str(value)).strip()


def _birth_date(text: str) -> str:
    """Municipal lists write birth dates in the Japanese era as often as not: 昭和40年4月1日, S40.4.1."""
    match = _WAREKI.match(text)
    if match:
        era, year, month, day = match.groups()
        year_number = 1 if year == "元" else int(year)
        return f"{_ERAS[era] + year_number:04d}-{int(month):02d}-{int(day):02d}"
    match = _SEIREKI.match(text)
    if match:
        return f"{int(match.group(1)):04d}-{int(match.group(2)):02d}-{int(match.group(3)):02d}"
    return text


def preview_import(*, campaign: Campaign, content: bytes, filename: str = "") -> ImportPreview:
    """Read and check every row; nothing is written. Line numbers are the file's (the heading is line 1)."""
    table = read_table(content, filename)
    preview = ImportPreview()
    while table and not any(_cell_text(c) for c in table[0]):
        table.pop(0)
    if not table:
        preview.errors.append(RowError(1, "", _("The file is empty.")))
        return preview
    mapping, labels = _heading_map(campaign.pk)
    used = set(labels)
    positions: dict[int, str] = {}
    for index, heading in enumerate(table[0]):
        name = mapping.get(_norm_heading(heading))
        text = _cell_text(heading)
        if name is None or name not in used:
            if text:
                preview.ignored.append(text)
            continue
        if name in positions.values():
            preview.errors.append(RowError(1, text, _("This column appears twice.")))
            continue
        positions[index] = name
        preview.columns.append((text, labels[name]))
    if not positions:
        preview.errors.append(RowError(1, "", _("No column heading matches an applicant field (e.g. 氏名, 住所).")))
        return preview
    body = table[1:]
    if len(body) > MAX_ROWS:
        preview.errors.append(RowError(1, "", _("At most %(n)s rows can be imported at once.")
                                       % {"n": f"{MAX_ROWS:,}"}))
        return preview
    existing_ids = set(Applicant.objects.filter(campaign=campaign).exclude(resident_number="")
                       .values_list("resident_number", flat=True))
    seen_ids: dict[str, int] = {}
    seen_codes: dict[str, int] = {}
    for offset, cells in enumerate(body):
        line = offset + 2
        raw = {name: _cell_text(cells[i]) if i < len(cells) else "" for i, name in positions.items()}
        if not any(raw.values()):
            continue
        preview.total += 1
        if raw.get("sex"):
            raw["sex"] = _SEX.get(raw["sex"].lower(), raw["sex"])
        if raw.get("birth_date"):
            raw["birth_date"] = _birth_date(raw["birth_date"])
        row_errors = []
        try:
            cleaned = applicant_clean(campaign_id=campaign.pk, raw=raw)
        except FieldErrors as exc:
            cleaned = {}
            for name, messages in exc.errors.items():
                row_errors.append(RowError(line, labels.get(name, name), " ".join(messages)))
        resident_number = raw.get("resident_number", "")[:30]
        if resident_number:
            if resident_number in existing_ids:
                row_errors.append(RowError(line, labels["resident_number"],
                                           _("An applicant with this resident ID is already registered.")))
            elif resident_number in seen_ids:
                row_errors.append(RowError(line, labels["resident_number"],
                                           _("The same resident ID is on line %(n)d.") % {"n": seen_ids[resident_number]}))
            seen_ids.setdefault(resident_number, line)
        code = ""
        if raw.get("link_code"):
            code = normalize(raw["link_code"])
            if not is_valid(code):
                row_errors.append(RowError(line, labels["link_code"],
                                           _("This is not a valid link code (wrong length or check character).")))
            elif code in seen_codes:
                row_errors.append(RowError(line, labels["link_code"],
                                           _("The same link code is on line %(n)d.") % {"n": seen_codes[code]}))
            seen_codes.setdefault(code, line)
        if len(raw.get("notes", "")) > 2000:
            row_errors.append(RowError(line, labels["notes"], _("Use at most %(n)d characters.") % {"n": 2000}))
        if row_errors:
            preview.errors.extend(row_errors)
            continue
        preview.rows.append({**cleaned, "resident_number": resident_number, "link_code": code,
                             "notes": raw.get("notes", ""), "_line": line})
    if seen_codes:
        taken = set(Applicant.objects.filter(link_code__in=list(seen_codes)).values_list("link_code", flat=True))
        for code in sorted(taken):
            preview.errors.append(RowError(seen_codes[code], labels["link_code"], _("This link code is already in use.")))
    if not preview.total and not preview.errors:
        preview.errors.append(RowError(2, "", _("The file has a heading but no applicants.")))
    preview.errors.sort(key=lambda e: e.line)
    return preview


def applicants_import(*, campaign: Campaign, actor, content: bytes, filename: str = "", request=None) -> int:
    """Import the file if every row is good, all in one transaction; otherwise raise ``ImportRejected`` with
    the preview and write nothing. Returns the number of applicants imported."""
    preview = preview_import(campaign=campaign, content=content, filename=filename)
    if not preview.ok:
        raise ImportRejected(_("%(n)d problems were found; nothing was imported.") % {"n": len(preview.errors)},
                             preview)
    retention = default_retention(campaign)
    rows = []
    for row in preview.rows:
        values = {k: (v if v is not None or k == "birth_date" else "") for k, v in row.items() if k != "_line"}
        values["link_code"] = values["link_code"] or new_code()
        rows.append(Applicant(campaign=campaign, created_by=actor, retention_until=retention, **values))
    try:
        with transaction.atomic():
            Applicant.objects.bulk_create(rows, batch_size=2000)
            audit_log(actor=actor, action="applicant.import", target=campaign, campaign=campaign, request=request,
                      data={"file": filename, "rows": len(rows), "ignored_columns": preview.ignored})
    except IntegrityError:
        # Someone registered one of these resident IDs a moment ago: the unique index refused, nothing stays.
        preview.errors.append(RowError(0, "", _("Another import or entry registered some of these applicants "
                                                "meanwhile. Check the list and upload again.")))
        raise ImportRejected(_("Nothing was imported."), preview) from None
    return len(rows)

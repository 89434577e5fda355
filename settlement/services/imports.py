"""Bulk import of merchant applications from a list (Excel or CSV), as chambers of commerce send them.

A list is read into rows (``import_file_read``), every row is checked with the rules of the public application
form (``merchants_import_check``), and ``merchants_import`` creates all rows or none: one bad row anywhere and
nothing is written, so a clerk never has to work out which half of a list made it in. Imported merchants start
as applications (status applied) with their representative and a pending bank account, and are reviewed like
any other application.
"""

from __future__ import annotations

import codecs
import csv
import io
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign.audit import audit_log
from campaign.japanese import search_key
from campaign.models import Campaign
from settlement.models import Bank, BankAccount, BankBranch, Merchant, MerchantRepresentative
from settlement.services.merchants import REPRESENTATIVE_RETENTION, MerchantError, merchant_search_text

__all__ = [
    "IMPORT_COLUMNS",
    "IMPORT_MAX_ROWS",
    "ImportColumn",
    "ImportRow",
    "ImportRowError",
    "ImportTable",
    "MerchantImportError",
    "import_example_rows",
    "import_file_read",
    "merchants_import_check",
    "merchants_import",
]

IMPORT_MAX_ROWS = 5000
IMPORT_MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class ImportColumn:
    """One column of the import file. ``key`` is the field of the application form it fills; the file may name
    it by the key, the English header, the Japanese header or one of the aliases."""

    key: str
    ja: str
    en: str
    required: bool
    description: Promise
    example: str
    aliases: tuple[str, ...] = ()


# The file format. Headers are data, not interface text: a chamber of commerce writes them in Japanese whatever
# language the clerk's screen is in, so they are not translated.
IMPORT_COLUMNS: tuple[ImportColumn, ...] = (
    ImportColumn("store_name", "店舗名", "Store name", True, gettext_lazy("As shown to residents."), "カフェ・ド・鳥取"),
    ImportColumn("store_name_kana", "店舗名フリガナ", "Store name (kana)", True,
                 gettext_lazy("Katakana or hiragana."), "カフェドトットリ", ("店舗名カナ", "店舗名(フリガナ)", "フリガナ")),
    ImportColumn("business_form", "事業形態", "Business form", True,
                 gettext_lazy("法人 (corporation) or 個人 (sole proprietor); the codes corporation / sole_proprietor "
                              "also work."), "法人", ("法人・個人", "法人/個人")),
    ImportColumn("company_name", "法人名・屋号", "Company or owner name", True,
                 gettext_lazy("Registered company name, or the owner's name for a sole proprietor."),
                 "株式会社とっとりカフェ", ("法人名", "事業者名", "会社名")),
    ImportColumn("representative_name", "代表者名", "Representative", True,
                 gettext_lazy("Personal data: only reviewing staff see it."), "鳥取 太郎", ("代表者氏名", "代表者")),
    ImportColumn("representative_kana", "代表者名フリガナ", "Representative (kana)", True,
                 gettext_lazy("Katakana or hiragana."), "トットリ タロウ", ("代表者フリガナ", "代表者カナ")),
    ImportColumn("postal_code", "郵便番号", "Postal code", True, gettext_lazy("7 digits, with or without the hyphen."),
                 "680-0011"),
    ImportColumn("address", "住所", "Address", True, gettext_lazy("Prefecture, city, street and building."),
                 "鳥取県鳥取市東町1-1", ("所在地", "店舗住所")),
    ImportColumn("phone", "電話番号", "Phone", True, gettext_lazy("With the area code, e.g. 0857-00-1234."),
                 "0857-00-1234", ("店舗電話番号", "TEL")),
    ImportColumn("email", "メールアドレス", "E-mail", True,
                 gettext_lazy("The portal login is sent here after approval."), "cafe@example.jp",
                 ("Eメール", "メール", "e-mail address")),
    ImportColumn("genre", "ジャンル", "Genre", True, gettext_lazy("A genre name or code (see the list below)."),
                 "カフェ", ("業種",)),
    ImportColumn("area", "地区", "Area", True, gettext_lazy("東部, 中部 or 西部 (or east / central / west)."), "東部",
                 ("エリア", "地域")),
    ImportColumn("opening_hours", "営業時間", "Opening hours", False, gettext_lazy("Free text."),
                 "10:00〜18:00 月曜定休"),
    ImportColumn("takeout", "テイクアウト", "Takeout", False,
                 gettext_lazy("はい / いいえ (also 1 / 0, yes / no, ○ / ×); empty means no."), "はい"),
    ImportColumn("infection_control", "感染症対策", "Infection control", True,
                 gettext_lazy("Must be はい (yes): the store declares the required measures."), "はい",
                 ("感染症対策宣言", "感染対策")),
    ImportColumn("bank_code", "金融機関コード", "Bank code", True, gettext_lazy("4 digits (Zengin code)."), "0001",
                 ("銀行コード",)),
    ImportColumn("branch_code", "支店コード", "Branch code", True, gettext_lazy("3 digits."), "541", ("店番",)),
    ImportColumn("account_type", "預金種目", "Account type", True,
                 gettext_lazy("普通, 当座 or 貯蓄 (or the codes 1, 2, 4)."), "普通", ("口座種別", "種目")),
    ImportColumn("account_number", "口座番号", "Account number", True, gettext_lazy("7 digits."), "1234567"),
    ImportColumn("holder_name", "口座名義", "Account holder", True,
                 gettext_lazy("Katakana, as the bank has it registered; at most 30 characters in bank form."),
                 "カ）トツトリカフエ", ("口座名義カナ", "口座名義人", "名義")),
)
_COLUMNS = {column.key: column for column in IMPORT_COLUMNS}

# Columns people keep in their lists that carry nothing for us.
_IGNORED_HEADERS = {"no", "no.", "番号", "連番", "備考", "メモ", "note", "notes", "remarks"}

# A spreadsheet turns "0001" into the number 1: for these columns a number cell gets its zeros back.
_ZERO_PADDED = {"bank_code": 4, "branch_code": 3, "account_number": 7, "postal_code": 7}

_YES = {"はい", "有", "有り", "あり", "可", "○", "〇", "◯", "✓", "✔", "1", "yes", "y", "true", "on"}
_NO = {"", "いいえ", "無", "無し", "なし", "不可", "×", "✕", "-", "0", "no", "n", "false", "off"}

# Japanese names of the choices (the model's labels are English msgids; the file is Japanese).
_CHOICE_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "business_form": {
        Merchant.BusinessForm.CORPORATION: ("法人",),
        Merchant.BusinessForm.SOLE_PROPRIETOR: ("個人", "個人事業主", "個人事業"),
    },
    "genre": {
        Merchant.Genre.JAPANESE: ("和食", "日本料理", "和食・日本料理", "食堂"),
        Merchant.Genre.SUSHI: ("寿司", "すし", "鮨", "海鮮", "寿司・海鮮"),
        Merchant.Genre.NOODLES: ("ラーメン", "麺類", "ラーメン・麺類", "そば", "うどん"),
        Merchant.Genre.IZAKAYA: ("居酒屋",),
        Merchant.Genre.YAKINIKU: ("焼肉",),
        Merchant.Genre.WESTERN: ("洋食", "西洋料理"),
        Merchant.Genre.CHINESE: ("中華", "中華料理"),
        Merchant.Genre.CAFE: ("カフェ", "喫茶", "喫茶店", "カフェ・スイーツ", "スイーツ"),
        Merchant.Genre.OTHER: ("その他",),
    },
    "area": {
        Merchant.Area.EAST: ("東部", "東部地区", "東部地域"),
        Merchant.Area.CENTRAL: ("中部", "中部地区", "中部地域"),
        Merchant.Area.WEST: ("西部", "西部地区", "西部地域"),
    },
    "account_type": {
        BankAccount.AccountType.ORDINARY: ("普通", "普通預金"),
        BankAccount.AccountType.CURRENT: ("当座", "当座預金"),
        BankAccount.AccountType.SAVINGS: ("貯蓄", "貯蓄預金"),
    },
}
_CHOICE_MODELS = {
    "business_form": Merchant.BusinessForm,
    "genre": Merchant.Genre,
    "area": Merchant.Area,
    "account_type": BankAccount.AccountType,
}
_BOOLEAN_COLUMNS = ("takeout", "infection_control")


def _key(text: str) -> str:
    """Compare headers and choice names the way a clerk would: width, case, spaces and marks do not matter."""
    text = search_key(str(text))
    for noise in ("(必須)", "(required)", "(任意)", "*", "※", "_", "・"):
        text = text.replace(noise, "")
    return text


_HEADER_KEYS = {
    _key(name): column.key
    for column in IMPORT_COLUMNS
    for name in (column.key, column.ja, column.en, *column.aliases)
}
_IGNORED_KEYS = {_key(name) for name in _IGNORED_HEADERS}


def _choice_keys(column: str) -> dict[str, str]:
    choices = _CHOICE_MODELS[column]
    keys = {}
    for code, label in choices.choices:
        for name in (code, label, *_CHOICE_ALIASES[column].get(code, ())):
            keys[_key(str(name))] = code
    return keys


@dataclass(frozen=True)
class ImportRow:
    """One data row of the file: its row number in the spreadsheet (the header is row 1) and the values by
    column key, as text."""

    line: int
    values: Mapping[str, str]


@dataclass(frozen=True)
class ImportRowError:
    line: int | None  # None: the file itself
    column: str  # the header as the file has it ("" for the whole row)
    message: str

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        if not self.column:
            return _("Row %(row)d: %(message)s") % {"row": self.line, "message": self.message}
        return _("Row %(row)d, column %(column)s: %(message)s") % {"row": self.line, "column": self.column,
                                                                   "message": self.message}


class MerchantImportError(MerchantError):
    """The list cannot be imported; ``errors`` says where (row, column) and why."""

    def __init__(self, message: str, errors: Sequence[ImportRowError] = ()) -> None:
        super().__init__(message)
        self.errors = list(errors)


@dataclass
class ImportTable:
    """What ``import_file_read`` found: the rows and how the file spelled each column's header."""

    rows: list[ImportRow]
    headers: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.rows)


# --- reading the file ------------------------------------------------------------------------------------

def _decode_csv(content: bytes) -> str:
    """UTF-8 with or without a byte-order mark, or CP932 (Shift_JIS as Windows Excel saves it)."""
    if content.startswith(codecs.BOM_UTF8):
        content = content[len(codecs.BOM_UTF8):]
        encodings = ("utf-8",)
    else:
        # Japanese text in CP932 is practically never valid UTF-8, so trying UTF-8 first is safe.
        encodings = ("utf-8", "cp932")
    for encoding in encodings:
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise MerchantImportError(_("The CSV file could not be read. Save it as CSV (UTF-8) or as CSV in Shift_JIS "
                                "(the Excel default) and upload it again."))


def _csv_records(content: bytes) -> Iterable[Sequence[Any]]:
    return csv.reader(io.StringIO(_decode_csv(content), newline=""))


def _xlsx_records(content: bytes) -> Iterable[Sequence[Any]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise MerchantImportError(_("The Excel file could not be read. Save it as an Excel workbook (.xlsx) and "
                                    "upload it again.")) from exc
    try:
        sheet = workbook.worksheets[0]
        yield from sheet.iter_rows(values_only=True)
    finally:
        workbook.close()


def _cell_text(value: Any, column: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        width = _ZERO_PADDED.get(column)
        return str(value).zfill(width) if width else str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def import_file_read(content: bytes, filename: str) -> ImportTable:
    """Read an uploaded list: an Excel workbook (.xlsx, first sheet) or a CSV file, with a header row first.

    Raises MerchantImportError for what makes the whole file unusable: an unknown format, an unreadable
    encoding, unknown or missing columns, no rows or more than ``IMPORT_MAX_ROWS`` rows. Empty rows are
    skipped; row numbers stay those of the spreadsheet.
    """
    if len(content) > IMPORT_MAX_BYTES:
        raise MerchantImportError(_("The file is larger than %(mb)d MB.") % {"mb": IMPORT_MAX_BYTES // 2**20})
    name = filename.lower()
    if name.endswith(".xlsx") or content.startswith(b"PK\x03\x04"):
        records = iter(_xlsx_records(content))
    elif name.endswith((".csv", ".txt")):
        records = iter(_csv_records(content))
    else:
        raise MerchantImportError(_("Upload an Excel workbook (.xlsx) or a CSV file (.csv). Old .xls files must "
                                    "be saved as .xlsx first."))
    try:
        return _read_table(records)
    except csv.Error as exc:  # e.g. NUL bytes: not a text file after all
        raise MerchantImportError(_("The CSV file could not be read. Save it as CSV (UTF-8) or as CSV in Shift_JIS "
                                    "(the Excel default) and upload it again.")) from exc


def _read_table(records) -> ImportTable:
    header = next(records, None)
    if header is None or not any(_cell_text(value, "") for value in header):
        raise MerchantImportError(_("The file is empty: the first row must name the columns."))

    positions: dict[str, int] = {}
    headers: dict[str, str] = {}
    problems = []
    for index, value in enumerate(header):
        text = _cell_text(value, "")
        if not text or _key(text) in _IGNORED_KEYS:
            continue
        key = _HEADER_KEYS.get(_key(text))
        if key is None:
            problems.append(ImportRowError(None, text, _("Unknown column “%(header)s” (column %(position)d).")
                                           % {"header": text, "position": index + 1}))
        elif key in positions:
            problems.append(ImportRowError(None, text, _("The column “%(header)s” appears twice.") % {"header": text}))
        else:
            positions[key] = index
            headers[key] = text
    missing = [column.ja for column in IMPORT_COLUMNS if column.required and column.key not in positions]
    if missing:
        problems.append(ImportRowError(None, "", _("Required columns are missing: %(columns)s.")
                                       % {"columns": "、".join(missing)}))
    if problems:
        raise MerchantImportError(_("The header row does not match the import format; nothing was imported."),
                                  errors=problems)

    rows = []
    for line, record in enumerate(records, start=2):
        values = {key: _cell_text(record[index] if index < len(record) else None, key)
                  for key, index in positions.items()}
        if not any(values.values()):
            continue
        if len(rows) == IMPORT_MAX_ROWS:
            raise MerchantImportError(_("The file has more than %(max)s rows. Split it into files of at most "
                                        "%(max)s rows.") % {"max": f"{IMPORT_MAX_ROWS:,}"})
        rows.append(ImportRow(line=line, values=values))
    if not rows:
        raise MerchantImportError(_("The file has a header row but no merchants below it."))
    return ImportTable(rows=rows, headers=headers)


# --- checking the rows -----------------------------------------------------------------------------------

def _as_rows(rows: ImportTable | Iterable[ImportRow | Mapping[str, Any]]) -> tuple[list[ImportRow], dict[str, str]]:
    if isinstance(rows, ImportTable):
        return rows.rows, rows.headers
    result = []
    for number, row in enumerate(rows, start=2):
        if isinstance(row, ImportRow):
            result.append(row)
        else:
            result.append(ImportRow(line=number, values={key: value if isinstance(value, bool) else
                                                         _cell_text(value, key) for key, value in row.items()}))
    return result, {}


_YES_KEYS = {_key(word) for word in _YES}
_NO_KEYS = {_key(word) for word in _NO}


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    key = _key(value)
    return True if key in _YES_KEYS else False if key in _NO_KEYS else None


def merchants_import_check(rows: ImportTable | Iterable[ImportRow | Mapping[str, Any]]
                           ) -> tuple[list[dict], list[ImportRowError]]:
    """Check every row with the public application form's rules (required fields, kana, postal code, phone,
    e-mail, bank and branch in the bank tables, 7-digit account number, holder name in Zengin kana).

    Returns the cleaned data of each row (the form's ``cleaned_data``) and the errors of all rows; a row with
    errors has no cleaned data in the list. Reads the bank tables, writes nothing.
    """
    # The form is the application's rule book; importing it here keeps one set of rules for both ways in.
    from settlement.forms_public import ApplicationForm

    rows, headers = _as_rows(rows)
    choice_keys = {column: _choice_keys(column) for column in _CHOICE_MODELS}

    def column_name(key: str) -> str:
        return headers.get(key) or (_COLUMNS[key].ja if key in _COLUMNS else "")

    cleaned: list[dict] = []
    errors: list[ImportRowError] = []
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        row_errors: list[ImportRowError] = []
        flagged = set()
        data: dict[str, Any] = {}
        for key, value in row.values.items():
            if key in choice_keys:
                code = choice_keys[key].get(_key(value)) if value else ""
                if code is None:
                    labels = "、".join(str(label) for _code, label in _CHOICE_MODELS[key].choices)
                    row_errors.append(ImportRowError(row.line, column_name(key), _(
                        "“%(value)s” is not one of the choices (%(choices)s).") % {"value": value, "choices": labels}))
                    flagged.add(key)
                    code = ""
                data[key] = code
            elif key in _BOOLEAN_COLUMNS:
                flag = _boolean(value)
                if flag is None:
                    row_errors.append(ImportRowError(row.line, column_name(key), _(
                        "Write はい or いいえ (yes or no), not “%(value)s”.") % {"value": value}))
                    flagged.add(key)
                data[key] = bool(flag)
            else:
                data[key] = value
        data["email_confirm"] = data.get("email", "")
        form = ApplicationForm(data=data)
        if not form.is_valid():
            for name, messages in form.errors.items():
                if name in flagged:
                    continue
                column = "" if name == "__all__" else column_name(name)
                row_errors.extend(ImportRowError(row.line, column, str(message)) for message in messages)
        if not row_errors:
            same = (search_key(form.cleaned_data["store_name"]), search_key(form.cleaned_data["address"]))
            if same in seen:
                row_errors.append(ImportRowError(row.line, column_name("store_name"), _(
                    "The same store (name and address) is already in row %(row)d.") % {"row": seen[same]}))
            else:
                seen[same] = row.line
        if row_errors:
            errors.extend(row_errors)
        else:
            cleaned.append(form.cleaned_data)
    return cleaned, errors


# --- importing ---------------------------------------------------------------------------------------------

@transaction.atomic
def merchants_import(*, actor, campaign: Campaign, rows: ImportTable | Iterable[ImportRow | Mapping[str, Any]],
                     source: str = "", request=None) -> int:
    """Create one application (status applied) with its representative and pending bank account per row, or
    nothing at all when any row is wrong. Returns the number of merchants created; one audit event records
    the import with the new merchants' ids.

    The bank account is the application's first account, entered by ``actor``: it becomes active when somebody
    else approves the merchant (or, if the importer approves the merchant, when another person approves the
    account: four eyes on every account money goes to).
    """
    rows, headers = _as_rows(rows)
    if not rows:
        raise MerchantImportError(_("The file has a header row but no merchants below it."))
    if len(rows) > IMPORT_MAX_ROWS:
        raise MerchantImportError(_("The file has more than %(max)s rows. Split it into files of at most "
                                    "%(max)s rows.") % {"max": f"{IMPORT_MAX_ROWS:,}"})
    cleaned, errors = merchants_import_check(ImportTable(rows=rows, headers=headers))
    if errors:
        raise MerchantImportError(_("%(rows)d of %(total)d rows have errors; nothing was imported.")
                                  % {"rows": len({error.line for error in errors}), "total": len(rows)}, errors)

    from settlement.forms_public import ApplicationForm

    banks = {bank.code: bank for bank in Bank.objects.filter(code__in={d["bank_code"] for d in cleaned},
                                                              is_active=True)}
    branches = {(branch.bank_id, branch.code): branch for branch in BankBranch.objects.filter(
        bank__in=banks.values(), code__in={d["branch_code"] for d in cleaned}, is_active=True)}
    merchants = []
    for data in cleaned:
        merchant = Merchant(campaign=campaign, status=Merchant.Status.APPLIED,
                            **{name: data[name] for name in ApplicationForm.MERCHANT_FIELDS})
        merchant.search_key = merchant_search_text(merchant)
        merchants.append(merchant)
    Merchant.objects.bulk_create(merchants)
    retain_until = campaign.settlement_deadline + REPRESENTATIVE_RETENTION
    MerchantRepresentative.objects.bulk_create([
        MerchantRepresentative(merchant=merchant, name=data["representative_name"],
                               name_kana=data["representative_kana"], retain_until=retain_until)
        for merchant, data in zip(merchants, cleaned, strict=True)
    ])
    accounts = []
    for merchant, data in zip(merchants, cleaned, strict=True):
        bank = banks[data["bank_code"]]
        accounts.append(BankAccount(merchant=merchant, bank=bank, branch=branches[(bank.pk, data["branch_code"])],
                                    account_type=data["account_type"], account_number=data["account_number"],
                                    holder_kana=data["holder_kana"], status=BankAccount.Status.PENDING,
                                    requested_by=actor))
    BankAccount.objects.bulk_create(accounts)
    count = len(merchants)
    audit_log(actor=actor, action="merchant.import", target_type=Merchant._meta.label_lower,
              target_label=_("%(count)d merchants imported") % {"count": count}, campaign=campaign,
              request=request, data={"count": count, "source": unicodedata.normalize("NFC", source)[:200],
                                     "merchant_ids": [merchant.pk for merchant in merchants]})
    return count


def import_example_rows() -> tuple[list[str], list[list[str]]]:
    """The header (Japanese) and one example row, for the template file offered on the import page."""
    return [column.ja for column in IMPORT_COLUMNS], [[column.example for column in IMPORT_COLUMNS]]

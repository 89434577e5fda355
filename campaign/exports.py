"""Spreadsheet and CSV files for Japanese offices, written row by row.

The people who receive our exports (the prefecture, auditors, merchants' accountants) open them in Excel.
That settles the details: CSV either as UTF-8 with a byte-order mark (without it Excel guesses Shift_JIS and
shows mojibake) or as CP932 for older tools, CRLF line endings, and cells that cannot start a formula.
Rows are consumed from any iterable and written as they come, so a million-row export never sits in memory.
"""

from __future__ import annotations

import codecs
import csv
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import IO, Any, Literal, NamedTuple
from zoneinfo import ZoneInfo

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

TOKYO = ZoneInfo("Asia/Tokyo")

# The mark Japanese printing uses for "this character could not be set": a reader sees at once that
# something is missing, where "?" would pass for punctuation.
GETA = "〓"

# A spreadsheet treats a cell starting with one of these as a formula (or, for tab and CR, the cell
# content is shifted so that the next character starts one). Someone who can put "=HYPERLINK(...)" in a
# store name could otherwise run it on a clerk's machine.
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

# Text from Macs and Java programs uses the JIS X 0208 mappings of a few characters where Windows uses
# other code points; Python's cp932 codec accepts most of them already, but not the em dash. Map it to
# the character Windows shows for the same JIS code instead of losing it.
_CP932_EQUIVALENTS = str.maketrans({"\u2014": "\u2015"})

CSVEncoding = Literal["utf-8-sig", "cp932"]

# Excel's rules for sheet names: at most 31 characters, none of : \ / ? * [ ].
_SHEET_TITLE_FORBIDDEN = re.compile(r"[:\\/?*\[\]]")
_SHEET_TITLE_MAX = 31


def neutralize(value: Any) -> Any:
    """Return ``value`` made safe to put in a spreadsheet cell.

    Text that would start a formula gets a leading apostrophe, so that Excel and LibreOffice take the cell
    as text and never evaluate it. Numbers, dates and other non-text values pass through unchanged (a negative number is not an
    attack), and ``None`` becomes an empty cell.
    """
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_TRIGGERS):
        return "'" + value
    return value


def _csv_cell(value: Any) -> Any:
    if isinstance(value, datetime):  # before date: a datetime is also a date
        if value.tzinfo is not None:
            value = value.astimezone(TOKYO)
        # A naive datetime is taken to be Tokyo wall-clock time already.
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Promise):  # a lazy translation, e.g. a choice label
        value = str(value)
    return neutralize(value)


class _EncodingSink:
    """A text "file" for ``csv.writer`` that encodes each row into a binary file as it arrives.

    Characters the encoding cannot represent become GETA, one per code point, and are counted so that
    the caller can tell the user how many were lost.
    """

    def __init__(self, fileobj: IO[bytes], encoding: str, prepare: Callable[[str], str]) -> None:
        self._fileobj = fileobj
        self._encoding = encoding
        self._prepare = prepare
        self._geta = GETA.encode(encoding)
        self.replacements = 0

    def write(self, text: str) -> int:
        text = self._prepare(text)
        try:
            data = text.encode(self._encoding)
        except UnicodeEncodeError:
            # Only rows with an unencodable character take this slow path.
            parts = []
            for char in text:
                try:
                    parts.append(char.encode(self._encoding))
                except UnicodeEncodeError:
                    parts.append(self._geta)
                    self.replacements += 1
            data = b"".join(parts)
        self._fileobj.write(data)
        return len(text)


def _prepare_for_cp932(text: str) -> str:
    # NFC first: macOS file names and some web forms deliver "が" as か + combining mark, which CP932
    # cannot encode as two characters but can as one.
    return unicodedata.normalize("NFC", text).translate(_CP932_EQUIVALENTS)


def _unchanged(text: str) -> str:
    return text


def write_csv(
    fileobj: IO[bytes],
    header: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    encoding: CSVEncoding = "utf-8-sig",
) -> int:
    """Write a CSV file Excel opens correctly and return how many characters became 〓.

    ``fileobj`` is a binary file. ``rows`` may be a generator; it is consumed once, row by row. Dates are
    written as YYYY-MM-DD and datetimes as Tokyo time "YYYY-MM-DD HH:MM:SS"; text is neutralised.
    With ``encoding="cp932"``, characters outside CP932 (emoji, 𠮷) are replaced by 〓 and counted;
    a non-zero return value should be shown to the user as a warning.
    """
    if encoding == "utf-8-sig":
        # Write the BOM once; encoding every row with "utf-8-sig" would repeat it on each line.
        fileobj.write(codecs.BOM_UTF8)
        sink = _EncodingSink(fileobj, "utf-8", _unchanged)
    elif encoding == "cp932":
        sink = _EncodingSink(fileobj, "cp932", _prepare_for_cp932)
    else:
        raise ValueError(f"unsupported CSV encoding {encoding!r}; use 'utf-8-sig' or 'cp932'")
    writer = csv.writer(sink, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([_csv_cell(value) for value in header])
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
    return sink.replacements


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        # Excel cells have no time zone; show the time the secretariat lives in.
        return value.astimezone(TOKYO).replace(tzinfo=None)
    if isinstance(value, Promise):
        value = str(value)
    value = neutralize(value)
    if isinstance(value, str):
        # Control characters make the saved workbook unreadable; openpyxl refuses them outright.
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _sheet_title(title: str) -> str:
    cleaned = _SHEET_TITLE_FORBIDDEN.sub("_", str(title)).strip("'")
    return cleaned[:_SHEET_TITLE_MAX] or "Sheet1"


def write_xlsx(
    fileobj_or_path: IO[bytes] | str,
    header: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    sheet_title: str,
) -> None:
    """Write an Excel workbook with one sheet: a bold, frozen header row, then ``rows``.

    openpyxl's write-only mode streams rows to a temporary file, so memory stays flat however many rows
    the generator yields. Text is neutralised, and time-zone-aware datetimes are written as Tokyo time.
    ``sheet_title`` is cut to Excel's 31 characters and freed of the characters Excel forbids.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(sheet_title))
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for value in header:
        cell = WriteOnlyCell(sheet, value=_xlsx_value(value))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([_xlsx_value(value) for value in row])
    workbook.save(fileobj_or_path)


class ExportFormat(NamedTuple):
    label: Promise | str
    extension: str
    mime_type: str


EXPORT_FORMATS: dict[str, ExportFormat] = {
    "xlsx": ExportFormat(
        _("Excel (.xlsx)"), ".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ),
    "csv_utf8": ExportFormat(_("CSV (UTF-8 BOM)"), ".csv", "text/csv; charset=utf-8"),
    "csv_cp932": ExportFormat(_("CSV (Shift_JIS/CP932)"), ".csv", "text/csv; charset=Shift_JIS"),
}

EXPORT_FORMAT_CHOICES: list[tuple[str, Promise | str]] = [
    (key, export_format.label) for key, export_format in EXPORT_FORMATS.items()
]


def write_table(
    fmt: str,
    fileobj: IO[bytes],
    header: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    sheet_title: str,
) -> int:
    """Write ``rows`` in the format the user picked (a key of ``EXPORT_FORMATS``).

    Returns the number of characters replaced by 〓 (only CP932 CSV can lose characters; otherwise 0).
    ``sheet_title`` names the worksheet and is ignored for CSV.
    """
    if fmt == "xlsx":
        write_xlsx(fileobj, header, rows, sheet_title=sheet_title)
        return 0
    if fmt == "csv_utf8":
        return write_csv(fileobj, header, rows, encoding="utf-8-sig")
    if fmt == "csv_cp932":
        return write_csv(fileobj, header, rows, encoding="cp932")
    raise ValueError(f"unknown export format {fmt!r}; expected one of {sorted(EXPORT_FORMATS)}")

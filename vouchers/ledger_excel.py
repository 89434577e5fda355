"""The issuance ledger (発行台帳) as an Excel workbook, laid out like the ledger screen.

Sheet 1 is the screen's cross-tab (denomination × place, books and face value, totals and the balance check),
sheet 2 the per-outlet table, sheet 3 the same figures as one long, filterable list for pivot tables. The
figures come from the same selectors as the screen, so the paper copy an auditor files cannot disagree with
what the clerk saw. The workbook is small (a row per outlet and denomination), so it is built in memory.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import IO, Any

from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from campaign.exports import neutralize
from campaign.models import Campaign
from vouchers import selectors
from vouchers.ledger import Ledger
from vouchers.models import BookState

NUMBER = "#,##0"
DATE = "yyyy/mm/dd"
DATETIME = "yyyy/mm/dd hh:mm"

BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
OK = Font(bold=True, color="197A4B")
BAD = Font(bold=True, color="CE0000")
THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)

STATE_LABELS = dict(BookState.choices)

# Sheets 1 and 2 start with two title lines and a blank one; their table header is on this row.
HEADER_ROW = 4


def ledger_file_name(day: date) -> str:
    """発行台帳_2026-10-22.xlsx: the name the clerk saves (sent as RFC 6266 filename* by the download view)."""
    return f"{_('Issuance ledger')}_{day:%Y-%m-%d}.xlsx"


def write_ledger_workbook(fileobj: IO[bytes], *, campaign: Campaign, ledger: Ledger, prepared_at: datetime) -> None:
    """Write the three-sheet ledger workbook for ``ledger`` (today's or a past day's) into ``fileobj``.

    ``prepared_at`` is printed as 作成日時; pass Tokyo wall-clock time.
    """
    workbook = Workbook()
    _cross_tab_sheet(workbook.active, campaign, ledger, prepared_at)
    _outlet_sheet(workbook.create_sheet(), campaign, ledger, prepared_at)
    _lines_sheet(workbook.create_sheet(), ledger)
    workbook.save(fileobj)


# --- sheet 1: denomination × place ------------------------------------------------------------------------

def _cross_tab_sheet(sheet: Worksheet, campaign: Campaign, ledger: Ledger, prepared_at: datetime) -> None:
    sheet.title = _("Issuance ledger")[:31]
    table = selectors.ledger_table(ledger)
    header = [_("Denomination"), _("Figure"), *[label for _state, label in table.states], _("Printed")]
    _title(sheet, campaign, _("Issuance ledger"), ledger.day, prepared_at)
    _header(sheet, header)

    row_number = HEADER_ROW + 1
    for row in [*table.rows, table.total]:
        name = row.denomination.name if row.denomination else _("Total")
        figures = [*row.cells, row.printed]
        _append(sheet, row_number, [name, _("Books"), *[f.books for f in figures]])
        _append(sheet, row_number + 1, [None, _("Face value (yen)"), *[f.yen for f in figures]])
        sheet.merge_cells(start_row=row_number, start_column=1, end_row=row_number + 1, end_column=1)
        sheet.cell(row_number, 1).alignment = Alignment(vertical="center")
        if row.denomination is None:
            for r in (row_number, row_number + 1):
                for c in range(1, len(header) + 1):
                    sheet.cell(r, c).font = BOLD
                    sheet.cell(r, c).fill = TOTAL_FILL
        row_number += 2

    # The screen's check, in its words: printed = vault + transit + outlet + sold + collected + lost + destroyed.
    row_number += 1
    sign = "=" if table.balanced else "≠"
    terms = " + ".join(f"{label} {cell.books:,}" for label, cell in table.terms)
    verdict = f"✓ {_('Balanced')}" if table.balanced else f"✗ {_('Not balanced')}"
    _append(sheet, row_number, [verdict, f"{_('printed')} {table.total.printed.books:,} {sign} {terms}"])
    sheet.cell(row_number, 1).font = OK if table.balanced else BAD
    sheet.cell(row_number, 1).border = Border()
    sheet.cell(row_number, 2).border = Border()

    _widths(sheet, [max(12, _text_width(r.denomination.name for r in table.rows) + 2), 16]
            + [13] * (len(header) - 2))
    sheet.freeze_panes = sheet.cell(HEADER_ROW + 1, 3)
    _landscape(sheet)


# --- sheet 2: per outlet ----------------------------------------------------------------------------------

def _outlet_sheet(sheet: Worksheet, campaign: Campaign, ledger: Ledger, prepared_at: datetime) -> None:
    sheet.title = _("Per outlet")[:31]
    labels = selectors.outlet_state_labels()
    header = [_("Outlet code"), _("Outlet"), _("Route"), _("Denomination"), *labels]
    _title(sheet, campaign, f"{_('Issuance ledger')} {_('Per outlet')}", ledger.day, prepared_at)
    _header(sheet, header)

    rows = selectors.ledger_outlet_rows(ledger)
    row_number = HEADER_ROW + 1
    for row in rows:
        _append(sheet, row_number, [row.outlet.code, row.outlet.name, row.outlet.get_route_display(),
                                    row.denomination.name, *row.books])
        row_number += 1
    if not rows:
        sheet.cell(row_number, 1, _("No books had reached an outlet by this day."))
        row_number += 1

    # Totals per denomination, then overall: each column matches the same place on sheet 1.
    totals: list[tuple[str, list[int]]] = []
    for ledger_row in ledger.rows:
        mine = [r.books for r in rows if r.denomination.pk == ledger_row.denomination.pk]
        totals.append((ledger_row.denomination.name, [sum(col) for col in zip(*mine, strict=True)] or
                       [0] * len(labels)))
    totals.append(("", [sum(books[i] for _name, books in totals) for i in range(len(labels))]))
    for name, books in totals:
        _append(sheet, row_number, [None, _("Total"), None, name, *books])
        for c in range(1, len(header) + 1):
            sheet.cell(row_number, c).font = BOLD
            sheet.cell(row_number, c).fill = TOTAL_FILL
        row_number += 1

    _widths(sheet, [12, max(16, _text_width(r.outlet.name for r in rows) + 2),
                    max(12, _text_width(r.outlet.get_route_display() for r in rows) + 2),
                    max(12, _text_width(r.denomination.name for r in ledger.rows) + 2)] + [13] * len(labels))
    sheet.freeze_panes = sheet.cell(HEADER_ROW + 1, 3)
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    _landscape(sheet)


# --- sheet 3: the long list -------------------------------------------------------------------------------

def _lines_sheet(sheet: Worksheet, ledger: Ledger) -> None:
    """One row per denomination and place (campaign-wide, outlet blank), then per outlet, denomination and
    state: the figures of sheets 1 and 2 as a flat table for filters and pivot tables."""
    sheet.title = _("Ledger lines")[:31]
    header = [_("Denomination"), _("Outlet code"), _("Outlet"), _("Place / state"), _("Books"),
              _("Face value (yen)")]
    for column, value in enumerate(header, start=1):
        cell = sheet.cell(1, column, _value(value))
        cell.font = BOLD
        cell.fill = HEADER_FILL

    def lines() -> Iterable[list[Any]]:
        for row in ledger.rows:
            d = row.denomination
            yield [d.name, None, None, _("Printed"), row.printed, row.face_value()]
            for state, books in row.books.items():
                yield [d.name, None, None, str(STATE_LABELS[state]), books, row.face_value(state)]
        denominations = {row.denomination.pk: row.denomination for row in ledger.rows}
        for outlet_id, cells in sorted(ledger.by_outlet.items(), key=lambda item: ledger.outlets[item[0]].code):
            outlet = ledger.outlets[outlet_id]
            for (denomination_id, state), books in sorted(cells.items()):
                d = denominations[denomination_id]
                yield [d.name, outlet.code, outlet.name, str(STATE_LABELS[state]), books,
                       books * d.face_value * d.tickets_per_book]

    last = 1
    for last, values in enumerate(lines(), start=2):
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(last, column, _value(value))
            if isinstance(value, int):
                cell.number_format = NUMBER
    _widths(sheet, [12, 12, max(16, _text_width(o.name for o in ledger.outlets.values()) + 2), 14, 12, 16])
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{last}"
    sheet.print_title_rows = "1:1"


# --- cells ------------------------------------------------------------------------------------------------

def _value(value: Any) -> Any:
    # Outlet and campaign names are typed by people: never let one start a formula or break the file.
    if isinstance(value, Promise):  # a choice label
        value = str(value)
    value = neutralize(value)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return value if value != "" else None


def _title(sheet: Worksheet, campaign: Campaign, what: str, day: date, prepared_at: datetime) -> None:
    sheet.cell(1, 1, _value(f"{campaign.name} {what}")).font = TITLE
    sheet.cell(2, 1, _("As of")).font = BOLD
    sheet.cell(2, 2, day).number_format = DATE
    sheet.cell(2, 2).alignment = Alignment(horizontal="left")
    sheet.cell(2, 3, capfirst(_("prepared at"))).font = BOLD
    sheet.cell(2, 4, prepared_at.replace(microsecond=0)).number_format = DATETIME
    sheet.cell(2, 4).alignment = Alignment(horizontal="left")


def _header(sheet: Worksheet, header: Sequence[str]) -> None:
    for column, value in enumerate(header, start=1):
        cell = sheet.cell(HEADER_ROW, column, _value(value))
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.border = BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _append(sheet: Worksheet, row: int, values: Sequence[Any]) -> None:
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row, column, _value(value))
        cell.border = BOX
        if isinstance(value, int):
            cell.number_format = NUMBER


def _text_width(texts: Iterable[str]) -> int:
    """Columns Excel needs for the widest text: full-width (Japanese) characters take two."""
    return max((sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(t)) for t in texts),
               default=0)


def _widths(sheet: Worksheet, widths: Sequence[int]) -> None:
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width


def _landscape(sheet: Worksheet) -> None:
    # The ledger is filed on paper: one page wide, as many pages tall as it takes.
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True

"""Numbering data for the printer (ナンバリングデータ) and the proof sheet sent with it.

A print lot is handed to the printer as one CSV line per ticket: the grouped code to print, the 21 digits to
encode in the barcode and QR code, and the book and ticket numbers so the printer can check collation. A
300,000-book lot is about four million lines, so rows are generated lazily and written as they come; the
whole file never sits in memory. Before the run, the printer and the secretariat sign off a one-page proof
with a few sample tickets, which is where a wrong prefix, a truncated barcode or an unscannable QR code is
caught — cheaply, before four million tickets exist.

Everything here is a pure function of its arguments (no models), so the print-lot service and its Celery
task decide what to number and where the files go.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from typing import IO

from django.utils.translation import gettext
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.code128 import Code128
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from campaign.pdf import JAPANESE_FONT, new_canvas, register_japanese_font
from vouchers.serials import TICKET_RANGE, CodeMaker, TicketId, group_code

NumberingRow = tuple[str, str, int, int]

# The printer's system maps columns by these names; they are part of the interface, not UI text.
NUMBERING_HEADER = ["printed_code", "barcode_payload", "book", "ticket"]

PROGRESS_EVERY = 100_000  # lines between progress reports
_CHUNK_LINES = 10_000  # lines encoded and written at once: big enough for fast writes, small in memory

MAX_PROOF_SAMPLES = 8


def numbering_rows(
    *, prefix: int, denomination: int, tickets_per_book: int, first_book: int, last_book: int, key: bytes
) -> Iterator[NumberingRow]:
    """Yield ``(printed code, barcode payload, book, ticket)`` for every ticket of books first..last, in order.

    The arguments are checked now, not when the first row is pulled, so a bad lot fails in the service
    that asked for it rather than halfway into a Celery task.
    """
    # TicketId validates prefix, denomination and book ranges; the two corners cover the whole lot.
    TicketId(prefix, denomination, first_book, 1)
    TicketId(prefix, denomination, last_book, 1)
    if tickets_per_book not in TICKET_RANGE:
        raise ValueError(f"tickets_per_book must be in 1..{TICKET_RANGE.stop - 1}, not {tickets_per_book!r}")
    if first_book > last_book:
        raise ValueError(f"first_book {first_book} is after last_book {last_book}")
    return _rows(CodeMaker(key), prefix, denomination, tickets_per_book, first_book, last_book)


def _rows(
    maker: CodeMaker, prefix: int, denomination: int, tickets_per_book: int, first_book: int, last_book: int
) -> Iterator[NumberingRow]:
    make = maker.make
    tickets = range(1, tickets_per_book + 1)
    for book in range(first_book, last_book + 1):
        for ticket in tickets:
            code = make(TicketId(prefix, denomination, book, ticket))
            yield group_code(code), code, book, ticket


def write_numbering_csv(
    fileobj: IO[bytes],
    rows: Iterable[NumberingRow],
    *,
    progress: Callable[[int], None] | None = None,
    total: int | None = None,
) -> int:
    """Write the numbering CSV (UTF-8, CRLF, header first) to a binary file and return the number of rows.

    Rows are pulled from ``rows`` as they are written, ``_CHUNK_LINES`` at a time, so a generator of four
    million rows costs a few megabytes of memory, not a gigabyte. ``progress`` receives the percentage
    done every ``PROGRESS_EVERY`` lines when ``total`` (the expected row count) is given, and 100 at the end.
    CRLF because the printers' Windows systems expect it; csv's own default terminator is CRLF as well.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(NUMBERING_HEADER)
    written = 0
    for written, row in enumerate(rows, start=1):
        writer.writerow(row)
        if written % _CHUNK_LINES == 0:
            _drain(buffer, fileobj)
            if progress is not None and total and written % PROGRESS_EVERY == 0:
                # Capped at 99: 100 means finished, and a wrong ``total`` must not claim that early.
                progress(min(99, written * 100 // total))
    _drain(buffer, fileobj)
    if progress is not None:
        progress(100)
    return written


def _drain(buffer: io.StringIO, fileobj: IO[bytes]) -> None:
    fileobj.write(buffer.getvalue().encode("utf-8"))
    buffer.seek(0)
    buffer.truncate()


# --- Proof sheet ------------------------------------------------------------------------------------------

_PAGE_WIDTH, _PAGE_HEIGHT = A4
_MARGIN = 15 * mm
_HEADER_HEIGHT = 38 * mm
_COLUMNS, _ROWS = 2, 4
_GUTTER = 6 * mm
_CARD_PADDING = 4 * mm
_QR_SIZE = 24 * mm


def proof_pdf(
    fileobj: IO[bytes] | str,
    *,
    title: str,
    campaign_name: str,
    denomination_name: str,
    face_value: int,
    lot_label: str,
    samples: list[NumberingRow],
) -> None:
    """Draw a one-page A4 proof: a header naming the lot, then up to eight sample tickets as cards.

    Each card shows the code as it will be printed, a Code128 barcode and a QR code of the payload (so the
    proof itself can be scanned with the redemption app), the book and ticket numbers and the face value.
    The PDF is invariant (no timestamp or random ID): regenerating the proof of a lot gives the same bytes.
    """
    if not 1 <= len(samples) <= MAX_PROOF_SAMPLES:
        raise ValueError(f"a proof shows 1 to {MAX_PROOF_SAMPLES} sample tickets, not {len(samples)}")
    register_japanese_font()
    canvas = new_canvas(fileobj, title=title, invariant=True)
    _draw_proof_header(
        canvas,
        title=title,
        campaign_name=campaign_name,
        denomination_name=denomination_name,
        face_value=face_value,
        lot_label=lot_label,
    )
    card_width = (_PAGE_WIDTH - 2 * _MARGIN - (_COLUMNS - 1) * _GUTTER) / _COLUMNS
    card_height = (_PAGE_HEIGHT - 2 * _MARGIN - _HEADER_HEIGHT - (_ROWS - 1) * _GUTTER) / _ROWS
    top = _PAGE_HEIGHT - _MARGIN - _HEADER_HEIGHT
    for index, sample in enumerate(samples):
        row, column = divmod(index, _COLUMNS)
        x = _MARGIN + column * (card_width + _GUTTER)
        y = top - (row + 1) * card_height - row * _GUTTER
        _draw_card(
            canvas,
            x,
            y,
            card_width,
            card_height,
            sample,
            campaign_name=campaign_name,
            denomination_name=denomination_name,
            face_value=face_value,
        )
    canvas.showPage()
    canvas.save()


def _yen(amount: int) -> str:
    return gettext("%(amount)s yen") % {"amount": f"{amount:,}"}


def _draw_proof_header(
    canvas: Canvas, *, title: str, campaign_name: str, denomination_name: str, face_value: int, lot_label: str
) -> None:
    top = _PAGE_HEIGHT - _MARGIN
    canvas.setFont(JAPANESE_FONT, 16)
    canvas.drawString(_MARGIN, top - 8 * mm, title)
    canvas.setFont(JAPANESE_FONT, 10.5)
    canvas.drawString(_MARGIN, top - 16 * mm, campaign_name)
    canvas.drawString(_MARGIN, top - 22 * mm, f"{denomination_name}  {_yen(face_value)}")
    canvas.drawString(_MARGIN, top - 28 * mm, lot_label)
    canvas.setFont(JAPANESE_FONT, 8)
    canvas.drawString(
        _MARGIN,
        top - 34 * mm,
        gettext(
            "Proof of sample tickets for checking print and scanning. These samples are not valid vouchers."
        ),
    )


def _fit_font_size(text: str, width: float, preferred: float) -> float:
    """The preferred size, or smaller if the text would not fit the width (long campaign names)."""
    natural = stringWidth(text, JAPANESE_FONT, preferred)
    return preferred if natural <= width else preferred * width / natural


def _draw_card(
    canvas: Canvas,
    x: float,
    y: float,
    width: float,
    height: float,
    sample: NumberingRow,
    *,
    campaign_name: str,
    denomination_name: str,
    face_value: int,
) -> None:
    printed_code, payload, book, ticket = sample
    inner_left = x + _CARD_PADDING
    inner_width = width - 2 * _CARD_PADDING
    top = y + height - _CARD_PADDING

    canvas.saveState()
    canvas.setLineWidth(0.5)
    canvas.setDash(2, 2)  # a cut line, as on the printer's imposition proof
    canvas.rect(x, y, width, height)
    canvas.restoreState()

    canvas.setFont(JAPANESE_FONT, _fit_font_size(campaign_name, inner_width, 8))
    canvas.drawString(inner_left, top - 3 * mm, campaign_name)
    heading = f"{denomination_name}  {_yen(face_value)}"
    canvas.setFont(JAPANESE_FONT, _fit_font_size(heading, inner_width, 10))
    canvas.drawString(inner_left, top - 8 * mm, heading)

    # The code as the clerk will type it. IPAexGothic's digits share one width, so the groups line up.
    canvas.setFont(JAPANESE_FONT, _fit_font_size(printed_code, inner_width, 15))
    canvas.drawString(inner_left, top - 15 * mm, printed_code)

    qr_x = x + width - _CARD_PADDING - _QR_SIZE
    qr_y = y + _CARD_PADDING
    _draw_qr(canvas, payload, qr_x, qr_y, _QR_SIZE)

    # Stretch the bars over the space left of the QR code. The card padding on the left and the gap before
    # the QR code are the quiet zones (Code128 needs 10 modules, about 3.3 mm at this size).
    barcode = Code128(payload, barHeight=12 * mm, quiet=False, humanReadable=False)
    barcode.barWidth *= (qr_x - 4 * mm - inner_left) / barcode.width  # ``width`` is recomputed on access
    barcode.drawOn(canvas, inner_left, y + _CARD_PADDING + 9 * mm)

    canvas.setFont(JAPANESE_FONT, 8)
    canvas.drawString(inner_left, y + _CARD_PADDING + 4 * mm, payload)
    canvas.drawString(
        inner_left,
        y + _CARD_PADDING,
        gettext("Book %(book)s / ticket %(ticket)s") % {"book": f"{book:07d}", "ticket": f"{ticket:02d}"},
    )


def _draw_qr(canvas: Canvas, payload: str, x: float, y: float, size: float) -> None:
    # Level M survives the smudges and folds a voucher gets in a wallet; the payload is short enough that
    # the symbol stays at version 1 or 2 either way.
    widget = QrCodeWidget(payload, barLevel="M")
    left, bottom, right, top = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (right - left), 0, 0, size / (top - bottom), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, x, y)

"""Address labels (宛名ラベル) for A4 label sheets, drawn page by page on a reportlab canvas.

Each label holds the postal code as 〒123-4567, the address broken into lines by ``address_lines`` (never
inside a house number such as 1-16-38 or １丁目16番38号, never between 101 and 号室; a space or the start of
the building name is the preferred break), and the name with the honorific 様. When the text does not fit, the
font shrinks down to a legible minimum; past that the last address line is cut with "…" — nothing is ever
drawn outside its label.

Memory stays the same for any number of labels: the pages are drawn PAGES_PER_PART at a time, each part its
own small PDF appended to the output as soon as it is done (``campaign.pdf.ChunkedCanvas``), and within a
part each page is compressed as soon as it is finished (``compress_finished_page``).
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfdoc import PDFDictionary, PDFName, PDFStream
from reportlab.pdfbase.pdfmetrics import stringWidth

from campaign.pdf import JAPANESE_FONT, ChunkedCanvas
from reservations.address_lines import address_lines

HONORIFIC = "様"
MIN_FONT = 6.0
PAGES_PER_PART = 40  # 480 or 960 labels


@dataclass(frozen=True)
class Sheet:
    """An A4 label sheet: columns × rows labels of a given size, the margins to the first label, the gaps."""

    code: str
    cols: int
    rows: int
    width: float
    height: float
    left: float
    top: float
    gap_x: float = 0.0
    gap_y: float = 0.0
    padding: float = 4 * mm
    name_size: float = 14.0
    address_size: float = 10.5

    @property
    def per_page(self) -> int:
        return self.cols * self.rows

    def cell(self, index: int) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) of the label at ``index`` on its page, in points from the bottom left."""
        col, row = index % self.cols, index // self.cols
        x0 = self.left + col * (self.width + self.gap_x)
        y1 = A4[1] - self.top - row * (self.height + self.gap_y)
        return x0, y1 - self.height, x0 + self.width, y1


SHEETS = {
    # 2 × 6, 86.4 × 42.3 mm (the common 12-label sheet, e.g. A-one 72212)
    "12": Sheet("12", cols=2, rows=6, width=86.4 * mm, height=42.3 * mm, left=18.6 * mm, top=21.6 * mm),
    # 3 × 8, 64 × 33.9 mm with 2.5 mm between columns (24-label sheets)
    "24": Sheet("24", cols=3, rows=8, width=64.0 * mm, height=33.9 * mm, left=6.5 * mm, top=12.9 * mm,
                gap_x=2.5 * mm, padding=3 * mm, name_size=11.0, address_size=9.0),
}

_DASHES = re.compile(r"(?<=[0-9０-９])[‐‑‒–—―−－ｰー](?=[0-9０-９])")
_KEEP_TOGETHER = re.compile(r"[0-9A-Za-z]+(?:-[0-9A-Za-z]+)*|\s+|.", re.S)


def postal_display(code: str) -> str:
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", code or "") if ch.isdigit())
    return f"〒{digits[:3]}-{digits[3:]}" if len(digits) == 7 else ""


def clean_address(text: str) -> str:
    """NFKC, one kind of hyphen between digits (municipal lists mix ‐ − － ー), single spaces."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _DASHES.sub("-", text)
    return re.sub(r"\s+", " ", text).strip()


def wrap(text: str, width: float, size: float, font: str = JAPANESE_FONT) -> list[str]:
    """Break ``text`` into lines no wider than ``width``: between any two Japanese characters, never inside
    a run of digits/letters/hyphens (unless the run alone is too wide), preferably at a space."""
    lines: list[str] = []
    line = ""
    for token in _KEEP_TOGETHER.findall(text):
        candidate = line + token
        if stringWidth(candidate, font, size) <= width:
            line = candidate
            continue
        if token.isspace():
            lines.append(line.rstrip())
            line = ""
            continue
        if line.strip():
            lines.append(line.rstrip())
        line = ""
        if stringWidth(token, font, size) <= width:
            line = token
            continue
        for ch in token:  # a single run wider than the label: break it by character after all
            if stringWidth(line + ch, font, size) > width and line:
                lines.append(line)
                line = ""
            line += ch
    if line.strip():
        lines.append(line.rstrip())
    return lines


def fit_lines(text: str, width: float, height: float, size: float, *, leading: float = 1.25,
              font: str = JAPANESE_FONT) -> tuple[list[str], float]:
    """Address lines and the font size that fit ``width`` × ``height`` (``address_lines``: never broken inside
    a house number). The font shrinks to MIN_FONT until every line is narrow enough and they all fit; only past
    that is a too-wide piece broken by character and the last line cut with "…"."""
    while True:
        lines = address_lines(text, lambda s, size=size: stringWidth(s, font, size), width)
        too_wide = any(stringWidth(line, font, size) > width for line in lines)
        if (not too_wide and len(lines) * size * leading <= height) or size <= MIN_FONT:
            break
        size = max(MIN_FONT, size - 0.5)
    if too_wide:  # a house number wider than the label even at MIN_FONT: nothing may be drawn outside it
        lines = [part for line in lines for part in wrap(line, width, size, font)]
    room = max(1, int(height // (size * leading)))
    if len(lines) > room:
        lines = lines[:room]
        last = lines[-1]
        while last and stringWidth(last + "…", font, size) > width:
            last = last[:-1]
        lines[-1] = last + "…"
    return lines, size


def fit_size(text: str, width: float, size: float, font: str = JAPANESE_FONT) -> float:
    while stringWidth(text, font, size) > width and size > MIN_FONT:
        size -= 0.5
    return size


def compress_finished_page(canvas) -> None:
    """Compress the page just finished now rather than at save(): reportlab keeps every page's content until
    the end, and compressed it is a tenth of the size."""
    pages = canvas._doc.Pages.pages
    if not pages:
        return
    page = pages[-1]
    if page.stream and not page.Contents:
        content = page.stream.encode("utf8") if isinstance(page.stream, str) else page.stream
        page.Contents = PDFStream(dictionary=PDFDictionary({"Filter": PDFName("FlateDecode")}),
                                  content=zlib.compress(content))
        page.stream = None


@dataclass
class LabelData:
    postal_code: str
    address: str
    name: str


def draw_label(canvas, sheet: Sheet, index: int, data: LabelData) -> None:
    x0, y0, x1, y1 = sheet.cell(index)
    pad = sheet.padding
    inner_w = (x1 - x0) - 2 * pad
    top = y1 - pad
    postal = postal_display(data.postal_code)
    postal_size = sheet.address_size
    if postal:
        canvas.setFont(JAPANESE_FONT, postal_size)
        canvas.drawString(x0 + pad, top - postal_size, postal)
        top -= postal_size * 1.35
    name = (data.name or "").strip()
    name_text = f"{name}　{HONORIFIC}" if name else ""
    name_size = fit_size(name_text, inner_w, sheet.name_size) if name_text else 0
    name_block = name_size * 1.5 if name_text else 0
    address_height = top - (y0 + pad) - name_block
    lines, size = fit_lines(clean_address(data.address), inner_w, max(address_height, MIN_FONT * 1.25),
                            sheet.address_size)
    canvas.setFont(JAPANESE_FONT, size)
    y = top - size
    for line in lines:
        canvas.drawString(x0 + pad, y, line)
        y -= size * 1.25
    if name_text:
        canvas.setFont(JAPANESE_FONT, name_size)
        canvas.drawRightString(x1 - pad, y0 + pad + name_size * 0.3, name_text)


def write_labels(out: IO[bytes], items: Iterable[LabelData], *, sheet: Sheet, total: int = 0, progress=None,
                 title: str = "Labels", outlines: bool = False, pages_per_part: int = PAGES_PER_PART) -> int:
    """Draw one label per item, ``sheet.per_page`` to a page; returns the number of labels."""
    document = ChunkedCanvas(out, title=title)
    count = 0
    for data in items:
        slot = count % sheet.per_page
        canvas = document.canvas
        if outlines:
            x0, y0, x1, y1 = sheet.cell(slot)
            canvas.setLineWidth(0.2)
            canvas.setStrokeGray(0.8)
            canvas.rect(x0, y0, x1 - x0, y1 - y0, stroke=1, fill=0)
        draw_label(canvas, sheet, slot, data)
        count += 1
        if slot == sheet.per_page - 1:
            canvas.showPage()
            compress_finished_page(canvas)
            if (count // sheet.per_page) % pages_per_part == 0:
                document.end_part()
        if progress and total and count % 500 == 0:
            progress(min(99, count * 100 // total), "")
    if not count:
        document.canvas.drawString(20 * mm, A4[1] - 30 * mm, "-")
    if not count or count % sheet.per_page:
        document.canvas.showPage()
        compress_finished_page(document.canvas)
    document.close()
    return count

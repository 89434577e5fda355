"""Notice letters (交付案内通知) from the campaign's editable template, one A4 page per applicant.

The template's title and body take merge fields: {name}, {link_code}, {booking_url}, {counters}, {deadline}.
Each letter also carries the address block for a window envelope, the link code in large type in a frame,
and a QR code of the personal booking URL (/reserve/code/<link code>/).

Built for tens of thousands of letters in constant memory: the applicants come from the database in chunks,
paragraphs without a personal merge field are laid out once, and the letters are drawn LETTERS_PER_PART at a
time, each part its own small PDF appended to the output file as soon as it is done
(``campaign.pdf.ChunkedCanvas``); within a part each page is compressed when finished.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import IO
from urllib.parse import urlsplit

import segno
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm

from campaign.pdf import JAPANESE_FONT, ChunkedCanvas
from reservations.labels import (
    HONORIFIC,
    clean_address,
    compress_finished_page,
    fit_lines,
    fit_size,
    postal_display,
)
from reservations.labels import wrap as wrap_text
from reservations.linkcodes import format_code

MERGE_FIELDS = ("name", "link_code", "booking_url", "counters", "deadline")
PERSONAL_FIELDS = ("name", "link_code", "booking_url")
_FIELD = re.compile(r"\{([^{}]*)\}")

DEFAULT_TITLE = "プレミアム食事券 購入予約のご案内"
DEFAULT_BODY = (
    "{name} 様\n"
    "このたびはプレミアム食事券の購入申込みをいただき、ありがとうございます。抽選の結果、購入権が当選しましたのでお知らせします。\n"
    "購入には窓口の予約が必要です。下記のリンクコードで、{deadline}までにご予約ください。スマートフォンでは右のQRコードから予約ページを開けます。\n"
    "予約できる窓口\n{counters}\n"
    "ご来場の際は、この通知と本人確認書類をお持ちください。"
)

MARGIN = 20 * mm
BODY_SIZE = 10.5
LEADING = 1.6
QR_SIZE = 30 * mm
# Memory holds one part: about 12 KB a letter until the part is saved (measured with bench_letters). Smaller
# parts cost more per letter: the font subsets are made again for every part.
LETTERS_PER_PART = 250


def template_errors(text: str) -> list[str]:
    """Unknown merge fields in a template, for the form (e.g. a typo such as {nmae})."""
    return sorted({f for f in _FIELD.findall(text) if f not in MERGE_FIELDS})


def merge(text: str, values: dict[str, str]) -> str:
    return _FIELD.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def booking_url(link_code: str) -> str:
    return settings.SITE_URL + reverse("reserve:code", args=[format_code(link_code)])


def site_url_problem(url: str | None = None) -> str:
    """Why the booking address printed on the letters (settings.SITE_URL) is not one a resident can open, or ""
    when it is fine: a development or loopback host (127.0.0.1, localhost, *.local, a private network) or plain
    http without TLS. Letters printed with such an address send every resident to a dead link."""
    url = settings.SITE_URL if url is None else url
    parts = urlsplit(url or "")
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        return _("The site address (SITE_URL) is not set.")
    local = host == "localhost" or host.endswith((".localhost", ".local", ".internal", ".test"))
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        local = local or ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_unspecified
    if local:
        return _("The booking address on the letters would be %(url)s, a development address that residents "
                 "cannot open.") % {"url": url}
    if parts.scheme != "https":
        return _("The booking address on the letters would be %(url)s, without https (TLS).") % {"url": url}
    return ""


def japanese_date(day: date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


@dataclass
class LetterData:
    postal_code: str
    address: str
    name: str
    link_code: str


@dataclass
class LetterSetup:
    title: str
    body: str
    counters: list[tuple[str, str]]  # (name, address)
    deadline: date | None
    sender: str
    issued_on: date
    test_print: bool = False  # printed although site_url_problem(): every page is marked as a test print


def _qr(canvas, payload: str, x: float, y: float, size: float) -> None:
    """The QR code as one path of horizontal runs: a few dozen rectangles instead of hundreds.

    The mask pattern is fixed: every mask gives a valid symbol, and scoring all eight (what the encoder does
    by default) is four fifths of the time of a letter."""
    qr = segno.make(payload, error="m", mask=2, micro=False)
    matrix = [list(row) for row in qr.matrix]
    n = len(matrix)
    quiet = 2
    module = size / (n + 2 * quiet)
    path = canvas.beginPath()
    for r, row in enumerate(matrix):
        c = 0
        while c < n:
            if row[c]:
                start = c
                while c < n and row[c]:
                    c += 1
                path.rect(x + (quiet + start) * module, y + size - (quiet + r + 1) * module, (c - start) * module,
                          module)
            else:
                c += 1
    canvas.setFillGray(0)
    canvas.drawPath(path, stroke=0, fill=1)


class LetterWriter:
    def __init__(self, out: IO[bytes], setup: LetterSetup, *, title: str = "Letters",
                 letters_per_part: int = LETTERS_PER_PART):
        self.document = ChunkedCanvas(out, title=title)
        self.letters_per_part = letters_per_part
        self.letters = 0
        self.setup = setup
        self.width = A4[0] - 2 * MARGIN
        counters = "\n".join(f"・{name}" + (f"（{address}）" if address else "") for name, address in setup.counters)
        self.static = {"counters": counters or "—", "deadline": japanese_date(setup.deadline) or "—"}
        # Paragraphs without a personal field are the same on every letter: wrap them once.
        self._wrapped: dict[str, list[str]] = {}
        self.pages = 0

    def _lines(self, paragraph: str, personal: dict[str, str]) -> list[str]:
        if not any("{" + f + "}" in paragraph for f in PERSONAL_FIELDS):
            cached = self._wrapped.get(paragraph)
            if cached is None:
                cached = [line for part in merge(paragraph, self.static).split("\n")
                          for line in (wrap_text(part, self.width, BODY_SIZE) or [""])]
                self._wrapped[paragraph] = cached
            return cached
        text = merge(paragraph, {**self.static, **personal})
        return [line for part in text.split("\n") for line in (wrap_text(part, self.width, BODY_SIZE) or [""])]

    def _new_page(self) -> None:
        self.document.canvas.showPage()
        compress_finished_page(self.document.canvas)
        self.pages += 1

    def write(self, data: LetterData) -> None:
        c = self.document.canvas
        setup = self.setup
        code = format_code(data.link_code)
        url = booking_url(data.link_code)
        personal = {"name": data.name or "", "link_code": code, "booking_url": url}
        top = A4[1] - MARGIN
        if setup.test_print:
            c.setFont(JAPANESE_FONT, 12)
            c.setFillColorRGB(0.8, 0, 0)
            c.drawCentredString(A4[0] / 2, A4[1] - 10 * mm, _("TEST PRINT — do not mail"))
            c.setFillGray(0)
        # Date and sender, top right.
        c.setFont(JAPANESE_FONT, BODY_SIZE)
        c.drawRightString(A4[0] - MARGIN, top - BODY_SIZE, japanese_date(setup.issued_on))
        y_sender = top - BODY_SIZE * 2.6
        for line in (setup.sender or "").splitlines()[:3]:
            c.drawRightString(A4[0] - MARGIN, y_sender, line[:40])
            y_sender -= BODY_SIZE * 1.4
        # Address block for a window envelope (長形3号: 90 × 45 mm from 20 mm / 20 mm).
        y = top - 4 * mm
        postal = postal_display(data.postal_code)
        if postal:
            c.setFont(JAPANESE_FONT, 11)
            c.drawString(MARGIN + 2 * mm, y - 11, postal)
            y -= 11 * 1.5
        lines, size = fit_lines(clean_address(data.address), 86 * mm, 18 * mm, 11)
        c.setFont(JAPANESE_FONT, size)
        for line in lines:
            c.drawString(MARGIN + 2 * mm, y - size, line)
            y -= size * 1.25
        if data.name:
            name = f"{data.name}　{HONORIFIC}"
            name_size = fit_size(name, 86 * mm, 15)
            c.setFont(JAPANESE_FONT, name_size)
            c.drawString(MARGIN + 2 * mm, top - 40 * mm, name)
        # Title.
        y = A4[1] - 70 * mm
        title = merge(setup.title, {**self.static, **personal})
        c.setFont(JAPANESE_FONT, fit_size(title, self.width, 16))
        c.drawCentredString(A4[0] / 2, y, title)
        y -= 12 * mm
        # Body.
        c.setFont(JAPANESE_FONT, BODY_SIZE)
        for paragraph in setup.body.split("\n"):
            for line in self._lines(paragraph, personal):
                if y < MARGIN + BODY_SIZE:
                    self._new_page()
                    c.setFont(JAPANESE_FONT, BODY_SIZE)
                    y = A4[1] - MARGIN
                c.drawString(MARGIN, y, line)
                y -= BODY_SIZE * LEADING
        # The link code, the booking URL and its QR code in a frame.
        box_h = QR_SIZE + 8 * mm
        if y - box_h < MARGIN:
            self._new_page()
            y = A4[1] - MARGIN
        y -= 4 * mm
        c.setLineWidth(0.8)
        c.rect(MARGIN, y - box_h, self.width, box_h, stroke=1, fill=0)
        _qr(c, url, MARGIN + self.width - QR_SIZE - 4 * mm, y - box_h + 4 * mm, QR_SIZE)
        c.setFont(JAPANESE_FONT, 10)
        c.drawString(MARGIN + 5 * mm, y - 8 * mm, _("Link code"))
        c.setFont(JAPANESE_FONT, 20)
        c.drawString(MARGIN + 5 * mm, y - 18 * mm, code)
        c.setFont(JAPANESE_FONT, 8.5)
        c.drawString(MARGIN + 5 * mm, y - 26 * mm, _("Booking page"))
        url_lines, url_size = fit_lines(url, self.width - QR_SIZE - 14 * mm, 8 * mm, 8.5)
        c.setFont(JAPANESE_FONT, url_size)
        uy = y - 26 * mm - url_size * 1.4
        for line in url_lines:
            c.drawString(MARGIN + 5 * mm, uy, line)
            uy -= url_size * 1.25
        self._new_page()
        self.letters += 1
        if self.letters % self.letters_per_part == 0:
            self.document.end_part()

    def close(self) -> None:
        if not self.pages:
            self.document.canvas.drawString(MARGIN, A4[1] - MARGIN, "-")
            self.document.canvas.showPage()
        self.document.close()


def write_letters(out: IO[bytes], items: Iterable[LetterData], setup: LetterSetup, *, total: int = 0,
                  progress=None, title: str = "Letters", letters_per_part: int = LETTERS_PER_PART) -> int:
    """Write one letter per item to ``out`` (a file: it is written as the parts finish); returns the count."""
    writer = LetterWriter(out, setup, title=title, letters_per_part=letters_per_part)
    count = 0
    for data in items:
        writer.write(data)
        count += 1
        if progress and total and count % 500 == 0:
            progress(min(99, count * 100 // total), "")
    writer.close()
    return count

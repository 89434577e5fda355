"""The base every generated PDF starts from: the Japanese font, document metadata, styles, page numbers.

Slips (換金伝票), payment notices, labels and letters are printed by merchants and residents on whatever
machine they have, so a PDF may not rely on fonts installed there. We ship IPAexGothic in the repository
(``settings.PDF_FONT_PATH``, IPA Font License) and reportlab embeds the subset of glyphs each document uses.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import IO

from django.conf import settings
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, SimpleDocTemplate

JAPANESE_FONT = "IPAexGothic"
DEFAULT_AUTHOR = "Jimukyoku"
BODY_FONT_SIZE = 10.5  # the customary size of Japanese business documents

_registration_lock = threading.Lock()

PDFTarget = str | IO[bytes]


def register_japanese_font() -> str:
    """Register the shipped TrueType font with reportlab once per process and return its name.

    reportlab keeps fonts in a process-wide registry; registering again would parse the 4 MB file again.
    The lock matters for threaded web servers, where two requests may render their first PDF together.
    """
    if JAPANESE_FONT in pdfmetrics.getRegisteredFontNames():
        return JAPANESE_FONT
    with _registration_lock:
        if JAPANESE_FONT not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(JAPANESE_FONT, str(settings.PDF_FONT_PATH)))
            # IPAexGothic has no bold or italic face. Mapping them to the same face lets <b> and <i> in
            # Paragraph markup render (unemphasised) instead of failing with "can't map font".
            pdfmetrics.registerFontFamily(
                JAPANESE_FONT,
                normal=JAPANESE_FONT,
                bold=JAPANESE_FONT,
                italic=JAPANESE_FONT,
                boldItalic=JAPANESE_FONT,
            )
    return JAPANESE_FONT


def new_canvas(
    fileobj: PDFTarget,
    *,
    title: str,
    author: str = DEFAULT_AUTHOR,
    pagesize: tuple[float, float] = A4,
    invariant: bool = False,
) -> Canvas:
    """Return a reportlab canvas for a hand-placed layout (slips, labels) with the Japanese font set.

    The font stays the initial font on every page, so text drawn after ``showPage()`` is still Japanese.
    Pass ``invariant=True`` for documents that must come out byte-identical when regenerated (a settlement
    batch's outputs): reportlab then leaves out the creation time and the random document ID.
    """
    font = register_japanese_font()
    canvas = Canvas(
        fileobj,
        pagesize=pagesize,
        invariant=int(invariant),
        initialFontName=font,
        initialFontSize=BODY_FONT_SIZE,
        initialLeading=BODY_FONT_SIZE * 1.5,
        lang="ja",
    )
    canvas.setTitle(title)
    canvas.setAuthor(author)
    canvas.setCreator(DEFAULT_AUTHOR)
    canvas.setFont(font, BODY_FONT_SIZE)
    return canvas


def paragraph_styles() -> dict[str, ParagraphStyle]:
    """Return the paragraph styles for flowing documents, all in the Japanese font.

    ``wordWrap="CJK"`` lets lines break between any two Japanese characters; the default wraps only at
    spaces, which Japanese text does not have, so a long sentence would run off the page.
    Keys: ``title``, ``heading``, ``body``, ``small``, ``right`` (amounts), ``center``.
    """
    font = register_japanese_font()
    body = ParagraphStyle(
        "body", fontName=font, fontSize=BODY_FONT_SIZE, leading=BODY_FONT_SIZE * 1.6, wordWrap="CJK"
    )
    return {
        "title": ParagraphStyle(
            "title", parent=body, fontSize=16, leading=24, alignment=TA_CENTER, spaceAfter=6 * mm
        ),
        "heading": ParagraphStyle(
            "heading", parent=body, fontSize=12, leading=18, spaceBefore=4 * mm, spaceAfter=2 * mm
        ),
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8, leading=12),
        "right": ParagraphStyle("right", parent=body, alignment=TA_RIGHT),
        "center": ParagraphStyle("center", parent=body, alignment=TA_CENTER),
    }


def _draw_page_number(canvas: Canvas, doc: SimpleDocTemplate) -> None:
    canvas.saveState()
    canvas.setFont(JAPANESE_FONT, 9)
    canvas.drawCentredString(doc.pagesize[0] / 2, doc.bottomMargin / 2, f"- {doc.page} -")
    canvas.restoreState()


def simple_document(
    fileobj: PDFTarget,
    *,
    title: str,
    flowables: Iterable[Flowable],
    author: str = DEFAULT_AUTHOR,
    pagesize: tuple[float, float] = A4,
    invariant: bool = False,
) -> None:
    """Build a flowing A4 document (notices, letters, reports) with "- n -" page numbers in the footer.

    ``flowables`` are laid out top to bottom across as many pages as they need; use
    ``paragraph_styles()`` for their text. ``invariant`` is as for ``new_canvas``.
    """
    font = register_japanese_font()
    doc = SimpleDocTemplate(
        fileobj,
        pagesize=pagesize,
        title=title,
        author=author,
        creator=DEFAULT_AUTHOR,
        invariant=int(invariant),
        initialFontName=font,
        initialFontSize=BODY_FONT_SIZE,
        lang="ja",
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
    )
    doc.build(list(flowables), onFirstPage=_draw_page_number, onLaterPages=_draw_page_number)

"""The base every generated PDF starts from: the Japanese font, document metadata, styles, page numbers.

Slips (換金伝票), payment notices, labels and letters are printed by merchants and residents on whatever
machine they have, so a PDF may not rely on fonts installed there. We ship IPAexGothic in the repository
(``settings.PDF_FONT_PATH``, IPA Font License) and reportlab embeds the subset of glyphs each document uses.
"""

from __future__ import annotations

import io
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

from campaign.pdfstream import PdfConcatenation, PdfStreamError

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


class ChunkedCanvas:
    """A canvas for a document of any length in constant memory: pages are drawn on the canvas of a part, and
    ``end_part()`` saves that part and appends it to the output (``campaign.pdfstream``); the next drawing
    starts a new part. reportlab keeps every page of a canvas until ``save()``, so a single canvas grows with
    the document; a part holds only its own pages.

    The parts share reportlab's TrueType subset assignment (which character has which code in which subset),
    so a character is encoded alike in every part and each part's subsets contain the earlier parts'; the
    output then embeds the font once, from the last part, instead of once per part. Fonts are merged by their
    name in the PDF (/F1, /F2 …, numbered in the order a part first uses them): every part must use its fonts
    in the same order, as a layout drawn the same way each time does (checked: PdfStreamError otherwise).

    Use ``.canvas`` for the current part's canvas (do not keep it across ``end_part()``), ``close()`` at the end.
    """

    def __init__(self, out: IO[bytes], *, title: str, author: str = DEFAULT_AUTHOR,
                 pagesize: tuple[float, float] = A4):
        register_japanese_font()
        self._output = PdfConcatenation(out, share_fonts=True)
        self._new = {"title": title, "author": author, "pagesize": pagesize}
        self._canvas: Canvas | None = None
        self._buffer: io.BytesIO | None = None
        self._states: dict[str, object] = {}  # TrueType font name → its subset assignment, carried along
        self._names: dict[str, str] = {}  # name in the PDF (/F1) → font, the same in every part

    @property
    def canvas(self) -> Canvas:
        if self._canvas is None:
            self._buffer = io.BytesIO()
            self._canvas = new_canvas(self._buffer, **self._new)
            doc = self._canvas._doc
            for name in pdfmetrics.getRegisteredFontNames():
                font = pdfmetrics.getFont(name)
                if not isinstance(font, TTFont):
                    continue
                state = self._states.get(name)
                if state is None:
                    font.splitString("", doc)  # makes reportlab's state of the font for this document
                    self._states[name] = font.state[doc]
                else:
                    # Saving the last part froze the state and added its fonts to that part; here they are
                    # to be added again when used.
                    state.frozen = 0
                    state.internalName = None
                    font.state[doc] = state
        return self._canvas

    def end_part(self) -> None:
        if self._canvas is None:
            return
        doc = self._canvas._doc
        unshared = [f.fontName for f in doc.delayedFonts if f.fontName not in self._states]
        if unshared:
            # Registered after the first part: their subsets are not carried along, merging them would be wrong.
            raise PdfStreamError(f"fonts registered while a chunked document was drawn: {unshared}")
        self._canvas.save()
        for font, name in doc.fontMapping.items():
            if self._names.setdefault(name, font) != font:
                raise PdfStreamError(f"{name} is {font} in this part but {self._names[name]} before: "
                                     "every part must use its fonts in the same order")
        self._output.append(self._buffer.getvalue())
        self._canvas = self._buffer = None

    def close(self) -> None:
        self.end_part()
        self._output.close()

"""The streaming PDF concatenation (campaign.pdfstream) and the chunked canvas built on it (campaign.pdf):
pages in order with their text, a valid cross-reference table, strings that look like PDF syntax left alone,
one embedded font for all parts, and PDFs it cannot read refused rather than copied wrong."""

from __future__ import annotations

import io

import pytest
from reportlab.pdfbase import pdfmetrics

from campaign.pdf import JAPANESE_FONT, ChunkedCanvas, new_canvas
from campaign.pdfstream import PdfConcatenation, PdfStreamError
from tests.campaign.pdf_checks import assert_valid_pdf, pdftotext


def _part(texts: list[str], *, title: str = "part") -> bytes:
    out = io.BytesIO()
    canvas = new_canvas(out, title=title)
    for text in texts:
        canvas.drawString(72, 720, text)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def _kanji(start: int, count: int) -> str:
    """``count`` characters of the Japanese font from the ``start``-th kanji it has on."""
    font = pdfmetrics.getFont(JAPANESE_FONT)
    chars = [chr(c) for c in range(0x4E00, 0x9FFF) if c in font.face.charToGlyph]
    return "".join(chars[start : start + count])


def test_it_puts_the_pages_of_every_part_one_after_the_other():
    out = io.BytesIO()
    with PdfConcatenation(out) as pdf:
        assert pdf.append(_part(["一頁目 鳥取", "二頁目 米子"], title="鳥取県 通知")) == 2
        assert pdf.append(_part(["三頁目 倉吉"])) == 1
        assert pdf.append(_part([f"{n}頁目 境港" for n in range(4, 8)])) == 4
    assert pdf.pages == 7
    data = out.getvalue()
    reader = assert_valid_pdf(data, pages=7)
    texts = [page.extract_text().strip() for page in reader.pages]
    assert texts[:3] == ["一頁目 鳥取", "二頁目 米子", "三頁目 倉吉"]
    assert texts[6] == "7頁目 境港"
    assert "7頁目 境港" in pdftotext(data, 7)
    # The document information is the first part's.
    assert reader.metadata.title == "鳥取県 通知"


def test_strings_that_look_like_pdf_syntax_are_copied_untouched():
    tricky = "(12 0 R) stream endobj \\ << >> %"
    out = io.BytesIO()
    with PdfConcatenation(out) as pdf:
        pdf.append(_part(["a"], title=tricky))
        pdf.append(_part(["b"], title="second"))
    reader = assert_valid_pdf(out.getvalue(), pages=2)
    assert reader.metadata.title == tricky
    assert [page.extract_text().strip() for page in reader.pages] == ["a", "b"]


def test_a_chunked_canvas_embeds_the_font_once_and_every_part_reads_back_right():
    # Each part brings 300 characters of its own: more than a 256-code subset, so later parts add subsets
    # and earlier parts' pages must still read right with the one font written at the end.
    out = io.BytesIO()
    document = ChunkedCanvas(out, title="chunked")
    lines = [_kanji(i * 100, 100) for i in range(9)]
    for number, line in enumerate(lines):
        document.canvas.drawString(20, 720, line[:50])
        document.canvas.drawString(20, 700, line[50:])
        document.canvas.showPage()
        if number % 3 == 2:
            document.end_part()
    document.close()
    data = out.getvalue()
    reader = assert_valid_pdf(data, pages=9)
    for number, page in enumerate(reader.pages):
        assert page.extract_text().replace("\n", "") == lines[number]
    assert pdftotext(data, 1).replace("\n", "").strip() == lines[0]
    assert pdftotext(data, 9).replace("\n", "").strip() == lines[8]
    # One font dictionary for all pages, and each subset embedded once (900 characters: 4 subsets).
    fonts = {page["/Resources"].raw_get("/Font").idnum for page in reader.pages}
    assert len(fonts) == 1
    subsets = {font["/BaseFont"] for font in reader.pages[0]["/Resources"]["/Font"].values()}
    assert len(subsets) == 4
    assert data.count(b"/FontFile2") == 4


def test_parts_drawn_independently_are_merged_without_sharing_fonts():
    # Two separate documents each number their subset from zero: sharing by name would mix them up.
    out = io.BytesIO()
    with PdfConcatenation(out) as pdf:
        pdf.append(_part([_kanji(0, 40)]))
        pdf.append(_part([_kanji(500, 40)]))
    data = out.getvalue()
    reader = assert_valid_pdf(data, pages=2)
    assert reader.pages[0].extract_text().strip() == _kanji(0, 40)
    assert reader.pages[1].extract_text().strip() == _kanji(500, 40)
    assert data.count(b"/FontFile2") == 2


def test_a_document_without_pages_is_refused():
    # Readers refuse a page tree with no page (poppler: "Invalid page count 0"): better to fail loudly.
    with pytest.raises(PdfStreamError, match="at least one page"):
        PdfConcatenation(io.BytesIO()).close()


@pytest.mark.parametrize(
    "data",
    [
        b"not a pdf",
        # a cross-reference stream (PDF 1.5) instead of a table
        b"%PDF-1.5\n1 0 obj\n<< /Type /XRef /Size 2 /W [1 2 1] /Length 0 >>\nstream\n\nendstream\nendobj\n"
        b"startxref\n9\n%%EOF\n",
    ],
)
def test_it_refuses_what_it_cannot_read(data):
    with pytest.raises(PdfStreamError):
        PdfConcatenation(io.BytesIO()).append(data)


def test_an_incremental_update_is_refused():
    part = _part(["a"])
    updated = part.replace(b"trailer\n<<", b"trailer\n<<\n/Prev 9", 1)
    with pytest.raises(PdfStreamError, match="incremental"):
        PdfConcatenation(io.BytesIO()).append(updated)


def _two_fonts(document: ChunkedCanvas, order: list[str], text: str) -> None:
    for y, font in enumerate(order):
        document.canvas.setFont(font, 12)
        document.canvas.drawString(20, 700 - 20 * y, text if font == JAPANESE_FONT else "Helvetica")
    document.canvas.showPage()
    document.end_part()


def test_parts_may_use_several_fonts_in_the_same_order():
    out = io.BytesIO()
    document = ChunkedCanvas(out, title="fonts")
    _two_fonts(document, ["Helvetica", JAPANESE_FONT], "鳥取県")
    _two_fonts(document, ["Helvetica", JAPANESE_FONT], _kanji(0, 300))
    document.close()
    reader = assert_valid_pdf(out.getvalue(), pages=2)
    assert reader.pages[0].extract_text().split() == ["Helvetica", "鳥取県"]
    assert reader.pages[1].extract_text().replace("\n", "").replace(" ", "") == "Helvetica" + _kanji(0, 300)


def test_fonts_used_in_another_order_in_a_later_part_are_refused():
    # /F1 would be Helvetica in one part and the Japanese font in the other: merged by name, one part's
    # text would be drawn in the wrong font.
    document = ChunkedCanvas(io.BytesIO(), title="fonts")
    _two_fonts(document, ["Helvetica", JAPANESE_FONT], "鳥取県")
    with pytest.raises(PdfStreamError, match="same order"):
        _two_fonts(document, [JAPANESE_FONT, "Helvetica"], "米子市")

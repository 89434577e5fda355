import io
import os
import shutil
import subprocess

import pytest
from pypdf import PdfReader
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph

from campaign.pdf import JAPANESE_FONT, new_canvas, paragraph_styles, register_japanese_font, simple_document

SLIP_TITLE = "鳥取県プレミアム食事券 換金伝票"
MERCHANT_NAME = "すなば珈琲 鳥取駅前店"


def _slip_pdf(**kwargs) -> bytes:
    """A one-page slip drawn on the canvas: the title near the top left, the rest of the page blank."""
    buffer = io.BytesIO()
    canvas = new_canvas(buffer, title=SLIP_TITLE, **kwargs)
    width, height = canvas._pagesize
    canvas.setFont(JAPANESE_FONT, 20)
    canvas.drawString(20 * mm, height - 30 * mm, SLIP_TITLE)
    canvas.setFont(JAPANESE_FONT, 10.5)
    canvas.drawString(20 * mm, height - 45 * mm, MERCHANT_NAME)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _embedded_font_descriptors(page) -> list:
    fonts = page["/Resources"]["/Font"]
    descriptors = []
    for ref in fonts.values():
        font = ref.get_object()
        if "/FontDescriptor" in font:
            descriptors.append(font["/FontDescriptor"].get_object())
    return descriptors


def test_japanese_text_comes_back_out_of_the_pdf():
    reader = PdfReader(io.BytesIO(_slip_pdf()))

    text = reader.pages[0].extract_text()

    assert SLIP_TITLE in text
    assert MERCHANT_NAME in text


def test_the_font_is_embedded_so_the_pdf_prints_without_installed_fonts():
    reader = PdfReader(io.BytesIO(_slip_pdf()))

    descriptors = _embedded_font_descriptors(reader.pages[0])

    assert descriptors, "the page uses no font with a descriptor"
    assert all("/FontFile2" in descriptor for descriptor in descriptors)
    assert all("IPAexGothic" in descriptor["/FontName"] for descriptor in descriptors)


def test_the_document_carries_its_title_and_author():
    reader = PdfReader(io.BytesIO(_slip_pdf(author="鳥取県食事券事務局")))

    assert reader.metadata.title == SLIP_TITLE
    assert reader.metadata.author == "鳥取県食事券事務局"


def test_the_font_stays_japanese_after_a_page_break():
    buffer = io.BytesIO()
    canvas = new_canvas(buffer, title="二ページ")
    canvas.drawString(20 * mm, 200 * mm, "一ページ目")
    canvas.showPage()
    canvas.drawString(20 * mm, 200 * mm, "二ページ目")  # no setFont on this page
    canvas.showPage()
    canvas.save()

    reader = PdfReader(io.BytesIO(buffer.getvalue()))
    assert "二ページ目" in reader.pages[1].extract_text()


def test_registering_the_font_twice_is_harmless():
    assert register_japanese_font() == register_japanese_font() == JAPANESE_FONT


def test_invariant_documents_are_byte_identical_when_regenerated():
    assert _slip_pdf(invariant=True) == _slip_pdf(invariant=True)


def test_simple_document_wraps_japanese_and_numbers_its_pages():
    styles = paragraph_styles()
    long_sentence = "換金のお支払いは締日から起算して所定の銀行営業日に指定口座へお振込みいたします。" * 8
    buffer = io.BytesIO()

    simple_document(
        buffer,
        title="支払通知書",
        flowables=[
            Paragraph("支払通知書", styles["title"]),
            Paragraph(long_sentence, styles["body"]),
            PageBreak(),
            Paragraph("<b>明細</b>", styles["heading"]),  # <b> maps to the same face instead of failing
        ],
    )

    reader = PdfReader(io.BytesIO(buffer.getvalue()))
    assert len(reader.pages) == 2
    first, second = (page.extract_text() for page in reader.pages)
    assert "支払通知書" in first
    assert "- 1 -" in first
    assert "- 2 -" in second
    assert "明細" in second
    # CJK wrapping breaks the sentence over several lines instead of running it off the page.
    assert first.replace("\n", "").count("お振込みいたします") == 8
    assert len(first.splitlines()) > 3
    assert reader.metadata.title == "支払通知書"


def _read_pgm(data: bytes) -> tuple[int, int, bytes]:
    """Parse a binary greyscale PNM (P5) image: return width, height and one byte per pixel."""
    tokens: list[bytes] = []
    position = 0
    while len(tokens) < 4:
        while data[position : position + 1].isspace():
            position += 1
        if data[position : position + 1] == b"#":
            position = data.index(b"\n", position) + 1
            continue
        start = position
        while not data[position : position + 1].isspace():
            position += 1
        tokens.append(data[start:position])
    magic, width, height, maxval = tokens[0], int(tokens[1]), int(tokens[2]), int(tokens[3])
    assert magic == b"P5" and maxval < 256
    pixels = data[position + 1 :]
    assert len(pixels) == width * height
    return width, height, pixels


def test_the_text_renders_as_ink_on_the_page(tmp_path):
    if shutil.which("pdftoppm") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("pdftoppm is required under CI (install poppler-utils)")
        pytest.skip("pdftoppm not on PATH (install poppler-utils to render the PDF)")
    pdf_path = tmp_path / "slip.pdf"
    pdf_path.write_bytes(_slip_pdf())

    dpi = 50
    page_one_only = ["-f", "1", "-l", "1", "-singlefile"]
    subprocess.run(
        ["pdftoppm", "-gray", "-r", str(dpi), *page_one_only, str(pdf_path), str(tmp_path / "page")],
        check=True,
    )
    width, height, pixels = _read_pgm((tmp_path / "page.pgm").read_bytes())

    def darkest(left_mm: float, top_mm: float, right_mm: float, bottom_mm: float) -> int:
        to_px = dpi / 25.4
        return min(
            pixels[y * width + x]
            for y in range(int(top_mm * to_px), int(bottom_mm * to_px))
            for x in range(int(left_mm * to_px), int(right_mm * to_px))
        )

    # The title's baseline is 30 mm from the top edge, 20 pt high, starting 20 mm from the left.
    assert darkest(20, 22, 120, 32) < 100, "no ink where the title is drawn"
    # The bottom half of the page is blank: the ink above is text, not a grey page.
    assert darkest(0, 150, 210, 297) == 255

import io
import re
from dataclasses import replace
from datetime import date

import pytest
from pypdf import PdfReader

from vouchers.documents import (
    BookRange,
    DeliveryDocument,
    DestructionDocument,
    delivery_slip_pdf,
    destruction_certificate_pdf,
    format_date_ja,
    format_yen,
)

SECRETARIAT = "とっとりプレミアム食事券事務局"
CAMPAIGN = "とっとりプレミアム食事券2026"
THOUSAND = "1,000円券（13枚綴り）"
# "&" must print as itself: outlet names reach the PDF through paragraph markup.
OUTLET = "スーパーA&B 鳥取駅前店"

# 500 books of 13 × 1,000 yen, split so the totals differ from every single row.
FIVE_HUNDRED_BOOKS = [
    BookRange(THOUSAND, first_book=1, last_book=300, face_value_per_book=13_000),
    BookRange(THOUSAND, first_book=301, last_book=500, face_value_per_book=13_000),
]


def _delivery(**changes) -> DeliveryDocument:
    doc = DeliveryDocument(
        campaign_name=CAMPAIGN,
        secretariat_name=SECRETARIAT,
        delivery_number="D-2026-0007",
        outlet_name=OUTLET,
        outlet_address="鳥取県鳥取市東品治町111-1",
        route_label="東部ルート",
        delivery_date=date(2026, 11, 23),
        ranges=FIVE_HUNDRED_BOOKS,
    )
    return replace(doc, **changes)


def _destruction(**changes) -> DestructionDocument:
    doc = DestructionDocument(
        campaign_name=CAMPAIGN,
        secretariat_name=SECRETARIAT,
        certificate_number="X-2027-0001",
        destroyed_on=date(2027, 9, 28),
        method_label="溶解処理",
        place="中央印刷 セキュリティールーム",
        ranges=FIVE_HUNDRED_BOOKS,
        spoiled_sheets=1_250,
        witnesses=["山田 太郎", "佐藤 花子", "田中 一郎"],
        operator_company="山陰製紙原料株式会社",
    )
    return replace(doc, **changes)


def _render(render, doc) -> bytes:
    buffer = io.BytesIO()
    render(buffer, doc)
    return buffer.getvalue()


def _pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines()]


def _has_row(text: str, *cells: str) -> bool:
    """True if the cells come out as consecutive lines, which is how pypdf extracts a table row."""
    lines = _lines(text)
    return any(lines[i : i + len(cells)] == list(cells) for i in range(len(lines)))


def test_book_range_counts_both_ends():
    book_range = BookRange(THOUSAND, first_book=301, last_book=500, face_value_per_book=13_000)

    assert book_range.count == 200
    assert book_range.face_value_total == 2_600_000
    assert book_range.label == "301〜500"


def test_book_range_rejects_a_reversed_range():
    with pytest.raises(ValueError, match="逆"):
        BookRange(THOUSAND, first_book=500, last_book=1, face_value_per_book=13_000)


def test_formatting_helpers():
    assert format_yen(1_300_000) == "1,300,000"
    assert format_yen(0) == "0"
    assert format_date_ja(date(2026, 11, 23)) == "2026年11月23日"
    assert format_date_ja(date(2027, 1, 5)) == "2027年1月5日"


def test_delivery_slip_is_a_receipt_then_a_deposit_slip():
    receipt, deposit = _pages(_render(delivery_slip_pdf, _delivery()))

    assert "受領書" in receipt and "納品預託書" not in receipt
    assert "受領日" in receipt and "受領者署名・印" in receipt
    assert "納品預託書" in deposit
    assert "受託者（販売窓口）印" in deposit and "納品担当者署名" in deposit


def test_both_pages_show_the_delivery_the_ranges_and_the_totals():
    pages = _pages(_render(delivery_slip_pdf, _delivery(note="午前中に納品")))

    for text in pages:
        assert OUTLET in text
        assert "鳥取県鳥取市東品治町111-1" in text
        assert "東部ルート" in text
        assert CAMPAIGN in text
        assert "D-2026-0007" in text
        assert "2026年11月23日" in text
        assert "備考：午前中に納品" in text
        assert _has_row(text, THOUSAND, "1〜300", "300", "3,900,000")
        assert _has_row(text, THOUSAND, "301〜500", "200", "2,600,000")
        assert _has_row(text, "合計", "500", "6,500,000")
        # Restated above the signature boxes, so a signed page says what it was signed for.
        assert "合計500冊・額面合計6,500,000円" in text.replace("\n", "")


def test_the_receipt_is_addressed_to_the_secretariat_and_the_deposit_slip_to_the_outlet():
    receipt, deposit = _pages(_render(delivery_slip_pdf, _delivery()))

    # The ideographic space before 御中 comes back out of the paragraph as an ASCII one.
    assert re.search(rf"{SECRETARIAT}\s御中", receipt)
    assert re.search(rf"{re.escape(OUTLET)}\s御中", deposit)


def test_the_font_is_embedded_on_every_page():
    reader = PdfReader(io.BytesIO(_render(delivery_slip_pdf, _delivery())))

    for page in reader.pages:
        fonts = [ref.get_object() for ref in page["/Resources"]["/Font"].values()]
        descriptors = [font["/FontDescriptor"].get_object() for font in fonts if "/FontDescriptor" in font]
        assert descriptors, "the page uses no font with a descriptor"
        assert all("/FontFile2" in descriptor for descriptor in descriptors)
        assert all("IPAexGothic" in descriptor["/FontName"] for descriptor in descriptors)


def test_regenerating_gives_identical_bytes():
    assert _render(delivery_slip_pdf, _delivery()) == _render(delivery_slip_pdf, _delivery())
    assert _render(destruction_certificate_pdf, _destruction()) == _render(
        destruction_certificate_pdf, _destruction()
    )


def test_a_delivery_without_books_is_refused():
    with pytest.raises(ValueError, match="D-2026-0007"):
        _render(delivery_slip_pdf, _delivery(ranges=[]))


def test_a_long_delivery_flows_over_pages_and_ends_with_the_total():
    ranges = [
        BookRange(THOUSAND, first_book=n * 100 + 1, last_book=n * 100 + 100, face_value_per_book=13_000)
        for n in range(120)
    ]

    pages = _pages(_render(delivery_slip_pdf, _delivery(ranges=ranges)))

    assert len(pages) > 2
    deposit_start = next(i for i, text in enumerate(pages) if "納品預託書" in text)
    assert "受領書" in pages[0]
    assert deposit_start > 1, "the receipt's ranges should need more than one page"
    for document in (pages[:deposit_start], pages[deposit_start:]):
        text = "\n".join(document)
        for book_range in ranges:
            assert book_range.label in _lines(text), f"{book_range.label} is missing"
        lines = _lines(text)
        assert lines.index("合計") > lines.index("11901〜12000"), "the total row must come after the ranges"
        assert _has_row(text, "合計", "12,000", "156,000,000")
        # Every page that carries part of the table repeats its column header.
        for page in document:
            if "〜" in page.replace("冊番号（自〜至）", ""):
                assert "冊番号（自〜至）" in page


def test_the_destruction_certificate_names_what_was_destroyed_and_who_witnessed_it():
    (text,) = _pages(_render(destruction_certificate_pdf, _destruction()))

    assert "廃棄証明書" in text
    assert "X-2027-0001" in text
    assert "2027年9月28日" in text
    assert "溶解処理" in text
    assert "中央印刷 セキュリティールーム" in text
    assert "山陰製紙原料株式会社" in text
    assert _has_row(text, THOUSAND, "1〜300", "300", "3,900,000")
    assert _has_row(text, "合計", "500", "6,500,000")
    assert _has_row(text, "ヤレ紙（印刷・加工時の損紙）", "1,250枚")
    for witness in ("山田 太郎", "佐藤 花子", "田中 一郎"):
        assert _has_row(text, "立会人", witness)
    flat = text.replace("\n", "")
    assert "食事券500冊（額面合計6,500,000円）およびヤレ紙1,250枚" in flat
    assert "立会いのもと溶解処理により" in flat
    assert "証明します" in flat


def test_a_destruction_without_witnesses_is_refused():
    with pytest.raises(ValueError, match="立会人"):
        _render(destruction_certificate_pdf, _destruction(witnesses=[]))

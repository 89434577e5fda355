"""Numbering data for the printer and the proof sheet: every ticket once, in order, scannable and verifiable."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from vouchers.numbering import NUMBERING_HEADER, numbering_rows, proof_pdf, write_numbering_csv
from vouchers.serials import TicketId, Verdict, group_code, make_code, parse_code

KEY = b"jimukyoku-test-key"
CAMPAIGN_NAME = "テスト県プレミアム食事券"
DENOMINATION_NAME = "1,000円券（13枚綴り）"


def lot(**overrides):
    arguments = dict(prefix=12, denomination=1, tickets_per_book=13, first_book=101, last_book=103, key=KEY)
    return numbering_rows(**(arguments | overrides))


# --- Rows -----------------------------------------------------------------------------------------------


def test_every_ticket_of_every_book_gets_one_row_in_order():
    rows = list(lot())

    assert len(rows) == 3 * 13
    assert [(book, ticket) for _, _, book, ticket in rows] == [
        (book, ticket) for book in (101, 102, 103) for ticket in range(1, 14)
    ]
    assert len({payload for _, payload, _, _ in rows}) == 39


def test_each_payload_verifies_as_the_ticket_of_its_row_and_the_printed_code_is_its_grouping():
    for printed, payload, book, ticket in lot():
        parsed = parse_code(payload, {12: KEY}.get)

        assert parsed.verdict is Verdict.VALID
        assert parsed.ticket == TicketId(12, 1, book, ticket)
        assert printed == group_code(payload)
        assert parse_code(printed, {12: KEY}.get).verdict is Verdict.VALID


def test_rows_are_generated_lazily_not_built_as_a_list():
    rows = lot(first_book=1, last_book=9_999_999)  # 130 million tickets: only a generator can return at once

    first = make_code(TicketId(12, 1, 1, 1), KEY)
    assert next(rows) == (group_code(first), first, 1, 1)
    assert next(rows)[2:] == (1, 2)


@pytest.mark.parametrize(
    "overrides",
    [
        {"prefix": 9},
        {"denomination": 0},
        {"first_book": 0},
        {"last_book": 10_000_000},
        {"first_book": 5, "last_book": 4},
        {"tickets_per_book": 0},
        {"tickets_per_book": 100},
        {"key": b""},
    ],
)
def test_an_impossible_lot_is_refused_when_asked_for_not_when_first_read(overrides):
    with pytest.raises(ValueError):
        lot(**overrides)


# --- CSV ------------------------------------------------------------------------------------------------


def test_the_csv_has_the_header_then_one_crlf_line_per_ticket_with_the_printed_code_first():
    out = io.BytesIO()

    written = write_numbering_csv(out, lot())

    lines = out.getvalue().decode("ascii").split("\r\n")
    assert written == 39
    assert lines[0] == "printed_code,barcode_payload,book,ticket" == ",".join(NUMBERING_HEADER)
    first = make_code(TicketId(12, 1, 101, 1), KEY)
    assert lines[1] == f"{group_code(first)},{first},101,1"
    assert lines[39].endswith(",103,13")
    assert lines[40:] == [""]  # the last line ends with CRLF too, and nothing follows
    assert b"\n" not in out.getvalue().replace(b"\r\n", b"")


def test_progress_is_reported_in_percent_and_ends_at_100():
    reported: list[int] = []
    rows = ((f"code{i}", f"payload{i}", i, 1) for i in range(250_000))

    written = write_numbering_csv(io.BytesIO(), rows, progress=reported.append, total=250_000)

    assert written == 250_000
    assert reported == [40, 80, 100]


def test_the_csv_is_written_while_rows_are_still_being_generated():
    """A four-million-line lot must stream: the file fills as rows come, rather than after all are built."""
    out = io.BytesIO()
    size_at_half: list[int] = []

    def rows():
        for i in range(200_000):
            if i == 100_000:
                size_at_half.append(len(out.getbuffer()))
            yield (f"121-{i:07d}-01-1234-56789", f"1210{i:07d}01123456789", i, 1)

    write_numbering_csv(out, rows())

    final_size = len(out.getbuffer())
    assert size_at_half, "the generator was not consumed"
    assert final_size * 0.4 < size_at_half[0] < final_size


# --- Proof ----------------------------------------------------------------------------------------------


def _proof(samples) -> PdfReader:
    out = io.BytesIO()
    proof_pdf(
        out,
        title="印刷校正刷り",
        campaign_name=CAMPAIGN_NAME,
        denomination_name=DENOMINATION_NAME,
        face_value=1000,
        lot_label="ロット L-001（冊番号 0000101〜0000103）",
        samples=samples,
    )
    return PdfReader(io.BytesIO(out.getvalue()))


def test_the_proof_is_one_a4_page_showing_the_campaign_and_each_sample_code():
    samples = list(lot())[:8]

    reader = _proof(samples)

    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
    text = page.extract_text()
    assert CAMPAIGN_NAME in text
    assert DENOMINATION_NAME in text
    for printed, payload, _, _ in samples:
        assert printed in text
        assert payload in text
    assert reader.metadata.title == "印刷校正刷り"


def test_the_proof_embeds_its_font_so_the_printer_sees_what_we_see():
    page = _proof(list(lot())[:2]).pages[0]

    fonts = [ref.get_object() for ref in page["/Resources"]["/Font"].values()]
    descriptors = [font["/FontDescriptor"].get_object() for font in fonts if "/FontDescriptor" in font]

    assert descriptors
    assert all("/FontFile2" in descriptor and "IPAexGothic" in descriptor["/FontName"] for descriptor in descriptors)


def test_the_proof_draws_a_barcode_and_a_qr_code_per_sample():
    one = _proof(list(lot())[:1]).pages[0].get_contents().get_data()
    eight = _proof(list(lot())[:8]).pages[0].get_contents().get_data()

    # Bars and QR modules are filled rectangles ("re" operators); eight cards draw about eight times as many.
    assert one.count(b" re") > 50
    assert eight.count(b" re") > 6 * one.count(b" re")


def test_regenerating_a_proof_gives_the_same_bytes():
    samples = list(lot())[:4]

    def render() -> bytes:
        out = io.BytesIO()
        proof_pdf(
            out, title="校正", campaign_name=CAMPAIGN_NAME, denomination_name=DENOMINATION_NAME,
            face_value=1000, lot_label="L-001", samples=samples,
        )
        return out.getvalue()

    assert render() == render()


@pytest.mark.parametrize("count", [0, 9])
def test_a_proof_shows_one_to_eight_samples(count):
    samples = list(lot())[:count]

    with pytest.raises(ValueError):
        _proof(samples)

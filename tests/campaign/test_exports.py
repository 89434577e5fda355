import codecs
import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from campaign.exports import (
    EXPORT_FORMATS,
    GETA,
    neutralize,
    write_csv,
    write_table,
    write_xlsx,
)

HEADER = ["加盟店名", "換金額", "締日", "受付日時"]
ROWS = [
    ["すなば珈琲 鳥取駅前店", 12000, date(2025, 11, 10), datetime(2025, 11, 10, 0, 30, tzinfo=UTC)],
    ["ｶﾌｪ・ﾄｯﾄﾘ", 500, date(2025, 11, 10), None],
]


def _csv_bytes(header, rows, **kwargs) -> tuple[bytes, int]:
    buffer = io.BytesIO()
    replaced = write_csv(buffer, header, rows, **kwargs)
    return buffer.getvalue(), replaced


def _parse_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+81-3-1234-5678", "'+81-3-1234-5678"),
        ("-1", "'-1"),
        ("@cmd", "'@cmd"),
        ("\tTAB", "'\tTAB"),
        ("\rCR", "'\rCR"),
        ("すなば=珈琲", "すなば=珈琲"),  # only the first character matters
        ("", ""),
        (None, ""),
        (-5, -5),
        (Decimal("-1.5"), Decimal("-1.5")),
        (date(2025, 1, 1), date(2025, 1, 1)),
    ],
)
def test_neutralize(value, expected):
    assert neutralize(value) == expected


def test_utf8_csv_starts_with_a_bom_and_round_trips_japanese():
    data, replaced = _csv_bytes(HEADER, ROWS)

    assert data.startswith(codecs.BOM_UTF8)
    assert data.count(codecs.BOM_UTF8) == 1
    assert replaced == 0
    assert _parse_csv(data.decode("utf-8-sig")) == [
        HEADER,
        # 00:30 UTC is 09:30 in Tokyo.
        ["すなば珈琲 鳥取駅前店", "12000", "2025-11-10", "2025-11-10 09:30:00"],
        ["ｶﾌｪ・ﾄｯﾄﾘ", "500", "2025-11-10", ""],
    ]


def test_every_line_ends_with_crlf():
    data, _ = _csv_bytes(HEADER, ROWS)

    lines = data.split(b"\r\n")
    assert len(lines) == 4 and lines[-1] == b""  # three records, each terminated by CRLF
    assert b"\n" not in data.replace(b"\r\n", b"")


def test_a_newline_inside_a_value_is_quoted_and_kept():
    data, _ = _csv_bytes(["備考"], [["一行目\n二行目"]])

    assert _parse_csv(data.decode("utf-8-sig")) == [["備考"], ["一行目\n二行目"]]


def test_cp932_csv_decodes_as_cp932():
    data, replaced = _csv_bytes(HEADER, ROWS, encoding="cp932")

    assert not data.startswith(codecs.BOM_UTF8)
    assert replaced == 0
    assert _parse_csv(data.decode("cp932"))[1][0] == "すなば珈琲 鳥取駅前店"


@pytest.mark.parametrize("unencodable", ["𠮷", "🍜"])
def test_cp932_replaces_what_it_cannot_encode_with_geta_and_counts_it(unencodable):
    data, replaced = _csv_bytes(["店名"], [[f"{unencodable}野家"], ["松屋"]], encoding="cp932")

    assert replaced == 1
    assert _parse_csv(data.decode("cp932")) == [["店名"], [f"{GETA}野家"], ["松屋"]]


def test_cp932_keeps_characters_that_only_look_unencodable():
    decomposed_ga = "か\u3099"  # "が" as delivered by macOS file names
    rows = [[f"{decomposed_ga}んこ"], ["A\u2014B"], ["10〜12時"]]
    data, replaced = _csv_bytes(["店名"], rows, encoding="cp932")

    assert replaced == 0
    assert _parse_csv(data.decode("cp932"))[1:] == [["がんこ"], ["A―B"], ["10～12時"]]


def test_formulas_are_neutralised_in_csv():
    link = '=HYPERLINK("http://evil.example/")'
    data, _ = _csv_bytes(["店名"], [["=SUM(A1)"], [link]])

    assert _parse_csv(data.decode("utf-8-sig"))[1:] == [["'=SUM(A1)"], ["'" + link]]


def test_an_unknown_csv_encoding_is_refused():
    with pytest.raises(ValueError):
        write_csv(io.BytesIO(), ["a"], [], encoding="latin-1")


def test_xlsx_has_a_bold_frozen_header_and_neutralised_cells(tmp_path):
    path = tmp_path / "merchants.xlsx"

    write_xlsx(str(path), HEADER, [*ROWS, ["=SUM(A1)", -300, None, None]], sheet_title="加盟店一覧")

    workbook = load_workbook(path)
    sheet = workbook["加盟店一覧"]
    assert sheet.freeze_panes == "A2"
    assert [cell.value for cell in sheet[1]] == HEADER
    assert all(cell.font.bold for cell in sheet[1])
    assert not sheet["A2"].font.bold
    assert sheet["A4"].value == "'=SUM(A1)"
    assert sheet["A4"].data_type == "s"  # text, not a formula
    assert sheet["B4"].value == -300
    assert sheet["B2"].value == 12000
    # Excel has no time zones: the aware UTC datetime is stored as Tokyo wall-clock time.
    assert sheet["D2"].value == datetime(2025, 11, 10, 9, 30)
    assert sheet["C2"].value == datetime(2025, 11, 10)  # Excel stores dates as datetimes


def test_xlsx_sheet_title_is_made_acceptable_to_excel(tmp_path):
    path = tmp_path / "report.xlsx"

    long_title = "2025/11 締め [第1回] 鳥取県プレミアム食事券 換金実績一覧"
    write_xlsx(str(path), ["a"], [[1]], sheet_title=long_title)

    (title,) = load_workbook(path).sheetnames
    assert title == "2025_11 締め _第1回_ 鳥取県プレミアム食事券 換金"
    assert len(title) == 31


def test_xlsx_drops_control_characters_instead_of_failing(tmp_path):
    path = tmp_path / "notes.xlsx"

    write_xlsx(str(path), ["備考"], [["ベル\x07付き"]], sheet_title="備考")

    assert load_workbook(path)["備考"]["A2"].value == "ベル付き"


def _numbered_rows(count: int, progress: list[int]):
    for number in range(1, count + 1):
        progress.append(number)
        yield [number, f"加盟店{number:05d}", date(2025, 11, 10)]


def test_csv_streams_a_large_generator_row_by_row():
    buffer = io.BytesIO()
    written_when_half_read = []

    def rows():
        for number, row in enumerate(_numbered_rows(50_000, []), start=1):
            if number == 25_000:
                written_when_half_read.append(buffer.tell())
            yield row

    write_csv(buffer, ["番号", "店名", "締日"], rows())

    lines = buffer.getvalue().decode("utf-8-sig").split("\r\n")
    assert len(lines) == 50_002  # header, 50,000 rows, and the empty string after the last CRLF
    assert lines[50_000] == "50000,加盟店50000,2025-11-10"
    # Half the rows were already in the file before the generator was half consumed.
    assert written_when_half_read[0] > 24_000 * len("1,加盟店00001,2025-11-10".encode())


def test_xlsx_writes_a_large_generator(tmp_path):
    path = tmp_path / "big.xlsx"
    consumed: list[int] = []

    write_xlsx(str(path), ["番号", "店名", "締日"], _numbered_rows(5_000, consumed), sheet_title="大量")

    assert len(consumed) == 5_000
    rows = list(load_workbook(path, read_only=True)["大量"].iter_rows(values_only=True))
    assert len(rows) == 5_001
    assert rows[0] == ("番号", "店名", "締日")
    assert rows[-1] == (5_000, "加盟店05000", datetime(2025, 11, 10))


@pytest.mark.parametrize(
    ("fmt", "reader"),
    [
        ("csv_utf8", lambda data: _parse_csv(data.decode("utf-8-sig"))),
        ("csv_cp932", lambda data: _parse_csv(data.decode("cp932"))),
        (
            "xlsx",
            lambda data: [
                [str(v) for v in row]
                for row in load_workbook(io.BytesIO(data), read_only=True).active.iter_rows(values_only=True)
            ],
        ),
    ],
)
def test_write_table_writes_each_advertised_format(fmt, reader):
    buffer = io.BytesIO()

    replaced = write_table(fmt, buffer, ["店名", "金額"], iter([["すなば珈琲", 1000]]), sheet_title="一覧")

    assert replaced == 0
    assert reader(buffer.getvalue()) == [["店名", "金額"], ["すなば珈琲", "1000"]]


def test_write_table_reports_geta_replacements():
    buffer = io.BytesIO()

    assert write_table("csv_cp932", buffer, ["店名"], [["🍜ラーメン"]], sheet_title="x") == 1


def test_export_formats_name_an_extension_and_mime_type_for_each_format():
    assert set(EXPORT_FORMATS) == {"xlsx", "csv_utf8", "csv_cp932"}
    label, extension, mime_type = EXPORT_FORMATS["xlsx"]
    assert str(label) and extension == ".xlsx"
    assert mime_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    for key in ("csv_utf8", "csv_cp932"):
        assert EXPORT_FORMATS[key].extension == ".csv"
        assert EXPORT_FORMATS[key].mime_type.startswith("text/csv")


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError):
        write_table("ods", io.BytesIO(), ["a"], [], sheet_title="x")

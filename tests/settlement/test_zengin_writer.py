"""The 総合振込 encoder against records checked by hand, field by field, from the Zengin standard layout."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from settlement.zengin import RECORD_BYTES, ZENGIN_CHARS, ZenginFileError, transfer_file

HEADER = {"requester_code": "1234567890", "requester_name": "ジムキョク", "transfer_date": "1130",
          "bank_code": "0167", "bank_name": "サンインゴウドウ", "branch_code": "053", "branch_name": "トットリ",
          "account_type": "1", "account_number": "1234567"}
TRANSFER = {"bank_code": "0001", "bank_name": "ﾐｽﾞﾎ", "branch_code": "541", "branch_name": "とっとり",
            "account_type": "1", "account_number": "12345", "payee_name": "カ）ガンバ", "amount": 12000,
            "customer_code1": "10000001"}

# Half-width kana in CP932 are single bytes: ｼ BC, ﾞ DE, ﾑ D1, ｷ B7, ﾖ D6, ｸ B8, ｻ BB, ﾝ DD, ｲ B2, ｺ BA, ｳ B3,
# ﾄ C4, ﾂ C2, ﾘ D8, ﾐ D0, ｽ BD, ﾎ CE, ｶ B6, ﾊ CA. A voiced kana (ｼﾞ, ｺﾞ, ﾄﾞ, ｽﾞ, ｶﾞ, ﾊﾞ) is two bytes.
EXPECTED_HEADER = (
    b"1"                                        # データ区分: header
    + b"21"                                     # 種別コード: 総合振込
    + b"0"                                      # コード区分: JIS/SJIS
    + b"1234567890"                             # 依頼人コード (10)
    + b"\xbc\xde\xd1\xb7\xd6\xb8" + b" " * 34   # 依頼人名 ｼﾞﾑｷﾖｸ (small ョ enlarged), 40 bytes
    + b"1130"                                   # 振込指定日 MMDD
    + b"0167"                                   # 仕向銀行番号
    + b"\xbb\xdd\xb2\xdd\xba\xde\xb3\xc4\xde\xb3" + b" " * 5  # ｻﾝｲﾝｺﾞｳﾄﾞｳ, 15 bytes
    + b"053"                                    # 仕向支店番号
    + b"\xc4\xc2\xc4\xd8" + b" " * 11           # ﾄﾂﾄﾘ (small ッ enlarged), 15 bytes
    + b"1"                                      # 預金種目
    + b"1234567"                                # 口座番号
    + b" " * 17                                 # ダミー
)
EXPECTED_DATA = (
    b"2"                                        # データ区分: data
    + b"0001"                                   # 被仕向銀行番号
    + b"\xd0\xbd\xde\xce" + b" " * 11           # ﾐｽﾞﾎ
    + b"541"                                    # 被仕向支店番号
    + b"\xc4\xc2\xc4\xd8" + b" " * 11           # ﾄﾂﾄﾘ from hiragana
    + b"0000"                                   # 手形交換所番号: unused, zero
    + b"1"                                      # 預金種目
    + b"0012345"                                # 口座番号, zero-filled
    + b"\xb6)\xb6\xde\xdd\xca\xde" + b" " * 23  # 受取人名 ｶ)ｶﾞﾝﾊﾞ: 5 characters, 7 bytes
    + b"0000012000"                             # 振込金額
    + b"0"                                      # 新規コード
    + b"0010000001"                             # 顧客コード1: given, zero-filled
    + b" " * 10                                 # 顧客コード2: absent, spaces
    + b"7"                                      # 振込指定区分: telegraphic
    + b" "                                      # 識別表示: no EDI
    + b" " * 7                                  # ダミー
)
EXPECTED_TRAILER = b"8" + b"000001" + b"000000012000" + b" " * 101
EXPECTED_END = b"9" + b" " * 119


def test_the_records_match_the_hand_checked_bytes():
    data = transfer_file(HEADER, [TRANSFER])
    assert all(len(r) == RECORD_BYTES for r in (EXPECTED_HEADER, EXPECTED_DATA, EXPECTED_TRAILER, EXPECTED_END))
    assert data == b"\r\n".join([EXPECTED_HEADER, EXPECTED_DATA, EXPECTED_TRAILER, EXPECTED_END]) + b"\r\n"
    assert len(data) == 4 * 122


def test_without_newlines_the_file_is_a_multiple_of_120_bytes():
    data = transfer_file(HEADER, [TRANSFER, dict(TRANSFER, amount=1)], newline="none")
    assert len(data) == 5 * 120
    assert data[3 * 120:4 * 120] == b"8" + b"000002" + b"000000012001" + b" " * 101


def test_edi_information_takes_the_customer_codes_and_is_flagged():
    record = transfer_file(HEADER, [dict(TRANSFER, edi="inv-123")], newline="none")[120:240]
    assert record[91:111] == b"INV-123" + b" " * 13
    assert record[111:112] == b"7" and record[112:113] == b"Y"


@pytest.mark.parametrize(("change", "field"), [
    ({"payee_name": "山田商店"}, "transfers[0].payee_name"),
    ({"payee_name": "ヤマダ＠ショウテン"}, "transfers[0].payee_name"),
    ({"payee_name": "ｶﾞ" * 16}, "transfers[0].payee_name"),  # 32 bytes: ﾞ counts
    ({"account_number": "12345678"}, "transfers[0].account_number"),
    ({"amount": 0}, "transfers[0].amount"),
    ({"bank_code": "01A1"}, "transfers[0].bank_code"),
    ({"account_type": "3"}, "transfers[0].account_type"),
])
def test_it_rejects_what_the_bank_cannot_take_naming_the_field(change, field):
    with pytest.raises(ZenginFileError) as info:
        transfer_file(HEADER, [dict(TRANSFER, **change)])
    assert info.value.field == field


def test_the_trailer_is_checked_against_the_expected_count_and_sum():
    with pytest.raises(ZenginFileError, match="trailer.total"):
        transfer_file(HEADER, [TRANSFER], expected_count=1, expected_total=12001)
    with pytest.raises(ZenginFileError, match="trailer.count"):
        transfer_file(HEADER, [TRANSFER], expected_count=2)


def test_the_command_encodes_json_with_the_same_encoder(tmp_path, capsys):
    source = tmp_path / "in.json"
    out = tmp_path / "out.txt"
    source.write_text(json.dumps({"newline": "CRLF", "header": HEADER, "transfers": [TRANSFER]}), encoding="utf-8")
    call_command("zengin_write", "--json", str(source), "--out", str(out))
    assert out.read_bytes() == transfer_file(HEADER, [TRANSFER])
    source.write_text(json.dumps({"header": HEADER, "transfers": [dict(TRANSFER, payee_name="鈴木")]}),
                      encoding="utf-8")
    with pytest.raises(CommandError, match=r"transfers\[0\]\.payee_name"):
        call_command("zengin_write", "--json", str(source), "--out", str(tmp_path / "bad.txt"))
    assert not (tmp_path / "bad.txt").exists()


# ﾃｽﾄ.ｶﾌﾞｼｷｶﾞｲｼﾔ in JIS X 0201: ﾃ C3, ｽ BD, ﾄ C4, "." 2E, ｶ B6, ﾌ CC, ﾞ DE, ｼ BC, ｷ B7, ｲ B2, ﾔ D4 (14 bytes).
TEST_KK = "ﾃｽﾄ.ｶﾌﾞｼｷｶﾞｲｼﾔ"
TEST_KK_BYTES = b"\xc3\xbd\xc4.\xb6\xcc\xde\xbc\xb7\xb6\xde\xb2\xbc\xd4"


def _data_record(**change) -> bytes:
    return transfer_file(HEADER, [dict(TRANSFER, **change)], newline="none")[RECORD_BYTES:2 * RECORD_BYTES]


@pytest.mark.parametrize("absent", [None, "", "   "])
def test_absent_customer_codes_are_spaces(absent):
    record = _data_record(customer_code1=absent, customer_code2=absent)
    assert record[91:111] == b" " * 20  # bytes 92–111, 1-based
    assert record[38:42] == b"0000" and record[90:91] == b"0"  # other optional numbers keep their zeros


def test_given_customer_codes_are_ten_digits_zero_filled():
    assert _data_record(customer_code1="0", customer_code2=42)[91:111] == b"0000000000" + b"0000000042"
    assert _data_record(customer_code2="7")[91:111] == b"0010000001" + b"0000000007"
    with pytest.raises(ZenginFileError) as info:
        _data_record(customer_code2="A1")
    assert info.value.field == "transfers[0].customer_code2"


@pytest.mark.parametrize("name", [TEST_KK, "ｶ)ﾔﾏﾀﾞｼﾖｳﾃﾝ", "ﾔﾏﾀﾞ(ｶ)ﾄｳｷﾖｳｼﾃﾝ", "ﾔﾏﾀﾞ  ﾀﾛｳ", "ｱ" * 30, "A/B,C ｢1｣\\"])
def test_a_name_already_in_zengin_text_is_written_byte_for_byte(name):
    assert _data_record(payee_name=name)[50:80] == name.encode("cp932").ljust(30, b" ")


def test_a_valid_corporate_name_is_not_abbreviated_by_the_writer():
    # Before issue 16 the writer ran every name through the form's abbreviation and wrote ﾃｽﾄ.(ｶ here.
    assert _data_record(payee_name=TEST_KK)[50:80] == TEST_KK_BYTES + b" " * 16


@pytest.mark.parametrize(("typed", "written"), [
    ("テスト・カブシキガイシャ", TEST_KK),  # converted, but the corporate form stays spelled out
    ("やまだしょうてん　ゆうげんがいしゃ", "ﾔﾏﾀﾞｼﾖｳﾃﾝ ﾕｳｹﾞﾝｶﾞｲｼﾔ"),
    ("ﾔﾏﾀﾞ ｼｮｳﾃﾝ", "ﾔﾏﾀﾞ ｼﾖｳﾃﾝ"),  # half-width but with a small kana: not Zengin text yet
])
def test_a_name_not_yet_in_zengin_text_is_converted_without_abbreviating(typed, written):
    assert _data_record(payee_name=typed)[50:80] == written.encode("cp932").ljust(30, b" ")


@pytest.mark.parametrize(("header_change", "change", "field", "over"), [
    ({}, {"payee_name": "ｱ" * 31}, "transfers[0].payee_name", 1),  # valid Zengin text, one byte too long
    ({}, {"payee_name": "ガ" * 16}, "transfers[0].payee_name", 2),
    ({}, {"bank_name": "ｱ" * 16}, "transfers[0].bank_name", 1),  # bank and branch names are not cut either
    ({}, {"branch_name": "トウキョウエキマエチュウオウグチ"}, "transfers[0].branch_name", 2),  # 17 bytes
    ({"requester_name": "ｱ" * 41}, {}, "header.requester_name", 1),
])
def test_a_name_that_does_not_fit_is_refused_not_cut(header_change, change, field, over):
    with translation.override("en"), pytest.raises(ZenginFileError) as info:
        transfer_file(dict(HEADER, **header_change), [dict(TRANSFER, **change)])
    assert info.value.field == field
    assert f"is {over} character" in info.value.message


def test_a_corporate_form_the_writer_would_have_to_abbreviate_is_refused_with_the_registered_form_suggested():
    with translation.override("en"):
        with pytest.raises(ZenginFileError) as info:
            transfer_file(HEADER, [dict(TRANSFER, payee_name="株式会社ヤマダショウテン")])
        assert info.value.field == "transfers[0].payee_name"
        assert "“株” is a kanji" in info.value.message
        assert "registered as “ｶ)ﾔﾏﾀﾞｼﾖｳﾃﾝ”, enter it that way" in info.value.message

        # Spelled out in kana it converts, but 31 bytes do not fit; abbreviated (23 bytes) it would.
        with pytest.raises(ZenginFileError) as info:
            transfer_file(HEADER, [dict(TRANSFER, payee_name="カブシキガイシャヤマダショウテントウキョウエキマエシテン")])
        assert info.value.field == "transfers[0].payee_name"
        assert "1 character over the 30-character limit" in info.value.message
        assert "“ｶ)ﾔﾏﾀﾞｼﾖｳﾃﾝﾄｳｷﾖｳｴｷﾏｴｼﾃﾝ”" in info.value.message

        with pytest.raises(ZenginFileError) as info:
            transfer_file(HEADER, [dict(TRANSFER, payee_name="山田商店")])
        assert "registered as" not in info.value.message  # no corporate form: nothing to suggest


def test_the_command_leaves_absent_customer_codes_blank_and_keeps_a_valid_name(tmp_path):
    source = tmp_path / "in.json"
    out = tmp_path / "out.txt"
    without_codes = {key: value for key, value in TRANSFER.items() if key != "customer_code1"}
    transfers = [dict(without_codes, payee_name=TEST_KK), dict(without_codes, customer_code1=None, customer_code2=None)]
    source.write_text(json.dumps({"header": HEADER, "transfers": transfers}, ensure_ascii=False), encoding="utf-8")
    call_command("zengin_write", "--json", str(source), "--out", str(out), stdout=io.StringIO())

    records = out.read_bytes().split(b"\r\n")
    assert [record[:1] for record in records] == [b"1", b"2", b"2", b"8", b"9", b""]
    for record in records[1:3]:
        assert len(record) == RECORD_BYTES
        assert record[91:111] == b" " * 20  # 顧客コード1/2: bytes 92–111 (1-based, inclusive)
    assert records[1][50:80] == TEST_KK_BYTES + b" " * 16  # 受取人名, bytes 51–80
    assert records[1][50:80].decode("cp932").rstrip(" ") == TEST_KK


# Every name field of the header (record 0) and of a data record (record 1): (record, field, offset, width).
NAME_FIELDS = [
    (0, "requester_name", 14, 40), (0, "bank_name", 62, 15), (0, "branch_name", 80, 15),
    (1, "bank_name", 5, 15), (1, "branch_name", 23, 15), (1, "payee_name", 50, 30),
]


# Any Zengin character, with more weight on what a converter would change: spaces (stripped, collapsed),
# sound marks on their own, and corporate forms spelled out (abbreviated).
ZENGIN_PIECES = st.one_of(
    st.sampled_from(sorted(ZENGIN_CHARS)),
    st.sampled_from([" ", "  ", "ﾞ", "ﾟ", "ｶﾌﾞｼｷｶﾞｲｼﾔ", "ﾕｳｹﾞﾝｶﾞｲｼﾔ", "ｲﾘﾖｳﾎｳｼﾞﾝ", "(ｶ)", "ｶ)"]),
)


@given(data=st.data())
def test_the_writer_is_idempotent_on_zengin_text(data):
    record, field, offset, width = data.draw(st.sampled_from(NAME_FIELDS))
    name = data.draw(st.lists(ZENGIN_PIECES, min_size=1, max_size=width)
                     .map(lambda pieces: "".join(pieces)[:width]).filter(str.strip))
    assert all(char in ZENGIN_CHARS for char in name)
    header, transfer = dict(HEADER), dict(TRANSFER)
    (header if record == 0 else transfer)[field] = name
    start = record * RECORD_BYTES + offset
    written = transfer_file(header, [transfer], newline="none")[start:start + width]
    assert written == name.encode("cp932").ljust(width, b" ")
    assert written.decode("cp932") == name.ljust(width)

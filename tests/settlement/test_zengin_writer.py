"""The 総合振込 encoder against records checked by hand, field by field, from the Zengin standard layout."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from settlement.zengin import RECORD_BYTES, ZenginFileError, transfer_file

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
    + b"0010000001"                             # 顧客コード1
    + b"0000000000"                             # 顧客コード2
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

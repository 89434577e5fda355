"""The 総合振込 writer against a reference file built by hand from the published Zengin layout (issue 16).

The records below are literal bytes, typed field by field from the standard layout (全銀協制定フォーマット,
種別コード 21) and the JIS X 0201 table, not produced by our encoder: half-width katakana U+FF61–U+FF9F are the
single bytes A1–DF (ｱ B1, ｶ B6, ｼ BC, ﾃ C3, ﾄ C4, ﾔ D4, ﾞ DE …). Absent customer codes are spaces, as in the
reference files of independent implementations, and names that are already Zengin text appear byte for byte.
"""

from __future__ import annotations

import io
import json

from django.core.management import call_command

from settlement.zengin import transfer_file

HEADER_RECORD = (
    b"1"                                                       # データ区分 header (1)
    b"21"                                                      # 種別コード 総合振込 (2)
    b"0"                                                       # コード区分 JIS (1)
    b"0000012345"                                              # 依頼人コード (10)
    b"\xbc\xde\xd1\xb7\xd6\xb8"                                # 依頼人名 ｼﾞﾑｷﾖｸ (40)
    b"                                  "                      #   (spaces)
    b"1130"                                                    # 振込指定日 MMDD (4)
    b"0167"                                                    # 仕向銀行番号 (4)
    b"\xbb\xdd\xb2\xdd\xba\xde\xb3\xc4\xde\xb3     "           # 仕向銀行名 ｻﾝｲﾝｺﾞｳﾄﾞｳ (15)
    b"053"                                                     # 仕向支店番号 (3)
    b"\xc4\xc2\xc4\xd8           "                             # 仕向支店名 ﾄﾂﾄﾘ (15)
    b"1"                                                       # 預金種目 普通 (1)
    b"1234567"                                                 # 口座番号 (7)
    b"                 "                                       # ダミー (17)
)
DATA1_RECORD = (
    b"2"                                                       # データ区分 data (1)
    b"0001"                                                    # 被仕向銀行番号 (4)
    b"\xd0\xbd\xde\xce           "                             # 被仕向銀行名 ﾐｽﾞﾎ (15)
    b"100"                                                     # 被仕向支店番号 (3)
    b"\xc4\xb3\xb7\xd6\xb3\xb4\xb2\xb7\xde\xd6\xb3\xcc\xde  "  # 被仕向支店名 ﾄｳｷﾖｳｴｲｷﾞﾖｳﾌﾞ (15)
    b"0000"                                                    # 手形交換所番号 unused (4)
    b"1"                                                       # 預金種目 普通 (1)
    b"0012345"                                                 # 口座番号 (7)
    b"\xc3\xbd\xc4.\xb6\xcc\xde\xbc\xb7\xb6\xde\xb2\xbc\xd4"   # 受取人名 ﾃｽﾄ.ｶﾌﾞｼｷｶﾞｲｼﾔ (30)
    b"                "                                        #   (spaces)
    b"0000012000"                                              # 振込金額 (10)
    b"0"                                                       # 新規コード (1)
    b"          "                                              # 顧客コード1 absent (10)
    b"          "                                              # 顧客コード2 absent (10)
    b"7"                                                       # 振込指定区分 電信 (1)
    b" "                                                       # 識別表示 no EDI (1)
    b"       "                                                 # ダミー (7)
)
DATA2_RECORD = (
    b"2"                                                       # データ区分 data (1)
    b"0005"                                                    # 被仕向銀行番号 (4)
    b"\xd0\xc2\xcb\xde\xbc\xd5-\xb4\xcc\xbc\xde\xb4\xb2  "     # 被仕向銀行名 ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ (15)
    b"001"                                                     # 被仕向支店番号 (3)
    b"\xce\xdd\xc3\xdd           "                             # 被仕向支店名 ﾎﾝﾃﾝ (15)
    b"0000"                                                    # 手形交換所番号 unused (4)
    b"2"                                                       # 預金種目 当座 (1)
    b"7654321"                                                 # 口座番号 (7)
    b"\xd4\xcf\xc0\xde \xc0\xdb\xb3                      "     # 受取人名 ﾔﾏﾀﾞ ﾀﾛｳ (30)
    b"0000003500"                                              # 振込金額 (10)
    b"0"                                                       # 新規コード (1)
    b"          "                                              # 顧客コード1 absent (10)
    b"          "                                              # 顧客コード2 absent (10)
    b"7"                                                       # 振込指定区分 電信 (1)
    b" "                                                       # 識別表示 no EDI (1)
    b"       "                                                 # ダミー (7)
)
TRAILER_RECORD = (
    b"8"                                                       # データ区分 trailer (1)
    b"000002"                                                  # 合計件数 (6)
    b"000000015500"                                            # 合計金額 (12)
    b"                                                  "      # ダミー (101)
    b"                                                  "      #   (spaces)
    b" "                                                       #   (spaces)
)
END_RECORD = (
    b"9"                                                       # データ区分 end (1)
    b"                                                  "      # ダミー (119)
    b"                                                  "      #   (spaces)
    b"                   "                                     #   (spaces)
)
REFERENCE = b"".join(
    record + b"\r\n" for record in (HEADER_RECORD, DATA1_RECORD, DATA2_RECORD, TRAILER_RECORD, END_RECORD)
)

HEADER = {"requester_code": "12345", "requester_name": "ｼﾞﾑｷﾖｸ", "transfer_date": "1130", "bank_code": "0167",
          "bank_name": "ｻﾝｲﾝｺﾞｳﾄﾞｳ", "branch_code": "053", "branch_name": "ﾄﾂﾄﾘ", "account_type": "1",
          "account_number": "1234567"}
TRANSFERS = [
    {"bank_code": "0001", "bank_name": "ﾐｽﾞﾎ", "branch_code": "100", "branch_name": "ﾄｳｷﾖｳｴｲｷﾞﾖｳﾌﾞ",
     "account_type": "1", "account_number": "12345", "payee_name": "ﾃｽﾄ.ｶﾌﾞｼｷｶﾞｲｼﾔ", "amount": 12000},
    {"bank_code": "0005", "bank_name": "ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ", "branch_code": "001", "branch_name": "ﾎﾝﾃﾝ",
     "account_type": "2", "account_number": "7654321", "payee_name": "ﾔﾏﾀﾞ ﾀﾛｳ", "amount": 3500,
     "customer_code1": None, "customer_code2": ""},
]


def test_the_reference_records_are_120_bytes_each():
    records = (HEADER_RECORD, DATA1_RECORD, DATA2_RECORD, TRAILER_RECORD, END_RECORD)
    assert [len(record) for record in records] == [120] * 5
    assert len(REFERENCE) == 5 * 122


def test_the_writer_produces_the_reference_bytes():
    assert transfer_file(HEADER, TRANSFERS) == REFERENCE


def test_without_newlines_it_is_the_same_records_back_to_back():
    assert transfer_file(HEADER, TRANSFERS, newline="none") == REFERENCE.replace(b"\r\n", b"")


def test_names_typed_in_other_forms_are_converted_to_the_same_bytes_without_abbreviation():
    typed = [
        dict(TRANSFERS[0], bank_name="ミズホ", branch_name="とうきょうえいぎょうぶ", payee_name="テスト・カブシキガイシャ"),
        dict(TRANSFERS[1], bank_name="ミツビシユーエフジェイ", branch_name="ホンテン", payee_name="やまだ　たろう"),
    ]
    header = dict(HEADER, requester_name="ジムキョク", bank_name="サンインゴウドウ", branch_name="トットリ")
    assert transfer_file(header, typed) == REFERENCE


def test_the_command_writes_the_reference_bytes_from_json(tmp_path):
    source = tmp_path / "in.json"
    out = tmp_path / "out.txt"
    source.write_text(json.dumps({"header": HEADER, "transfers": TRANSFERS}, ensure_ascii=False), encoding="utf-8")
    stdout = io.StringIO()
    call_command("zengin_write", "--json", str(source), "--out", str(out), stdout=stdout)
    assert out.read_bytes() == REFERENCE
    assert "2 transfers" in stdout.getvalue()

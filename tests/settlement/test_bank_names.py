"""Full bank and branch names on documents: the Zengin data's short names get their suffix, once."""

from __future__ import annotations

import pytest

from settlement.bank_names import bank_full_name, branch_full_name


@pytest.mark.parametrize(("name", "code", "kana", "full"), [
    ("鳥取", "0166", "トツトリ", "鳥取銀行"),
    ("みずほ", "0001", "ミズホ", "みずほ銀行"),
    ("三井住友信託", "0294", "", "三井住友信託銀行"),
    ("ゆうちょ", "9900", "ユウチヨ", "ゆうちょ銀行"),
    ("鳥取信金", "1702", "", "鳥取信用金庫"),
    ("鳥取県信組", "2661", "", "鳥取県信用組合"),
    ("中国労金", "2963", "", "中国労働金庫"),
    ("鳥取いなば農協", "7301", "", "鳥取いなば農業協同組合"),
    ("鳥取県信連", "3031", "", "鳥取県信用農業協同組合連合会"),
    ("九州信漁連", "9450", "", "九州信用漁業協同組合連合会"),
    ("商工中金", "2004", "", "商工組合中央金庫"),
    ("秋田たかのす", "3771", "アキタタカノスノウキヨウ", "秋田たかのす農業協同組合"),
    ("信金中央金庫", "1000", "", "信金中央金庫"),
    ("シティバンク、エヌ・エイ", "0401", "", "シティバンク、エヌ・エイ"),
    ("ワイズ・ペイメンツ・ジャパン", "0200", "", "ワイズ・ペイメンツ・ジャパン"),
])
def test_a_short_bank_name_gets_its_suffix(name, code, kana, full):
    assert bank_full_name(name, code=code, kana=kana) == full


@pytest.mark.parametrize("full", ["鳥取銀行", "鳥取信用金庫", "鳥取いなば農業協同組合", "農林中央金庫"])
def test_a_full_bank_name_stays_as_it_is(full):
    assert bank_full_name(full, code="0166") == full


@pytest.mark.parametrize(("name", "full"), [
    ("鳥取", "鳥取支店"),
    ("赤碕出張所", "赤碕出張所"),
    ("本店営業部", "本店営業部"),
    ("本店", "本店"),
    ("鳥取支店", "鳥取支店"),
    ("倉吉支所", "倉吉支所"),
    ("本所", "本所"),
    ("伊吹代理店", "伊吹代理店"),
    ("流通センター", "流通センター"),
    ("谷田部", "谷田部支店"),  # 部 alone is a place name's last character, not 営業部
    ("芽室", "芽室支店"),
])
def test_a_branch_gets_支店_only_when_its_name_lacks_an_office_word(name, full):
    assert branch_full_name(name, bank_code="0166") == full


def test_a_japan_post_bank_branch_reads_店():
    assert branch_full_name("〇一八", bank_code="9900") == "〇一八店"
    assert bank_full_name("") == "" and branch_full_name("") == ""

"""Names in the Zengin character set: what people type becomes what the bank has registered, or a clear error."""

from __future__ import annotations

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from settlement.zengin import ZENGIN_CHARS, ZenginNameError, is_zengin_text, zengin_kana


@pytest.fixture(autouse=True)
def _english():
    # The assertions read the English msgids; the Japanese catalogue may translate them.
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("typed", "registered"),
    [
        ("ﾔﾏﾀﾞ ﾀﾛｳ", "ﾔﾏﾀﾞ ﾀﾛｳ"),  # already Zengin: unchanged
        ("ヤマダ タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ"),  # full-width katakana
        ("やまだ たろう", "ﾔﾏﾀﾞ ﾀﾛｳ"),  # hiragana
        ("ｧｨｩｪｫ", "ｱｲｳｴｵ"),  # half-width small kana enlarged
        ("キッチン", "ｷﾂﾁﾝ"),  # small ッ
        ("キャンプ", "ｷﾔﾝﾌﾟ"),  # small ャ
        ("シュウ", "ｼﾕｳ"),  # small ュ
        ("ショウ", "ｼﾖｳ"),  # small ョ
        ("ヵヶ", "ｶｹ"),
        ("ラーメン", "ﾗ-ﾒﾝ"),  # long vowel → hyphen
        ("ﾗｰﾒﾝ", "ﾗ-ﾒﾝ"),  # half-width long vowel too
        ("カフェ・ド・パリ", "ｶﾌｴ.ﾄﾞ.ﾊﾟﾘ"),  # middle dot → period
        ("ガッコウ", "ｶﾞﾂｺｳ"),  # dakuten become their own character
        ("パン", "ﾊﾟﾝ"),  # handakuten too
        ("ヴィーガン", "ｳﾞｲ-ｶﾞﾝ"),
        ("ＡＢＣ　１２３", "ABC 123"),  # full-width letters, digits and space
        ("abc shokudo", "ABC SHOKUDO"),  # lower case → upper case
        ("ヤマダ\u3000\u3000 タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ"),  # runs of spaces collapsed
        ("  ヤマダ  ", "ﾔﾏﾀﾞ"),  # ends trimmed
        ("ヰヱヲ", "ｲｴｦ"),
        ("（ヤマダ）", "(ﾔﾏﾀﾞ)"),  # full-width parentheses
        ("株式会社ヤマダショウテン", "ｶ)ﾔﾏﾀﾞｼﾖｳﾃﾝ"),  # 前株
        ("ヤマダショウテン株式会社", "ﾔﾏﾀﾞｼﾖｳﾃﾝ(ｶ"),  # 後株
        ("ヤマダ株式会社トウキョウシテン", "ﾔﾏﾀﾞ(ｶ)ﾄｳｷﾖｳｼﾃﾝ"),  # in the middle: a branch name
        ("株式会社 ヤマダ", "ｶ)ﾔﾏﾀﾞ"),  # the space next to the form goes
        ("カブシキガイシャ ヤマダ", "ｶ)ﾔﾏﾀﾞ"),  # the form spelled in kana
        ("やまだかぶしきかいしゃ", "ﾔﾏﾀﾞ(ｶ"),  # …or in hiragana, read カイシャ
        ("㈱ヤマダ", "ｶ)ﾔﾏﾀﾞ"),
        ("（株）ヤマダ", "ｶ)ﾔﾏﾀﾞ"),
        ("有限会社サトウ", "ﾕ)ｻﾄｳ"),
        ("合同会社ミライ", "ﾄﾞ)ﾐﾗｲ"),
        ("医療法人ケンコウカイ", "ｲ)ｹﾝｺｳｶｲ"),
        ("医療法人社団ケンコウカイ", "ｲ)ｹﾝｺｳｶｲ"),  # the longest form wins
        ("一般社団法人ショクノワ", "ｼﾔ)ｼﾖｸﾉﾜ"),
        ("特定非営利活動法人アオゾラ", "ﾄｸﾋ)ｱｵｿﾞﾗ"),
        ("社会福祉法人ヒカリ", "ﾌｸ)ﾋｶﾘ"),
        ("ﾔﾏﾀﾞｼﾖｳﾃﾝ(ｶ", "ﾔﾏﾀﾞｼﾖｳﾃﾝ(ｶ"),  # an already abbreviated name is left alone
        ("Ｎｏ．１ ﾗｰﾒﾝ", "NO.1 ﾗ-ﾒﾝ"),
    ],
)
def test_it_writes_names_as_banks_register_them(typed, registered):
    assert zengin_kana(typed) == registered
    assert is_zengin_text(registered)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("山田", "“山” is a kanji"),
        ("ヤマダ商店", "“商” is a kanji"),
        ("ヤマダ😀", "“😀” cannot be used"),
        ("ヤマダ&サトウ", "“&” cannot be used"),
        ("", "Enter the name in katakana"),
        ("\u3000 ", "Enter the name in katakana"),
    ],
)
def test_it_names_what_it_cannot_convert(typed, message):
    with pytest.raises(ZenginNameError) as raised:
        zengin_kana(typed)
    assert message in str(raised.value)


def test_it_refuses_a_name_one_character_too_long_instead_of_cutting_it():
    with pytest.raises(ZenginNameError) as raised:
        zengin_kana("ｱ" * 31)
    assert raised.value.over == 1
    assert "1 character over the 30-character limit" in str(raised.value)


def test_sound_marks_count_as_characters():
    assert zengin_kana("ア" * 30) == "ｱ" * 30
    with pytest.raises(ZenginNameError) as raised:
        zengin_kana("ガ" * 16)  # ｶﾞ × 16 = 32 bytes
    assert "2 characters over" in str(raised.value)


def test_the_limit_can_be_wider_for_the_remitter_name():
    assert zengin_kana("ｱ" * 40, max_bytes=40) == "ｱ" * 40


def test_every_zengin_character_is_one_byte_in_cp932():
    assert all(len(char.encode("cp932")) == 1 for char in ZENGIN_CHARS)
    assert not {"ｧ", "ｯ", "ｬ", "ｰ", "a", "&"} & ZENGIN_CHARS


@given(st.text(alphabet="あいうえおがぱっゃアイガパッャーｶﾞｧ ABCabc012・（）-株式会社山", max_size=20))
def test_the_result_is_zengin_text_and_stays_as_it_is(text):
    try:
        name = zengin_kana(text)
    except ZenginNameError:
        return
    assert is_zengin_text(name)
    assert zengin_kana(name) == name


@pytest.mark.parametrize(
    ("typed", "written", "form"),
    [
        # spelled out in kana: stays spelled out; the bank-account form (the default) still abbreviates
        ("テスト・カブシキガイシャ", "ﾃｽﾄ.ｶﾌﾞｼｷｶﾞｲｼﾔ", "ﾃｽﾄ.(ｶ"),
        ("ﾃｽﾄ.ｶﾌﾞｼｷｶﾞｲｼﾔ", "ﾃｽﾄ.ｶﾌﾞｼｷｶﾞｲｼﾔ", "ﾃｽﾄ.(ｶ"),
        ("ゆうげんがいしゃ さとう", "ﾕｳｹﾞﾝｶﾞｲｼﾔ ｻﾄｳ", "ﾕ)ｻﾄｳ"),
        ("ｶ)ﾔﾏﾀﾞ", "ｶ)ﾔﾏﾀﾞ", "ｶ)ﾔﾏﾀﾞ"),  # already abbreviated by the person who typed it
    ],
)
def test_without_abbreviation_corporate_forms_stay_as_written(typed, written, form):
    assert zengin_kana(typed, abbreviate=False) == written
    assert zengin_kana(typed) == form


def test_without_abbreviation_a_corporate_form_in_kanji_is_refused_like_any_kanji():
    with pytest.raises(ZenginNameError) as raised:
        zengin_kana("株式会社ヤマダ", abbreviate=False)
    assert "“株” is a kanji" in str(raised.value)
    with pytest.raises(ZenginNameError, match="“株” is a kanji"):
        zengin_kana("㈱ヤマダ", abbreviate=False)


@given(st.text(alphabet="あいうえおがぱっゃアイガパッャーｶﾞｧ ABCabc012・（）-カブシキガイシャ", max_size=20))
def test_without_abbreviation_the_result_is_zengin_text_and_stays_as_it_is(text):
    try:
        name = zengin_kana(text, abbreviate=False)
    except ZenginNameError:
        return
    assert is_zengin_text(name)
    assert zengin_kana(name, abbreviate=False) == name

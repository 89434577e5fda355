import pytest

from campaign.japanese import fold_kana, is_hiragana, is_katakana, normalize, search_key, to_halfwidth_kana


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("ＡＢＣ１２３", "ABC123"),  # full-width letters and digits become ASCII
        ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ タロウ"),  # half-width katakana becomes full-width, voiced marks composed
        ("ﾊﾟﾝ", "パン"),
        ("山田\u3000太郎", "山田 太郎"),  # ideographic space
        ("  鳥取県 \t\n  米子市  ", "鳥取県 米子市"),  # runs collapse, ends stripped
        ("か\u309bは\u309c", "がぱ"),  # spacing dakuten typed separately still composes
        ("㈱すなば珈琲", "(株)すなば珈琲"),
    ],
)
def test_normalize_makes_one_form_of_each_input(typed, stored):
    assert normalize(typed) == stored


def test_fold_kana_turns_hiragana_into_katakana_and_leaves_the_rest():
    assert fold_kana("とっとり ちゅうおう ABC 鳥取") == "トットリ チュウオウ ABC 鳥取"
    assert fold_kana("ゔぁいおりん") == "ヴァイオリン"


@pytest.mark.parametrize(
    "spelling",
    ["ラーメン", "らーめん", "ﾗｰﾒﾝ", "ラ-メン", "ラ‐メン", "ラ−メン", "ラ―メン", "ラ－メン", "ら ー め ん"],
)
def test_search_key_matches_every_spelling_of_a_word(spelling):
    assert search_key(spelling) == "ラーメン"


def test_search_key_ignores_width_case_kana_and_spaces():
    assert search_key("Ｃａｆé すなば") == search_key("café スナバ") == "caféスナバ"
    assert search_key("山田　太郎") == search_key("山田太郎")


def test_search_key_keeps_dashes_that_are_not_long_vowels():
    assert search_key("A-1") == "a-1"
    assert search_key("米子市角盤町1-2-3") == "米子市角盤町1-2-3"
    assert search_key("カフェ - 2号店") == "カフェ-2号店"  # a separator between words, not ー


def test_to_halfwidth_kana_gives_the_bank_form_of_a_name():
    assert to_halfwidth_kana("ヤマダ　タロウ") == "ﾔﾏﾀﾞ ﾀﾛｳ"
    assert to_halfwidth_kana("やまだ たろう") == "ﾔﾏﾀﾞ ﾀﾛｳ"
    assert to_halfwidth_kana("カ）ＴＯＴＴＯＲＩ１２３") == "ｶ)TOTTORI123"
    assert to_halfwidth_kana("ﾔﾏﾀﾞ") == "ﾔﾏﾀﾞ"  # already half-width stays as it is


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ヤマダ タロウ", True),
        ("スーパー　マルゴ", True),
        ("ヴィクトリア", True),
        ("やまだ", False),
        ("ﾔﾏﾀﾞ", False),  # half-width: normalize() first
        ("ヤマダ太郎", False),
        ("YAMADA", False),
        ("", False),
        ("　", False),
    ],
)
def test_is_katakana(text, expected):
    assert is_katakana(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("やまだ たろう", True),
        ("らーめん", True),
        ("やまだ\u3000はなこ", True),
        ("ヤマダ", False),
        ("やまだ太郎", False),
        ("", False),
    ],
)
def test_is_hiragana(text, expected):
    assert is_hiragana(text) is expected

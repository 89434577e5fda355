"""Japanese text normalisation for search and for bank data.

The same name reaches us typed in many ways: full-width or half-width letters and digits (ＡＢＣ / ABC),
half-width katakana from old systems (ﾀﾅｶ), hiragana or katakana (たなか / タナカ), ideographic spaces,
and whichever dash the writer's keyboard produced for the long-vowel mark (ラーメン / ラ-メン / ラ−メン).
Name search, FAQ search and the store directory compare ``search_key()`` values so all of these match;
the Zengin transfer-file encoder uses ``to_halfwidth_kana()`` for account holder names.
"""

from __future__ import annotations

import re
import unicodedata

import jaconv

# Spacing voiced/semi-voiced sound marks (゛゜) have a compatibility decomposition to a space plus the
# combining mark, so NFKC would turn "か゛" into "か ゙". Swapping in the combining marks first lets NFKC
# compose them with the preceding kana into "が".
_SPACING_SOUND_MARKS = str.maketrans({"\u309b": "\u3099", "\u309c": "\u309a"})

# Python's \s is Unicode-aware in str patterns, so this also matches U+3000 IDEOGRAPHIC SPACE.
_WHITESPACE = re.compile(r"\s+")

_KATAKANA_LETTERS = "\u30a1-\u30fa"  # ァ..ヺ
_LONG_VOWEL_MARK = "\u30fc"  # ー
_KANA_ITERATION_MARKS = "\u30fd\u30fe"  # ヽヾ
_HIRAGANA_LETTERS = "\u3041-\u3096"  # ぁ..ゖ
_HIRAGANA_ITERATION_MARKS = "\u309d\u309e"  # ゝゞ

# Characters people type in place of the long-vowel mark. After NFKC, half-width ｰ is already ー and
# full-width － is already "-", but they are listed anyway so the set reads as the whole story.
_DASHES = (
    "\u002d"  # - hyphen-minus
    "\u2010"  # ‐ hyphen
    "\u2011"  # ‑ non-breaking hyphen
    "\u2012"  # ‒ figure dash
    "\u2013"  # – en dash
    "\u2014"  # — em dash
    "\u2015"  # ― horizontal bar
    "\u2212"  # − minus sign
    "\u2500"  # ─ box drawing horizontal (IME conversions produce it)
    "\u30fc"  # ー katakana-hiragana prolonged sound mark
    "\uff0d"  # － full-width hyphen-minus
    "\uff70"  # ｰ half-width prolonged sound mark
)
# A dash only stands for the long vowel when it sits between kana: "ラ-メン" is ラーメン, but "A-1",
# "1-2-3" (a street address) and "カ - キ" (a separator between words) keep their dash.
_KANA_FOR_DASH = f"[{_KATAKANA_LETTERS}{_LONG_VOWEL_MARK}{_HIRAGANA_LETTERS}]"
_DASH_BETWEEN_KANA = re.compile(f"(?<={_KANA_FOR_DASH})[{re.escape(_DASHES)}]+(?={_KANA_FOR_DASH})")

_KATAKANA_FIELD = re.compile(f"[{_KATAKANA_LETTERS}{_LONG_VOWEL_MARK}{_KANA_ITERATION_MARKS} \u3000]+")
_HIRAGANA_FIELD = re.compile(f"[{_HIRAGANA_LETTERS}{_HIRAGANA_ITERATION_MARKS}{_LONG_VOWEL_MARK} \u3000]+")


def normalize(text: str) -> str:
    """Return ``text`` in the one form we store and compare.

    NFKC makes full-width ASCII half-width and half-width katakana full-width (ｶﾞ → ガ), so a value looks
    the same whichever input method produced it. Runs of whitespace, including the ideographic space,
    become one ASCII space, and the ends are stripped.
    """
    text = unicodedata.normalize("NFKC", text.translate(_SPACING_SOUND_MARKS))
    return _WHITESPACE.sub(" ", text).strip()


def fold_kana(text: str) -> str:
    """Turn hiragana into katakana, so that a reading typed in either script compares equal."""
    return jaconv.hira2kata(text)


def search_key(text: str) -> str:
    """Return the key for kana-, width- and case-insensitive matching.

    Two strings a clerk would call "the same word" get the same key: ｶﾌｪ, かふぇ and カフェ; ＡＢＣ and abc;
    らーめん, ラ-メン and ﾗｰﾒﾝ. Spaces are removed because people split names inconsistently
    ("山田 太郎" / "山田太郎"). The key is for comparison only; never show it.
    """
    text = fold_kana(normalize(text)).casefold()
    # Keep the number of marks: "ラーーメン" is a (playful) different spelling, not a typing variant.
    text = _DASH_BETWEEN_KANA.sub(lambda match: _LONG_VOWEL_MARK * len(match.group()), text)
    return text.replace(" ", "")


def to_halfwidth_kana(text: str) -> str:
    """Return ``text`` with kana, letters, digits and spaces in half-width form.

    Bank account holder names (口座名義) are registered and transferred in half-width katakana, so a name
    entered as "ヤマダ　タロウ" or "やまだ たろう" must become "ﾔﾏﾀﾞ ﾀﾛｳ" before it is compared or written
    to a Zengin file. Characters with no half-width form (kanji) are left as they are; the Zengin encoder
    decides what to do with them.
    """
    return jaconv.z2h(fold_kana(text), kana=True, ascii=True, digit=True)


def is_katakana(text: str) -> bool:
    """Tell whether ``text`` is made only of full-width katakana, ー and spaces (a furigana field).

    Empty or blank text is not katakana; whether a field may be empty is the form's decision. Half-width
    input is not accepted as such: pass the value through ``normalize()`` first.
    """
    return bool(text.strip(" \u3000")) and _KATAKANA_FIELD.fullmatch(text) is not None


def is_hiragana(text: str) -> bool:
    """Tell whether ``text`` is made only of hiragana, ー and spaces (a reading field written in hiragana)."""
    return bool(text.strip(" \u3000")) and _HIRAGANA_FIELD.fullmatch(text) is not None

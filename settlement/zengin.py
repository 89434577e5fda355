"""The Zengin (全銀) formats: names in the Zengin character set, later the 総合振込 transfer file.

Everything a bank receives from us in a Zengin file is single-byte JIS X 0201 text (written as CP932). Names —
account holders (口座名義), our own company name as the remitter — must be in a small character set and fit
fixed-width fields, so a merchant's "株式会社ヤマダショウテン" is sent as "ｶ)ﾔﾏﾀﾞｼﾖｳﾃﾝ". The bank compares that
string with the name it has on file; a wrong or cut-off name makes the transfer fail or bounce days later,
which is why ``zengin_kana()`` refuses what it cannot convert instead of guessing or truncating.
"""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaign.japanese import fold_kana, normalize, to_halfwidth_kana

# =============================================================================================================
# Names
# =============================================================================================================

# The characters the Zengin standard allows in name fields (受取人名, 依頼人名), all single bytes in JIS X 0201:
#
#   half-width katakana  ｦ and ｱ–ﾝ (U+FF66, U+FF71–U+FF9D); the small kana ｧｨｩｪｫｬｭｮｯ (U+FF67–U+FF6F) are
#                        not allowed — banks register them enlarged (ｷﾖｳ, not ｷｮｳ) — nor is the long-vowel
#                        mark ｰ (U+FF70), which is written as a hyphen
#   sound marks          ﾞ ﾟ (U+FF9E, U+FF9F) as characters of their own: ｶﾞ is two characters, two bytes
#   letters and digits   A–Z (upper case only), 0–9
#   symbols              space ( ) - . , / and ｢ ｣ (U+FF62, U+FF63); "\" is byte 0x5C, which JIS X 0201 and
#                        bank systems show as the yen sign ¥
ZENGIN_KANA = "\uff66" + "".join(chr(code) for code in range(0xFF71, 0xFFA0))
ZENGIN_CHARS = frozenset(
    ZENGIN_KANA + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + "0123456789" + " ()-.,/\\" + "\uff62\uff63"
)

# Zengin name fields are 30 bytes for an account holder (and 40 for the remitter in the header record).
HOLDER_NAME_BYTES = 30

# Applied after NFKC (so half-width kana are already full-width, ＡＢＣ is ABC, （）is ()) and after hiragana
# became katakana.
_TO_ZENGIN = str.maketrans(
    {
        # Small kana are enlarged: banks register キョウ as ｷﾖｳ.
        "ァ": "ア", "ィ": "イ", "ゥ": "ウ", "ェ": "エ", "ォ": "オ",
        "ッ": "ツ", "ャ": "ヤ", "ュ": "ユ", "ョ": "ヨ", "ヮ": "ワ", "ヵ": "カ", "ヶ": "ケ",
        # Obsolete kana have no half-width form; ヲ keeps its own (ｦ).
        "ヰ": "イ", "ヱ": "エ",
        "ヷ": "ﾜﾞ", "ヸ": "ｲﾞ", "ヹ": "ｴﾞ", "ヺ": "ｦﾞ",
        # Sound marks that NFKC could not join to the kana before them.
        "\u3099": "ﾞ", "\u309a": "ﾟ",
        # The long-vowel mark and every dash people type for it.
        "ー": "-", "－": "-", "ｰ": "-", "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-",
        "−": "-", "─": "-",
        # Japanese punctuation to its Zengin stand-in.
        "・": ".", "。": ".", "、": ",", "「": "｢", "」": "｣", "¥": "\\",
        **{chr(code): chr(code - 32) for code in range(ord("a"), ord("z") + 1)},
    }
)

# Corporate forms (法人略語) are abbreviated the way banks register them: at the front of the name the
# abbreviation is followed by ")" (前株: ｶ)ﾔﾏﾀﾞｼﾖｳﾃﾝ), at the end it is preceded by "(" (後株: ﾔﾏﾀﾞｼﾖｳﾃﾝ(ｶ), and
# in the middle — a branch or office name after the company — it is enclosed: ﾔﾏﾀﾞ(ｶ)ﾄｳｷﾖｳｼﾃﾝ.
# Abbreviations are written as full-width katakana (converted with the rest of the name); spellings are
# written after enlarging small kana (シャ → シヤ), the form the name is in when they are matched.
_CORPORATE_FORMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("カ", ("株式会社", "カブシキガイシヤ", "カブシキカイシヤ", "(株)")),
    ("ユ", ("有限会社", "ユウゲンガイシヤ", "ユウゲンカイシヤ", "(有)")),
    ("ド", ("合同会社", "ゴウドウガイシヤ", "ゴウドウカイシヤ", "(同)")),
    ("メ", ("合名会社", "ゴウメイガイシヤ", "ゴウメイカイシヤ", "(名)")),
    ("シ", ("合資会社", "ゴウシガイシヤ", "ゴウシカイシヤ", "(資)")),
    ("イ", ("医療法人社団", "医療法人財団", "社会医療法人", "医療法人", "イリヨウホウジン", "(医)")),
    ("シヤ", ("一般社団法人", "公益社団法人", "社団法人", "イツパンシヤダンホウジン", "(一社)", "(社)")),
    ("ザイ", ("一般財団法人", "公益財団法人", "財団法人", "イツパンザイダンホウジン", "(一財)", "(財)")),
    ("トクヒ", ("特定非営利活動法人", "トクテイヒエイリカツドウホウジン", "NPO法人", "(特非)")),
    ("フク", ("社会福祉法人", "シヤカイフクシホウジン", "(福)")),
    ("ガク", ("学校法人", "ガツコウホウジン", "(学)")),
    ("シユウ", ("宗教法人", "シユウキヨウホウジン", "(宗)")),
)
_ABBREVIATION = {spelling: abbreviation for abbreviation, spellings in _CORPORATE_FORMS for spelling in spellings}
# Longest first, so that 医療法人社団 wins over 医療法人 and 一般社団法人 over 社団法人.
_CORPORATE_FORM = re.compile(
    " ?(" + "|".join(re.escape(s) for s in sorted(_ABBREVIATION, key=len, reverse=True)) + ") ?"
)
_SPACES = re.compile(" {2,}")


class ZenginNameError(ValueError):
    """A name that cannot be written in the Zengin character set, or does not fit its field.

    The message is for the clerk or merchant at the screen; ``char`` is the offending character and
    ``over`` the number of characters too many, when that is the reason.
    """

    def __init__(self, message: str, *, char: str | None = None, over: int | None = None) -> None:
        super().__init__(message)
        self.char = char
        self.over = over


def is_zengin_text(text: str) -> bool:
    """Tell whether every character of ``text`` is in the Zengin character set (empty text passes)."""
    return all(char in ZENGIN_CHARS for char in text)


def zengin_kana(text: str, *, max_bytes: int = HOLDER_NAME_BYTES) -> str:
    """Return an account holder or company name as banks register it, e.g. "ｶ)ﾔﾏﾀﾞｼﾖｳﾃﾝ".

    Accepts the name as people type it: katakana or hiragana, full- or half-width, lower-case letters,
    ・ and ー, and corporate forms written out (株式会社, カブシキガイシャ, ㈱). Raises ZenginNameError for kanji
    (we do not know their reading), for any other character outside ``ZENGIN_CHARS`` and for a name longer
    than ``max_bytes`` — it is never truncated, because a cut-off name may not match the bank's record.
    Applying it to its own result changes nothing.
    """
    name = fold_kana(normalize(text)).translate(_TO_ZENGIN)
    if not name:
        raise ZenginNameError(_("Enter the name in katakana, as the bank has it registered."))
    length = len(name)
    name = _CORPORATE_FORM.sub(lambda match: _abbreviate(match, length), name)
    name = _SPACES.sub(" ", to_halfwidth_kana(name)).strip(" ")

    for char in name:
        if char not in ZENGIN_CHARS:
            raise ZenginNameError(_unusable_message(char), char=char)

    over = len(name.encode("cp932")) - max_bytes
    if over > 0:
        raise ZenginNameError(
            ngettext(
                "The name is %(over)d character over the %(max)d-character limit for bank transfers "
                "(ﾞ and ﾟ count as characters). Shorten it the way the bank has it registered.",
                "The name is %(over)d characters over the %(max)d-character limit for bank transfers "
                "(ﾞ and ﾟ count as characters). Shorten it the way the bank has it registered.",
                over,
            ) % {"over": over, "max": max_bytes},
            over=over,
        )
    return name


def _abbreviate(match: re.Match[str], length: int) -> str:
    abbreviation = _ABBREVIATION[match.group(1)]
    if match.start() == 0:
        return f"{abbreviation})"
    if match.end() == length:
        return f"({abbreviation}"
    return f"({abbreviation})"


def _is_kanji(char: str) -> bool:
    return char == "々" or unicodedata.name(char, "").startswith(("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEO"))


def _unusable_message(char: str) -> str:
    if _is_kanji(char):
        return _(
            "“%(char)s” is a kanji, which bank transfers cannot carry. "
            "Enter the name in katakana, as the bank has it registered."
        ) % {"char": char}
    return _(
        "“%(char)s” cannot be used in a name for bank transfers. "
        "Use katakana, letters, digits, spaces and ( ) - . , / only."
    ) % {"char": char}

"""The Zengin (全銀) formats: names in the Zengin character set, later the 総合振込 transfer file.

Everything a bank receives from us in a Zengin file is single-byte JIS X 0201 text (written as CP932). Names —
account holders (口座名義), our own company name as the remitter — must be in a small character set and fit
fixed-width fields, so a merchant's "株式会社ヤマダショウテン" is registered as "ｶ)ﾔﾏﾀﾞｼﾖｳﾃﾝ". The bank compares that
string with the name it has on file; a wrong or cut-off name makes the transfer fail or bounce days later,
which is why ``zengin_kana()`` refuses what it cannot convert instead of guessing or truncating.

Abbreviating corporate forms is a guess at how the bank registered the name, so it happens only where a person
types the name and sees the result (the bank-account forms). The file writer never guesses: a name that is
already Zengin text goes into the file byte for byte, any other is only converted (width, kana, case).
"""

from __future__ import annotations

import functools
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


def zengin_kana(text: str, *, max_bytes: int = HOLDER_NAME_BYTES, abbreviate: bool = True) -> str:
    """Return an account holder or company name as banks register it, e.g. "ｶ)ﾔﾏﾀﾞｼﾖｳﾃﾝ".

    Accepts the name as people type it: katakana or hiragana, full- or half-width, lower-case letters,
    ・ and ー, and corporate forms written out (株式会社, カブシキガイシャ, ㈱). Raises ZenginNameError for kanji
    (we do not know their reading), for any other character outside ``ZENGIN_CHARS`` and for a name longer
    than ``max_bytes`` — it is never truncated, because a cut-off name may not match the bank's record.
    Applying it to its own result changes nothing.

    With ``abbreviate=False`` corporate forms spelled in kana stay spelled out (カブシキガイシャ → ｶﾌﾞｼｷｶﾞｲｼﾔ) and
    those in kanji are refused like any kanji: for the file writer, which must not guess.
    """
    name = fold_kana(normalize(text)).translate(_TO_ZENGIN)
    if not name:
        raise ZenginNameError(_("Enter the name in katakana, as the bank has it registered."))
    if abbreviate:
        length = len(name)
        name = _CORPORATE_FORM.sub(lambda match: _abbreviate(match, length), name)
    name = _SPACES.sub(" ", to_halfwidth_kana(name)).strip(" ")

    for char in name:
        if char not in ZENGIN_CHARS:
            raise ZenginNameError(_unusable_message(char), char=char)

    over = len(name.encode("cp932")) - max_bytes
    if over > 0:
        raise _too_long(over, max_bytes)
    return name


def _too_long(over: int, max_bytes: int) -> ZenginNameError:
    return ZenginNameError(
        ngettext(
            "The name is %(over)d character over the %(max)d-character limit for bank transfers "
            "(ﾞ and ﾟ count as characters). Shorten it the way the bank has it registered.",
            "The name is %(over)d characters over the %(max)d-character limit for bank transfers "
            "(ﾞ and ﾟ count as characters). Shorten it the way the bank has it registered.",
            over,
        ) % {"over": over, "max": max_bytes},
        over=over,
    )


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


# =============================================================================================================
# The 総合振込 (general transfer) file
# =============================================================================================================
#
# Four record kinds of exactly 120 bytes each (JIS X 0201 single bytes, written as CP932), optionally followed by
# CRLF: one header (データ区分 1), one data record per transfer (2), a trailer with the count and the sum (8) and
# an end record (9). Numeric fields (N) are right-aligned and zero-filled, text fields (C) left-aligned and
# space-filled. The widths below are the Zengin standard layout (全銀協制定フォーマット, 種別コード 21, コード区分 0).
#
# Text fields: a value that is already Zengin text is written byte for byte (the writer is idempotent on valid
# input); any other is converted by ``zengin_kana(..., abbreviate=False)``. A value that does not fit its field
# is refused, never cut: the bank checks the payee name against its records, and a cut bank or branch name is
# a different name. (The bank and branch names of the zengin-code data all fit their 15 bytes.)

RECORD_BYTES = 120
NEWLINES = {"CRLF": b"\r\n", "none": b""}

# (name, kind, width): kind "N" numeric, "C" text, "X" filler (spaces).
HEADER_LAYOUT = (
    ("record_type", "N", 1), ("kind_code", "N", 2), ("code_type", "N", 1), ("requester_code", "N", 10),
    ("requester_name", "C", 40), ("transfer_date", "N", 4), ("bank_code", "N", 4), ("bank_name", "C", 15),
    ("branch_code", "N", 3), ("branch_name", "C", 15), ("account_type", "N", 1), ("account_number", "N", 7),
    ("dummy", "X", 17),
)
DATA_LAYOUT = (
    ("record_type", "N", 1), ("bank_code", "N", 4), ("bank_name", "C", 15), ("branch_code", "N", 3),
    ("branch_name", "C", 15), ("clearing_house", "N", 4), ("account_type", "N", 1), ("account_number", "N", 7),
    ("payee_name", "C", 30), ("amount", "N", 10), ("new_code", "N", 1), ("customer_code1", "N", 10),
    ("customer_code2", "N", 10), ("transfer_type", "N", 1), ("edi_flag", "C", 1), ("dummy", "X", 7),
)
TRAILER_LAYOUT = (("record_type", "N", 1), ("count", "N", 6), ("total", "N", 12), ("dummy", "X", 101))
END_LAYOUT = (("record_type", "N", 1), ("dummy", "X", 119))

for _layout in (HEADER_LAYOUT, DATA_LAYOUT, TRAILER_LAYOUT, END_LAYOUT):
    assert sum(width for _name, _kind, width in _layout) == RECORD_BYTES, _layout

# 顧客コード1/2 (bytes 92–111 of a data record) are the requester's own optional references. An absent one is
# written as spaces, as in the reference files of independent implementations; zeros would be a code that was
# given. A given code is zero-filled like any number. (With EDI information those 20 bytes carry the EDI text.)
_BLANK_WHEN_ABSENT = frozenset({"customer_code1", "customer_code2"})


class ZenginFileError(ValueError):
    """Input the transfer file cannot carry; ``field`` names it (e.g. ``transfers[3].payee_name``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _numeric(field: str, value, width: int) -> bytes:
    text = "" if value is None else str(value).strip()
    if text == "":
        text = "0"
    if not text.isascii() or not text.isdigit():
        raise ZenginFileError(field, _("must be digits only, got “%(value)s”.") % {"value": text})
    if len(text) > width:
        raise ZenginFileError(field, _("has more than %(width)d digits.") % {"width": width})
    return text.rjust(width, "0").encode("ascii")


def _absent(value) -> bool:
    return value is None or str(value).strip() == ""


@functools.lru_cache(maxsize=65536)
def _file_text(text: str, width: int) -> str:
    # A transfer file repeats the same bank and branch names thousands of times: look at each once.
    if is_zengin_text(text):
        if len(text) > width:  # every Zengin character is one byte
            raise _too_long(len(text) - width, width)
        return text
    return zengin_kana(text, max_bytes=width, abbreviate=False)


def _text(field: str, value, width: int) -> bytes:
    text = "" if value is None else str(value)
    if not text.strip():
        return b" " * width
    try:
        text = _file_text(text, width)
    except ZenginNameError as exc:
        raise ZenginFileError(field, _with_abbreviation_hint(str(exc), text, width)) from None
    data = text.encode("cp932")
    if len(data) != len(text):  # cannot happen for ZENGIN_CHARS; a guard against a future widening of the set
        raise ZenginFileError(field, _("contains characters that are not single bytes."))
    return data.ljust(width, b" ")


def _with_abbreviation_hint(message: str, text: str, width: int) -> str:
    """Add, when the name has a corporate form, what the bank-account form would have made of it (if it fits)."""
    if not _CORPORATE_FORM.search(fold_kana(normalize(text)).translate(_TO_ZENGIN)):
        return message
    try:
        abbreviated = zengin_kana(text, max_bytes=width)
    except ZenginNameError:
        return message
    return message + " " + _(
        "Corporate forms are not abbreviated in the transfer file. "
        "If the bank has the name registered as “%(abbreviated)s”, enter it that way."
    ) % {"abbreviated": abbreviated}


def encode_record(layout, values: dict, *, prefix: str = "") -> bytes:
    """Encode one record; ``values`` maps field names of ``layout`` to their values (absent fields are empty)."""
    parts = []
    for name, kind, width in layout:
        field = f"{prefix}{name}"
        if kind == "N":
            value = values.get(name)
            if name in _BLANK_WHEN_ABSENT and _absent(value):
                parts.append(b" " * width)
            else:
                parts.append(_numeric(field, value, width))
        elif kind == "C":
            parts.append(_text(field, values.get(name), width))
        else:
            parts.append(b" " * width)
    record = b"".join(parts)
    assert len(record) == RECORD_BYTES, (prefix, len(record))
    return record


def _data_values(transfer: dict, prefix: str) -> dict:
    if not isinstance(transfer, dict):
        raise ZenginFileError(prefix.rstrip("."), _("must be an object with the transfer's fields."))
    values = dict(transfer)
    values["record_type"] = 2
    values.setdefault("new_code", 0)
    values.setdefault("transfer_type", 7)  # 7 = telegraphic (電信扱), 8 = by document (文書扱)
    if values.get("account_type") in (None, ""):
        raise ZenginFileError(f"{prefix}account_type", _("is required."))
    if str(values["account_type"]) not in ("1", "2", "4", "9"):
        raise ZenginFileError(f"{prefix}account_type", _("must be 1, 2, 4 or 9."))
    for required in ("bank_code", "branch_code", "account_number", "payee_name", "amount"):
        if values.get(required) in (None, ""):
            raise ZenginFileError(f"{prefix}{required}", _("is required."))
    try:
        amount = int(values["amount"])
    except (TypeError, ValueError):
        raise ZenginFileError(f"{prefix}amount", _("must be a whole number of yen.")) from None
    if amount <= 0:
        raise ZenginFileError(f"{prefix}amount", _("must be more than zero."))
    values["amount"] = amount
    return values


def _edi_record(values: dict, prefix: str) -> bytes:
    """With EDI information the 20 bytes of customer codes 1 and 2 carry it as text, flagged "Y"."""
    edi = _text(f"{prefix}edi", values["edi"], 20)
    plain = dict(values, customer_code1="", customer_code2="", edi_flag="Y")
    record = encode_record(DATA_LAYOUT, plain, prefix=prefix)
    return record[:91] + edi + record[111:]


def transfer_file(header: dict, transfers, *, newline: str = "CRLF", expected_count: int | None = None,
                  expected_total: int | None = None, out=None) -> bytes | None:
    """Encode a whole 総合振込 file: header, one data record per transfer, trailer, end.

    ``header`` has requester_code, requester_name, transfer_date (MMDD), bank_code, bank_name, branch_code,
    branch_name, account_type, account_number. Each transfer has bank_code, bank_name, branch_code, branch_name,
    account_type, account_number, payee_name, amount and optionally clearing_house, new_code, customer_code1,
    customer_code2, edi, transfer_type. A name that is Zengin text is written as given; one in another width
    or kana form is converted, never abbreviated, and refused if it does not fit (see the layout comment).
    Absent customer codes are spaces.

    The trailer's count and sum are checked against ``expected_count`` / ``expected_total`` (when given) before
    anything is returned or written, so a file that does not add up never leaves this function. With ``out``
    (a binary file) the records are written there and None is returned; otherwise the bytes are returned.
    """
    if not isinstance(header, dict):
        raise ZenginFileError("header", _("must be an object with the requester's fields."))
    if newline not in NEWLINES:
        raise ZenginFileError("newline", _("must be CRLF or none."))
    eol = NEWLINES[newline]
    transfer_date = str(header.get("transfer_date") or "")
    if len(transfer_date) != 4 or not transfer_date.isdigit() or not (
            1 <= int(transfer_date[:2]) <= 12 and 1 <= int(transfer_date[2:]) <= 31):
        raise ZenginFileError("header.transfer_date", _("must be the transfer date as MMDD."))
    if str(header.get("account_type") or "") not in ("1", "2", "9"):
        raise ZenginFileError("header.account_type", _("must be 1, 2 or 9."))
    if not str(header.get("requester_name") or "").strip():
        raise ZenginFileError("header.requester_name", _("is required."))
    records = [encode_record(HEADER_LAYOUT, {**header, "record_type": 1, "kind_code": 21, "code_type": 0},
                             prefix="header.")]
    count = total = 0
    for index, transfer in enumerate(transfers):
        prefix = f"transfers[{index}]."
        values = _data_values(transfer, prefix)
        if values.get("edi"):
            records.append(_edi_record(values, prefix))
        else:
            records.append(encode_record(DATA_LAYOUT, values, prefix=prefix))
        count += 1
        total += values["amount"]
    if count == 0:
        raise ZenginFileError("transfers", _("A transfer file needs at least one transfer."))
    if expected_count is not None and count != expected_count:
        raise ZenginFileError("trailer.count", _("%(count)d transfers written, %(expected)d expected.")
                              % {"count": count, "expected": expected_count})
    if expected_total is not None and total != expected_total:
        raise ZenginFileError("trailer.total", _("¥%(total)d written, ¥%(expected)d expected.")
                              % {"total": total, "expected": expected_total})
    records.append(encode_record(TRAILER_LAYOUT, {"record_type": 8, "count": count, "total": total},
                                 prefix="trailer."))
    records.append(encode_record(END_LAYOUT, {"record_type": 9}, prefix="end."))
    data = b"".join(record + eol for record in records)
    if out is None:
        return data
    out.write(data)
    return None


def settings_header(transfer_date) -> dict:
    """Our side of the file (requester and source account) from settings, for a payment date."""
    from django.conf import settings

    return {
        "requester_code": settings.ZENGIN_REQUESTER_CODE, "requester_name": settings.ZENGIN_REQUESTER_NAME,
        "transfer_date": f"{transfer_date:%m%d}", "bank_code": settings.ZENGIN_SOURCE_BANK_CODE,
        "bank_name": settings.ZENGIN_SOURCE_BANK_NAME, "branch_code": settings.ZENGIN_SOURCE_BRANCH_CODE,
        "branch_name": settings.ZENGIN_SOURCE_BRANCH_NAME, "account_type": settings.ZENGIN_SOURCE_ACCOUNT_TYPE,
        "account_number": settings.ZENGIN_SOURCE_ACCOUNT_NUMBER,
    }

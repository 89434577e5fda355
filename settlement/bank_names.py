"""Full bank and branch names for documents (「鳥取銀行 本店営業部」), from the short names of the Zengin data.

zengin-code, and so ``Bank.name`` / ``BankBranch.name`` and the names a ``PayoutLine`` freezes, carries the short
forms banks use on transfer forms: 「鳥取」 for 鳥取銀行, 「新潟信金」 for 新潟信用金庫, 「鳥取いなば農協」, and branches
without the word 支店 (「鳥取」, but 「赤碕出張所」, 「本店営業部」). A merchant's payment notice prints the names a
person reads on a passbook, so the suffix is added here — and only where the name lacks one: a name that already
reads 「…銀行」 or 「…出張所」 is returned as it is (no 「赤碕出張所支店」).
"""

from __future__ import annotations

# A name that already ends like this is a full institution name (or, for foreign banks, its own form).
_FULL_BANK_ENDINGS = ("銀行", "金庫", "組合", "連合会", "機構", "バンク", "エヌ・エイ", "エヌ・ヴィ", "リミテッド")

# Abbreviations the Zengin data ends names with, longest first (信漁連 before 信連).
_BANK_ABBREVIATIONS = (
    ("信漁連", "信用漁業協同組合連合会"),
    ("信連", "信用農業協同組合連合会"),
    ("信金", "信用金庫"),
    ("信組", "信用組合"),
    ("労金", "労働金庫"),
    ("農協", "農業協同組合"),
    ("漁協", "漁業協同組合"),
)

# Central institutions whose short name is not "<name> + suffix".
_BANK_SPECIAL = {
    "商工中金": "商工組合中央金庫",
    "農林中金": "農林中央金庫",
    "全信組連": "全国信用協同組合連合会",
    "労金連": "労働金庫連合会",
}

# Codes of institutions that are not banks although their code is in the banks' range (a funds-transfer company).
_NOT_A_BANK = {"0200"}

# A branch name ending like this names its office already (出張所, 本店営業部, 代理店, 本所/支所 of a JA, …);
# a bare place name (「鳥取」, 「丸の内」) is a 支店. 「部」 and 「室」 alone are not endings: 谷田部 and 芽室 are places.
_FULL_BRANCH_ENDINGS = ("支店", "本店", "店", "出張所", "営業所", "事務所", "本所", "支所", "営業部", "本部", "センター")

JAPAN_POST_BANK = "9900"


def bank_full_name(name: str, *, code: str = "", kana: str = "") -> str:
    """The institution's full name: 鳥取 → 鳥取銀行, 新潟信金 → 新潟信用金庫, みずほ銀行 stays みずほ銀行."""
    name = name.strip()
    if not name or name.endswith(_FULL_BANK_ENDINGS):
        return name
    if name in _BANK_SPECIAL:
        return _BANK_SPECIAL[name]
    for short, full in _BANK_ABBREVIATIONS:
        if name.endswith(short):
            return name[: -len(short)] + full
    # The data truncates a few long names before their suffix (「秋田たかのす」); the kana keeps it.
    if kana.endswith("ノウキヨウ"):
        return name + "農業協同組合"
    if code in _NOT_A_BANK:
        return name
    # Banks (city, regional, trust, net and foreign banks, ゆうちょ) are coded 0001–0999 and 9900; an unknown
    # code (a name typed before the bank data was imported) is taken to be a bank, the common case.
    if not code or code.startswith("0") or code == JAPAN_POST_BANK:
        return name + "銀行"
    return name


def branch_full_name(name: str, *, bank_code: str = "") -> str:
    """The branch as written on a passbook: 鳥取 → 鳥取支店, 赤碕出張所 and 本店営業部 stay as they are.

    ゆうちょ銀行's branches for transfers are numbers written in kanji (〇一八) and read 〇一八店."""
    name = name.strip()
    if not name or name.endswith(_FULL_BRANCH_ENDINGS):
        return name
    if bank_code == JAPAN_POST_BANK:
        return name + "店"
    return name + "支店"

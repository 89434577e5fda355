"""The compiled catalogue follows docs/glossary.md: one Japanese word for one campaign term."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest
from django.conf import settings

BASE = Path(settings.BASE_DIR)
MO = BASE / "locale" / "ja" / "LC_MESSAGES" / "django.mo"
GLOSSARY = (BASE / "docs" / "glossary.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def catalogue() -> dict:
    return {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural.get(0, "") for e in polib.mofile(str(MO)) if e.msgid}


@pytest.mark.parametrize(("context", "msgid", "japanese"), [
    ("verification class", "Valid", "有効"),
    ("investigation status", "Open", "調査中"),
    ("button", "Open", "開く"),
    ("collection", "Open", "回収開始"),
    ("amount", "Outstanding", "未払額"),
    (None, "Transfer failed", "振込不能"),
    (None, "Nothing to pay", "支払対象なし"),
    (None, "Held", "保留"),
    (None, "cutoff", "締日"),
    (None, "payment date", "支払日"),
    (None, "settlement batch", "精算バッチ"),
    (None, "Extraordinary", "臨時"),
    (None, "Relief", "救済"),
    (None, "Stock-take", "棚卸"),
    (None, "Vault", "保管庫"),
    (None, "outlet", "販売所"),
    (None, "Prepared by", "作成者"),
    (None, "Approved by", "承認者"),
])
def test_a_glossary_term_is_translated_as_the_glossary_says(catalogue, context, msgid, japanese):
    assert catalogue[context, msgid] == japanese
    assert japanese in GLOSSARY


@pytest.mark.parametrize(("wrong", "right"), [
    ("チェックディジット", "チェックデジット"),
    ("棚卸し", "棚卸"),
    ("締め日", "締日"),
    ("振込失敗", "振込不能"),
    ("¥", "円 after the figure"),
])
def test_no_translation_uses_a_word_the_glossary_rules_out(catalogue, wrong, right):
    offenders = [msgid for (_, msgid), msgstr in catalogue.items() if wrong in msgstr]
    assert offenders == [], f"write {right}, not {wrong}"
    assert f"never {wrong}" in GLOSSARY  # the glossary names what it rules out


def test_one_english_word_with_two_uses_has_two_translations(catalogue):
    # Without a context, "Valid" is a validity period (reservations) and "Outstanding" a count (printing).
    assert catalogue[None, "Valid"] != catalogue["verification class", "Valid"]
    assert catalogue[None, "Outstanding"] != catalogue["amount", "Outstanding"]

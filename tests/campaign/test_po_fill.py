"""scripts/po_fill.py fills the Japanese catalogue from the tables, contexts included."""

from __future__ import annotations

import runpy
from pathlib import Path

import polib
from django.conf import settings

po_fill = runpy.run_path(str(Path(settings.BASE_DIR) / "scripts" / "po_fill.py"))

CATALOGUE = """\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"

msgid "Open"
msgstr ""

msgctxt "button"
msgid "Open"
msgstr ""

msgctxt "investigation status"
msgid "Open"
msgstr ""

msgid "Held"
msgstr "保留"
"""


def _write(tmp_path, name, text) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _translations(po_path: Path) -> dict:
    return {(e.msgctxt, e.msgid): e.msgstr for e in polib.mofile(str(po_path.with_suffix(".mo"))) if e.msgid}


def test_an_entry_with_a_context_takes_its_translation_from_ctx(tmp_path):
    po = _write(tmp_path, "django.po", CATALOGUE)
    table = _write(tmp_path, "area.py", 'JA = {"Open": "回収開始"}\n'
                                        'CTX = {("button", "Open"): "開く", ("investigation status", "Open"): "調査中"}\n')
    assert po_fill["main"]([str(table)], po_path=po) == 0
    assert _translations(po) == {(None, "Open"): "回収開始", ("button", "Open"): "開く",
                                 ("investigation status", "Open"): "調査中", (None, "Held"): "保留"}


def test_an_entry_with_a_context_never_falls_back_to_ja(tmp_path, capsys):
    po = _write(tmp_path, "django.po", CATALOGUE)
    table = _write(tmp_path, "area.py", 'JA = {"Open": "回収開始"}\nCTX = {("button", "Open"): "開く"}\n')
    assert po_fill["main"]([str(table)], po_path=po) == 1
    assert "untranslated: 'Open' (context 'investigation status')" in capsys.readouterr().out
    entry = polib.pofile(str(po)).find("Open", msgctxt="investigation status")
    assert entry.msgstr == ""


def test_two_tables_wording_one_context_differently_clash(tmp_path, capsys):
    po = _write(tmp_path, "django.po", CATALOGUE)
    one = _write(tmp_path, "one.py", 'CTX = {("button", "Open"): "開く", ("investigation status", "Open"): "調査中"}\n')
    two = _write(tmp_path, "two.py", 'JA = {"Open": "回収開始"}\nCTX = {("button", "Open"): "オープン"}\n')
    assert po_fill["main"]([str(one), str(two)], po_path=po) == 1
    assert "translated differently: 'Open' (context 'button'): '開く'" in capsys.readouterr().out


def test_a_table_may_not_silently_reword_a_translated_context(tmp_path, capsys):
    translated = CATALOGUE.replace('msgctxt "button"\nmsgid "Open"\nmsgstr ""', 'msgctxt "button"\nmsgid "Open"\nmsgstr "開く"')
    po = _write(tmp_path, "django.po", translated)
    table = _write(tmp_path, "area.py", 'JA = {"Open": "回収開始"}\n'
                                        'CTX = {("button", "Open"): "オープン", ("investigation status", "Open"): "調査中"}\n')
    assert po_fill["main"]([str(table)], po_path=po) == 1
    assert "catalogue has '開く'" in capsys.readouterr().out
    assert polib.pofile(str(po)).find("Open", msgctxt="button").msgstr == "開く"

"""Every user-facing string has its Japanese translation, and the compiled catalogue matches the source."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polib
from django.conf import settings

from tests.conftest import needs

PO = Path(settings.BASE_DIR) / "locale" / "ja" / "LC_MESSAGES" / "django.po"


def _untranslated(po: polib.POFile) -> list[str]:
    return [e.msgid for e in po if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]


def test_the_japanese_catalogue_is_complete():
    po = polib.pofile(str(PO))
    assert len(po) > 100
    assert _untranslated(po) == []


def test_the_compiled_catalogue_matches_the_source():
    po = {(e.msgctxt, e.msgid, e.msgstr or e.msgstr_plural.get(0, "")) for e in polib.pofile(str(PO)) if not e.obsolete}
    mo = {(e.msgctxt, e.msgid, e.msgstr or e.msgstr_plural.get(0, ""))
          for e in polib.mofile(str(PO.with_suffix(".mo")))}
    assert po <= mo, "run `make messages` (or scripts/po_fill.py) to recompile django.mo"


def test_no_string_in_the_source_is_missing_from_the_catalogue(tmp_path):
    if not shutil.which("xgettext"):
        needs("GNU gettext (xgettext) is not installed")
    base = Path(settings.BASE_DIR)
    copy = tmp_path / "src"
    copy.mkdir()
    for entry in base.iterdir():
        if entry.name in {".venv", ".pgdata", "var", "static", "tests", ".git"} or entry.name.startswith("."):
            continue
        if entry.is_dir():
            shutil.copytree(entry, copy / entry.name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(entry, copy / entry.name)
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "ja", "--no-location", "--no-obsolete"],
        cwd=copy, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    fresh = polib.pofile(str(copy / "locale" / "ja" / "LC_MESSAGES" / "django.po"))
    assert _untranslated(fresh) == [], "new strings need Japanese: run `make messages TRANSLATIONS=...`"

"""Fill and compile the Japanese catalogue: `python scripts/po_fill.py TABLE.py [TABLE.py ...]`.

Each table (locale/tables/<area>.py) defines JA = {msgid: msgstr} and PLURAL = {msgid: msgstr} (Japanese has one
plural form), and may define CTX = {(context, msgid): msgstr} for strings marked with pgettext / `context "..."`:
one English word that needs different Japanese ("Open" on a button is 開く, an open investigation is 調査中).
An entry with a msgctxt takes its translation from CTX only, never from JA.
Existing translations are kept; the .mo file is written next to the .po with polib (no gettext needed).
"""

import runpy
import sys
from pathlib import Path

import polib

PO = Path(__file__).resolve().parent.parent / "locale" / "ja" / "LC_MESSAGES" / "django.po"

KINDS = ("JA", "PLURAL", "CTX")


def _describe(key) -> str:
    if isinstance(key, tuple):
        return f"{key[1]!r} (context {key[0]!r})"
    return repr(key)


def load_tables(paths) -> tuple[dict, dict, list[str]]:
    """The tables merged by kind, who first gave each key, and the keys two tables translate differently."""
    table: dict[str, dict] = {kind: {} for kind in KINDS}
    owner: dict[tuple, str] = {}
    clashes = []
    for path in paths:
        loaded = runpy.run_path(str(path))
        for kind in KINDS:
            for key, msgstr in loaded.get(kind, {}).items():
                if key in table[kind] and table[kind][key] != msgstr:
                    # One msgid (in one context) has one translation: two areas wording it differently need
                    # different msgids or contexts.
                    clashes.append(f"{_describe(key)}: {table[kind][key]!r} ({owner[kind, key]}) vs {msgstr!r} ({path})")
                table[kind][key] = msgstr
                owner.setdefault((kind, key), str(path))
    return table, owner, clashes


def fill(po: polib.POFile, table: dict, owner: dict) -> tuple[list[str], list[str]]:
    """Write the tables' translations into the catalogue; return (clashes, untranslated msgids)."""
    clashes, missing = [], []
    for entry in po:
        if entry.obsolete:
            continue
        if entry.msgctxt is not None:
            kind, key = "CTX", (entry.msgctxt, entry.msgid)
        elif entry.msgid_plural:
            kind, key = "PLURAL", entry.msgid
        else:
            kind, key = "JA", entry.msgid
        given = table[kind].get(key)
        if entry.msgid_plural:
            if given:
                entry.msgstr_plural = {0: given}
            ok = bool(entry.msgstr_plural.get(0))
        else:
            if given and entry.msgstr and given != entry.msgstr and "fuzzy" not in entry.flags:
                # A table may not silently reword a string another area already translated.
                clashes.append(f"{_describe(key)}: catalogue has {entry.msgstr!r}, {owner[kind, key]} says {given!r}")
            elif given:
                entry.msgstr = given
            ok = bool(entry.msgstr)
        # A fuzzy entry is makemessages' guess from a similar string: only a translation from the table
        # (written for this msgid) clears the flag.
        if given and "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        if not ok or "fuzzy" in entry.flags:
            missing.append(_describe(key))
    return clashes, missing


def main(argv=None, po_path: Path = PO) -> int:
    table, owner, clashes = load_tables(sys.argv[1:] if argv is None else argv)
    po = polib.pofile(str(po_path))
    po.metadata["Language"] = "ja"
    po.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
    po.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    more_clashes, missing = fill(po, table, owner)
    clashes += more_clashes
    po.save(str(po_path))
    po.save_as_mofile(str(po_path.with_suffix(".mo")))
    for clash in clashes:
        print(f"translated differently: {clash}")
    for msgid in missing:
        print(f"untranslated: {msgid}")
    return 1 if missing or clashes else 0


if __name__ == "__main__":
    sys.exit(main())

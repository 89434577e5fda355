"""Fill and compile the Japanese catalogue: `python scripts/po_fill.py TABLE.py [TABLE.py ...]`.

Each table (locale/tables/<area>.py) defines JA = {msgid: msgstr} and PLURAL = {msgid: msgstr} (Japanese has one plural form).
Existing translations are kept; the .mo file is written next to the .po with polib (no gettext needed).
"""

import runpy
import sys
from pathlib import Path

import polib

PO = Path(__file__).resolve().parent.parent / "locale" / "ja" / "LC_MESSAGES" / "django.po"


def main() -> int:
    table = {"JA": {}, "PLURAL": {}}
    owner: dict[str, str] = {}
    clashes = []
    for path in sys.argv[1:]:
        loaded = runpy.run_path(path)
        for kind in ("JA", "PLURAL"):
            for msgid, msgstr in loaded.get(kind, {}).items():
                if msgid in table[kind] and table[kind][msgid] != msgstr:
                    # One msgid has one translation: two areas wording it differently need different msgids.
                    clashes.append(f"{msgid!r}: {table[kind][msgid]!r} ({owner[msgid]}) vs {msgstr!r} ({path})")
                table[kind][msgid] = msgstr
                owner.setdefault(msgid, path)

    po = polib.pofile(str(PO))
    po.metadata["Language"] = "ja"
    po.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
    po.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    missing = []
    for entry in po:
        if entry.obsolete:
            continue
        if entry.msgid_plural:
            given = table["PLURAL"].get(entry.msgid)
            if given:
                entry.msgstr_plural = {0: given}
            ok = bool(entry.msgstr_plural.get(0))
        else:
            given = table["JA"].get(entry.msgid)
            if given and entry.msgstr and given != entry.msgstr and "fuzzy" not in entry.flags:
                # A table may not silently reword a string another area already translated.
                clashes.append(f"{entry.msgid!r}: catalogue has {entry.msgstr!r}, {owner[entry.msgid]} says {given!r}")
            elif given:
                entry.msgstr = given
            ok = bool(entry.msgstr)
        # A fuzzy entry is makemessages' guess from a similar string: only a translation from the table
        # (written for this msgid) clears the flag.
        if given and "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        if not ok or "fuzzy" in entry.flags:
            missing.append(entry.msgid)
    po.save(str(PO))
    po.save_as_mofile(str(PO.with_suffix(".mo")))
    for clash in clashes:
        print(f"translated differently: {clash}")
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    return 1 if missing or clashes else 0


if __name__ == "__main__":
    sys.exit(main())

"""Breaking a Japanese address (住所) into lines for a label or a window envelope.

Japanese text may break between any two characters, but an address must not: a house number broken as
「1-⏎16-38」 or a room number as 「101⏎号室」 gets mail returned. So the address is first cut into pieces
that are never split:

- a house-number run: digits and hyphens with the counters between or after them, 「1-16-38」,
  「１丁目16番38号」, 「3番地の2」, and a room or building number with its counter, 「101号室」, 「A棟」, 「2F」;
- a word in Latin letters;
- a closing bracket or comma stays with what comes before it, an opening bracket with what follows;
- anything else is one character.

Lines break preferably at a space (half or full width; the space is dropped) or before a building name
(right after the house number), otherwise between any two pieces. A piece wider than the line is left whole on
its own line: the caller shrinks the font (``labels.fit_lines``) rather than break a house number.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_HYPHEN = "\\-‐‑‒–—―−－"
_ALNUM = "0-9A-Za-z０-９Ａ-Ｚａ-ｚ"
# Between two numbers: hyphens (and the long-vowel mark that municipal lists use as one), or the counters of
# 1丁目16番38号 and 3番地の2, or both (1号-1). After the last one: the counter of a room, building or floor.
_SUFFIX = "(?:号室|号棟|号館|号地|号|番地|番|丁目|棟|館|階|室|F|Ｆ)"
_JOINER = f"(?:[{_HYPHEN}ーｰ]+|番地の?|番の?|号の?|の|{_SUFFIX})"
_WORD = f"[{_ALNUM}]+"
_PIECE = re.compile(
    f"(?P<run>[{_HYPHEN}]*{_WORD}(?:{_JOINER}+{_WORD})*{_SUFFIX}?[{_HYPHEN}]*)"
    r"|(?P<space>[ \t\u3000]+)"
    r"|(?P<char>.)",
    re.S,
)
_CLOSING = set("、。，．,.)）]］}｝」』】〉》〕・:：;；!！?？")
_OPENING = set("(（[［{｛「『【〈《〔")


def _pieces(text: str) -> list[tuple[str, str]]:
    """(text, kind) with kind "run", "space" or "char"; brackets and commas glued to their neighbour."""
    pieces: list[tuple[str, str]] = []
    carry = ""  # opening brackets waiting for the piece they belong to
    for match in _PIECE.finditer(text):
        kind = match.lastgroup
        value = match.group()
        if kind == "char" and value in _CLOSING and pieces and pieces[-1][1] != "space" and not carry:
            last, last_kind = pieces[-1]
            pieces[-1] = (last + value, last_kind)
            continue
        if kind == "char" and value in _OPENING:
            carry += value
            continue
        if carry and kind != "space":
            value, carry = carry + value, ""
        elif carry:
            pieces.append((carry, "char"))
            carry = ""
        pieces.append((value, kind))
    if carry:
        pieces.append((carry, "char"))
    return pieces


def address_lines(text: str, width_fn: Callable[[str], float], max_width: float) -> list[str]:
    """Lines of ``text`` each no wider than ``max_width`` (as ``width_fn`` measures), broken only between
    pieces; a single piece wider than ``max_width`` gets a line of its own and is not broken."""
    pieces = _pieces(text)
    lines: list[str] = []
    start = 0
    n = len(pieces)
    while start < n:
        while start < n and pieces[start][1] == "space":
            start += 1
        if start >= n:
            break
        end = start + 1  # pieces[start:end] fit (or are the single piece that does not)
        while end < n and width_fn(_join(pieces[start:end + 1])) <= max_width:
            end += 1
        if end < n:
            end = _preferred_break(pieces, start, end, width_fn, max_width)
        lines.append(_join(pieces[start:end]))
        start = end
    return lines


def _join(pieces: list[tuple[str, str]]) -> str:
    return "".join(p for p, _ in pieces).strip(" \t\u3000")


def _good_break(pieces: list[tuple[str, str]], i: int) -> bool:
    """A break before piece ``i`` that a reader expects: at a space, or between the house number and the
    building name that follows it without a space."""
    kind, before = pieces[i][1], pieces[i - 1][1]
    return kind == "space" or before == "space" or (before == "run" and kind == "char")


def _preferred_break(pieces, start: int, end: int, width_fn, max_width: float) -> int:
    """The break for a line that holds pieces[start:end]: the last good break, when it leaves the line at least
    half full; else as late as possible."""
    if _good_break(pieces, end):
        return end
    for i in range(end - 1, start, -1):
        if _good_break(pieces, i):
            if width_fn(_join(pieces[start:i])) >= max_width / 2:
                return i
            break
    return end

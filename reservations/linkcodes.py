"""Link codes (リンクコード): what a notice letter prints so that the resident can book as this applicant.

80 random bits written as 16 characters of Crockford's base32 (no I, L, O, U: nothing to mishear on the
phone), then one check character (a weighted sum over GF(32)) that catches every single mistyped character and every swap
of two neighbours before the database is asked. Printed in groups of four: ``7K3M-Q9TX-2HCV-R8FD-W``.
Guessing is hopeless (2⁸⁰ codes against a few hundred thousand applicants), and the public lookup is
rate-limited besides.
"""

from __future__ import annotations

import secrets
import unicodedata

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
RANDOM_CHARS = 16  # 16 × 5 = 80 bits
LENGTH = RANDOM_CHARS + 1


_MODULUS = 0b100101  # x⁵ + x² + 1, primitive: the field GF(32) the check character is computed in
_A = 2  # the element x: neither 0 nor 1, so a swap of two neighbours changes the sum


def _times_a(value: int) -> int:
    value <<= 1
    return value ^ _MODULUS if value & 0b100000 else value


def _horner(text: str) -> int:
    total = 0
    for ch in text:
        total = _times_a(total) ^ _VALUE[ch]
    return total


def check_char(body: str) -> str:
    """The check character: Σ dᵢ·aⁿ⁻ⁱ over GF(32) is zero for a whole code. Every single wrong character
    changes the sum by a non-zero multiple of a power of a, and a swap of neighbours d, e by (d+e)·aᵏ·(a+1) ≠ 0,
    so both are always caught (Luhn mod 32 misses swaps like Z0 ↔ 0Z)."""
    return ALPHABET[_times_a(_horner(body))]


def new_code() -> str:
    """A fresh code (normalised form, 17 characters)."""
    body = "".join(secrets.choice(ALPHABET) for _i in range(RANDOM_CHARS))
    return body + check_char(body)


def normalize(text: str) -> str:
    """What a resident typed → the stored form: full-width, lower case, hyphens and spaces do not matter;
    O is read as 0 and I / L as 1, as Crockford's alphabet intends."""
    text = unicodedata.normalize("NFKC", text or "").upper()
    text = text.replace("O", "0").replace("I", "1").replace("L", "1")
    return "".join(ch for ch in text if ch in _VALUE)


def is_valid(code: str) -> bool:
    """A normalised code of the right length whose check character matches."""
    return len(code) == LENGTH and all(ch in _VALUE for ch in code) and _horner(code) == 0


def format_code(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))

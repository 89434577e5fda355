"""Link codes (リンクコード): what a notice letter prints so that the resident can book as this applicant.

80 random bits written as 16 characters of Crockford's base32 (no I, L, O, U: nothing to mishear on the
phone), then one check character (Luhn mod 32) that catches every single mistyped character and every swap
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


def check_char(body: str) -> str:
    """Luhn mod 32 over the base32 values: doubles every second character from the right."""
    total = 0
    factor = 2
    for ch in reversed(body):
        addend = factor * _VALUE[ch]
        total += addend // 32 + addend % 32
        factor = 1 if factor == 2 else 2
    return ALPHABET[(32 - total % 32) % 32]


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
    return len(code) == LENGTH and all(ch in _VALUE for ch in code) and check_char(code[:-1]) == code[-1]


def format_code(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))

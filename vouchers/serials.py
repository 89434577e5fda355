"""The printed ticket code (券番号): what each digit means, how it is checked, and how typed input is read.

A ticket's code is 21 decimal digits, printed in groups as ``PPD-BBBBBBB-TT-CCCC-CCCCX`` and carried
unchanged (no separators) as the barcode/QR payload::

    PP        campaign serial prefix, 10-99 (unique per campaign)
    D         denomination code, 1-9
    BBBBBBB   book number, 1-9,999,999
    TT        ticket index within the book, 1-99
    CCCCCCCC  keyed check code
    X         Damm check digit over the 20 digits before it

Why two checks. The Damm digit is public arithmetic: it catches every single-digit error and every
adjacent transposition, so a clerk learns about a typo the moment the code is entered, before any lookup.
It is no protection against forgery — anyone can compute it. The keyed check code is: it is the first
8 bytes of HMAC-SHA256(campaign key, the first 12 digits as ASCII) read as a big-endian integer, mod 10**8,
zero-padded. Without the key, a made-up book/ticket number has a 1 in 10**8 chance of passing. Keys come
from ``settings.VOUCHER_MAC_KEYS`` (``{campaign code: bytes}``, set from the environment) and are never
stored in the database, so a database dump alone does not let anyone mint tickets.

Copies of genuine tickets do pass both checks; they are caught as duplicates at redemption time (first
redemption wins), which is not this module's concern. Everything here is pure: no models, no queries.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext

CODE_LENGTH = 21
HEAD_LENGTH = 12  # prefix + denomination + book + ticket: the part the keyed check code covers
CHECK_CODE_LENGTH = 8
CHECK_MODULUS = 10**CHECK_CODE_LENGTH

PREFIX_RANGE = range(10, 100)
DENOMINATION_RANGE = range(1, 10)
BOOK_RANGE = range(1, 10_000_000)
TICKET_RANGE = range(1, 100)

# The weakly totally anti-symmetric quasigroup of order 10 from H. Michael Damm's 2004 thesis, the table
# every published Damm implementation uses: row = interim digit, column = next input digit.
_DAMM_TABLE: tuple[tuple[int, ...], ...] = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)

# The same table applied to three digits at once, keyed by the three-character string: a 21-digit code is
# seven lookups instead of 21 table steps and 21 int() calls. Bulk verification of a cutoff's million codes
# spends a large share of its time here.
DAMM_TRIPLES: tuple[dict[str, int], ...] = tuple(
    {
        f"{a}{b}{c}": _DAMM_TABLE[_DAMM_TABLE[_DAMM_TABLE[state][a]][b]][c]
        for a in range(10)
        for b in range(10)
        for c in range(10)
    }
    for state in range(10)
)

# After NFKC, U+3000 IDEOGRAPHIC SPACE and the other wide spaces are already U+0020, and the full-width
# hyphen (U+FF0D) is already "-"; they are listed anyway so the set reads as the whole story. The katakana
# long-vowel mark ー is here because Japanese IMEs produce it when a clerk types "-" in kana mode.
_SEPARATORS = (
    " \t\r\n\u3000\u00a0"
    "-"  # hyphen-minus
    "\u2010"  # ‐ hyphen
    "\u2011"  # ‑ non-breaking hyphen
    "\u2012"  # ‒ figure dash
    "\u2013"  # – en dash
    "\u2014"  # — em dash
    "\u2015"  # ― horizontal bar
    "\u2212"  # − minus sign
    "\u30fc"  # ー katakana long-vowel mark
    "\uff0d"  # － full-width hyphen-minus
    "\uff70"  # ｰ half-width long-vowel mark
)
_DROP_SEPARATORS = str.maketrans("", "", _SEPARATORS)
_OTHER_WHITESPACE = re.compile(r"\s")

_GROUPS = ((0, 3), (3, 10), (10, 12), (12, 16), (16, 21))


@dataclass(frozen=True, slots=True)
class TicketId:
    """Which ticket a code names: campaign prefix, denomination, book and index within the book."""

    prefix: int
    denomination: int
    book: int
    ticket: int

    def __post_init__(self) -> None:
        # One chained test keeps construction cheap in bulk verification; the loop only runs to explain.
        # (bool is an int subclass; True as a ticket index is a bug upstream, not ticket 1.)
        if not (
            type(self.prefix) is int
            and type(self.denomination) is int
            and type(self.book) is int
            and type(self.ticket) is int
            and 10 <= self.prefix <= 99
            and 1 <= self.denomination <= 9
            and 1 <= self.book <= 9_999_999
            and 1 <= self.ticket <= 99
        ):
            for name, allowed in (
                ("prefix", PREFIX_RANGE),
                ("denomination", DENOMINATION_RANGE),
                ("book", BOOK_RANGE),
                ("ticket", TICKET_RANGE),
            ):
                value = getattr(self, name)
                if type(value) is not int or value not in allowed:
                    raise ValueError(
                        f"{name} must be an integer in {allowed.start}..{allowed.stop - 1}, not {value!r}"
                    )

    @property
    def head(self) -> str:
        """The first 12 digits of the code: the part the keyed check code is computed over."""
        return f"{self.prefix:02d}{self.denomination:01d}{self.book:07d}{self.ticket:02d}"


def _damm_interim(digits: str) -> int:
    """Run the Damm quasigroup over ASCII digits; 0 at the end means the last digit checks the rest."""
    triples = DAMM_TRIPLES
    state = 0
    end = len(digits) - len(digits) % 3
    for i in range(0, end, 3):
        state = triples[state][digits[i : i + 3]]
    for char in digits[end:]:
        state = _DAMM_TABLE[state][ord(char) - 48]
    return state


def _damm_code_ok(d: str) -> bool:
    """``_damm_interim(d) == 0`` for exactly 21 ASCII digits, unrolled for the bulk path."""
    t = DAMM_TRIPLES
    state = t[t[t[t[t[t[0][d[0:3]]][d[3:6]]][d[6:9]]][d[9:12]]][d[12:15]]][d[15:18]]
    return t[state][d[18:21]] == 0


def _is_ascii_digits(text: str) -> bool:
    # str.isdigit() alone accepts "٣" and "²"; only ASCII 0-9 belong in a code.
    return text.isascii() and text.isdigit()


def damm_digit(digits: str) -> str:
    """Return the Damm check digit to append to ``digits`` (ASCII decimal digits only)."""
    if not _is_ascii_digits(digits):
        raise ValueError(f"Damm digits must be ASCII 0-9, not {digits!r}")
    return str(_damm_interim(digits))


def damm_valid(digits: str) -> bool:
    """True if the last digit of ``digits`` is the Damm check digit of the ones before it."""
    return bool(digits) and _is_ascii_digits(digits) and _damm_interim(digits) == 0


def _check_code_from_mac(mac: bytes) -> str:
    return f"{int.from_bytes(mac[:8], 'big') % CHECK_MODULUS:08d}"


def check_code(ticket: TicketId, key: bytes) -> str:
    """Return the 8-digit keyed check code of ``ticket`` under the campaign's ``key``."""
    mac = hmac.new(key, ticket.head.encode("ascii"), digestmod="sha256").digest()
    return _check_code_from_mac(mac)


_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))


def check_code_pads(key: bytes) -> tuple[Callable[[], Any], Callable[[], Any]]:
    """HMAC-SHA256 under ``key`` prepared for many short messages (RFC 2104): the key's inner and outer pads
    hashed once into two SHA-256 states, returned as their ``copy`` methods. The MAC of ``msg`` is
    ``outer.update(inner.update(msg) → inner.digest())`` on fresh copies of each: two short updates per message
    instead of re-deriving the pads (what ``hmac.digest()`` does on every call, three times as slow), and
    half the time of copying an ``hmac.HMAC`` object. settlement.intake's scanner loop checks a million codes
    a reading this way."""
    if not key:
        raise ValueError("a campaign key is required to check ticket codes")
    if len(key) > 64:  # HMAC hashes keys longer than the block first
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    return hashlib.sha256(key.translate(_IPAD)).copy, hashlib.sha256(key.translate(_OPAD)).copy


def make_code(ticket: TicketId, key: bytes) -> str:
    """Return the ticket's 21-digit code (no separators): the barcode payload and what the database stores."""
    return CodeMaker(key).make(ticket)


class CodeMaker:
    """``make_code`` for many tickets under one key, as for a print lot of millions of tickets.

    The key's HMAC state is prepared once and copied per ticket, instead of hashing the key pads each time.
    """

    __slots__ = ("_mac",)

    def __init__(self, key: bytes) -> None:
        if not key:
            raise ValueError("a campaign key is required to make ticket codes")
        self._mac = hmac.new(key, digestmod="sha256")

    def make(self, ticket: TicketId) -> str:
        head = ticket.head
        mac = self._mac.copy()
        mac.update(head.encode("ascii"))
        body = head + _check_code_from_mac(mac.digest())
        return body + str(_damm_interim(body))


def group_code(code: str) -> str:
    """Return the printed grouping ``PPD-BBBBBBB-TT-CCCC-CCCCX`` of a 21-digit code.

    Groups of at most 7 digits are what people can read aloud and retype without losing their place; the
    first group (prefix + denomination) is what a clerk checks first to see whose ticket it is.
    """
    if len(code) != CODE_LENGTH or not _is_ascii_digits(code):
        raise ValueError(f"a ticket code has {CODE_LENGTH} digits, not {code!r}")
    return "-".join(code[start:end] for start, end in _GROUPS)


def normalize_input(text: str) -> str:
    """Turn what a clerk typed or a scanner sent into bare digits, leaving anything unexpected in place.

    NFKC turns full-width digits (１２３) into ASCII. Spaces and every hyphen or dash people type between
    the groups are dropped. Anything else stays, so a letter O typed for a zero makes the code malformed
    instead of silently becoming some other ticket.
    """
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    text = text.translate(_DROP_SEPARATORS)
    if not text.isascii():
        text = _OTHER_WHITESPACE.sub("", text)
    return text


class Verdict(enum.StrEnum):
    """What a code turned out to be, checked from cheapest to most expensive."""

    VALID = "valid"
    MALFORMED = "malformed"
    TYPO = "typo"
    UNKNOWN_CAMPAIGN = "unknown_campaign"
    BAD_CHECK = "bad_check"


@dataclass(frozen=True, slots=True)
class ParsedCode:
    """The result of reading one code: the verdict, the normalised digits and, if well-formed, the ticket.

    ``ticket`` is set for every verdict except MALFORMED, so a typo or bad check can still be logged
    against the book it claims to be from; only VALID means the ticket is genuine.
    """

    verdict: Verdict
    digits: str
    ticket: TicketId | None

    @property
    def is_valid(self) -> bool:
        return self.verdict is Verdict.VALID

    @property
    def message(self) -> str:
        """A short explanation a clerk can act on, in the active language."""
        if self.verdict is Verdict.VALID:
            return gettext("The ticket code is valid.")
        if self.verdict is Verdict.MALFORMED:
            return gettext(
                "This is not a ticket code. A ticket code has 21 digits; check for missing or extra digits."
            )
        if self.verdict is Verdict.TYPO:
            return gettext(
                "The ticket code has a typing error. Compare each digit with the ticket and enter it again."
            )
        if self.verdict is Verdict.UNKNOWN_CAMPAIGN:
            return gettext("The ticket code does not belong to any campaign in this system.")
        return gettext(
            "The check code does not match. The ticket may be forged, or several digits were entered wrongly."
        )


KeyLookup = Callable[[int], bytes | None]


def _ticket_from_digits(digits: str) -> TicketId | None:
    """The TicketId in a 21-digit string, or None if a field is impossible (prefix < 10, or a zero)."""
    # One int() and arithmetic is cheaper than four int() calls on slices.
    rest, ticket = divmod(int(digits[:HEAD_LENGTH]), 100)
    rest, book = divmod(rest, 10_000_000)
    prefix, denomination = divmod(rest, 10)
    if prefix < 10 or denomination == 0 or book == 0 or ticket == 0:
        return None
    return TicketId(prefix, denomination, book, ticket)


_NOT_LOOKED_UP = object()


class _Verifier:
    """Checks codes against a key lookup, keeping one HMAC object per campaign prefix.

    Building an HMAC object hashes the key pads; a copy of a ready one skips that. Looking a prefix up once
    also means ``key_for_prefix`` may do real work (a settings or database lookup) without running a million
    times in a bulk verification.
    """

    __slots__ = ("_key_for_prefix", "_macs")

    def __init__(self, key_for_prefix: KeyLookup) -> None:
        self._key_for_prefix = key_for_prefix
        self._macs: dict[int, hmac.HMAC | None] = {}

    def _mac_for(self, prefix: int) -> hmac.HMAC | None:
        key = self._key_for_prefix(prefix)
        mac = hmac.new(key, digestmod="sha256") if key else None
        self._macs[prefix] = mac
        return mac

    def parse(self, text: str) -> ParsedCode:
        # Scanners send exactly 21 ASCII digits; only typed input needs normalising.
        if len(text) == CODE_LENGTH and text.isascii() and text.isdigit():
            digits = text
        else:
            digits = normalize_input(text)
            if len(digits) != CODE_LENGTH or not _is_ascii_digits(digits):
                return ParsedCode(Verdict.MALFORMED, digits, None)
        ticket = _ticket_from_digits(digits)
        if ticket is None:
            return ParsedCode(Verdict.MALFORMED, digits, None)
        if not _damm_code_ok(digits):
            return ParsedCode(Verdict.TYPO, digits, ticket)
        base = self._macs.get(ticket.prefix, _NOT_LOOKED_UP)
        if base is _NOT_LOOKED_UP:
            base = self._mac_for(ticket.prefix)
        if base is None:
            return ParsedCode(Verdict.UNKNOWN_CAMPAIGN, digits, ticket)
        mac = base.copy()
        mac.update(digits[:HEAD_LENGTH].encode("ascii"))
        expected = _check_code_from_mac(mac.digest())
        if not hmac.compare_digest(expected, digits[HEAD_LENGTH : HEAD_LENGTH + CHECK_CODE_LENGTH]):
            return ParsedCode(Verdict.BAD_CHECK, digits, ticket)
        return ParsedCode(Verdict.VALID, digits, ticket)


def parse_code(text: str, key_for_prefix: KeyLookup) -> ParsedCode:
    """Read one typed or scanned code and say what it is.

    The checks run in order of cost and of what the clerk should hear first: not a code at all
    (MALFORMED), a typing error the Damm digit catches (TYPO), a prefix no campaign key exists for
    (UNKNOWN_CAMPAIGN), a keyed check code that does not match (BAD_CHECK), else VALID.
    ``key_for_prefix`` returns the campaign key for a serial prefix, or None; see ``keys_by_prefix``.
    """
    return _Verifier(key_for_prefix).parse(text)


def verify_many(codes: Iterable[str], key_for_prefix: KeyLookup) -> Iterator[ParsedCode]:
    """``parse_code`` for a stream of codes (a cutoff's redemptions), lazily and in the same order.

    Keys are looked up once per prefix, not once per code.
    """
    parse = _Verifier(key_for_prefix).parse
    for code in codes:
        yield parse(code)


def keys_by_prefix(campaigns: Iterable[tuple[int, str]]) -> dict[int, bytes]:
    """Map serial prefixes to MAC keys in ``settings.VOUCHER_MAC_KEYS``, given (prefix, campaign code) pairs.

    A campaign without a configured key is left out, so its codes read as UNKNOWN_CAMPAIGN rather than
    being checked against some wrong key. Use the result's ``.get`` as ``key_for_prefix``.
    """
    configured: dict[str, bytes] = getattr(settings, "VOUCHER_MAC_KEYS", {}) or {}
    return {prefix: configured[code] for prefix, code in campaigns if configured.get(code)}

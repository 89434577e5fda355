"""The verification engine: every serial read from an envelope is classified in a few set-based statements.

    file bytes → decode (UTF-8, UTF-8 BOM, CP932) → lines → 21 digits + Damm check   (Python, per line)
              → keyed check code (HMAC, key from the environment, never in the DB)  (Python, per code)
                and repeats inside the file (a set of the codes seen so far), and the books first seen
              → in batches (small at both ends of the file), sorted by book and ticket in Python; then, in a
                thread of their own while Python reads the next batch: COPY into a temporary staging table,
                the batch's new books looked up once (intake_books), and one statement under a per-campaign
                advisory lock that classifies the codes against the books (issued? sold?) and earlier
                redemptions, inserts the payable tickets (the primary key, the ticket itself, is the last
                guard) and stores every other outcome with its class (and, for a repeat, the key of the first
                redemption)

A file with unreadable lines (letters, wrong length, wrong Damm digit) is refused with the line numbers unless
the clerk explicitly accepts the good lines; nothing is ever half-saved.
"""

from __future__ import annotations

import hashlib
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.audit import audit_log
from campaign.errors import DomainError
from campaign.models import Campaign
from settlement.models import BatchEnvelope, Envelope, SerialRead, VerificationClass
from vouchers.serials import (
    CHECK_MODULUS,
    DAMM_TRIPLES,
    Verdict,
    check_code_pads,
    damm_valid,
    keys_by_prefix,
    normalize_input,
    parse_code,
)

MAX_BYTES = 64 * 1024 * 1024
MAX_LINES = 2_000_000
# Codes per batch (one COPY and one classify-and-record statement each). While the database records one batch,
# Python reads the next, so a reading takes about as long as its slower half plus what cannot overlap: Python's
# reading of the first batch and the database's recording of the last. Both ends are therefore small; the middle
# batches are large enough that each statement's fixed costs (its ANALYZE, plans, hashing the books) stay small.
# The sizes are planned from the number of lines (see _batch_sizes).
FIRST_BATCH_CODES = 25_000
BATCH_CODES = 200_000
BATCH_GROWTH = 2
SWITCH_INTERVAL = 0.0005  # seconds; Python's default is 0.005
_COLUMN_SPLIT = re.compile(r"[,\t]")


class IntakeError(DomainError):
    """The reading was refused; nothing was saved. ``errors`` lists unreadable lines when there are any."""

    def __init__(self, message: str, errors: list[LineError] | None = None):
        super().__init__(message)
        self.errors = errors or []


class IntakeStatementError(RuntimeError):
    """The classify-and-record statement did not account for every staged line exactly once (a defect, never
    bad input): the reading is rolled back."""


@dataclass(frozen=True)
class LineError:
    line_no: int
    text: str
    reason: str


@dataclass
class ReadReport:
    read: SerialRead
    counts: Counter = field(default_factory=Counter)  # verification class → serials
    accepted_amount: int = 0
    skipped: list[LineError] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # phase → seconds, for bench_intake

    @property
    def accepted(self) -> int:
        return self.counts.get(VerificationClass.VALID, 0)

    @property
    def rejected(self) -> int:
        return sum(n for cls, n in self.counts.items() if cls != VerificationClass.VALID)


def decode_scanner_file(content: bytes) -> str:
    if not content:
        raise IntakeError(_("The file is empty."))
    if len(content) > MAX_BYTES:
        raise IntakeError(_("The file is larger than %(mb)s MB; split it into smaller files.")
                          % {"mb": MAX_BYTES // (1024 * 1024)})
    if b"\x00" in content[:65536]:
        raise IntakeError(_("This is not a text file (it looks like a binary file). Upload the scanner's CSV or text "
                            "output."))
    if content.startswith(b"\xef\xbb\xbf"):
        try:
            return content[3:].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise IntakeError(_("The file says it is UTF-8 but is not (byte %(pos)s).") % {"pos": exc.start}) from exc
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp932")
    except UnicodeDecodeError as exc:
        raise IntakeError(_("The file is neither UTF-8 nor Shift_JIS (CP932) text (byte %(pos)s).")
                          % {"pos": exc.start}) from exc


def _parse_line(line_no: int, raw: str) -> tuple[str, str] | LineError | None:
    """One line as a clerk's scanner or keyboard sent it: (21 digits, extra columns), an error, or None if blank."""
    line = raw.strip()
    if not line:
        return None
    parts = _COLUMN_SPLIT.split(line, maxsplit=1)
    digits = normalize_input(parts[0])
    extra = parts[1].strip() if len(parts) > 1 else ""
    if not digits.isascii() or not digits.isdigit():
        return LineError(line_no, line[:60], _("contains characters other than digits"))
    if len(digits) != 21:
        return LineError(line_no, line[:60], _("%(n)s digits; a ticket code has 21") % {"n": len(digits)})
    if not damm_valid(digits):
        return LineError(line_no, line[:60], _("the check digit does not match (a misread or typo)"))
    return digits, extra[:300]


def parse_lines(lines) -> tuple[list[tuple[int, str, str]], list[LineError]]:
    """(line number, 21 digits, extra columns) for every readable line, and an error for every other line.
    Blank lines are ignored."""
    codes: list[tuple[int, str, str]] = []
    errors: list[LineError] = []
    for line_no, raw in enumerate(lines, start=1):
        parsed = _parse_line(line_no, raw)
        if isinstance(parsed, LineError):
            errors.append(parsed)
        elif parsed is not None:
            codes.append((line_no, *parsed))
    if len(codes) + len(errors) > MAX_LINES:
        raise IntakeError(_("The file has more than %(max)s lines; split it.") % {"max": f"{MAX_LINES:,}"})
    return codes, errors


_COPY_SPECIALS = re.compile(r"[\\\t\r\n\x00]")
_COPY_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\r": "\\r", "\n": "\\n", "\x00": ""}


def _copy_text(value: str) -> str:
    """``value`` as a field of COPY's text format (PostgreSQL text cannot hold NUL: it is dropped)."""
    if _COPY_SPECIALS.search(value) is None:
        return value
    return _COPY_SPECIALS.sub(lambda m: _COPY_ESCAPES[m.group()], value)


class _Scan:
    """Reads lines into COPY rows for the staging table, judging each code as far as Python can.

    The hot path is a line of exactly 21 ASCII digits (what scanners send): one Damm check, one keyed check
    code and one formatted row, with no per-code objects. The two checks are spelled out in the loop, on the
    tables and pads of ``vouchers.serials`` (``DAMM_TRIPLES``, ``check_code_pads``), rather than called: two
    calls a code were about a tenth of the loop's time. Every other line
    (spaces, hyphens, full-width digits, extra columns, letters) goes through ``_parse_line``, the same
    reading a typed code gets; codes of other campaigns go through ``vouchers.serials`` in full. Each row is
    one line of COPY text that starts with the code's book and ticket digits (the batch's sort key); the rows
    come in lists of ``CHUNK_ROWS``, gathered into batches by ``_verify`` and recorded by ``_Recorder`` while
    the next batch is read, so Python and PostgreSQL work at the same time.
    """

    CHUNK_ROWS = 5_000

    def __init__(self, *, campaign: Campaign, keys: dict[int, bytes], valid_class: str = "valid") -> None:
        self.prefix = campaign.serial_prefix
        key = keys.get(self.prefix)
        # Without a key for the envelope's own campaign, its codes read as "another campaign", as before.
        self.fast_prefix = f"{self.prefix:02d}" if key else None
        self.pads = check_code_pads(key) if key else None
        self.key_for_prefix = keys.get
        # What a genuine code of this campaign is: payable ("valid"), or, without looking at the books,
        # "outside_usage_period" (a late or early envelope) or "merchant_suspended" (kept as evidence).
        self.valid_class = valid_class
        self.errors: list[LineError] = []
        # The books of the payable-looking codes read so far that have not been handed to a batch yet (see
        # take_new_books): each book is looked up in the database once per reading, by the first batch that has it.
        self.new_books: list[str] = []
        self.codes = 0
        self.python_seconds = 0.0

    def _judge_slowly(self, digits: str) -> str:
        result = parse_code(digits, self.key_for_prefix)  # rare: codes of other campaigns, zero fields
        if result.verdict == Verdict.VALID:
            return self.valid_class if result.ticket.prefix == self.prefix else "other_campaign"
        if result.verdict == Verdict.UNKNOWN_CAMPAIGN:
            return "other_campaign"
        if result.verdict == Verdict.MALFORMED:  # a zero book, ticket or denomination: stored with book 0
            return "malformed"
        return "bad_check"  # the Damm digit is right but the keyed check code is not: forged (or badly mistyped)

    def take_new_books(self) -> list[int]:
        """The books first seen since the last call (for the batch of the rows yielded so far), in order: the
        lookup then walks the books' index from one end to the other instead of jumping about it."""
        books = sorted(map(int, self.new_books))
        self.new_books.clear()
        return books

    def rows(self, lines: Iterable[str]) -> Iterator[list[str]]:
        started = time.perf_counter()
        fast_prefix, t, modulus = self.fast_prefix, DAMM_TRIPLES, CHECK_MODULUS
        inner_copy, outer_copy = self.pads or (None, None)
        valid_only = self.valid_class == "valid"
        errors, seen, buffer = self.errors, set(), []
        known_books, new_books = set(), self.new_books
        append = buffer.append
        codes = 0
        for line_no, line in enumerate(lines, start=1):
            if len(line) == 21 and line.isdigit() and line.isascii():
                # The Damm check of all 21 digits, three at a time: a final state other than 0 is a typo.
                if t[t[t[t[t[t[t[0][line[0:3]]][line[3:6]]][line[6:9]]][line[9:12]]][line[12:15]]][line[15:18]]][
                        line[18:21]]:
                    errors.append(LineError(line_no, line, _("the check digit does not match (a misread or typo)")))
                    continue
                digits, extra = line, ""
            else:
                parsed = _parse_line(line_no, line)
                if parsed is None:
                    continue
                if isinstance(parsed, LineError):
                    errors.append(parsed)
                    continue
                digits, extra = parsed[0], _copy_text(parsed[1])
            codes += 1
            book = digits[3:10]
            if (fast_prefix is not None and digits.startswith(fast_prefix) and digits[2] != "0"
                    and book != "0000000" and digits[10:12] != "00"):
                # The keyed check code: HMAC-SHA256 of the first 12 digits, on the prepared pads.
                inner = inner_copy()
                inner.update(digits[:12].encode("ascii"))
                outer = outer_copy()
                outer.update(inner.digest())
                if int.from_bytes(outer.digest()[:8], "big") % modulus != int(digits[12:20]):
                    cls = "bad_check"
                elif not valid_only:
                    cls = self.valid_class
                elif digits in seen:  # the same code earlier in this reading: a duplicate if that one is payable
                    cls = "dup"
                else:
                    seen.add(digits)
                    cls = "valid"
            else:
                cls = self._judge_slowly(digits)
                if cls == "valid":
                    cls = "dup" if digits in seen else "valid"
                    seen.add(digits)
            if (cls == "valid" or cls == "dup") and book not in known_books:  # to be looked up (take_new_books)
                known_books.add(book)
                new_books.append(book)
            append(f"{book}\t{digits[10:12]}\t{digits[2]}\t{line_no}\t{digits}\t{cls}\t{extra}\n")
            if len(buffer) >= self.CHUNK_ROWS:
                self.codes = codes
                self.python_seconds += time.perf_counter() - started
                yield buffer
                started = time.perf_counter()
                buffer = []
                append = buffer.append
        self.codes = codes
        self.python_seconds += time.perf_counter() - started
        if buffer:
            yield buffer


def _batch_sizes(total: int) -> Iterator[int]:
    """Batch sizes, in codes, for a reading of about ``total`` lines: from FIRST_BATCH_CODES growing up to
    BATCH_CODES, equal batches of at most BATCH_CODES in the middle, and the same steps down at the end (then
    BATCH_CODES for ever, should there be more codes than lines were counted)."""
    head: list[int] = []
    size = FIRST_BATCH_CODES
    while size < BATCH_CODES and 2 * (sum(head) + size) <= total:
        head.append(size)
        size = int(size * BATCH_GROWTH)
    middle = total - 2 * sum(head)
    tail = head[::-1]
    if head and middle < head[-1]:  # too little for a batch between the two ramps: the largest step takes it
        middle += tail.pop(0)
    parts = -(-middle // BATCH_CODES) if middle > 0 else 0
    yield from head
    yield from [-(-middle // parts)] * parts if parts else []
    yield from tail
    while True:
        yield BATCH_CODES


_switching_lock = threading.Lock()
_switching_readers = 0
_switching_saved = 0.005


@contextmanager
def _fine_switching() -> Iterator[None]:
    """A short interpreter switch interval while a reading runs. The recorder's thread needs the interpreter for a
    moment at each step of its COPY and between its statements, while the reading thread reads without pause: at
    Python's default interval it would wait up to 5 ms each time, and the database with it. The interval is
    process-wide, so readings in several threads of one process share it: the first sets it, the last restores
    what was there before."""
    global _switching_readers, _switching_saved
    with _switching_lock:
        if not _switching_readers:
            _switching_saved = sys.getswitchinterval()
            sys.setswitchinterval(SWITCH_INTERVAL)
        _switching_readers += 1
    try:
        yield
    finally:
        with _switching_lock:
            _switching_readers -= 1
            if not _switching_readers:
                sys.setswitchinterval(_switching_saved)


def _check_envelope(envelope: Envelope, *, hold_suspended: bool = False) -> None:
    """Refuse a reading the envelope cannot take. Once an envelope is reconciled its figures are what a cutoff
    pays (or has paid): it accepts no further reading, whatever page or command asks."""
    if envelope.status == Envelope.Status.SETTLED:
        raise IntakeError(_("Envelope %(number)s is already settled; its tickets cannot change.")
                          % {"number": envelope.number})
    entry = BatchEnvelope.objects.filter(envelope=envelope).select_related("batch__cutoff").first()
    if entry is not None:
        raise IntakeError(_("Envelope %(number)s is in the batch of the cutoff of %(day)s; its tickets cannot "
                            "change.") % {"number": envelope.number,
                                          "day": entry.batch.cutoff.cutoff_date.isoformat()})
    if envelope.status == Envelope.Status.RECONCILED:
        raise IntakeError(_("Envelope %(number)s is already reconciled and waits for its cutoff; its tickets cannot "
                            "change.") % {"number": envelope.number})
    if envelope.received_on is None:
        raise IntakeError(_("Record the receipt of envelope %(number)s before reading its tickets.")
                          % {"number": envelope.number})
    if envelope.merchant.is_suspended and not hold_suspended:
        raise IntakeError(_("The merchant of envelope %(number)s is suspended; its tickets are not read. To keep "
                            "them as evidence without paying, choose to record them as held.")
                          % {"number": envelope.number})


# Classify and record in one statement. Every line arrives in the staging table already judged by Python as far
# as Python can judge it: 'valid' (the keyed check code matches, the campaign is this envelope's), 'dup' (the
# same, but the code was already seen earlier in this reading), or its final class ('bad_check', 'malformed',
# 'other_campaign', 'outside_usage_period'); with its book, ticket and denomination digits as integers; and in
# book and ticket order (_Recorder.record sorts each batch).
#
# Each distinct book is looked up once per reading, just before the first statement whose batch has it
# (_LOOK_UP_BOOKS: never issued? sold? any ticket redeemed before?). The statement then, for the books
# that have earlier redemptions, probes the redemptions' primary key — the ticket itself — for each valid ticket
# (in index order, so neighbouring probes share pages; the key alone answers) and keeps the lines that hit as
# repeats. Then two passes over the staging table, each a hash join with the books: one inserts the payable
# tickets (in that same order), the other writes an outcome row for every other line, a repeat with the key of
# its first redemption (its campaign, beside the outcome's own book and ticket). Each line flows through a scan,
# a join and a filter per pass and nothing is materialized per line: against ten million redemptions this
# took about 15% less database time than one pass that classified every line into a materialized table and read
# it back three times (bench_intake's statements, relative to its Python reading time, over several runs).
#
# Why a plain INSERT after a probe rather than INSERT … ON CONFLICT DO NOTHING: measured on a million codes
# against ten million redemptions, the speculative insertion ON CONFLICT needs (a pre-check, a token, a second
# WAL record to confirm each row) cost more than twice a plain insert — 7.8 s against 3.4 s, plus the probe's
# 2.5 s. What ON CONFLICT gave — a concurrent reading that inserted the same ticket a moment ago makes this one
# skip it instead of failing — comes instead from _SERIALIZE below: readings of one campaign take turns at this
# statement, each one's probe sees every ticket the previous one recorded, and the primary key remains the last
# guard against paying twice (a writer that bypassed the lock would get an error, never a second payment).
_LOOK_UP_BOOKS = """
-- The books of this batch's codes that no earlier batch of this reading had (Python keeps the list): each one's
-- state, denomination and whether any of its tickets was redeemed before this reading, one index probe each (the
-- LIMIT keeps the planner from hashing all of the campaign's books instead). Kept in intake_books for the rest of
-- the reading, so a whole reading judges a book by one look at it (and what an earlier batch of this same reading
-- recorded does not count: a code read twice in one file is a duplicate already, see _Scan).
INSERT INTO intake_books (number, state, denomination_id, denom, face_value, tickets_per_book, has_redemptions)
SELECT b.number, b.state, d.id, d.code, d.face_value, d.tickets_per_book,
       EXISTS (SELECT 1 FROM settlement_redemption r WHERE r.campaign_id = %(campaign)s AND r.book = b.number)
FROM unnest(%(books)s::int[]) x(book)
CROSS JOIN LATERAL (SELECT * FROM vouchers_book b WHERE b.campaign_id = %(campaign)s AND b.number = x.book
                    LIMIT 1) b
JOIN campaign_denomination d ON d.id = b.denomination_id
"""

_CLASSIFY_AND_RECORD = """
-- The books come from intake_books (see _LOOK_UP_BOOKS), a table with a unique key, so the planner hashes them
-- (tens of thousands of rows) rather than the batch's lines (hundreds of thousands) in each pass below.
--
WITH repeats AS MATERIALIZED (
    SELECT s.line_no
    FROM intake_staging s
    JOIN intake_books b ON b.number = s.book AND b.has_redemptions
    JOIN LATERAL (SELECT 1 FROM settlement_redemption r
                  WHERE r.campaign_id = %(campaign)s AND r.book = s.book AND r.ticket = s.ticket
                  FOR KEY SHARE) r ON true
    WHERE s.cls = 'valid'
),
inserted AS (
    INSERT INTO settlement_redemption
        (campaign_id, denomination_id, book, ticket, face_value, envelope_id, read_id, merchant_id, redeemed_at)
    SELECT %(campaign)s, b.denomination_id, s.book, s.ticket, b.face_value, %(envelope)s, %(read)s, %(merchant)s,
           %(now)s
    FROM intake_staging s
    JOIN intake_books b ON b.number = s.book
    WHERE s.cls = 'valid' AND b.denom = s.denom AND s.ticket <= b.tickets_per_book AND b.state = 'sold'
      AND NOT (b.has_redemptions AND s.line_no IN (SELECT line_no FROM repeats))
    RETURNING face_value
),
rejected AS (
    INSERT INTO settlement_readoutcome
        (read_id, envelope_id, line_no, code, verification, detail, book, ticket, repeat_campaign_id, extra)
    SELECT %(read)s, %(envelope)s, j.line_no, j.code, CASE WHEN j.cls = 'malformed' THEN 'bad_check' ELSE j.cls END,
           j.detail, CASE WHEN j.cls = 'malformed' THEN 0 ELSE j.book END,
           CASE WHEN j.cls = 'malformed' THEN 0 ELSE j.ticket END,
           CASE WHEN j.cls = 'already_redeemed' THEN %(campaign)s::bigint END, j.extra
    FROM (
        -- The same conditions as the insert's, line by line, in the order of DESIGN.md's classes. (Written
        -- twice because one shared, inlined definition cost 3 to 8 per cent more on 300,000-line batches;
        -- _Recorder checks that every line comes out of exactly one of the two inserts.)
        SELECT s.line_no, s.code, s.extra, s.book, s.ticket,
               CASE
                   WHEN s.cls NOT IN ('valid', 'dup') THEN s.cls
                   WHEN b.number IS NULL OR b.denom <> s.denom OR s.ticket > b.tickets_per_book THEN 'never_issued'
                   -- A ticket paid before is a repeat whatever its book's state: an unsold-stock ticket a reviewer
                   -- accepted (by_decision) is paid, and a second claim for it points at that payment.
                   WHEN b.has_redemptions AND s.line_no IN (SELECT line_no FROM repeats) THEN 'already_redeemed'
                   WHEN b.state <> 'sold' THEN 'unsold'
                   WHEN s.cls = 'dup' THEN 'duplicate_in_batch'
                   ELSE 'valid'
               END AS cls,
               CASE WHEN s.cls IN ('valid', 'dup') AND b.state <> 'sold'
                         AND NOT (s.cls = 'valid' AND b.has_redemptions
                                  AND s.line_no IN (SELECT line_no FROM repeats))
                    THEN b.state ELSE '' END AS detail
        FROM intake_staging s
        LEFT JOIN intake_books b ON s.cls IN ('valid', 'dup') AND b.number = s.book
    ) j
    WHERE j.cls <> 'valid'
    RETURNING verification
)
SELECT verification, count(*), 0 FROM rejected GROUP BY 1
UNION ALL
SELECT 'valid', count(*), coalesce(sum(face_value), 0) FROM inserted
"""

# Readings of one campaign take turns from here to their commit (a transaction-scoped advisory lock; the key is
# the campaign's id under a namespace of this module's own). A clerk's 2,000-code file holds it for a few
# hundredths of a second, a million-code file for a few seconds; readings of other campaigns never wait.
_SERIALIZE = "SELECT pg_advisory_xact_lock(%(namespace)s::int, %(campaign)s::int)"
_LOCK_NAMESPACE = 0x5E7A  # "settlement intake"; int4, distinct from any other advisory lock in this project


def redemptions_take_turn(campaign_id: int) -> None:
    """Take the campaign's turn at recording redemptions (the readings' advisory lock, until the commit) in the
    current transaction: a redemption recorded outside a reading (a reviewer's decision) waits for the reading
    in progress, and the next reading's probe sees it."""
    with connection.cursor() as cursor:
        cursor.execute(_SERIALIZE, {"namespace": _LOCK_NAMESPACE, "campaign": campaign_id})


# The statement above inserts up to a million rows into tables with foreign keys (campaign, denomination,
# envelope, read, merchant): PostgreSQL checks each with a trigger per row and key, five lookups per ticket,
# which measured at four times the cost of the insert itself. When the connection may (a superuser, or
# `GRANT SET ON PARAMETER session_replication_role TO <role>`), and the two tables have no trigger of their own
# that would be skipped too, the statement runs with those triggers off instead; the rows it references are
# locked FOR KEY SHARE first — exactly the lock each trigger would take — so none can be deleted or re-keyed
# before the commit, and every value it writes comes from those rows or from this reading (a repeat's first
# redemption is locked the same way by the probe that finds it). Primary key, unique, check and not-null
# constraints are not triggers and still apply: the primary key remains the last guard against paying twice.
# Otherwise the triggers run as usual (same results, slower).
_SKIP_RI = """
SELECT has_parameter_privilege('session_replication_role', 'SET')
   AND NOT EXISTS (SELECT 1 FROM pg_trigger
                   WHERE tgrelid IN ('settlement_redemption'::regclass, 'settlement_readoutcome'::regclass)
                     AND NOT tgisinternal)
"""

_LOCK_REFERENCED = """
SELECT (SELECT count(*) FROM (SELECT 1 FROM campaign_campaign WHERE id = %(campaign)s FOR KEY SHARE) c)
     + (SELECT count(*) FROM (SELECT 1 FROM campaign_denomination WHERE campaign_id = %(campaign)s FOR KEY SHARE) d)
     + (SELECT count(*) FROM (SELECT 1 FROM settlement_envelope WHERE id = %(envelope)s FOR KEY SHARE) e)
     + (SELECT count(*) FROM (SELECT 1 FROM settlement_merchant WHERE id = %(merchant)s FOR KEY SHARE) m)
"""


def _may_skip_ri_triggers(cursor) -> bool:
    cursor.execute(_SKIP_RI)
    return bool(cursor.fetchone()[0])


def envelope_read(*, actor, envelope: Envelope, source: str, content: bytes | None = None,
                  codes: list[str] | None = None, file_name: str = "", accept_good_lines: bool = False,
                  hold_suspended: bool = False, request=None) -> ReadReport:
    """Read serials into an envelope (a scanner file's bytes, or codes keyed by hand) and verify every one.

    A suspended merchant's envelope is refused unless ``hold_suspended``: then its genuine codes are recorded as
    "merchant suspended" (evidence, never payable) and the forged or foreign ones with their own class."""
    with transaction.atomic():
        # The envelope's row is held until the reading commits: a reconciliation, a review decision or a release
        # waits for it, and a reading never starts on an envelope that is reconciled or in a batch (the close of a
        # cutoff takes only reconciled envelopes, so it never takes one that is being read).
        envelope = (Envelope.objects.select_for_update(no_key=True, of=("self",))
                    .select_related("merchant", "campaign").get(pk=envelope.pk))
        return _read_locked(actor=actor, envelope=envelope, source=source, content=content, codes=codes,
                            file_name=file_name, accept_good_lines=accept_good_lines, hold_suspended=hold_suspended,
                            request=request)


def _read_locked(*, actor, envelope: Envelope, source: str, content: bytes | None, codes: list[str] | None,
                 file_name: str, accept_good_lines: bool, hold_suspended: bool, request) -> ReadReport:
    started = time.perf_counter()
    _check_envelope(envelope, hold_suspended=hold_suspended)
    if content is not None:
        digest = hashlib.sha256(content).hexdigest()
        earlier = SerialRead.objects.filter(sha256=digest).select_related("envelope").first()
        if earlier is not None:
            raise IntakeError(_("This file was already read on %(at)s into envelope %(number)s.")
                              % {"at": timezone.localtime(earlier.read_at).strftime("%Y-%m-%d %H:%M"),
                                 "number": earlier.envelope.number})
        lines = decode_scanner_file(content).splitlines()
    else:
        digest = ""
        lines = codes or []
    timings = {"decode": time.perf_counter() - started}
    return _verify(actor=actor, envelope=envelope, source=source, digest=digest, file_name=file_name, lines=lines,
                   accept_good_lines=accept_good_lines, request=request, timings=timings)


class _Recorder:
    """Copies a batch of staged rows, looks its new books up and runs the classify-and-record statement on it, in
    a thread of its own.

    The batch is copied and recorded on the server while this process reads and checks the next batch's lines,
    so the Python work (HMAC and Damm checks, a few microseconds a line) overlaps the database's instead of
    preceding it: on two cores a million-line file takes about as long as its slower half. Only one thing ever
    uses the connection at a time: the thread's work on a batch is waited for before the next batch is handed
    over, and everything else in this reading runs after the last one. (The thread uses the DB-API connection
    directly; Django's connection wrapper belongs to the calling thread.)
    """

    def __init__(self, cursor, *, params: dict, skip_ri: bool) -> None:
        self.raw = cursor.connection  # psycopg's connection under Django's wrapper, in this transaction
        self.params = params
        self.skip_ri = skip_ri
        self.counts: Counter = Counter()
        self.amount = 0
        self.copy_seconds = self.statement_seconds = self.wait_seconds = self.sort_seconds = 0.0
        self.batches = 0
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="intake")
        self._running: Future | None = None

    def record(self, chunks: list[list[str]], books: list[int]) -> None:
        """Record a batch: its rows, and the books first seen in it (to be looked up)."""
        # Rows in book and ticket order (each row starts with those digits), sorted here while the database
        # still works on the previous batch: the statement then probes and inserts in index order without a
        # sort of its own. (Order is for speed only; no result depends on it.)
        started = time.perf_counter()
        rows = [row for chunk in chunks for row in chunk]
        rows.sort()
        lines = len(rows)
        text = "".join(rows)
        del rows
        self.sort_seconds += time.perf_counter() - started
        self.wait()
        first = not self.batches
        self.batches += 1
        self._running = self._pool.submit(self._copy_and_classify, text, lines, books, first)

    def _copy_and_classify(self, text: str, lines: int, books: list[int], first: bool) -> None:
        # The COPY runs here too, not in the reading thread: the server parses it while Python reads on.
        started = time.perf_counter()
        with self.raw.cursor() as cursor:
            if not first:
                cursor.execute("TRUNCATE intake_staging")
            with cursor.copy("COPY intake_staging (book, ticket, denom, line_no, code, cls, extra) FROM STDIN") \
                    as copy:
                copy.write(text)
            self.copy_seconds += time.perf_counter() - started
            started = time.perf_counter()
            # The planner's view of the batch: how many lines and books, how many of each class. Only the columns
            # the statement joins and filters on, from a small sample (see _verify): the code and extra columns'
            # statistics cost five times as much and decide nothing.
            cursor.execute("ANALYZE intake_staging (book, ticket, denom, cls)")
            if books:
                cursor.execute(_LOOK_UP_BOOKS, {**self.params, "books": books})
            if self.skip_ri:
                cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(_CLASSIFY_AND_RECORD, self.params)
            counted = cursor.fetchall()
            if self.skip_ri:  # (on an error, the rollback undoes the SET LOCAL)
                cursor.execute("SET LOCAL session_replication_role = origin")
        # The statement's two inserts state the class conditions twice (see _CLASSIFY_AND_RECORD): every line must
        # come out of exactly one of them. Otherwise the reading is refused whole (the caller's rollback).
        if sum(count for _cls, count, _amount in counted) != lines:
            raise IntakeStatementError(
                f"{lines} lines staged, but {sum(c for _k, c, _a in counted)} recorded as paid or rejected: the "
                f"classify-and-record statement's two passes disagree; nothing of this reading is saved.")
        for cls, count, amount in counted:
            self.counts[cls] += count
            self.amount += amount
        self.statement_seconds += time.perf_counter() - started

    def wait(self) -> None:
        """Wait for the batch in flight (re-raising its error, if it failed)."""
        if self._running is not None:
            started = time.perf_counter()
            running, self._running = self._running, None
            with connection.wrap_database_errors:  # psycopg's errors as Django's, as for any other statement
                running.result()
            self.wait_seconds += time.perf_counter() - started

    def close(self) -> None:
        try:
            self.wait()
        finally:
            self._pool.shutdown(wait=True)


def _relief_covers(envelope: Envelope) -> bool:
    from settlement.services.cutoffs import relief_covers  # (the services package imports this module)

    return relief_covers(envelope) is not None


def _verify(*, actor, envelope, source, digest, file_name, lines, accept_good_lines, request, timings) -> ReadReport:
    campaign: Campaign = envelope.campaign
    keys = keys_by_prefix(Campaign.objects.values_list("serial_prefix", "code"))
    if envelope.merchant.is_suspended:
        valid_class = "merchant_suspended"
    elif envelope.received_on < campaign.usage_start or (envelope.received_on > campaign.settlement_deadline
                                                          and not _relief_covers(envelope)):
        # Received after the settlement deadline: not payable, unless a manager opened a relief cutoff for it.
        valid_class = "outside_usage_period"
    else:
        valid_class = "valid"
    scan = _Scan(campaign=campaign, keys=keys, valid_class=valid_class)
    with transaction.atomic(), connection.cursor() as cursor:
        # Lines are judged, copied and recorded in batches; a refused file is rolled back with everything else,
        # so nothing is ever half-saved. The staging table is dropped at commit; dropped here too in case an
        # outer transaction (a test, a batch) is still open. No index: every statement reads it whole.
        started = time.perf_counter()
        cursor.execute("DROP TABLE IF EXISTS intake_staging")
        cursor.execute("CREATE TEMPORARY TABLE intake_staging (book int, ticket int, denom int, line_no int, "
                       "code text, cls text, extra text) "
                       "ON COMMIT DROP")
        # 3,000 sampled lines per batch are plenty for these columns' statistics (ANALYZE of a 300,000-line batch:
        # 12–18 ms, against 80–97 ms for every column at the default 30,000).
        cursor.execute("ALTER TABLE intake_staging ALTER COLUMN book SET STATISTICS 10, "
                       "ALTER COLUMN ticket SET STATISTICS 10, ALTER COLUMN denom SET STATISTICS 10, "
                       "ALTER COLUMN cls SET STATISTICS 10")
        cursor.execute("DROP TABLE IF EXISTS intake_books")
        cursor.execute("CREATE TEMPORARY TABLE intake_books (number int PRIMARY KEY, state text NOT NULL, "
                       "denomination_id bigint NOT NULL, denom int NOT NULL, face_value bigint NOT NULL, "
                       "tickets_per_book int NOT NULL, has_redemptions bool NOT NULL) ON COMMIT DROP")
        read = SerialRead.objects.create(envelope=envelope, source=source, file_name=file_name[:200], sha256=digest,
                                         read_by=actor)
        params = {"campaign": campaign.pk, "envelope": envelope.pk, "read": read.pk, "merchant": envelope.merchant_id,
                  "now": timezone.now()}
        # From here the classify statements see every ticket an earlier reading of this campaign recorded, and
        # no other reading of it can record one until this one commits.
        cursor.execute(_SERIALIZE, {"namespace": _LOCK_NAMESPACE, "campaign": campaign.pk})
        # A batch's sort stays in memory (this transaction only).
        cursor.execute("SET LOCAL work_mem = '256MB'")
        skip_ri = _may_skip_ri_triggers(cursor)
        if skip_ri:
            cursor.execute(_LOCK_REFERENCED, params)
        recorder = _Recorder(cursor.cursor, params=params, skip_ri=skip_ri)
        batch: list[list[str]] = []
        batch_codes, sizes = 0, _batch_sizes(len(lines))
        batch_size = next(sizes)
        try:
            with _fine_switching():
                for chunk in scan.rows(lines):
                    batch.append(chunk)
                    if scan.codes - batch_codes >= batch_size:
                        # Once a line is unreadable and the clerk has not accepted the others, the file will be
                        # refused: read on for the full list of errors, but record nothing more.
                        if accept_good_lines or not scan.errors:
                            recorder.record(batch, scan.take_new_books())
                        batch, batch_codes = [], scan.codes
                        batch_size = next(sizes)
                if scan.codes + len(scan.errors) > MAX_LINES:
                    raise IntakeError(_("The file has more than %(max)s lines; split it.")
                                      % {"max": f"{MAX_LINES:,}"})
                errors = scan.errors
                if not scan.codes and not errors:
                    raise IntakeError(_("No ticket codes were found."))
                if errors and not accept_good_lines:
                    raise IntakeError(_("%(n)s lines could not be read. Re-scan those tickets, or accept the "
                                        "other lines explicitly.") % {"n": len(errors)}, errors)
                if not scan.codes:
                    raise IntakeError(_("No line could be read."), errors)
                if batch:
                    recorder.record(batch, scan.take_new_books())
        finally:
            recorder.close()
        timings["parse, check codes, COPY, classify, record"] = time.perf_counter() - started
        timings["  Python reading lines"] = scan.python_seconds
        timings["  Python sorting batches"] = recorder.sort_seconds
        timings["  COPY"] = recorder.copy_seconds
        timings["  statements" + (" (RI triggers off)" if skip_ri else "")] = recorder.statement_seconds
        timings["  waiting for the statements"] = recorder.wait_seconds

        started = time.perf_counter()
        read.lines = scan.codes + len(errors)
        read.skipped_lines = len(errors)
        read.save(update_fields=["lines", "skipped_lines"])
        report = ReadReport(read=read, skipped=errors)
        report.counts.update({cls: n for cls, n in recorder.counts.items() if n})
        report.accepted_amount = recorder.amount
        envelope.status = Envelope.Status.REVIEW if (report.rejected or errors) else Envelope.Status.VERIFIED
        envelope.save(update_fields=["status"])
        audit_log(actor=actor, action="settlement.serials_read", target=envelope, campaign=campaign, request=request,
                  data={"source": source, "file": file_name, "counts": dict(report.counts),
                        "accepted_amount": report.accepted_amount, "skipped_lines": len(errors)})
        timings["status, audit"] = time.perf_counter() - started
        started = time.perf_counter()
    timings["commit"] = time.perf_counter() - started
    report.timings = timings
    return report

"""The verification engine: every serial read from an envelope is classified in a few set-based statements.

    file bytes → decode (UTF-8, UTF-8 BOM, CP932) → lines → 21 digits + Damm check   (Python, per line)
              → keyed check code (HMAC, key from the environment, never in the DB)  (Python, per code)
              → COPY into a temporary staging table
              → one UPDATE classifies against books (sold?) and earlier redemptions
              → one statement marks repeats inside the file
              → INSERT … ON CONFLICT DO NOTHING records the payable tickets; a ticket another upload took a
                moment ago is reclassified as already redeemed (the unique constraint decides, not a lock)
              → the other outcomes are stored with their class (and, for a repeat, the first redemption)

A file with unreadable lines (letters, wrong length, wrong Damm digit) is refused with the line numbers unless
the clerk explicitly accepts the good lines; nothing is ever half-saved.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.audit import audit_log
from campaign.errors import DomainError
from campaign.models import Campaign
from settlement.models import Envelope, SerialRead, VerificationClass
from vouchers.serials import (
    Verdict,
    check_code_matcher,
    damm_valid,
    damm_valid_code,
    keys_by_prefix,
    normalize_input,
    parse_code,
)

MAX_BYTES = 64 * 1024 * 1024
MAX_LINES = 2_000_000
_COLUMN_SPLIT = re.compile(r"[,\t]")


class IntakeError(DomainError):
    """The reading was refused; nothing was saved. ``errors`` lists unreadable lines when there are any."""

    def __init__(self, message: str, errors: list[LineError] | None = None):
        super().__init__(message)
        self.errors = errors or []


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
    code through ``check_code_matcher`` and one formatted row, with no per-code objects. Every other line
    (spaces, hyphens, full-width digits, extra columns, letters) goes through ``_parse_line``, the same
    reading a typed code gets; codes of other campaigns go through ``vouchers.serials`` in full. The rows
    stream into COPY in chunks while the server stores the previous chunk, so Python and PostgreSQL work at
    the same time, and a million lines never sit in memory as row tuples.
    """

    CHUNK_ROWS = 20_000

    def __init__(self, *, campaign: Campaign, keys: dict[int, bytes], valid_class: str = "valid") -> None:
        self.prefix = campaign.serial_prefix
        key = keys.get(self.prefix)
        # Without a key for the envelope's own campaign, its codes read as "another campaign", as before.
        self.fast_prefix = f"{self.prefix:02d}" if key else None
        self.matches = check_code_matcher(key) if key else None
        self.key_for_prefix = keys.get
        # What a genuine code of this campaign is: payable ("valid"), or, without looking at the books,
        # "outside_usage_period" (a late or early envelope) or "merchant_suspended" (kept as evidence).
        self.valid_class = valid_class
        self.errors: list[LineError] = []
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

    def rows(self, lines: Iterable[str]) -> Iterator[str]:
        started = time.perf_counter()
        fast_prefix, matches, damm_ok = self.fast_prefix, self.matches, damm_valid_code
        valid_only = self.valid_class == "valid"
        errors, seen, buffer = self.errors, set(), []
        append = buffer.append
        codes = 0
        for line_no, line in enumerate(lines, start=1):
            if len(line) == 21 and line.isdigit() and line.isascii():
                if not damm_ok(line):
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
            if (fast_prefix is not None and digits.startswith(fast_prefix) and digits[2] != "0"
                    and digits[3:10] != "0000000" and digits[10:12] != "00"):
                if not matches(digits):
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
            append(f"{line_no}\t{digits}\t{cls}\t{extra}\n")
            if len(buffer) >= self.CHUNK_ROWS:
                self.codes = codes
                self.python_seconds += time.perf_counter() - started
                yield "".join(buffer)
                started = time.perf_counter()
                buffer.clear()
        self.codes = codes
        self.python_seconds += time.perf_counter() - started
        if buffer:
            yield "".join(buffer)


def _check_envelope(envelope: Envelope, *, hold_suspended: bool = False) -> None:
    if envelope.status == Envelope.Status.SETTLED:
        raise IntakeError(_("Envelope %(number)s is already settled; its tickets cannot change.")
                          % {"number": envelope.number})
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
# 'other_campaign', 'outside_usage_period'). The statement looks the valid ones' books up (never issued? sold?),
# inserts the payable ones, and writes an outcome row for every other line — including the valid lines the
# insert skipped because the ticket is already redeemed (by an earlier reading, or by a concurrent one a
# moment ago: ON CONFLICT waits for it and then skips; the unique index decides, not a lock). No separate probe
# of the redemptions for "already redeemed": the insert's own uniqueness check is that probe, so the ten
# million earlier redemptions are searched once per code, not twice.
_CLASSIFY_AND_RECORD = """
WITH staged AS (
    SELECT s.line_no, s.code, s.cls AS given, s.extra,
           substr(s.code, 3, 1)::int AS denom, substr(s.code, 4, 7)::int AS book, substr(s.code, 11, 2)::int AS ticket
    FROM intake_staging s
),
judged AS (
    SELECT s.line_no, s.code, s.extra, s.book, s.ticket, d.id AS denomination_id, d.face_value,
           CASE
               WHEN s.given NOT IN ('valid', 'dup') THEN s.given
               WHEN b.id IS NULL OR d.code <> s.denom OR s.ticket > d.tickets_per_book THEN 'never_issued'
               WHEN b.state <> 'sold' THEN 'unsold'
               WHEN s.given = 'dup' THEN 'duplicate_in_batch'
               ELSE 'valid'
           END AS cls,
           CASE WHEN s.given IN ('valid', 'dup') AND b.state <> 'sold' THEN b.state ELSE '' END AS detail
    FROM staged s
    LEFT JOIN vouchers_book b ON s.given IN ('valid', 'dup') AND b.campaign_id = %(campaign)s AND b.number = s.book
    LEFT JOIN campaign_denomination d ON d.id = b.denomination_id
),
inserted AS (
    INSERT INTO settlement_redemption
        (campaign_id, denomination_id, book, ticket, face_value, envelope_id, read_id, merchant_id, redeemed_at)
    SELECT %(campaign)s, j.denomination_id, j.book, j.ticket, j.face_value, %(envelope)s, %(read)s, %(merchant)s,
           %(now)s
    FROM judged j WHERE j.cls = 'valid'
    ON CONFLICT (campaign_id, book, ticket) DO NOTHING
    RETURNING book, ticket, face_value
),
rejected AS (
    INSERT INTO settlement_readoutcome
        (read_id, envelope_id, line_no, code, verification, detail, book, ticket, first_redemption_id, extra)
    SELECT %(read)s, %(envelope)s, j.line_no, j.code, CASE WHEN j.cls = 'malformed' THEN 'bad_check' ELSE j.cls END,
           j.detail, CASE WHEN j.cls = 'malformed' THEN 0 ELSE j.book END,
           CASE WHEN j.cls = 'malformed' THEN 0 ELSE j.ticket END, NULL::bigint, j.extra
    FROM judged j WHERE j.cls <> 'valid'
    UNION ALL
    SELECT %(read)s, %(envelope)s, j.line_no, j.code, 'already_redeemed', '', j.book, j.ticket, NULL::bigint, j.extra
    FROM judged j
    WHERE j.cls = 'valid' AND NOT EXISTS (SELECT 1 FROM inserted i WHERE i.book = j.book AND i.ticket = j.ticket)
    RETURNING verification
)
SELECT 'valid', count(*), coalesce(sum(face_value), 0) FROM inserted
UNION ALL
SELECT verification, count(*), 0 FROM rejected GROUP BY verification
"""

# Repeats point at the first redemption in a statement of their own: a ticket a concurrent reading took a moment
# ago was invisible to the statement above (its snapshot predates that reading's commit); a new statement sees
# it. It also runs with the foreign-key triggers on (see _SKIP_RI below), so the pointer is checked as usual.
_POINT_AT_FIRST = """
UPDATE settlement_readoutcome o SET first_redemption_id = r.id
FROM settlement_redemption r
WHERE o.envelope_id = %(envelope)s AND o.verification = 'already_redeemed' AND o.read_id = %(read)s
  AND o.first_redemption_id IS NULL
  AND r.campaign_id = %(campaign)s AND r.book = o.book AND r.ticket = o.ticket
"""


# The statement above inserts up to a million rows into tables with foreign keys (campaign, denomination,
# envelope, read, merchant): PostgreSQL checks each with a trigger per row and key, five lookups per ticket,
# which measured at four times the cost of the insert itself. When the connection may (a superuser, or
# `GRANT SET ON PARAMETER session_replication_role TO <role>`), and the two tables have no trigger of their own
# that would be skipped too, the statement runs with those triggers off instead; the rows it references are
# locked FOR KEY SHARE first — exactly the lock each trigger would take — so none can be deleted or re-keyed
# before the commit, and every value it writes comes from those rows or from this reading. Unique, check and
# not-null constraints are not triggers and still apply: the unique index remains the last guard against
# paying twice. Otherwise the triggers run as usual (same results, slower).
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
    started = time.perf_counter()
    envelope = Envelope.objects.select_related("merchant", "campaign").get(pk=envelope.pk)
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


def _verify(*, actor, envelope, source, digest, file_name, lines, accept_good_lines, request, timings) -> ReadReport:
    campaign: Campaign = envelope.campaign
    keys = keys_by_prefix(Campaign.objects.values_list("serial_prefix", "code"))
    if envelope.merchant.is_suspended:
        valid_class = "merchant_suspended"
    elif not (campaign.usage_start <= envelope.received_on <= campaign.settlement_deadline):
        valid_class = "outside_usage_period"
    else:
        valid_class = "valid"
    scan = _Scan(campaign=campaign, keys=keys, valid_class=valid_class)
    with transaction.atomic(), connection.cursor() as cursor:
        # Lines are judged and copied in one pass; a refused file is rolled back with everything else, so
        # nothing is ever half-saved. The staging table is dropped at commit; dropped here too in case an outer
        # transaction (a test, a batch) is still open. No index: every statement below reads it whole.
        started = time.perf_counter()
        cursor.execute("DROP TABLE IF EXISTS intake_staging")
        cursor.execute("CREATE TEMPORARY TABLE intake_staging (line_no int, code text, cls text, extra text) "
                       "ON COMMIT DROP")
        with cursor.cursor.copy("COPY intake_staging (line_no, code, cls, extra) FROM STDIN") as copy:
            for chunk in scan.rows(lines):
                copy.write(chunk)
        timings["parse, check codes, COPY"] = time.perf_counter() - started
        timings["  of which Python"] = scan.python_seconds
        errors = scan.errors
        if scan.codes + len(errors) > MAX_LINES:
            raise IntakeError(_("The file has more than %(max)s lines; split it.") % {"max": f"{MAX_LINES:,}"})
        if not scan.codes and not errors:
            raise IntakeError(_("No ticket codes were found."))
        if errors and not accept_good_lines:
            raise IntakeError(_("%(n)s lines could not be read. Re-scan those tickets, or accept the other lines "
                                "explicitly.") % {"n": len(errors)}, errors)
        if not scan.codes:
            raise IntakeError(_("No line could be read."), errors)

        started = time.perf_counter()
        read = SerialRead.objects.create(envelope=envelope, source=source, file_name=file_name[:200], sha256=digest,
                                         lines=scan.codes + len(errors), skipped_lines=len(errors), read_by=actor)
        params = {"campaign": campaign.pk, "envelope": envelope.pk, "read": read.pk, "merchant": envelope.merchant_id,
                  "now": timezone.now()}
        cursor.execute("ANALYZE intake_staging")
        # The statement hashes the reading's tickets against what it inserted; let that hash stay in memory
        # for a million-line file (this transaction only).
        cursor.execute("SET LOCAL work_mem = '256MB'")
        skip_ri = _may_skip_ri_triggers(cursor)
        if skip_ri:
            cursor.execute(_LOCK_REFERENCED, params)
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(_CLASSIFY_AND_RECORD, params)
        counted = cursor.fetchall()
        if skip_ri:  # (on an error, the rollback undoes the SET LOCAL)
            cursor.execute("SET LOCAL session_replication_role = origin")
        timings["classify + record" + (" (RI triggers off)" if skip_ri else "")] = time.perf_counter() - started
        report = ReadReport(read=read, skipped=errors)
        for cls, count, amount in counted:
            if count:
                report.counts[cls] += count
            if cls == VerificationClass.VALID:
                report.accepted_amount = amount

        started = time.perf_counter()
        if report.counts.get(VerificationClass.ALREADY_REDEEMED):
            cursor.execute(_POINT_AT_FIRST, params)
        envelope.status = Envelope.Status.REVIEW if (report.rejected or errors) else Envelope.Status.VERIFIED
        envelope.save(update_fields=["status"])
        audit_log(actor=actor, action="settlement.serials_read", target=envelope, campaign=campaign, request=request,
                  data={"source": source, "file": file_name, "counts": dict(report.counts),
                        "accepted_amount": report.accepted_amount, "skipped_lines": len(errors)})
        timings["repeats' first redemption, status, audit"] = time.perf_counter() - started
        started = time.perf_counter()
    timings["commit"] = time.perf_counter() - started
    report.timings = timings
    return report

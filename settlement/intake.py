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
from collections import Counter
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.audit import audit_log
from campaign.errors import DomainError
from campaign.models import Campaign
from settlement.models import Envelope, SerialRead, VerificationClass
from vouchers.serials import Verdict, damm_valid, keys_by_prefix, normalize_input, verify_many

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


def parse_lines(lines) -> tuple[list[tuple[int, str, str]], list[LineError]]:
    """(line number, 21 digits, extra columns) for every readable line, and an error for every other line.
    Blank lines are ignored."""
    codes: list[tuple[int, str, str]] = []
    errors: list[LineError] = []
    for line_no, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        parts = _COLUMN_SPLIT.split(line, maxsplit=1)
        digits = normalize_input(parts[0])
        extra = parts[1].strip() if len(parts) > 1 else ""
        if not digits.isascii() or not digits.isdigit():
            errors.append(LineError(line_no, line[:60], _("contains characters other than digits")))
        elif len(digits) != 21:
            errors.append(LineError(line_no, line[:60], _("%(n)s digits; a ticket code has 21") % {"n": len(digits)}))
        elif not damm_valid(digits):
            errors.append(LineError(line_no, line[:60], _("the check digit does not match (a misread or typo)")))
        else:
            codes.append((line_no, digits, extra[:300]))
    if len(codes) + len(errors) > MAX_LINES:
        raise IntakeError(_("The file has more than %(max)s lines; split it.") % {"max": f"{MAX_LINES:,}"})
    return codes, errors


def _check_envelope(envelope: Envelope) -> None:
    if envelope.status == Envelope.Status.SETTLED:
        raise IntakeError(_("Envelope %(number)s is already settled; its tickets cannot change.")
                          % {"number": envelope.number})
    if envelope.received_on is None:
        raise IntakeError(_("Record the receipt of envelope %(number)s before reading its tickets.")
                          % {"number": envelope.number})
    if envelope.merchant.is_suspended:
        raise IntakeError(_("The merchant of envelope %(number)s is suspended; its tickets are not read.")
                          % {"number": envelope.number})


_CLASSIFY = """
UPDATE intake_staging s
SET cls = c.cls, detail = c.detail, first_id = c.first_id, denomination_id = c.denomination_id,
    face_value = c.face_value
FROM (
    SELECT s2.line_no,
           CASE
               WHEN b.id IS NULL OR d.code <> s2.denom OR s2.ticket > d.tickets_per_book THEN 'never_issued'
               WHEN b.state <> 'sold' THEN 'unsold'
               WHEN r.id IS NOT NULL THEN 'already_redeemed'
               ELSE 'valid'
           END AS cls,
           CASE WHEN b.state <> 'sold' THEN b.state ELSE '' END AS detail,
           r.id AS first_id, d.id AS denomination_id, d.face_value
    FROM intake_staging s2
    LEFT JOIN vouchers_book b ON b.campaign_id = %(campaign)s AND b.number = s2.book
    LEFT JOIN campaign_denomination d ON d.id = b.denomination_id
    LEFT JOIN settlement_redemption r ON r.campaign_id = %(campaign)s AND r.book = s2.book AND r.ticket = s2.ticket
    WHERE s2.cls = 'valid'
) c
WHERE s.line_no = c.line_no
"""

_REPEATS_IN_FILE = """
UPDATE intake_staging SET cls = 'duplicate_in_batch'
WHERE line_no IN (
    SELECT line_no FROM (
        SELECT line_no, row_number() OVER (PARTITION BY book, ticket ORDER BY line_no) AS n
        FROM intake_staging WHERE cls = 'valid'
    ) ranked WHERE n > 1
)
"""

_RECORD = """
WITH inserted AS (
    INSERT INTO settlement_redemption
        (campaign_id, denomination_id, book, ticket, face_value, envelope_id, read_id, merchant_id, redeemed_at)
    SELECT %(campaign)s, s.denomination_id, s.book, s.ticket, s.face_value, %(envelope)s, %(read)s, %(merchant)s,
           %(now)s
    FROM intake_staging s WHERE s.cls = 'valid'
    ON CONFLICT (campaign_id, book, ticket) DO NOTHING
    RETURNING book, ticket
)
UPDATE intake_staging s SET cls = 'already_redeemed'
WHERE s.cls = 'valid' AND NOT EXISTS (SELECT 1 FROM inserted i WHERE i.book = s.book AND i.ticket = s.ticket)
"""

_POINT_AT_FIRST = """
UPDATE intake_staging s SET first_id = r.id
FROM settlement_redemption r
WHERE s.cls = 'already_redeemed' AND s.first_id IS NULL
  AND r.campaign_id = %(campaign)s AND r.book = s.book AND r.ticket = s.ticket
"""

_OUTCOMES = """
INSERT INTO settlement_readoutcome
    (read_id, envelope_id, line_no, code, verification, detail, book, ticket, first_redemption_id, extra)
SELECT %(read)s, %(envelope)s, line_no, code, cls, detail, book, ticket, first_id, extra
FROM intake_staging WHERE cls <> 'valid'
"""


def envelope_read(*, actor, envelope: Envelope, source: str, content: bytes | None = None,
                  codes: list[str] | None = None, file_name: str = "", accept_good_lines: bool = False,
                  request=None) -> ReadReport:
    """Read serials into an envelope (a scanner file's bytes, or codes keyed by hand) and verify every one."""
    envelope = Envelope.objects.select_related("merchant", "campaign").get(pk=envelope.pk)
    _check_envelope(envelope)
    if content is not None:
        digest = hashlib.sha256(content).hexdigest()
        earlier = SerialRead.objects.filter(sha256=digest).select_related("envelope").first()
        if earlier is not None:
            raise IntakeError(_("This file was already read on %(at)s into envelope %(number)s.")
                              % {"at": timezone.localtime(earlier.read_at).strftime("%Y-%m-%d %H:%M"),
                                 "number": earlier.envelope.number})
        parsed, errors = parse_lines(decode_scanner_file(content).splitlines())
    else:
        digest = ""
        parsed, errors = parse_lines(codes or [])
    if not parsed and not errors:
        raise IntakeError(_("No ticket codes were found."))
    if errors and not accept_good_lines:
        raise IntakeError(_("%(n)s lines could not be read. Re-scan those tickets, or accept the other lines "
                            "explicitly.") % {"n": len(errors)}, errors)
    if not parsed:
        raise IntakeError(_("No line could be read."), errors)
    return _verify(actor=actor, envelope=envelope, source=source, digest=digest, file_name=file_name,
                   parsed=parsed, skipped=errors, request=request)


def _verify(*, actor, envelope, source, digest, file_name, parsed, skipped, request) -> ReadReport:
    campaign: Campaign = envelope.campaign
    keys = keys_by_prefix(Campaign.objects.values_list("serial_prefix", "code"))
    outside = not (campaign.usage_start <= envelope.received_on <= campaign.settlement_deadline)
    rows = []
    for (line_no, digits, extra), result in zip(parsed, verify_many((c[1] for c in parsed), keys.get), strict=True):
        ticket = result.ticket
        if result.verdict == Verdict.VALID:
            cls = "valid" if ticket.prefix == campaign.serial_prefix else "other_campaign"
            if cls == "valid" and outside:
                cls = "outside_usage_period"
        elif result.verdict == Verdict.UNKNOWN_CAMPAIGN:
            cls = "other_campaign"
        else:  # a code whose Damm digit is right but whose keyed check code is not: forged (or badly mistyped)
            cls = "bad_check"
        rows.append((line_no, digits, ticket.denomination if ticket else 0, ticket.book if ticket else 0,
                     ticket.ticket if ticket else 0, cls, extra))

    with transaction.atomic():
        read = SerialRead.objects.create(envelope=envelope, source=source, file_name=file_name[:200], sha256=digest,
                                         lines=len(parsed) + len(skipped), skipped_lines=len(skipped), read_by=actor)
        params = {"campaign": campaign.pk, "envelope": envelope.pk, "read": read.pk, "merchant": envelope.merchant_id,
                  "now": timezone.now()}
        with connection.cursor() as cursor:
            # Dropped at commit; dropped here too in case an outer transaction (a test, a batch) is still open.
            cursor.execute("DROP TABLE IF EXISTS intake_staging")
            cursor.execute(
                "CREATE TEMPORARY TABLE intake_staging (line_no int PRIMARY KEY, code varchar(21), denom smallint, "
                "book int, ticket smallint, cls varchar(24), extra varchar(300), detail varchar(30) DEFAULT '', "
                "first_id bigint, denomination_id bigint, face_value bigint) ON COMMIT DROP"
            )
            with cursor.cursor.copy(
                "COPY intake_staging (line_no, code, denom, book, ticket, cls, extra) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute("ANALYZE intake_staging")
            cursor.execute(_CLASSIFY, params)
            cursor.execute(_REPEATS_IN_FILE)
            cursor.execute(_RECORD, params)
            cursor.execute(_POINT_AT_FIRST, params)
            cursor.execute(_OUTCOMES, params)
            cursor.execute("SELECT cls, count(*), coalesce(sum(face_value), 0) FROM intake_staging GROUP BY cls")
            report = ReadReport(read=read, skipped=skipped)
            for cls, count, amount in cursor.fetchall():
                report.counts[cls] = count
                if cls == VerificationClass.VALID:
                    report.accepted_amount = amount
        envelope.status = Envelope.Status.REVIEW if (report.rejected or skipped) else Envelope.Status.VERIFIED
        envelope.save(update_fields=["status"])
        audit_log(actor=actor, action="settlement.serials_read", target=envelope, campaign=campaign, request=request,
                  data={"source": source, "file": file_name, "counts": dict(report.counts),
                        "accepted_amount": report.accepted_amount, "skipped_lines": len(skipped)})
    return report


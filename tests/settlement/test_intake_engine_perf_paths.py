"""The verification engine's fast paths give exactly what the reference (per-code) paths give.

The engine reads a scanner line of 21 ASCII digits without building per-code objects and checks the keyed
check code with prepared SHA-256 states; every other line goes through the same reading a typed code gets.
These tests hold the fast paths to the reference ones, and run the benchmark command with tiny numbers.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import sys
from datetime import date

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError
from django.utils import translation
from hypothesis import example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from campaign.models import Campaign
from settlement import intake, services
from settlement.intake import (
    IntakeError,
    IntakeStatementError,
    LineError,
    _copy_text,
    _Scan,
    envelope_read,
    parse_lines,
)
from settlement.models import ReadOutcome, Redemption, SerialRead
from tests.settlement import test_intake
from tests.settlement.test_intake import _nothing_saved, code, forged, scanner_file
from vouchers.serials import (
    TicketId,
    Verdict,
    check_code,
    check_code_pads,
    damm_digit,
    damm_valid,
    group_code,
    make_code,
    verify_many,
)

# The envelope fixtures of the engine's own tests: sold books 1–20, a received envelope.
sold_books = test_intake.sold_books
received = test_intake.received

digits21 = st.text(alphabet="0123456789", min_size=21, max_size=21)
tickets = st.builds(TicketId, prefix=st.integers(10, 99), denomination=st.integers(1, 9),
                    book=st.integers(1, 9_999_999), ticket=st.integers(1, 99))
keys = st.binary(min_size=1, max_size=100)  # longer than 64 bytes: HMAC hashes the key first


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@hsettings(max_examples=300, deadline=None)
@given(ticket=tickets, key=keys, tail=st.text(alphabet="0123456789", min_size=8, max_size=8))
@example(ticket=TicketId(12, 1, 1, 1), key=b"k" * 64, tail="00000000")
@example(ticket=TicketId(12, 1, 1, 1), key=b"k" * 65, tail="00000000")
def test_the_scanners_check_code_is_the_reference_hmac(ticket, key, tail):
    # The scanner's inline check on check_code_pads, for keys of every length (over 64 bytes HMAC hashes the key).
    genuine = make_code(ticket, key)
    assert genuine[12:20] == check_code(ticket, key)
    assert _classes([genuine], ticket.prefix, key) == ["valid"]
    # Any other 8 digits in the check code's place (with a right Damm digit) are told apart as the reference does.
    head = ticket.head + tail
    assert _classes([head + damm_digit(head)], ticket.prefix, key) == [
        "valid" if tail == check_code(ticket, key) else "bad_check"]
    # ...and the reference is HMAC-SHA256 itself.
    mac = hmac.new(key, ticket.head.encode(), hashlib.sha256).digest()
    assert int(genuine[12:20]) == int.from_bytes(mac[:8], "big") % 10**8


def test_the_check_code_pads_need_a_key():
    with pytest.raises(ValueError, match="key"):
        check_code_pads(b"")


@hsettings(max_examples=500, deadline=None)
@given(code=digits21)
def test_the_scanners_damm_test_is_the_damm_test(code):
    # Any 21 digits on the scanner's fast path: refused as a typo exactly when the reference Damm test fails.
    _rows, errors = _fast([code], prefix=12, keys={12: KEY}, outside=False)
    assert bool(errors) == (not damm_valid(code))
    fixed = code[:20] + damm_digit(code[:20])
    assert damm_valid(fixed) and _fast([fixed], prefix=12, keys={12: KEY}, outside=False)[1] == []


def _classes(lines, prefix, key):
    rows, errors = _fast(lines, prefix=prefix, keys={prefix: key}, outside=False)
    assert errors == []
    return [cls for _line_no, _digits, cls, _extra in rows]


@pytest.mark.parametrize("value", ["", "plain", "a\\b", "tab\there", "cr\rnl\n", "nul\x00x", "日本語,\\t"])
def test_copy_text_escapes_what_copy_would_misread(value):
    escaped = _copy_text(value)
    assert "\t" not in escaped and "\n" not in escaped and "\r" not in escaped and "\x00" not in escaped
    # COPY's text format reads the escapes back (NUL cannot be stored and is dropped).
    unescaped = re.sub(r"\\(.)", lambda m: {"t": "\t", "r": "\r", "n": "\n", "\\": "\\"}[m.group(1)], escaped)
    assert unescaped == value.replace("\x00", "")


# -- the line scanner against the reference: parse_lines + verify_many + the old classification --------------

KEY = b"perf-path-test-key-0123456789abc"
OTHER_KEY = b"another-campaign-key-0123456789x"


def _reference(lines, *, prefix, keys, outside):
    """The engine before the fast path: parse every line, verify every code, then mark repeats in the file."""
    parsed, errors = parse_lines(lines)
    rows, seen = [], set()
    for (line_no, digits, extra), result in zip(parsed, verify_many((p[1] for p in parsed), keys.get), strict=True):
        if result.verdict == Verdict.VALID:
            cls = "valid" if result.ticket.prefix == prefix else "other_campaign"
            if cls == "valid" and outside:
                cls = "outside_usage_period"
        elif result.verdict == Verdict.UNKNOWN_CAMPAIGN:
            cls = "other_campaign"
        elif result.verdict == Verdict.MALFORMED:
            cls = "malformed"
        else:
            cls = "bad_check"
        if cls == "valid":
            cls = "dup" if digits in seen else "valid"
            seen.add(digits)
        rows.append((line_no, digits, cls, extra))
    return rows, errors


def _fast(lines, *, prefix, keys, outside):
    campaign = Campaign(serial_prefix=prefix)
    scan = _Scan(campaign=campaign, keys=keys, valid_class="outside_usage_period" if outside else "valid")
    text = "".join(row for chunk in scan.rows(lines) for row in chunk)
    rows = []
    for row in text.splitlines():
        book, ticket, denomination, line_no, digits, cls, extra = row.split("\t", 6)
        # Book, ticket and denomination digits first: the staging table's integers, and the batches' sort key.
        assert (book, ticket, denomination) == (digits[3:10], digits[10:12], digits[2])
        rows.append((int(line_no), digits, cls, extra))
    assert scan.codes == len(rows)
    return rows, scan.errors


def _line(kind, data):
    ticket = TicketId(12, data.draw(st.integers(1, 3)), data.draw(st.integers(1, 50)), data.draw(st.integers(1, 13)))
    code = make_code(ticket, KEY)
    if kind == "valid":
        return code
    if kind == "grouped":
        return data.draw(st.sampled_from([group_code(code), " " + code + " ", "１２" + code[2:],
                                          code[:10] + " " + code[10:]]))
    if kind == "extra":
        return code + data.draw(st.sampled_from([",2026-11-02", "\tscanner 1", ",a\\b\tc", ",  ", ",日本"]))
    if kind == "typo":
        i = data.draw(st.integers(0, 20))
        return code[:i] + str((int(code[i]) + 1) % 10) + code[i + 1:]
    if kind == "forged":
        head = code[:12] + str((int(code[12]) + 1) % 10) + code[13:20]
        return head + damm_digit(head)
    if kind == "other":
        return make_code(TicketId(31, 1, ticket.book, ticket.ticket), OTHER_KEY)
    if kind == "unknown":
        return make_code(TicketId(77, 1, ticket.book, ticket.ticket), KEY)
    if kind == "zero":  # a zero ticket index: no such ticket
        head = code[:10] + "00" + code[12:20]
        return head + damm_digit(head)
    if kind == "junk":
        return data.draw(st.sampled_from(["", "   ", "hello", "12345", code + "9", code[:-1], "12-O00"]))
    raise AssertionError(kind)


KINDS = ["valid", "valid", "valid", "grouped", "extra", "typo", "forged", "other", "unknown", "zero", "junk"]


@hsettings(max_examples=150, deadline=None)
@given(data=st.data(), outside=st.booleans(), own_key=st.booleans())
def test_the_line_scanner_judges_every_line_as_the_reference_does(data, outside, own_key):
    lines = [_line(kind, data) for kind in data.draw(st.lists(st.sampled_from(KINDS), max_size=40))]
    if lines and data.draw(st.booleans()):
        lines += data.draw(st.lists(st.sampled_from(lines), max_size=5))  # repeats in the same file
    keys = {31: OTHER_KEY, **({12: KEY} if own_key else {})}
    expected_rows, expected_errors = _reference(lines, prefix=12, keys=keys, outside=outside)
    rows, errors = _fast(lines, prefix=12, keys=keys, outside=outside)
    assert rows == [(n, d, c, _copy_text(e)) for n, d, c, e in expected_rows]
    assert errors == expected_errors


def test_a_typo_on_the_fast_path_is_reported_like_any_other():
    code = make_code(TicketId(12, 1, 1, 1), KEY)
    typo = code[:-1] + str((int(code[-1]) + 1) % 10)
    _rows, errors = _fast([code, typo], prefix=12, keys={12: KEY}, outside=False)
    assert errors == [LineError(2, typo, "the check digit does not match (a misread or typo)")]


# -- through the database ---------------------------------------------------------------------------------

@pytest.mark.django_db
def test_extra_columns_with_tabs_and_backslashes_are_kept_as_read(received, alice):
    content = scanner_file(code(1, 1) + ",ok", forged(2, 1) + ",a\\b\tc,日本", code(1, 1) + "\tagain")
    report = envelope_read(actor=alice, envelope=received, source="scanner", content=content)
    assert dict(report.counts) == {"valid": 1, "bad_check": 1, "duplicate_in_batch": 1}
    extras = dict(ReadOutcome.objects.values_list("line_no", "extra"))
    assert extras == {2: "a\\b\tc,日本", 3: "again"}


@pytest.mark.django_db
def test_codes_of_a_campaign_without_a_key_read_as_another_campaign(received, alice, monkeypatch):
    codes = [code(1, 1), code(1, 2)]
    monkeypatch.setattr(settings, "VOUCHER_MAC_KEYS", {k: v for k, v in settings.VOUCHER_MAC_KEYS.items()
                                                       if k != "TEST"})
    report = envelope_read(actor=alice, envelope=received, source="manual", codes=codes)
    assert dict(report.counts) == {"other_campaign": 2}
    assert not Redemption.objects.exists()


@pytest.mark.django_db
def test_a_late_envelope_is_outside_the_usage_period(received, alice, campaign):
    type(received).objects.filter(pk=received.pk).update(received_on=date(2027, 5, 10))
    report = envelope_read(actor=alice, envelope=received, source="manual", codes=[code(1, 1), code(1, 1)])
    assert dict(report.counts) == {"outside_usage_period": 2}


@pytest.mark.django_db(transaction=True)
def test_the_benchmark_runs_small_and_cleans_up(capsys):
    before = (Redemption.objects.count(), ReadOutcome.objects.count())
    call_command("bench_intake", "--serials", "400", "--existing", "2000", "--sample", "50", "--envelopes", "3",
                 "--envelope-size", "40")
    out = capsys.readouterr().out
    for field in ("serials/s", "phase parse, check codes, COPY, classify, record", "phase   statements", "max RSS",
                  "Python traced peak", "engine / floor", "engine / naive", "p95", "load average"):
        assert field in out, field
    assert re.search(r"classes already_redeemed \d+, bad_check \d+, duplicate_in_batch \d+, unsold \d+, "
                     r"valid 380", out)
    assert (Redemption.objects.count(), ReadOutcome.objects.count()) == before
    assert not Campaign.objects.get(code="BENCHINTAKE").is_active


# -- foreign-key triggers off for the bulk statement, only when that is safe ------------------------------------

def _every_class(received, alice):
    content = scanner_file(code(1, 1), code(1, 2), forged(2, 1), code(1, 1), code(30, 1), code(900, 1),
                           code(5000, 1), code(2, 14),
                           code(1, 1, prefix=31, key=settings.VOUCHER_MAC_KEYS["DEMO2026"]))
    report = envelope_read(actor=alice, envelope=received, source="scanner", content=content)
    outcomes = list(ReadOutcome.objects.order_by("line_no").values_list("line_no", "verification", "detail", "book",
                                                                        "ticket", "first_redemption__book"))
    return dict(report.counts), report.accepted_amount, outcomes, sorted(
        Redemption.objects.values_list("book", "ticket", "face_value", "envelope_id", "merchant_id"))


@pytest.mark.django_db
@pytest.mark.parametrize("skip", [True, False])
def test_results_are_the_same_with_and_without_the_triggers(received, alice, monkeypatch, skip):
    calls = []
    monkeypatch.setattr(intake, "_may_skip_ri_triggers", lambda cursor: calls.append(skip) or skip)
    counts, amount, outcomes, redemptions = _every_class(received, alice)
    assert calls == [skip]
    assert counts == {"valid": 2, "bad_check": 1, "duplicate_in_batch": 1, "unsold": 2, "never_issued": 2,
                      "other_campaign": 1}
    assert amount == 2000
    assert [o[:2] for o in outcomes] == [(3, "bad_check"), (4, "duplicate_in_batch"), (5, "unsold"), (6, "unsold"),
                                         (7, "never_issued"), (8, "never_issued"), (9, "other_campaign")]
    assert [(b, t) for b, t, *_ in redemptions] == [(1, 1), (1, 2)]


@pytest.mark.django_db
def test_the_triggers_stay_on_when_the_tables_have_a_trigger_of_their_own():
    from django.db import connection

    from settlement.intake import _may_skip_ri_triggers

    with connection.cursor() as cursor:
        assert _may_skip_ri_triggers(cursor)  # the test database's role is a superuser
        cursor.execute("CREATE FUNCTION intake_test_noop() RETURNS trigger AS $$ BEGIN RETURN NEW; END $$ "
                       "LANGUAGE plpgsql")
        cursor.execute("CREATE TRIGGER intake_test_noop BEFORE INSERT ON settlement_readoutcome FOR EACH ROW "
                       "EXECUTE FUNCTION intake_test_noop()")
        assert not _may_skip_ri_triggers(cursor)


@pytest.mark.django_db
def test_a_repeat_of_an_earlier_envelope_still_points_at_the_first_redemption_with_the_triggers_off(
        received, approved, alice, bob, thousand):
    envelope_read(actor=alice, envelope=received, source="manual", codes=[code(1, 1), code(1, 2)])
    second = services.envelope_declare(actor=alice, merchant=approved, tickets={thousand: 2})
    services.envelope_receive(actor=alice, envelope=second, received_on=date(2026, 11, 3), seal_intact=True,
                              opened_with=bob, counted_tickets=2)
    report = envelope_read(actor=alice, envelope=second, source="manual", codes=[code(1, 2), code(1, 3)])
    assert dict(report.counts) == {"valid": 1, "already_redeemed": 1}
    repeat = ReadOutcome.objects.get(envelope=second)
    assert (repeat.book, repeat.ticket, repeat.first_redemption.envelope_id) == (1, 2, received.pk)


# -- batches: the file is recorded in batches while Python reads the next one -------------------------------------

def _small_batches(monkeypatch, codes: int):
    monkeypatch.setattr(intake, "BATCH_CODES", codes)
    monkeypatch.setattr(intake, "FIRST_BATCH_CODES", codes)
    monkeypatch.setattr(intake._Scan, "CHUNK_ROWS", 1)


@pytest.mark.django_db
def test_a_file_read_in_batches_gives_what_one_batch_gives(received, approved, alice, bob, thousand, monkeypatch):
    # Every code a batch of its own: a duplicate of a code in an earlier batch, a repeat of a ticket recorded
    # by an earlier batch of this same reading, every class, and the amounts summed over batches.
    one_batch = _every_class(received, alice)
    Redemption.objects.all().delete()
    ReadOutcome.objects.all().delete()
    SerialRead.objects.all().delete()
    _small_batches(monkeypatch, 1)
    batched = _every_class(received, alice)
    assert batched[:2] == one_batch[:2]
    assert [o[:5] for o in batched[2]] == [o[:5] for o in one_batch[2]]
    assert [r[:3] for r in batched[3]] == [r[:3] for r in one_batch[3]]
    # A repeat of a ticket that an earlier batch of another reading recorded points at that first redemption.
    second = services.envelope_declare(actor=alice, merchant=approved, tickets={thousand: 3})
    services.envelope_receive(actor=alice, envelope=second, received_on=date(2026, 11, 3), seal_intact=True,
                              opened_with=bob, counted_tickets=3)
    report = envelope_read(actor=alice, envelope=second, source="scanner",
                           content=scanner_file(code(3, 1), code(1, 2), code(3, 2)))
    assert dict(report.counts) == {"valid": 2, "already_redeemed": 1} and report.accepted_amount == 2000
    assert ReadOutcome.objects.get(envelope=second).first_redemption.envelope_id == received.pk


@pytest.mark.django_db
def test_a_bad_line_after_recorded_batches_refuses_the_whole_file(received, alice, monkeypatch):
    _small_batches(monkeypatch, 2)
    good = [code(1, t) for t in range(1, 9)]
    content = scanner_file(*good, good[0][:20] + str((int(good[0][20]) + 1) % 10))  # a Damm typo on line 9
    with pytest.raises(IntakeError) as refused:
        envelope_read(actor=alice, envelope=received, source="scanner", content=content)
    assert [e.line_no for e in refused.value.errors] == [9]
    # The first batches were recorded before line 9 was read: the refusal rolled them back with the rest.
    assert _nothing_saved() == (0, 0, 0)
    # Accepted explicitly, the good lines are recorded in full.
    report = envelope_read(actor=alice, envelope=received, source="scanner", content=content, accept_good_lines=True)
    assert dict(report.counts) == {"valid": 8} and len(report.skipped) == 1
    assert Redemption.objects.count() == 8


@pytest.mark.django_db
def test_a_failing_batch_statement_rolls_the_reading_back(received, alice, monkeypatch):
    _small_batches(monkeypatch, 2)
    statements = []

    def record(self, rows, books, _real=intake._Recorder.record):
        statements.append(len(statements))
        if len(statements) == 3:  # the third batch's statement fails on the server
            monkeypatch.setattr(intake, "_CLASSIFY_AND_RECORD", "SELECT 1 / 0")
        _real(self, rows, books)

    monkeypatch.setattr(intake._Recorder, "record", record)
    with pytest.raises(DatabaseError):
        envelope_read(actor=alice, envelope=received, source="scanner",
                      content=scanner_file(*[code(1, t) for t in range(1, 9)]))
    assert len(statements) == 3
    assert _nothing_saved() == (0, 0, 0)


@pytest.mark.django_db
def test_a_line_neither_paid_nor_rejected_refuses_the_whole_reading(received, alice, monkeypatch):
    # The statement states the class conditions once per insert; if the two ever disagreed, a line would be
    # neither paid nor rejected (or both). Made to disagree here: forged codes fall out of the rejected pass.
    statement = intake._CLASSIFY_AND_RECORD
    assert statement.count("WHERE j.cls <> 'valid'") == 1
    monkeypatch.setattr(intake, "_CLASSIFY_AND_RECORD",
                        statement.replace("WHERE j.cls <> 'valid'", "WHERE j.cls NOT IN ('valid', 'bad_check')"))
    with pytest.raises(IntakeStatementError, match="3 lines staged, but 2 recorded"):
        envelope_read(actor=alice, envelope=received, source="scanner",
                      content=scanner_file(code(1, 1), forged(1, 2), code(1, 3)))
    assert _nothing_saved() == (0, 0, 0)  # refused whole: no read, no redemption, no outcome


@pytest.mark.parametrize("total", [0, 1, 2_000, 24_999, 60_000, 150_000, 1_000_000, 2_000_000])
def test_batches_are_small_at_both_ends_of_a_file_and_cover_it(total):
    sizes = intake._batch_sizes(total)
    planned, covered = [], 0
    while covered < total:
        planned.append(next(sizes))
        covered += planned[-1]
    assert next(sizes) == intake.BATCH_CODES  # more codes than lines were counted: still batches, never a stop
    assert all(0 < size <= intake.BATCH_CODES for size in planned)
    if total <= intake.FIRST_BATCH_CODES:
        assert planned == ([total] if total else [])  # a clerk's envelope file: one batch
    else:
        # The database starts after a small first batch, and the last batch it records alone is as small.
        assert planned[0] == intake.FIRST_BATCH_CODES and planned[-1] <= 2 * intake.FIRST_BATCH_CODES
        assert planned[len(planned) // 2] >= planned[0] and covered - total < len(planned)  # rounded up only


@pytest.mark.django_db
def test_each_book_is_looked_up_once_per_reading_in_order(received, alice, monkeypatch):
    _small_batches(monkeypatch, 3)
    looked_up = []

    def copy_and_classify(self, text, lines, books, first, _real=intake._Recorder._copy_and_classify):
        looked_up.append(books)
        _real(self, text, lines, books, first)

    monkeypatch.setattr(intake._Recorder, "_copy_and_classify", copy_and_classify)
    codes = [code(2, 1), code(1, 1), code(1, 2), forged(3, 1), code(1, 1), code(2, 2), code(900, 1), code(2, 3)]
    report = envelope_read(actor=alice, envelope=received, source="scanner", content=scanner_file(*codes))
    assert dict(report.counts) == {"valid": 5, "bad_check": 1, "duplicate_in_batch": 1, "unsold": 1}
    # Batches of three lines: books 2 and 1 (in order); then none (book 3's code is forged, so book 3 is not
    # looked up, and books 1 and 2 were looked up already); then book 900 (in the vault).
    assert looked_up == [[1, 2], [], [900]]


@pytest.mark.django_db
def test_the_interpreters_switch_interval_is_restored_after_a_reading(received, alice):
    before = sys.getswitchinterval()
    envelope_read(actor=alice, envelope=received, source="scanner", content=scanner_file(code(1, 1)))
    assert sys.getswitchinterval() == before
    with pytest.raises(IntakeError):
        envelope_read(actor=alice, envelope=received, source="scanner", content=scanner_file("12345"))
    assert sys.getswitchinterval() == before


def test_readings_in_two_threads_share_the_switch_interval_and_the_last_restores_it():
    before = sys.getswitchinterval()
    first, second = intake._fine_switching(), intake._fine_switching()
    first.__enter__()
    second.__enter__()  # a second reading starts while the first runs
    assert sys.getswitchinterval() == pytest.approx(intake.SWITCH_INTERVAL)
    first.__exit__(None, None, None)  # the first ends: the second still reads at the short interval
    assert sys.getswitchinterval() == pytest.approx(intake.SWITCH_INTERVAL)
    second.__exit__(None, None, None)
    assert sys.getswitchinterval() == before

"""Verification of redeemed serials: every class, bad input refused without a trace, two uploads racing."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation

from campaign.models import AuditEvent
from settlement import services
from settlement.intake import IntakeError, envelope_read
from settlement.models import Envelope, ReadOutcome, Redemption, SerialRead
from tests.conftest import make_staff
from vouchers import services as stock
from vouchers.movements import BookRange
from vouchers.serials import TicketId, damm_digit, make_code

DAY = date(2026, 10, 22)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def code(book, ticket, denomination=1, prefix=12, key=None):
    return make_code(TicketId(prefix, denomination, book, ticket), key or settings.VOUCHER_MAC_KEYS["TEST"])


def forged(book, ticket):
    """Right shape and Damm digit, wrong keyed check code: what a forger without the key produces."""
    real = code(book, ticket)
    head = real[:12] + ("0" if real[12] != "0" else "1") + real[13:20]
    return head + damm_digit(head)


@pytest.fixture
def sold_books(printed, bob, marui, thousand):
    """Books 1–20 sold at an outlet; 21–40 still at the outlet; the rest in the vault."""
    delivery = stock.delivery_dispatch(actor=bob, outlet=marui, delivery_date=DAY, ranges=[BookRange(1, 40)])
    stock.delivery_confirm(actor=bob, delivery=delivery, received_by="x", confirmed_on=DAY)
    stock.sales_report_record(actor=bob, outlet=marui, denomination=thousand, sales_date=DAY, books=20)


@pytest.fixture
def received(approved, sold_books, alice, bob, thousand):
    envelope = services.envelope_declare(actor=approved.portal_user, merchant=approved, tickets={thousand: 10})
    return services.envelope_receive(actor=alice, envelope=envelope, received_on=date(2026, 11, 2), seal_intact=True,
                                     opened_with=bob, counted_tickets=10)


def scanner_file(*codes, sep="\r\n", encoding="utf-8") -> bytes:
    return sep.join(codes).encode(encoding) + sep.encode()


@pytest.mark.django_db
def test_every_class_is_told_apart(received, alice):
    content = scanner_file(
        code(1, 1), code(1, 2), "1 2 1 0 0 0 0 0 0 3 0 1 " + code(3, 1)[12:] + ",extra",  # valid, valid, valid (spaced)
        forged(2, 1),  # bad check code
        code(1, 1),  # repeat in the same file
        code(30, 1),  # at the outlet, not sold
        code(900, 1),  # in the vault
        code(5000, 1),  # never printed
        code(2, 13), code(2, 14),  # 13 tickets per book: the 14th does not exist
        code(1, 1, prefix=31, key=settings.VOUCHER_MAC_KEYS["DEMO2026"]),  # another campaign
    )
    report = envelope_read(actor=alice, envelope=received, source="scanner", content=content, file_name="a.csv")
    assert dict(report.counts) == {"valid": 4, "bad_check": 1, "duplicate_in_batch": 1, "unsold": 2,
                                   "never_issued": 2, "other_campaign": 1}
    assert report.accepted_amount == 4 * 1000
    assert set(Redemption.objects.values_list("book", "ticket")) == {(1, 1), (1, 2), (3, 1), (2, 13)}
    unsold = {o.book: o.detail for o in ReadOutcome.objects.filter(verification="unsold")}
    assert unsold == {30: "outlet", 900: "vault"}
    assert ReadOutcome.objects.get(verification="bad_check").line_no == 4
    received.refresh_from_db()
    assert received.status == Envelope.Status.REVIEW


@pytest.mark.django_db
def test_a_repeat_in_a_later_envelope_points_at_the_first_redemption(received, approved, alice, bob, thousand):
    envelope_read(actor=alice, envelope=received, source="scanner", content=scanner_file(code(1, 1)))
    second = services.envelope_declare(actor=alice, merchant=approved, tickets={thousand: 1})
    services.envelope_receive(actor=alice, envelope=second, received_on=date(2026, 11, 3), seal_intact=True,
                              opened_with=bob, counted_tickets=1)
    report = envelope_read(actor=alice, envelope=second, source="manual", codes=[code(1, 1)])
    assert dict(report.counts) == {"already_redeemed": 1}
    outcome = ReadOutcome.objects.get(envelope=second)
    assert outcome.first_redemption.envelope == received


def _nothing_saved():
    return (SerialRead.objects.count(), Redemption.objects.count(), ReadOutcome.objects.count())


@pytest.mark.django_db
@pytest.mark.parametrize(("content", "reason"), [
    (b"", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    (b"\xff\xfe\x00a\xfe", "binary|neither UTF-8"),
    ("12100000010１abc\r\n".encode("utf-16"), "binary|neither UTF-8"),
])
def test_unreadable_files_are_refused(received, alice, content, reason):
    before = _nothing_saved()
    with pytest.raises(IntakeError, match=reason):
        envelope_read(actor=alice, envelope=received, source="scanner", content=content)
    assert _nothing_saved() == before


@pytest.mark.django_db
def test_bad_lines_are_reported_with_line_numbers_and_nothing_is_saved(received, alice):
    good = code(1, 1)
    typo = good[:5] + str((int(good[5]) + 1) % 10) + good[6:]
    content = scanner_file(good, "12100000010abc", good[:-3], typo, code(1, 2))
    before = _nothing_saved()
    with pytest.raises(IntakeError, match="3 lines could not be read") as refused:
        envelope_read(actor=alice, envelope=received, source="scanner", content=content)
    assert [(e.line_no, e.reason.split(" ")[0]) for e in refused.value.errors] == [
        (2, "contains"), (3, "18"), (4, "the")]
    assert _nothing_saved() == before
    # The clerk explicitly accepts the readable lines: they are read, the others are recorded as skipped.
    report = envelope_read(actor=alice, envelope=received, source="scanner", content=content, accept_good_lines=True)
    assert report.accepted == 2 and len(report.skipped) == 3
    assert SerialRead.objects.get().skipped_lines == 3


@pytest.mark.django_db
def test_cp932_files_and_the_same_file_twice(received, alice):
    content = ("\r\n".join([code(1, 1) + ",１番目", code(1, 2) + ",２番目"]) + "\r\n").encode("cp932")
    report = envelope_read(actor=alice, envelope=received, source="scanner", content=content)
    assert report.accepted == 2
    with pytest.raises(IntakeError, match="already read"):
        envelope_read(actor=alice, envelope=received, source="scanner", content=content)
    assert Redemption.objects.count() == 2


@pytest.mark.django_db
def test_envelopes_that_cannot_be_read(received, approved, alice, thousand, monkeypatch):
    unreceived = services.envelope_declare(actor=alice, merchant=approved, tickets={thousand: 1})
    with pytest.raises(IntakeError, match="Record the receipt"):
        envelope_read(actor=alice, envelope=unreceived, source="manual", codes=[code(1, 1)])
    Envelope.objects.filter(pk=received.pk).update(status=Envelope.Status.SETTLED)
    with pytest.raises(IntakeError, match="already settled"):
        envelope_read(actor=alice, envelope=received, source="manual", codes=[code(1, 1)])
    Envelope.objects.filter(pk=received.pk).update(status=Envelope.Status.RECEIVED)
    services.merchant_suspend(actor=alice, merchant=approved, reason="調査中")
    with pytest.raises(IntakeError, match="suspended"):
        envelope_read(actor=alice, envelope=received, source="manual", codes=[code(1, 1)])
    services.merchant_resume(actor=alice, merchant=approved, reason="調査終了")
    monkeypatch.setattr("settlement.intake.MAX_BYTES", 100)
    with pytest.raises(IntakeError, match="larger than"):
        envelope_read(actor=alice, envelope=received, source="scanner", content=scanner_file(*[code(1, t) for t in
                                                                                           range(1, 10)]))
    assert _nothing_saved() == (0, 0, 0)


@pytest.mark.django_db(transaction=True)
def test_two_uploads_of_overlapping_files_never_both_accept_a_ticket(campaign, mizuho, printed, bob, marui, thousand,
                                                                     alice):
    delivery = stock.delivery_dispatch(actor=bob, outlet=marui, delivery_date=DAY, ranges=[BookRange(1, 40)])
    stock.delivery_confirm(actor=bob, delivery=delivery, received_by="x", confirmed_on=DAY)
    stock.sales_report_record(actor=bob, outlet=marui, denomination=thousand, sales_date=DAY, books=40)
    from tests.settlement.fixtures import apply

    other = make_staff("eve", "settlement_clerk")
    envelopes = []
    for i in range(2):
        merchant = services.merchant_approve(actor=alice, merchant=apply(campaign, email=f"r{i}@example.jp"))
        envelope = services.envelope_declare(actor=alice, merchant=merchant, tickets={thousand: 300})
        envelopes.append(services.envelope_receive(actor=alice, envelope=envelope, received_on=date(2026, 11, 2),
                                                   seal_intact=True, opened_with=other, counted_tickets=300))
    first = [code(book, t) for book in range(1, 21) for t in range(1, 14)]  # books 1–20
    second = [code(book, t) for book in range(11, 31) for t in range(1, 14)]  # books 11–30: 10 books overlap
    barrier = threading.Barrier(2)
    reports = {}

    def read(i, codes):
        barrier.wait()
        try:
            reports[i] = envelope_read(actor=[alice, other][i], envelope=envelopes[i], source="scanner",
                                       content=scanner_file(*codes))
        finally:
            connection.close()

    threads = [threading.Thread(target=read, args=(i, c)) for i, c in enumerate([first, second])]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert Redemption.objects.count() == 30 * 13  # every ticket once
    assert reports[0].accepted + reports[1].accepted == 30 * 13
    assert reports[0].counts["already_redeemed"] + reports[1].counts["already_redeemed"] == 10 * 13
    repeats = ReadOutcome.objects.filter(verification="already_redeemed")
    assert repeats.count() == 130 and not repeats.filter(first_redemption__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_two_declarations_sent_at_once_with_one_form_key_declare_one_envelope(campaign, approved, alice, thousand):
    from tests.settlement.fixtures import apply

    other_merchant = services.merchant_approve(actor=alice, merchant=apply(campaign, email="other@example.jp"))
    # A double click on the claim form: two requests with the same one-time key race on two real connections.
    barrier = threading.Barrier(2)
    numbers = {}

    def declare(i):
        barrier.wait()
        try:
            numbers[i] = services.envelope_declare(actor=alice, merchant=approved, tickets={thousand: 7},
                                                   key="k" * 22).number
        finally:
            connection.close()

    threads = [threading.Thread(target=declare, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    envelope = Envelope.objects.get()  # exactly one envelope …
    assert numbers == {0: envelope.number, 1: envelope.number}  # … and both requests were told its number
    assert envelope.lines.get().declared_tickets == 7
    assert AuditEvent.objects.filter(action="settlement.envelope_declare").count() == 1
    # The key is the form's, per merchant: another merchant's form with the same key, or a new form, is a new claim.
    services.envelope_declare(actor=alice, merchant=other_merchant, tickets={thousand: 1}, key="k" * 22)
    services.envelope_declare(actor=alice, merchant=approved, tickets={thousand: 1}, key="n" * 22)
    services.envelope_declare(actor=alice, merchant=approved, tickets={thousand: 1})  # no key: always new
    assert Envelope.objects.filter(merchant=approved).count() == 3
    assert Envelope.objects.filter(merchant=other_merchant).count() == 1


@pytest.mark.django_db
def test_the_database_refuses_a_second_envelope_with_one_form_key(approved, alice, thousand):
    from django.db import IntegrityError, transaction

    first = services.envelope_declare(actor=alice, merchant=approved, tickets={thousand: 1}, key="d" * 22)
    with pytest.raises(IntegrityError), transaction.atomic():
        Envelope.objects.create(campaign=first.campaign, merchant=approved, number="999999999999",
                                declared_by=alice, declare_key=first.declare_key)
    assert Envelope.objects.count() == 1


@pytest.mark.django_db
def test_the_intake_file_command(received, alice, tmp_path, capsys):
    path = tmp_path / "scan.txt"
    path.write_bytes(scanner_file(code(1, 1), code(1, 2), forged(2, 2)))
    call_command("intake_file", str(path), "--envelope", received.number, "--user", "alice")
    out = capsys.readouterr().out.splitlines()
    assert "valid 2" in out and "bad_check 1" in out and "accepted_amount 2000" in out
    with pytest.raises(CommandError, match="already read"):
        call_command("intake_file", str(path), "--envelope", received.number, "--user", "alice")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"hello\r\n")
    with pytest.raises(CommandError, match="could not be read"):
        call_command("intake_file", str(bad), "--envelope", received.number, "--user", "alice")


@pytest.mark.django_db
def test_a_suspended_merchants_tickets_can_be_held_as_evidence_without_paying(received, approved, alice):
    services.merchant_suspend(actor=alice, merchant=approved, reason="不正の疑い")
    report = envelope_read(actor=alice, envelope=received, source="scanner", hold_suspended=True,
                           content=scanner_file(code(1, 1), code(1, 2), forged(2, 1)))
    assert dict(report.counts) == {"merchant_suspended": 2, "bad_check": 1}
    assert report.accepted_amount == 0 and not Redemption.objects.exists()
    assert set(ReadOutcome.objects.values_list("verification", flat=True)) == {"merchant_suspended", "bad_check"}
    # Held tickets were never paid: once the merchant is cleared, the same tickets can be read and paid.
    services.merchant_resume(actor=alice, merchant=approved, reason="調査終了")
    again = envelope_read(actor=alice, envelope=received, source="manual", codes=[code(1, 1)])
    assert dict(again.counts) == {"valid": 1}


@pytest.mark.django_db
def test_a_declaration_refuses_impossible_counts_and_numbers_continue_from_the_highest(approved, alice, thousand):
    for bad in (-1, 100_001):
        with pytest.raises(services.MerchantError, match="between 0 and"):
            services.envelope_declare(actor=alice, merchant=approved, tickets={thousand: bad})
    assert not Envelope.objects.exists()
    first = services.envelope_declare(actor=alice, merchant=approved, tickets={thousand: 1})
    second = services.envelope_declare(actor=alice, merchant=approved, tickets={thousand: 1})
    assert (first.number[8:11], second.number[8:11]) == ("001", "002")
    # Numbers never repeat even if an envelope row were gone: the next one follows the highest.
    Envelope.objects.filter(pk=first.pk).update(number=first.number[:8] + "998" + first.number[11:])
    third = services.envelope_declare(actor=alice, merchant=approved, tickets={thousand: 1})
    assert third.number[8:11] == "999"
    with pytest.raises(services.MerchantError, match="999 envelope numbers"):
        services.envelope_declare(actor=alice, merchant=approved, tickets={thousand: 1})

"""The money ledger as a hypothesis state machine over the real services and the real database.

Rules are the services a secretariat uses from the envelope to the bank (declare, receive, read by file and by
keying, report books sold later, reconcile, decide investigations, release, close cutoffs by hand and by the
scheduled task, limit an extraordinary cutoff, prepare, approve, discard, write the Zengin file, record the bank's
result, correct a bank account, suspend and resume a merchant). After every step the invariants below are checked
with SQL against the database, never against Python's idea of it; a refused step must leave the database as it was.

The world (campaign, printed and sold books, merchants, staff, cutoffs) is built once per test by ``money_world``;
each example runs in a savepoint that is rolled back at its end. ``tests/settlement/test_money_properties.py`` runs
the machine, and runs it again against deliberately broken services to show the invariants catch them.
"""

from __future__ import annotations

import hashlib
import io
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from campaign.bankdays import add_business_days
from campaign.errors import DomainError
from campaign.jobs import JobError
from settlement import payout_documents, services
from settlement.intake import envelope_read
from settlement.models import Cutoff, Envelope, Investigation, Merchant, SettlementBatch
from settlement.services import cutoffs as cutoff_services
from settlement.services import payouts as payout_services
from tests.settlement.fixtures import bank_details
from tests.settlement.test_intake import code, forged
from vouchers import services as stock
from vouchers.models import Book
from vouchers.movements import BookRange, VoucherError

TOKYO = ZoneInfo("Asia/Tokyo")
STEPS: Counter = Counter()  # "rule: done|refused" → how often, over a whole run (the test checks the coverage)
LATE_SOLD_BOOKS = (21, 22)  # at the outlet: unsold until a rule reports them sold
RECEIPT_DAYS = (date(2026, 9, 30), date(2026, 11, 2), date(2026, 11, 12), date(2026, 11, 24))  # the first: early
CUTOFF_DAYS = ((date(2026, 11, 5), "regular"), (date(2026, 11, 10), "regular"), (date(2026, 11, 16), "regular"),
               (date(2026, 11, 20), "extraordinary"), (date(2026, 11, 24), "regular"), (date(2026, 11, 26), "regular"),
               (date(2026, 11, 30), "regular"), (date(2026, 12, 2), "extraordinary"), (date(2026, 12, 3), "regular"),
               (date(2026, 12, 4), "regular"))


def _codes() -> list[tuple[str, str]]:
    """The pool every reading draws from (small, so that repeats, decisions and closed envelopes meet often): the
    genuine ticket 1-3 and its forged twin, an unsold ticket and its forged twin among them."""
    return [(code(1, 1), "sold"), (code(1, 3), "sold"), (code(2, 1), "sold"), (code(1001, 1, 2), "sold"),
            (code(21, 1), "unsold"), (code(22, 1), "unsold"), (forged(1, 3), "forged"), (forged(21, 3), "forged"),
            (code(1600, 1), "never issued")]


CODES = _codes()


@dataclass
class World:
    campaign: object
    thousand: object
    five_hundred: object
    outlet: object
    merchants: list
    clerk: object  # prepares: closes cutoffs, reads, reconciles
    clerk2: object  # the second person at every opening
    manager: object  # decides, approves, limits extraordinary cutoffs
    manager2: object
    stock_clerk: object


def build_world(*, campaign, printed, marui, thousand, five_hundred, alice, bob) -> World:
    from tests.conftest import make_staff
    from tests.settlement.fixtures import apply

    delivery = stock.delivery_dispatch(actor=bob, outlet=marui, delivery_date=date(2026, 10, 22),
                                       ranges=[BookRange(1, 40), BookRange(1001, 1010)])
    stock.delivery_confirm(actor=bob, delivery=delivery, received_by="店長", confirmed_on=date(2026, 10, 22))
    stock.sales_report_record(actor=bob, outlet=marui, denomination=thousand, sales_date=date(2026, 10, 23),
                              ranges=[BookRange(1, 20)])
    stock.sales_report_record(actor=bob, outlet=marui, denomination=five_hundred, sales_date=date(2026, 10, 23),
                              ranges=[BookRange(1001, 1005)])
    merchants = [services.merchant_approve(actor=alice, merchant=apply(campaign, email=f"money{i}@example.jp",
                                                                       store_name=f"食堂{i}号店"))
                 for i in range(4)]  # the rules act for the first three; the fourth only ever sends a ¥0 envelope
    # Four envelopes already received (one early, before the usage period), so readings can start at once, and
    # three reconciled with genuine tickets outside the machine's pool, so the first closes have money to pay.
    for merchant, day in zip([0, 0, 1, 2], [RECEIPT_DAYS[1], RECEIPT_DAYS[2], RECEIPT_DAYS[1], RECEIPT_DAYS[0]],
                             strict=True):
        envelope = services.envelope_declare(actor=merchants[merchant].portal_user, merchant=merchants[merchant],
                                             tickets={thousand: 2})
        services.envelope_receive(actor=alice, envelope=envelope, received_on=day, seal_intact=True, opened_with=bob,
                                  counted_tickets=2)
    for merchant, book in zip([0, 1, 2], [5, 6, 7], strict=True):
        envelope = services.envelope_declare(actor=merchants[merchant].portal_user, merchant=merchants[merchant],
                                             tickets={thousand: 3})
        services.envelope_receive(actor=alice, envelope=envelope, received_on=RECEIPT_DAYS[1], seal_intact=True,
                                  opened_with=bob, counted_tickets=3)
        envelope_read(actor=alice, envelope=envelope, source="manual", codes=[code(book, t) for t in (1, 2, 3)])
        services.envelope_reconcile(actor=alice, envelope=envelope)
    # Two under review, each with a genuine ticket and a claim to decide (unsold stock; a misread check code).
    for merchant, claim in ((1, code(23, 1)), (2, forged(2, 5))):
        envelope = services.envelope_declare(actor=merchants[merchant].portal_user, merchant=merchants[merchant],
                                             tickets={thousand: 2})
        services.envelope_receive(actor=alice, envelope=envelope, received_on=RECEIPT_DAYS[1], seal_intact=True,
                                  opened_with=bob, counted_tickets=2)
        envelope_read(actor=alice, envelope=envelope, source="manual", codes=[code(9 + merchant, 1), claim])
        services.envelope_reconcile(actor=alice, envelope=envelope)
    # And one that pays nothing (received before the usage period, released by a reviewer): the first close gives
    # its merchant a "nothing to pay" line.
    envelope = services.envelope_declare(actor=merchants[3].portal_user, merchant=merchants[3], tickets={thousand: 1})
    services.envelope_receive(actor=alice, envelope=envelope, received_on=RECEIPT_DAYS[0], seal_intact=True,
                              opened_with=bob, counted_tickets=1)
    envelope_read(actor=alice, envelope=envelope, source="manual", codes=[code(8, 1)])
    services.envelope_reconcile(actor=alice, envelope=envelope)
    services.envelope_clear_review(actor=bob, envelope=envelope, reason="使用期間前のため支払なし")
    for day, kind in CUTOFF_DAYS:
        cutoff_services.cutoff_create(actor=alice, campaign=campaign, cutoff_date=day,
                                      payment_date=add_business_days(day, 3), kind=kind)
    return World(campaign=campaign, thousand=thousand, five_hundred=five_hundred, outlet=marui, merchants=merchants,
                 clerk=make_staff("sam", "settlement_clerk"), clerk2=make_staff("eve", "settlement_clerk"),
                 manager=make_staff("mallory", "secretariat_manager"),
                 manager2=make_staff("mia", "secretariat_manager"), stock_clerk=bob)


# --- the database's own account of the money ----------------------------------------------------------------

def _rows(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def snapshot() -> list:
    """Everything a money step can change, read with SQL: a refused step must leave all of it as it was."""
    return [
        _rows("SELECT id, status, reconciled_at, received_on, review_reasons::text FROM settlement_envelope ORDER BY id"),
        _rows("SELECT campaign_id, book, ticket, envelope_id, face_value, by_decision FROM settlement_redemption "
              "ORDER BY 1, 2, 3"),
        _rows("SELECT id, envelope_id, verification, repeat_campaign_id FROM settlement_readoutcome ORDER BY id"),
        _rows("SELECT id, status, adjustment, decided_by_id FROM settlement_investigation ORDER BY id"),
        _rows("SELECT id, cutoff_id, status, prepared_by_id, approved_by_id, amount, held_amount "
              "FROM settlement_settlementbatch ORDER BY id"),
        _rows("SELECT id, batch_id, merchant_id, status, amount, carried_amount, carried_to_id, account_id "
              "FROM settlement_payoutline ORDER BY id"),
        _rows("SELECT batch_id, envelope_id, line_id, amount FROM settlement_batchenvelope ORDER BY envelope_id"),
        _rows("SELECT id, merchant_id, status, requested_by_id, decided_by_id FROM settlement_bankaccount ORDER BY id"),
        _rows("SELECT id, suspended_at FROM settlement_merchant ORDER BY id"),
        _rows("SELECT c.id, c.accepts_late, (SELECT array_agg(merchant_id ORDER BY merchant_id) "
              "FROM settlement_cutoff_merchants m WHERE m.cutoff_id = c.id) FROM settlement_cutoff c ORDER BY c.id"),
        _rows("SELECT id, sha256, lines FROM settlement_serialread ORDER BY id"),
        _rows("SELECT number, state FROM vouchers_book WHERE number = ANY(%s) ORDER BY number",
              [list(LATE_SOLD_BOOKS)]),
    ]


# Per ticket, every yen paid for it: readings' redemptions and accepted investigations (whose redemption row, by
# decision, only records the ticket). A ticket that names no issued book counts against a face value of 0.
OVERPAID_TICKETS = """
WITH paid AS (
    SELECT r.campaign_id, r.book, r.ticket, r.face_value AS yen
      FROM settlement_redemption r WHERE NOT r.by_decision
    UNION ALL
    SELECT i.campaign_id, o.book, o.ticket, i.adjustment
      FROM settlement_investigation i JOIN settlement_readoutcome o ON o.id = i.outcome_id
     WHERE i.status = 'accepted'
)
SELECT p.campaign_id, p.book, p.ticket, sum(p.yen), coalesce(max(d.face_value), 0)
  FROM paid p
  LEFT JOIN vouchers_book b ON b.campaign_id = p.campaign_id AND b.number = p.book
  LEFT JOIN campaign_denomination d ON d.id = b.denomination_id
 GROUP BY 1, 2, 3
HAVING sum(p.yen) NOT IN (0, coalesce(max(d.face_value), 0))
"""

# An accepted claim and the redemption that records its ticket are one and the same payment.
UNRECORDED_DECISIONS = """
SELECT i.id FROM settlement_investigation i JOIN settlement_readoutcome o ON o.id = i.outcome_id
 WHERE i.status = 'accepted' AND NOT EXISTS (
       SELECT 1 FROM settlement_redemption r WHERE r.by_decision AND r.campaign_id = i.campaign_id
          AND r.book = o.book AND r.ticket = o.ticket AND r.envelope_id = i.envelope_id)
UNION ALL
SELECT NULL FROM settlement_redemption r WHERE r.by_decision AND NOT EXISTS (
       SELECT 1 FROM settlement_investigation i JOIN settlement_readoutcome o ON o.id = i.outcome_id
        WHERE i.status = 'accepted' AND i.campaign_id = r.campaign_id AND o.book = r.book AND o.ticket = r.ticket
          AND i.envelope_id = r.envelope_id)
"""

# What an envelope pays now, from its tickets; a batch froze the same amount when it took the envelope.
ENVELOPE_AMOUNT = """
SELECT e.id,
       coalesce((SELECT sum(face_value) FROM settlement_redemption r WHERE r.envelope_id = e.id
                  AND NOT r.by_decision), 0)
     + coalesce((SELECT sum(adjustment) FROM settlement_investigation i WHERE i.envelope_id = e.id
                  AND i.status = 'accepted'), 0)
  FROM settlement_envelope e
"""

# The shape of an envelope's tickets: nothing about them may change once it is reconciled, batched or settled.
ENVELOPE_TICKETS = """
SELECT e.id,
       (SELECT coalesce(array_agg(r.book::text || '-' || r.ticket::text || ':' || r.by_decision::text
                                  ORDER BY r.book, r.ticket), '{}') FROM settlement_redemption r
         WHERE r.envelope_id = e.id),
       (SELECT count(*) FROM settlement_readoutcome o WHERE o.envelope_id = e.id),
       (SELECT coalesce(array_agg(i.status || ':' || i.adjustment::text ORDER BY i.id), '{}')
          FROM settlement_investigation i WHERE i.envelope_id = e.id),
       (SELECT count(*) FROM settlement_serialread s WHERE s.envelope_id = e.id)
  FROM settlement_envelope e
 WHERE e.status IN ('reconciled', 'settled') OR EXISTS (SELECT 1 FROM settlement_batchenvelope be
                                                          WHERE be.envelope_id = e.id)
"""


def zengin_amounts(data: bytes) -> list[int]:
    """The amounts of a Zengin file's data records (bytes 81–90 of each 120-byte record "2…")."""
    flat = data.replace(b"\r\n", b"")
    records = [flat[i:i + 120] for i in range(0, len(flat), 120)]
    return [int(r[80:90]) for r in records if r[:1] == b"2"]


class MoneyMachine(RuleBasedStateMachine):
    world: World  # set by the test before the run

    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.w = type(self).world
        self.files = 0
        self.closed: dict[int, tuple] = {}  # envelope id → its tickets when first seen closed
        self.zengin: dict[int, bytes] = {}  # batch id → the file written for it (rewrites must give the same bytes)

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # -- helpers -------------------------------------------------------------------------------------------
    def _attempt(self, call, *, must_succeed: bool = False, errors=(DomainError, JobError, VoucherError),
                 step: str = ""):
        """Run a step. A refusal (a domain error a clerk reads) must have changed nothing."""
        before = snapshot()
        step = step or sys._getframe(1).f_code.co_name
        try:
            with transaction.atomic():
                result = call()
        except errors as exc:
            assert not must_succeed, f"a legal step was refused: {exc}"
            assert snapshot() == before, f"a refused step changed the database: {exc}"
            event(f"{step}: refused")
            STEPS[f"{step}: refused"] += 1
            return None
        event(f"{step}: done")
        STEPS[f"{step}: done"] += 1
        return result if result is not None else True

    @staticmethod
    def _pick(data, queryset, label):
        items = list(queryset)
        return data.draw(st.sampled_from(items), label=label) if items else None

    def _envelopes(self):
        return Envelope.objects.filter(campaign=self.w.campaign).order_by("pk")

    def _batches(self):
        return SettlementBatch.objects.filter(campaign=self.w.campaign).order_by("pk")

    # -- envelopes -----------------------------------------------------------------------------------------
    @rule(merchant=st.integers(0, 2), tickets=st.integers(1, 4), portal=st.booleans())
    def declare(self, merchant, tickets, portal):
        m = Merchant.objects.get(pk=self.w.merchants[merchant].pk)
        actor = m.portal_user if portal else self.w.clerk  # the portal, or a paper slip keyed by staff
        self._attempt(lambda: services.envelope_declare(actor=actor, merchant=m, tickets={self.w.thousand: tickets}),
                      must_succeed=not m.is_suspended)

    @rule(data=st.data(), day=st.sampled_from(RECEIPT_DAYS))
    def receive(self, data, day):
        envelope = self._pick(data, self._envelopes().filter(status=Envelope.Status.DECLARED), "envelope")
        if envelope is None:
            return
        declared = sum(envelope.lines.values_list("declared_tickets", flat=True))
        self._attempt(lambda: services.envelope_receive(actor=self.w.clerk, envelope=envelope, received_on=day,
                                                        seal_intact=True, opened_with=self.w.clerk2,
                                                        counted_tickets=declared), must_succeed=True)

    @rule(data=st.data(), picks=st.lists(st.sampled_from(CODES), min_size=1, max_size=5), by_file=st.booleans(),
          hold=st.booleans(), reconcile=st.booleans())
    def read(self, data, picks, by_file, hold, reconcile):
        envelope = self._pick(data, self._envelopes().exclude(status=Envelope.Status.DECLARED), "envelope")
        if envelope is None:
            return
        codes = [c for c, _kind in picks]
        if by_file:
            self.files += 1  # every file's bytes differ (a trailing column), as scanners' files do
            content = "\r\n".join(f"{c},{self.files}" for c in codes).encode() + b"\r\n"
            call = lambda: envelope_read(actor=self.w.clerk, envelope=envelope, source="scanner",  # noqa: E731
                                         content=content, file_name=f"scan{self.files}.csv", hold_suspended=hold)
        else:
            call = lambda: envelope_read(actor=self.w.clerk, envelope=envelope, source="manual",  # noqa: E731
                                         codes=codes, hold_suspended=hold)
        open_for_reading = (envelope.status in (Envelope.Status.RECEIVED, Envelope.Status.VERIFIED,
                                                Envelope.Status.REVIEW)
                            and not hasattr(envelope, "batch_entry")
                            and (hold or not envelope.merchant.is_suspended))
        if self._attempt(call, must_succeed=open_for_reading) and reconcile:
            self._attempt(lambda: services.envelope_reconcile(actor=self.w.clerk, envelope=envelope),
                          must_succeed=True, step="reconcile")

    @rule(book=st.sampled_from(LATE_SOLD_BOOKS))
    def report_sold_later(self, book):
        if Book.objects.get(campaign=self.w.campaign, number=book).state == "sold":
            return
        self._attempt(lambda: stock.sales_report_record(actor=self.w.stock_clerk, outlet=self.w.outlet,
                                                        denomination=self.w.thousand, sales_date=date(2026, 11, 1),
                                                        ranges=[BookRange(book, book)]))

    @rule(data=st.data(), any_envelope=st.booleans())
    def reconcile(self, data, any_envelope):
        envelopes = self._envelopes()
        if not any_envelope:
            envelopes = envelopes.filter(status__in=[Envelope.Status.VERIFIED, Envelope.Status.REVIEW],
                                         reconciled_at__isnull=True)
        envelope = self._pick(data, envelopes, "envelope")
        if envelope is not None:
            self._attempt(lambda: services.envelope_reconcile(actor=self.w.clerk, envelope=envelope))

    @rule(data=st.data(), accept=st.booleans(), second=st.booleans(), release=st.booleans())
    def decide(self, data, accept, second, release):
        investigations = Investigation.objects.filter(campaign=self.w.campaign).order_by("pk")
        if data.draw(st.integers(0, 3), label="any") == 0:  # now and then one that was decided already
            investigation = self._pick(data, investigations, "investigation")
        else:
            investigation = self._pick(data, investigations.filter(status="open"), "investigation")
        if investigation is None:
            return
        actor = self.w.manager2 if second else self.w.manager
        decided = self._attempt(lambda: services.investigation_decide(actor=actor, investigation=investigation,
                                                                      accept=accept, reason="確認した"))
        if decided and release and not Investigation.objects.filter(envelope_id=investigation.envelope_id,
                                                                    status="open").exists():
            # The envelope's last open question answered: a second person releases it (not a reader of its
            # tickets, not a decider of its claims).
            envelope = Envelope.objects.get(pk=investigation.envelope_id)
            releaser = self.w.manager if second else self.w.manager2
            involved = (set(envelope.reads.values_list("read_by_id", flat=True))
                        | set(envelope.investigations.values_list("decided_by_id", flat=True)))
            self._attempt(lambda: services.envelope_clear_review(actor=releaser, envelope=envelope, reason="判定済み"),
                          must_succeed=envelope.status == Envelope.Status.REVIEW and releaser.pk not in involved,
                          step="release")

    @rule(data=st.data())
    def release(self, data):
        envelope = self._pick(data, self._envelopes().filter(status=Envelope.Status.REVIEW), "envelope")
        if envelope is not None:
            self._attempt(lambda: services.envelope_clear_review(actor=self.w.manager, envelope=envelope,
                                                                 reason="差異の理由を確認した"))

    # -- cutoffs and batches -------------------------------------------------------------------------------
    @rule(data=st.data(), any_cutoff=st.integers(0, 3))
    def close_by_hand(self, data, any_cutoff):
        cutoffs = Cutoff.objects.filter(campaign=self.w.campaign).order_by("pk")
        if any_cutoff:  # mostly one still open; now and then any (a second close is refused)
            cutoffs = cutoffs.filter(batch__isnull=True)
        cutoff = self._pick(data, cutoffs, "cutoff")
        if cutoff is not None:
            self._attempt(lambda: payout_services.batch_close(actor=self.w.clerk, cutoff=cutoff),
                          must_succeed=not SettlementBatch.objects.filter(cutoff=cutoff).exists())

    @rule(day=st.sampled_from([day for day, _kind in CUTOFF_DAYS]))
    def close_by_schedule(self, day):
        # The beat task at 23:30 on ``day``: every cutoff up to that day that is still open.
        self._attempt(lambda: payout_services.cutoffs_close_due(
            actor=None, now=datetime.combine(day, time(23, 30), tzinfo=TOKYO)), must_succeed=True)

    @rule(data=st.data(), merchants=st.sets(st.integers(0, 2), max_size=2), relief=st.booleans())
    def limit_extraordinary(self, data, merchants, relief):
        cutoff = self._pick(data, Cutoff.objects.filter(campaign=self.w.campaign, kind="extraordinary").order_by("pk"),
                            "cutoff")
        if cutoff is None:
            return
        chosen = [self.w.merchants[i] for i in sorted(merchants)]
        self._attempt(lambda: cutoff_services.cutoff_scope_set(actor=self.w.manager, cutoff=cutoff, merchants=chosen,
                                                               accepts_late=relief, reason="不正事案の精算"))

    @rule(data=st.data(), by_manager=st.booleans())
    def prepare(self, data, by_manager):
        batch = self._pick(data, self._batches().filter(prepared_by__isnull=True), "batch")
        if batch is not None:
            actor = self.w.manager if by_manager else self.w.clerk
            self._attempt(lambda: payout_services.batch_prepare(actor=actor, batch=batch), must_succeed=True)

    @rule(data=st.data(), who=st.sampled_from(["clerk", "manager", "manager2", "other", "other", "other"]),
          signed=st.integers(0, 3), then=st.sampled_from(["wait", "file", "bank", "bank"]),
          fail=st.sets(st.integers(0, 2), max_size=3))
    def approve(self, data, who, signed, then, fail):
        batches = self._batches().filter(status=SettlementBatch.Status.PREPARED)
        if signed:  # mostly a batch somebody signed (now and then one the scheduler closed and nobody signed)
            batches = batches.filter(prepared_by__isnull=False)
        batch = self._pick(data, batches, "batch")
        if batch is None:
            return
        if who == "other":  # a manager who is not the preparer (when there is one)
            who = "manager2" if batch.prepared_by_id == self.w.manager.pk else "manager"
        actor = getattr(self.w, who)
        legal = batch.prepared_by_id is not None and batch.prepared_by_id != actor.pk
        approved = self._attempt(lambda: payout_services.batch_approve(actor=actor, batch=batch), must_succeed=legal)
        if approved and then != "wait":  # the file goes to the bank at once, and perhaps its result comes back
            self._write_zengin(batch)
            if then == "bank":
                self._bank_result(batch, fail)

    @rule(data=st.data())
    def discard(self, data):
        batch = self._pick(data, self._batches(), "batch")
        if batch is not None:
            self._attempt(lambda: payout_services.batch_discard(actor=self.w.clerk, batch=batch),
                          must_succeed=batch.status == SettlementBatch.Status.PREPARED)

    @rule(data=st.data())
    def write_zengin(self, data):
        batch = self._pick(data, self._batches().exclude(status=SettlementBatch.Status.PREPARED), "batch")
        if batch is not None:
            self._write_zengin(batch)

    def _write_zengin(self, batch):
        out = io.BytesIO()
        # An approved batch's file is always written, whatever its merchants' lines (no ¥0 line blocks it); only a
        # batch without a single transfer has no file (refused, saying so).
        transfers = batch.lines.filter(status__in=payout_documents.IN_FILE).exists()
        self._attempt(lambda: payout_documents.write_zengin(batch, out), must_succeed=transfers)
        if not transfers:
            return
        data_bytes = out.getvalue()
        assert self.zengin.setdefault(batch.pk, data_bytes) == data_bytes, "rewriting the file gave other bytes"

    @rule(data=st.data(), fail=st.sets(st.integers(0, 2), max_size=3))
    def bank_result(self, data, fail):
        batch = self._pick(data, self._batches().filter(status=SettlementBatch.Status.APPROVED), "batch")
        if batch is not None:
            self._bank_result(batch, fail)

    def _bank_result(self, batch, fail):
        payable = set(batch.lines.filter(status="payable").values_list("merchant__merchant_number", flat=True))
        numbers = [self.w.merchants[i].merchant_number for i in sorted(fail)]
        failures = [payout_services.BankFailure(n, "口座なし") for n in numbers if n in payable]
        if payable and batch.pk not in self.zengin:  # the file went to the bank first
            out = io.BytesIO()
            self._attempt(lambda: payout_documents.write_zengin(batch, out), must_succeed=True)
            self.zengin[batch.pk] = out.getvalue()
        self._attempt(lambda: payout_services.batch_record_bank_result(actor=self.w.clerk, batch=batch,
                                                                       failures=failures), must_succeed=True)

    @rule(merchant=st.integers(0, 2), number=st.integers(1_000_000, 9_999_999))
    def correct_account(self, merchant, number):
        m = Merchant.objects.get(pk=self.w.merchants[merchant].pk)

        def call():
            account = services.bank_account_request(actor=self.w.clerk, merchant=m,
                                                    bank=bank_details(account_number=str(number)))
            return services.bank_account_approve(actor=self.w.manager, account=account)

        self._attempt(call, must_succeed=True)

    @rule(merchant=st.integers(0, 2))
    def suspend_or_resume(self, merchant):
        m = Merchant.objects.get(pk=self.w.merchants[merchant].pk)
        if m.is_suspended:
            self._attempt(lambda: services.merchant_resume(actor=self.w.manager, merchant=m, reason="調査終了"),
                          must_succeed=True)
        else:
            self._attempt(lambda: services.merchant_suspend(actor=self.w.manager, merchant=m, reason="調査中"),
                          must_succeed=True)

    # -- invariants ----------------------------------------------------------------------------------------
    @invariant()
    def one_ticket_one_payment(self):
        assert _rows(OVERPAID_TICKETS) == [], "a ticket is paid more than its face value"
        assert _rows(UNRECORDED_DECISIONS) == [], "an accepted claim and its ticket's record disagree"

    @invariant()
    def batches_pay_what_their_envelopes_hold(self):
        now = dict(_rows(ENVELOPE_AMOUNT))
        for envelope_id, amount in _rows("SELECT envelope_id, amount FROM settlement_batchenvelope"):
            assert now[envelope_id] == amount, "a batch pays an envelope other than what its tickets are worth now"
        lines = _rows("""
            SELECT pl.id, pl.status, pl.amount, pl.redeemed_amount + pl.adjustment, pl.carried_amount,
                   coalesce((SELECT sum(be.amount) FROM settlement_batchenvelope be WHERE be.line_id = pl.id), 0),
                   coalesce((SELECT sum(f.amount) FROM settlement_payoutline f WHERE f.carried_to_id = pl.id), 0)
              FROM settlement_payoutline pl""")
        for _pk, status, amount, own, carried, enveloped, carried_in in lines:
            if status != "held":  # a held line shows what waits; its envelopes are not attached
                assert own == enveloped, "a line's redeemed amount and its envelopes' amounts differ"
                assert carried == carried_in, "a line carries other than the failed transfers pointing at it"
            assert amount == own + carried, "a line's amount does not add up"

    @invariant()
    def every_approved_yen_leaves_once(self):
        for pk, status, amount in _rows("SELECT id, status, amount FROM settlement_settlementbatch "
                                        "WHERE status <> 'prepared'"):
            in_file = _rows("SELECT coalesce(sum(amount), 0), count(*), "
                            "coalesce(sum(amount) FILTER (WHERE status IN ('paid', 'failed')), 0), "
                            "count(*) FILTER (WHERE status = 'payable') FROM settlement_payoutline "
                            "WHERE batch_id = %s AND status IN ('payable', 'paid', 'failed')", [pk])[0]
            assert in_file[0] == amount, "the batch's amount is not the sum of its transfers"
            if status == "paid":  # every transfer came back as exactly one success or failure
                assert in_file[2] == amount and in_file[3] == 0, "a paid batch's transfers did not all come back"
            if pk in self.zengin:
                written = zengin_amounts(self.zengin[pk])
                assert sum(written) == amount and len(written) == in_file[1], "the bank file and the batch differ"
        # A failure is carried into at most one later batch, and only into a payable or paid line.
        for failed_batch, carrier_batch, carrier_status in _rows("""
                SELECT f.batch_id, c.batch_id, c.status FROM settlement_payoutline f
                  JOIN settlement_payoutline c ON c.id = f.carried_to_id"""):
            assert carrier_batch > failed_batch and carrier_status in ("payable", "paid", "failed"), \
                f"failed line of batch {failed_batch} carried by a {carrier_status} line of batch {carrier_batch}"
        assert _rows("SELECT id FROM settlement_payoutline WHERE carried_to_id IS NOT NULL AND status <> 'failed'") \
            == [], "a line that did not fail was carried"

    @invariant()
    def no_zero_transfer(self):
        assert _rows("SELECT id FROM settlement_payoutline WHERE status IN ('payable', 'paid', 'failed') "
                     "AND amount <= 0") == [], "a transfer of ¥0"
        assert _rows("SELECT id FROM settlement_payoutline WHERE status = 'nothing' AND amount <> 0") == [], \
            "a 'nothing to pay' line with money on it"

    @invariant()
    def closed_envelopes_stay_closed(self):
        for row in _rows(ENVELOPE_TICKETS):
            fingerprint = hashlib.sha256(repr(row[1:]).encode()).hexdigest()
            assert self.closed.setdefault(row[0], fingerprint) == fingerprint, \
                "the tickets of a reconciled, batched or settled envelope changed"

    @invariant()
    def four_eyes(self):
        assert _rows("SELECT id FROM settlement_settlementbatch WHERE status <> 'prepared' AND "
                     "(prepared_by_id IS NULL OR approved_by_id IS NULL OR approved_by_id = prepared_by_id)") == [], \
            "four eyes: a batch was approved without a named preparer or by its preparer"
        assert _rows("SELECT id FROM settlement_bankaccount WHERE status IN ('active', 'superseded') AND "
                     "(decided_by_id IS NULL OR decided_by_id = requested_by_id)") == [], \
            "four eyes: an account money goes to was confirmed by nobody or by the person who entered it"
        assert _rows("SELECT id FROM settlement_investigation WHERE status <> 'open' AND decided_by_id IS NULL") \
            == [], "an investigation was decided by nobody"

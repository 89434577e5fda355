"""Money steps that two people (or the scheduler and a person) take at the same moment, on two real connections:
each race ends with every ticket paid at most once and every failed transfer carried once."""

from __future__ import annotations

import threading
import time as clock
from datetime import date

import pytest
from django.db import connection, transaction

from campaign.bankdays import add_business_days
from settlement import services
from settlement.intake import IntakeError, envelope_read
from settlement.models import Investigation, PayoutLine, Redemption, SettlementBatch
from settlement.services import cutoffs as cutoff_services
from settlement.services import payouts as payout_services
from tests.settlement.money_machine import OVERPAID_TICKETS, _rows
from tests.settlement.test_intake import code, sold_books  # noqa: F401
from tests.settlement.test_money_examples import envelope_with, people, shops  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def race(*calls, timeout=60):
    """Run ``calls`` in threads of their own (each its own connection), released at the same moment. Returns each
    call's result or the exception it raised."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 — the race's loser: kept and asserted on by the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
        assert not t.is_alive(), "a racer is still waiting: a deadlock or a lock never released"
    return results


def _cutoff(campaign, alice, day, kind="regular"):
    return cutoff_services.cutoff_create(actor=alice, campaign=campaign, cutoff_date=day,
                                         payment_date=add_business_days(day, 3), kind=kind)


def _failed_transfer(shop, people, thousand, campaign, alice):
    """A paid batch whose transfer to ``shop`` failed; the shop has since given a new account."""
    envelope_with(shop, [code(1, 1), code(1, 2)], people, thousand)
    batch = payout_services.batch_close(actor=people["clerk"], cutoff=_cutoff(campaign, alice, date(2026, 11, 5)))
    payout_services.batch_approve(actor=people["manager"], batch=batch)
    payout_services.batch_record_bank_result(actor=people["clerk"], batch=batch, failures=[
        payout_services.BankFailure(shop.merchant_number, "口座番号相違")])
    account = services.bank_account_request(actor=people["clerk"], merchant=shop,
                                            bank=services.BankDetails(bank_code="0001", branch_code="541",
                                                                      account_type="1", account_number="7654321",
                                                                      holder_name="ｶ)ﾄﾂﾄﾘｶﾌｴ"))
    services.bank_account_approve(actor=people["manager"], account=account)
    return PayoutLine.objects.get(batch=batch, merchant=shop)


def test_two_cutoffs_closing_at_once_carry_a_failed_transfer_once(shops, people, thousand, campaign, alice):
    failed = _failed_transfer(shops[0], people, thousand, campaign, alice)
    assert failed.status == "failed" and failed.amount == 2_000
    first, second = _cutoff(campaign, alice, date(2026, 11, 10)), _cutoff(campaign, alice, date(2026, 11, 12),
                                                                            "extraordinary")
    results = race(lambda: payout_services.batch_close(actor=people["clerk"], cutoff=first),
                   lambda: payout_services.batch_close(actor=people["manager"], cutoff=second))
    assert all(isinstance(r, SettlementBatch) for r in results), results
    failed.refresh_from_db()
    carriers = PayoutLine.objects.filter(carried_amount__gt=0, status="payable")
    assert carriers.count() == 1 and failed.carried_to == carriers.get()
    assert sum(r.amount for r in results) == 2_000  # paid again once, by whichever close took its turn first


def test_closes_of_one_campaign_take_a_named_turn(shops, people, thousand, campaign, alice):
    """The lock is deliberate: while another transaction holds the campaign's payouts turn, a close waits."""
    cutoff = _cutoff(campaign, alice, date(2026, 11, 10))
    holding, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                payout_services.payouts_take_turn(campaign.pk)
                holding.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(10)
    closed = {}
    closer = threading.Thread(target=lambda: (closed.setdefault(
        "batch", payout_services.batch_close(actor=people["clerk"], cutoff=cutoff)), connection.close()))
    closer.start()
    deadline = clock.monotonic() + 10
    waiting = []
    while clock.monotonic() < deadline and not waiting:
        waiting = _rows("SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        "AND wait_event = 'advisory' AND datname = current_database()")
        clock.sleep(0.05)
    assert waiting and "batch" not in closed, "the close did not wait for the campaign's payouts turn"
    release.set()
    holder.join(30)
    closer.join(30)
    assert closed["batch"].cutoff_id == cutoff.pk


def test_two_reviewers_accepting_the_same_ticket_pay_it_once(shops, people, thousand):
    a, b, _c = shops
    mine, theirs = (envelope_with(shop, [code(21, 1)], people, thousand) for shop in (a, b))  # unsold: two claims
    one, two = (Investigation.objects.get(envelope=e) for e in (mine, theirs))
    results = race(
        lambda: services.investigation_decide(actor=people["manager"], investigation=one, accept=True, reason="本物"),
        lambda: services.investigation_decide(actor=people["manager2"], investigation=two, accept=True,
                                              reason="本物"))
    assert sorted(type(r).__name__ for r in results) == ["Investigation", "ReviewError"], results
    assert "1枚の券の支払は1回だけです" in str(next(r for r in results if isinstance(r, Exception)))
    assert Investigation.objects.filter(status="accepted").count() == 1
    assert Redemption.objects.filter(book=21, ticket=1).count() == 1
    assert _rows(OVERPAID_TICKETS) == []


def test_two_reviewers_deciding_one_investigation_decide_it_once(shops, people, thousand):
    envelope = envelope_with(shops[0], [code(21, 1)], people, thousand)
    investigation = Investigation.objects.get(envelope=envelope)
    results = race(
        lambda: services.investigation_decide(actor=people["manager"], investigation=investigation, accept=True,
                                              reason="本物"),
        lambda: services.investigation_decide(actor=people["manager2"], investigation=investigation, accept=True,
                                              reason="本物"))
    assert sorted(type(r).__name__ for r in results) == ["Investigation", "ReviewError"], results
    investigation.refresh_from_db()
    assert investigation.adjustment == 1_000 and Redemption.objects.filter(envelope=envelope).count() == 1
    assert _rows(OVERPAID_TICKETS) == []


def test_a_reading_while_the_cutoff_closes_never_changes_what_the_batch_pays(shops, people, thousand, campaign,
                                                                            alice):
    a, b, _c = shops
    closed_envelope = envelope_with(a, [code(1, 1)], people, thousand)  # reconciled: the close takes it
    open_envelope = services.envelope_declare(actor=b.portal_user, merchant=b, tickets={thousand: 1})
    services.envelope_receive(actor=people["clerk"], envelope=open_envelope, received_on=date(2026, 11, 2),
                              seal_intact=True, opened_with=people["opener"], counted_tickets=1)
    cutoff = _cutoff(campaign, alice, date(2026, 11, 10))
    results = race(
        lambda: payout_services.batch_close(actor=people["manager"], cutoff=cutoff),
        lambda: envelope_read(actor=people["clerk"], envelope=closed_envelope, source="manual", codes=[code(1, 2)]),
        lambda: envelope_read(actor=people["opener"], envelope=open_envelope, source="manual", codes=[code(2, 1)]))
    batch, refused, read = results
    assert isinstance(batch, SettlementBatch), batch
    assert isinstance(refused, IntakeError), refused  # reconciled (or already in the batch): never read into
    assert read.accepted == 1  # the envelope being read was not reconciled, so the close did not take it
    assert list(batch.lines.values_list("merchant_id", "amount")) == [(a.pk, 1_000)]
    assert not Redemption.objects.filter(envelope=closed_envelope, ticket=2).exists()
    assert _rows(OVERPAID_TICKETS) == []

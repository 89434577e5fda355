"""Closing a cutoff freezes a batch: who is paid, who is held and why, four eyes, bank results, carried failures."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from settlement import services
from settlement.models import (
    BankAccount,
    BatchEnvelope,
    Cutoff,
    Envelope,
    PayoutLine,
    SettlementBatch,
)
from settlement.services.payouts import (
    BankFailure,
    BatchError,
    batch_approve,
    batch_close,
    batch_discard,
    batch_record_bank_result,
    parse_bank_result,
)
from tests.settlement.payouts_world import investigation, merchant, reconciled_envelope

CUTOFF = date(2026, 11, 10)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def cutoff(campaign):
    return Cutoff.objects.create(campaign=campaign, cutoff_date=CUTOFF, payment_date=date(2026, 11, 30))


@pytest.fixture
def shops(campaign, mizuho, alice):
    return [merchant(campaign, alice, n) for n in range(4)]


@pytest.mark.django_db
def test_closing_pays_reconciled_envelopes_up_to_the_cutoff_per_merchant_and_denomination(
        cutoff, shops, alice, clerk, thousand, five_hundred):
    a, b = shops[:2]
    e1 = reconciled_envelope(a, actor=alice, tickets={thousand: 3, five_hundred: 2}, received_on=date(2026, 11, 1))
    e2 = reconciled_envelope(a, actor=alice, tickets={thousand: 1}, received_on=CUTOFF)
    investigation(e2, status="accepted", face_value=1000, decided_by=alice)
    reconciled_envelope(b, actor=alice, tickets={thousand: 5}, received_on=date(2026, 11, 11))  # after the cutoff
    reconciled_envelope(b, actor=alice, tickets={thousand: 7}, status=Envelope.Status.REVIEW)  # not reconciled

    batch = batch_close(actor=clerk, cutoff=cutoff)

    line = batch.lines.get()
    assert line.merchant == a and line.status == PayoutLine.Status.PAYABLE
    assert line.envelopes == 2 and line.tickets == 6
    assert line.redeemed_amount == 3 * 1000 + 2 * 500 + 1000 and line.adjustment == 1000 and line.amount == 6000
    assert line.per_denomination == {"1": {"name": "1,000円券", "face_value": 1000, "tickets": 4, "amount": 4000},
                                     "2": {"name": "500円券", "face_value": 500, "tickets": 2, "amount": 1000}}
    assert (line.bank_code, line.branch_code, line.account_number) == ("0001", "541", "1234567")
    assert set(BatchEnvelope.objects.values_list("envelope_id", "amount")) == {(e1.pk, 4000), (e2.pk, 2000)}
    assert (batch.envelopes, batch.merchants, batch.amount, batch.held) == (2, 1, 6000, 0)
    # Still reconciled until approval: a prepared batch can be discarded.
    assert Envelope.objects.get(pk=e1.pk).status == Envelope.Status.RECONCILED


@pytest.mark.django_db
def test_held_lines_name_the_reason_and_wait_for_the_next_batch(campaign, cutoff, shops, alice, clerk, manager,
                                                                thousand):
    suspended, investigated, no_account, fine = shops
    for m in shops:
        reconciled_envelope(m, actor=alice, tickets={thousand: 2})
    services.merchant_suspend(actor=manager, merchant=suspended, reason="調査中")
    other = reconciled_envelope(investigated, actor=alice, tickets={thousand: 1})
    investigation(other, status="open")
    BankAccount.objects.filter(merchant=no_account).update(status=BankAccount.Status.SUPERSEDED)

    batch = batch_close(actor=clerk, cutoff=cutoff)

    lines = {line.merchant_id: line for line in batch.lines.all()}
    assert lines[suspended.pk].status == "held" and lines[suspended.pk].hold_reasons == ["suspended"]
    assert lines[investigated.pk].hold_reasons == ["investigation"] and lines[investigated.pk].amount == 3000
    assert lines[no_account.pk].hold_reasons == ["no_account"]
    assert lines[fine.pk].status == "payable"
    assert (batch.merchants, batch.amount, batch.held, batch.held_amount) == (1, 2000, 3, 7000)
    # Held envelopes are not in the batch: the next close takes them once the reason is gone.
    assert BatchEnvelope.objects.filter(envelope__merchant=suspended).count() == 0
    services.merchant_resume(actor=manager, merchant=suspended, reason="解除")
    later = Cutoff.objects.create(campaign=campaign, cutoff_date=date(2026, 11, 20), payment_date=date(2026, 12, 4))
    next_batch = batch_close(actor=clerk, cutoff=later)
    assert {(line.merchant_id, line.status) for line in next_batch.lines.all()} == {
        (suspended.pk, "payable"), (investigated.pk, "held"), (no_account.pk, "held")}


@pytest.mark.django_db
def test_the_preparer_cannot_approve_and_approval_settles_the_envelopes(cutoff, shops, alice, clerk, manager,
                                                                       thousand):
    envelope = reconciled_envelope(shops[0], actor=alice, tickets={thousand: 1})
    batch = batch_close(actor=manager, cutoff=cutoff)
    with pytest.raises(BatchError, match="second person"):
        batch_approve(actor=manager, batch=batch)
    batch.refresh_from_db()
    assert batch.status == "prepared" and batch.approved_by is None
    # The database refuses it too, whatever the code path.
    with pytest.raises(IntegrityError), transaction.atomic():
        SettlementBatch.objects.filter(pk=batch.pk).update(status="approved", approved_by=manager)

    batch_approve(actor=alice, batch=batch)
    batch.refresh_from_db()
    assert batch.status == "approved" and batch.approved_by == alice
    assert Envelope.objects.get(pk=envelope.pk).status == Envelope.Status.SETTLED
    with pytest.raises(BatchError):
        batch_discard(actor=alice, batch=batch)


@pytest.mark.django_db
def test_a_cutoff_closes_once_and_a_discarded_batch_frees_its_envelopes(cutoff, shops, alice, clerk, thousand):
    reconciled_envelope(shops[0], actor=alice, tickets={thousand: 1})
    batch = batch_close(actor=clerk, cutoff=cutoff)
    with pytest.raises(BatchError, match="already been closed"):
        batch_close(actor=clerk, cutoff=cutoff)
    batch_discard(actor=clerk, batch=batch)
    assert not BatchEnvelope.objects.exists() and not PayoutLine.objects.exists()
    again = batch_close(actor=clerk, cutoff=Cutoff.objects.get(pk=cutoff.pk))
    assert again.envelopes == 1


@pytest.mark.django_db
def test_the_database_keeps_an_envelope_in_one_batch(campaign, cutoff, shops, alice, clerk, thousand):
    reconciled_envelope(shops[0], actor=alice, tickets={thousand: 1})
    batch = batch_close(actor=clerk, cutoff=cutoff)
    extra = Cutoff.objects.create(campaign=campaign, cutoff_date=CUTOFF, payment_date=date(2026, 11, 13),
                                  kind="extraordinary")
    other = SettlementBatch.objects.create(campaign=campaign, cutoff=extra, prepared_by=clerk, prepared_at=batch.prepared_at)
    with pytest.raises(IntegrityError), transaction.atomic():
        BatchEnvelope.objects.create(batch=other, envelope=BatchEnvelope.objects.get().envelope)


@pytest.mark.django_db
def test_failed_transfers_come_back_once_the_account_is_corrected(campaign, cutoff, shops, alice, clerk, manager,
                                                                  thousand):
    a, b = shops[:2]
    reconciled_envelope(a, actor=alice, tickets={thousand: 2})
    reconciled_envelope(b, actor=alice, tickets={thousand: 3})
    batch = batch_close(actor=clerk, cutoff=cutoff)
    batch_approve(actor=manager, batch=batch)
    failures = parse_bank_result(f"加盟店番号,理由\r\n{a.merchant_number},口座なし\r\n".encode("cp932"))
    assert failures == [BankFailure(a.merchant_number, "口座なし")]
    with pytest.raises(BatchError, match="Entry 1"):
        batch_record_bank_result(actor=manager, batch=batch, failures=[BankFailure("99999999", "x")])
    assert batch.lines.filter(status="paid").count() == 0  # nothing half-saved
    assert batch_record_bank_result(actor=manager, batch=batch, failures=failures) == {"paid": 1, "failed": 1}
    assert PayoutLine.objects.get(merchant=a).status == "failed"

    # Same account: held, not paid into the same failing account again.
    second = Cutoff.objects.create(campaign=campaign, cutoff_date=date(2026, 11, 20), payment_date=date(2026, 12, 4))
    held = batch_close(actor=clerk, cutoff=second)
    assert held.lines.get(merchant=a).hold_reasons == ["account_failed"]
    batch_discard(actor=clerk, batch=held)

    # The merchant asks for a new account, a second person approves it: the failed amount is paid again.
    change = services.bank_account_request(actor=a.portal_user, merchant=a, bank=services.BankDetails(
        bank_code="0001", branch_code="001", account_type="1", account_number="7654321", holder_name="カ）トツトリカフエ"))
    services.bank_account_approve(actor=manager, account=change)
    again = batch_close(actor=clerk, cutoff=Cutoff.objects.get(pk=second.pk))
    line = again.lines.get(merchant=a)
    assert (line.status, line.carried_amount, line.amount, line.account_number) == ("payable", 2000, 2000, "7654321")
    assert PayoutLine.objects.get(batch=batch, merchant=a).carried_to == line


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("same_cutoff", [True, False])
def test_two_closes_racing_never_put_an_envelope_in_two_batches(campaign, mizuho, alice, same_cutoff):
    from tests.conftest import make_staff

    thousand = campaign.denominations.get(code=1)
    first_clerk, second_clerk = make_staff("c1", "settlement_clerk"), make_staff("c2", "settlement_clerk")
    for n in range(6):
        reconciled_envelope(merchant(campaign, alice, n), actor=alice, tickets={thousand: 2})
    one = Cutoff.objects.create(campaign=campaign, cutoff_date=CUTOFF, payment_date=date(2026, 11, 30))
    two = one if same_cutoff else Cutoff.objects.create(campaign=campaign, cutoff_date=CUTOFF,
                                                        payment_date=date(2026, 11, 13), kind="extraordinary")
    barrier = threading.Barrier(2)
    results = {}

    def close(i, actor, cutoff):
        barrier.wait()
        try:
            results[i] = batch_close(actor=actor, cutoff=cutoff)
        except BatchError as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=close, args=(0, first_clerk, one)),
               threading.Thread(target=close, args=(1, second_clerk, two))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert BatchEnvelope.objects.count() == 6
    assert BatchEnvelope.objects.values("envelope").distinct().count() == 6
    batches = [r for r in results.values() if isinstance(r, SettlementBatch)]
    assert sum(b.envelopes for b in batches) == 6
    assert sum(line.amount for line in PayoutLine.objects.all()) == 6 * 2000
    if same_cutoff:
        assert len(batches) == 1 and any(isinstance(r, BatchError) for r in results.values())

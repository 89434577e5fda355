"""The sequences that paid a ticket twice, blocked a bank file or changed a closed envelope, each on the real
database, and the extraordinary and relief cutoffs. (The state machine in test_money_properties.py looks for such
sequences at random; these are the ones reproduced by hand, kept as examples.)"""

from __future__ import annotations

import io
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from campaign.bankdays import add_business_days
from settlement import payout_documents, services
from settlement import selectors_intake as selectors
from settlement.intake import IntakeError, envelope_read
from settlement.models import Envelope, Investigation, PayoutLine, ReadOutcome, Redemption, SettlementBatch
from settlement.services import cutoffs as cutoff_services
from settlement.services import payouts as payout_services
from tests.conftest import make_staff, verified_login
from tests.settlement.fixtures import apply
from tests.settlement.money_machine import OVERPAID_TICKETS, _rows, snapshot, zengin_amounts
from tests.settlement.test_intake import code, forged, sold_books  # noqa: F401
from vouchers import services as stock
from vouchers.movements import BookRange

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.fixture
def people(db):
    return {"clerk": make_staff("sam", "settlement_clerk"), "opener": make_staff("eve", "settlement_clerk"),
            "manager": make_staff("mallory", "secretariat_manager"), "manager2": make_staff("mia",
                                                                                           "secretariat_manager")}


@pytest.fixture
def shops(campaign, mizuho, sold_books, alice):  # noqa: F811
    """Three approved merchants (books 1–20 sold, 21–40 unsold at the outlet)."""
    return [services.merchant_approve(actor=alice, merchant=apply(campaign, email=f"shop{i}@example.jp",
                                                                  store_name=f"食堂{i}号店")) for i in range(3)]


def envelope_with(merchant, codes, people, thousand, *, received_on=date(2026, 11, 2)) -> Envelope:
    """An envelope declared for ``codes``, received, read by keying, reconciled."""
    envelope = services.envelope_declare(actor=merchant.portal_user, merchant=merchant,
                                         tickets={thousand: len(codes)})
    services.envelope_receive(actor=people["clerk"], envelope=envelope, received_on=received_on, seal_intact=True,
                              opened_with=people["opener"], counted_tickets=len(codes))
    envelope_read(actor=people["clerk"], envelope=envelope, source="manual", codes=codes)
    return services.envelope_reconcile(actor=people["clerk"], envelope=envelope)


def accept(envelope, people):
    investigation = Investigation.objects.get(envelope=envelope)
    return services.investigation_decide(actor=people["manager"], investigation=investigation, accept=True,
                                         reason="現物を確認した")


def no_ticket_overpaid():
    return _rows(OVERPAID_TICKETS) == []


def test_an_accepted_unsold_ticket_is_a_repeat_in_any_later_envelope(shops, people, thousand, campaign, bob, marui):
    a, b, _c = shops
    first = envelope_with(a, [code(21, 1)], people, thousand)
    assert ReadOutcome.objects.get(envelope=first).verification == "unsold"
    accept(first, people)
    assert selectors.payable_amount(first) == 1_000
    # The same code from another merchant: a repeat of the accepted ticket, pointing at it, and never paid.
    second = envelope_with(b, [code(21, 1)], people, thousand)
    repeat = ReadOutcome.objects.get(envelope=second)
    assert repeat.verification == "already_redeemed" and repeat.first_redemption.envelope == first
    before = snapshot()
    with pytest.raises(services.ReviewError, match=f"封筒 {first.number} で支払済み"):
        accept(second, people)
    assert snapshot() == before
    # Once its book is reported sold, the ticket reads as genuine stock: still a repeat, still not paid.
    stock.sales_report_record(actor=bob, outlet=marui, denomination=thousand, sales_date=date(2026, 11, 1),
                              ranges=[BookRange(21, 21)])
    third = envelope_with(b, [code(21, 1)], people, thousand)
    assert ReadOutcome.objects.get(envelope=third).verification == "already_redeemed"
    assert not Redemption.objects.filter(envelope=third).exists()
    with pytest.raises(services.ReviewError, match="1枚の券の支払は1回だけです"):
        accept(third, people)
    assert [selectors.payable_amount(e) for e in (first, second, third)] == [1_000, 0, 0]
    assert no_ticket_overpaid()


def test_an_accepted_claim_is_paid_once_as_its_adjustment(shops, people, thousand, campaign, alice):
    envelope = envelope_with(shops[0], [code(1, 1), code(21, 1)], people, thousand)
    accept(envelope, people)
    services.envelope_clear_review(actor=people["manager2"], envelope=envelope, reason="未販売券は本物と確認")
    batch = payout_services.batch_close(actor=people["clerk"], cutoff=_cutoff(campaign, alice))
    line = batch.lines.get()
    # The reading's ticket as redeemed, the accepted claim as an adjustment: ¥2,000, not ¥3,000.
    assert (line.tickets, line.redeemed_amount, line.adjustment, line.amount) == (1, 1_000, 1_000, 2_000)
    assert batch.batch_envelopes.get().amount == 2_000 and batch.amount == 2_000
    assert no_ticket_overpaid()


def test_a_forged_check_code_accepted_once_is_refused_the_second_time(shops, people, thousand):
    a, b, c = shops
    first = envelope_with(a, [forged(1, 5)], people, thousand)
    second = envelope_with(b, [forged(1, 5)], people, thousand)
    assert ReadOutcome.objects.get(envelope=second).verification == "bad_check"
    accept(first, people)
    before = snapshot()
    with pytest.raises(services.ReviewError, match=f"封筒 {first.number} で支払済み"):
        accept(second, people)
    assert snapshot() == before
    assert Investigation.objects.get(envelope=second).status == "open"
    # The genuine code of the accepted ticket now reads as a repeat of it.
    genuine = envelope_with(c, [code(1, 5)], people, thousand)
    assert ReadOutcome.objects.get(envelope=genuine).verification == "already_redeemed"
    assert no_ticket_overpaid()


def test_a_code_naming_no_issued_ticket_cannot_be_accepted(shops, people, thousand):
    envelope = envelope_with(shops[0], [forged(1, 5)], people, thousand)
    # A bad check code whose book is not a ¥1,000 book of this campaign (never printed): nothing to pay.
    investigation = Investigation.objects.get(envelope=envelope)
    ReadOutcome.objects.filter(pk=investigation.outcome_id).update(book=4999)
    with pytest.raises(services.ReviewError, match="発行された券を示していない"):
        accept(envelope, people)
    assert not Redemption.objects.filter(envelope=envelope).exists()


def _cutoff(campaign, alice, day=date(2026, 11, 10), kind="regular"):
    return cutoff_services.cutoff_create(actor=alice, campaign=campaign, cutoff_date=day,
                                         payment_date=add_business_days(day, 3), kind=kind)


def test_an_envelope_of_nothing_payable_never_blocks_the_bank_file(shops, people, thousand, campaign, alice):
    a, b, _c = shops
    # Received before the usage period: every code is outside it; a reviewer releases the envelope.
    early = envelope_with(a, [code(1, 1), code(1, 2)], people, thousand, received_on=date(2026, 9, 30))
    assert set(ReadOutcome.objects.filter(envelope=early).values_list("verification", flat=True)) == {
        "outside_usage_period"}
    early = services.envelope_clear_review(actor=people["manager"], envelope=early, reason="期間外のため支払なし")
    paying = envelope_with(b, [code(2, 1), code(2, 2)], people, thousand)
    batch = payout_services.batch_close(actor=people["clerk"], cutoff=_cutoff(campaign, alice))
    lines = {line.merchant_id: line for line in batch.lines.all()}
    assert (lines[a.pk].status, lines[a.pk].amount, lines[a.pk].hold_reasons) == ("nothing", 0, ["nothing_payable"])
    assert (lines[b.pk].status, lines[b.pk].amount) == ("payable", 2_000)
    assert (batch.merchants, batch.amount, batch.envelopes) == (1, 2_000, 2)
    payout_services.batch_approve(actor=people["manager"], batch=batch)
    out = io.BytesIO()
    assert payout_documents.write_zengin(batch, out) == 1
    assert zengin_amounts(out.getvalue()) == [2_000]
    assert set(Envelope.objects.filter(pk__in=[early.pk, paying.pk]).values_list("status", flat=True)) == {"settled"}
    # The bank's result cannot name the merchant that had no transfer.
    with pytest.raises(payout_services.BatchError, match=a.merchant_number):
        payout_services.batch_record_bank_result(actor=people["clerk"], batch=batch, failures=[
            payout_services.BankFailure(a.merchant_number, "口座なし")])


def test_a_merchant_without_an_account_and_nothing_to_pay_is_settled_not_held(shops, people, thousand, campaign,
                                                                                alice):
    a = shops[0]
    a.bank_accounts.update(status="superseded")
    early = envelope_with(a, [code(1, 1)], people, thousand, received_on=date(2026, 9, 30))
    services.envelope_clear_review(actor=people["manager"], envelope=early, reason="期間外")
    batch = payout_services.batch_close(actor=people["clerk"], cutoff=_cutoff(campaign, alice))
    assert batch.lines.get().status == PayoutLine.Status.NOTHING and batch.held == 0


def test_keying_into_a_reconciled_envelope_through_the_page_is_refused(client, shops, people, thousand):
    envelope = envelope_with(shops[0], [code(1, 1)], people, thousand)
    assert envelope.status == "reconciled"
    verified_login(client, people["clerk"])
    before = snapshot()
    page = client.post(reverse("intake:key", args=[envelope.number]), {"codes": code(1, 2)})
    assert page.status_code == 400
    assert f"封筒 {envelope.number} は照合済みで締日を待っているため、券の内容は変更できません。" in page.content.decode()
    assert snapshot() == before


def test_reading_or_deciding_on_a_batched_envelope_is_refused(shops, people, thousand, campaign, alice):
    envelope = envelope_with(shops[0], [code(1, 1), code(21, 1)], people, thousand)
    investigation = Investigation.objects.get(envelope=envelope)
    services.investigation_decide(actor=people["manager"], investigation=investigation, accept=False, reason="複写")
    services.envelope_clear_review(actor=people["manager2"], envelope=envelope, reason="1枚は未販売")
    payout_services.batch_close(actor=people["clerk"], cutoff=_cutoff(campaign, alice))
    before = snapshot()
    with pytest.raises(IntakeError, match="精算バッチに入っているため"):
        envelope_read(actor=people["clerk"], envelope=envelope, source="manual", codes=[code(1, 2)])
    with pytest.raises(services.ReviewError, match="already decided|判定済み"):
        services.investigation_decide(actor=people["manager"], investigation=investigation, accept=True,
                                      reason="やはり支払う")
    assert snapshot() == before


def test_a_scheduled_close_needs_a_named_preparer_before_approval(client, shops, people, thousand, campaign, alice):
    envelope_with(shops[0], [code(1, 1)], people, thousand)
    _cutoff(campaign, alice)
    [batch] = payout_services.cutoffs_close_due(actor=None, now=datetime.combine(date(2026, 11, 10), time(23, 30),
                                                                                  tzinfo=TOKYO))
    assert batch.prepared_by is None
    before = snapshot()
    with pytest.raises(payout_services.BatchError, match="作成者として署名"):
        payout_services.batch_approve(actor=people["manager"], batch=batch)
    verified_login(client, people["manager"])
    page = client.post(reverse("payouts:batch_approve", args=[batch.pk]), follow=True)
    assert "まず担当者が内容を確認して作成者として署名し" in page.content.decode()
    assert snapshot() == before
    payout_services.batch_prepare(actor=people["manager"], batch=batch)
    with pytest.raises(payout_services.BatchError, match="別の担当者|second person"):
        payout_services.batch_approve(actor=people["manager"], batch=batch)
    approved = payout_services.batch_approve(actor=people["manager2"], batch=batch)
    assert (approved.status, approved.prepared_by, approved.approved_by) == ("approved", people["manager"],
                                                                             people["manager2"])


def test_an_extraordinary_cutoff_pays_only_the_chosen_merchants(shops, people, thousand, campaign, alice):
    a, b, c = shops
    for shop, book in zip(shops, (1, 2, 3), strict=True):
        envelope_with(shop, [code(book, 1)], people, thousand)
    special = _cutoff(campaign, alice, date(2026, 11, 6), "extraordinary")
    with pytest.raises(cutoff_services.CutoffError, match="事務局責任者"):
        cutoff_services.cutoff_scope_set(actor=people["clerk"], cutoff=special, merchants=[a, c], reason="不正事案")
    with pytest.raises(cutoff_services.CutoffError, match="理由"):
        cutoff_services.cutoff_scope_set(actor=people["manager"], cutoff=special, merchants=[a, c], reason=" ")
    cutoff_services.cutoff_scope_set(actor=people["manager"], cutoff=special, merchants=[a, c],
                                     reason="不正事案の調査が終わった3店のうち2店の精算")
    batch = payout_services.batch_close(actor=people["clerk"], cutoff=special)
    assert set(batch.lines.values_list("merchant_id", flat=True)) == {a.pk, c.pk} and batch.amount == 2_000
    regular = payout_services.batch_close(actor=people["clerk"], cutoff=_cutoff(campaign, alice))
    assert list(regular.lines.values_list("merchant_id", flat=True)) == [b.pk]
    # A regular cutoff cannot be limited, and a closed one no longer changes.
    with pytest.raises(cutoff_services.CutoffError, match="臨時の締日でだけ"):
        cutoff_services.cutoff_scope_set(actor=people["manager"], cutoff=_cutoff(campaign, alice, date(2026, 11, 20)),
                                         merchants=[b], reason="x")
    with pytest.raises(cutoff_services.CutoffError, match="締め済み"):
        cutoff_services.cutoff_scope_set(actor=people["manager"], cutoff=special, merchants=[a], reason="x")


def test_a_relief_cutoff_pays_envelopes_received_after_the_deadline(shops, people, thousand, campaign, alice):
    a, b, _c = shops
    # The campaign ended and its settlement deadline passed before these envelopes came in.
    campaign.usage_end, campaign.settlement_deadline = date(2026, 10, 31), date(2026, 11, 1)
    campaign.save(update_fields=["usage_end", "settlement_deadline"])
    late = envelope_with(a, [code(1, 1)], people, thousand, received_on=date(2026, 11, 5))
    assert ReadOutcome.objects.get(envelope=late).verification == "outside_usage_period"
    regular = payout_services.batch_close(actor=people["clerk"], cutoff=_cutoff(campaign, alice, date(2026, 11, 6)))
    assert not regular.lines.exists()  # a late envelope is paid by a relief cutoff only
    relief = _cutoff(campaign, alice, date(2026, 11, 20), "extraordinary")
    cutoff_services.cutoff_scope_set(actor=people["manager"], cutoff=relief, merchants=[b], accepts_late=True,
                                     reason="郵便事故で期限後に届いた封筒の救済（知事決裁済み）")
    relief.refresh_from_db()
    assert (relief.accepts_late, relief.scope_decided_by, relief.scope_reason) == (
        True, people["manager"], "郵便事故で期限後に届いた封筒の救済（知事決裁済み）")
    late_b = envelope_with(b, [code(2, 1), code(2, 2)], people, thousand, received_on=date(2026, 11, 5))
    assert Redemption.objects.filter(envelope=late_b).count() == 2  # read as payable under the relief
    batch = payout_services.batch_close(actor=people["clerk"], cutoff=relief)
    assert list(batch.lines.values_list("merchant_id", "amount")) == [(b.pk, 2_000)]
    # A relief cannot be withdrawn from envelopes read as payable under it: their money waits for it.
    later = _cutoff(campaign, alice, date(2026, 11, 26), "extraordinary")
    cutoff_services.cutoff_scope_set(actor=people["manager"], cutoff=later, merchants=[b], accepts_late=True,
                                     reason="同上（2通目）")
    waiting = envelope_with(b, [code(3, 1)], people, thousand, received_on=date(2026, 11, 5))
    assert Redemption.objects.filter(envelope=waiting).count() == 1
    before = snapshot()
    with pytest.raises(cutoff_services.CutoffError, match=f"封筒 {waiting.number} はこの救済の締日"):
        cutoff_services.cutoff_scope_set(actor=people["manager"], cutoff=later, accepts_late=False, reason="")
    with pytest.raises(cutoff_services.CutoffError, match=waiting.number):
        cutoff_services.cutoff_delete(actor=people["manager"], cutoff=later)
    with pytest.raises(cutoff_services.CutoffError, match=waiting.number):
        cutoff_services.cutoff_update(actor=people["manager"], cutoff=later, cutoff_date=date(2026, 11, 4),
                                      payment_date=add_business_days(date(2026, 11, 4), 3), kind="extraordinary")
    assert snapshot() == before
    assert list(payout_services.batch_close(actor=people["clerk"], cutoff=later).lines.values_list(
        "merchant_id", "amount")) == [(b.pk, 1_000)]
    # Only a manager says so, and only with a reason.
    other = _cutoff(campaign, alice, date(2026, 11, 24), "extraordinary")
    with pytest.raises(cutoff_services.CutoffError):
        cutoff_services.cutoff_scope_set(actor=people["clerk"], cutoff=other, accepts_late=True, reason="x")
    with pytest.raises(cutoff_services.CutoffError):
        cutoff_services.cutoff_scope_set(actor=people["manager"], cutoff=other, accepts_late=True, reason="")
    assert not SettlementBatch.objects.filter(cutoff=other).exists()
    assert no_ticket_overpaid()

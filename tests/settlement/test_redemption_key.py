"""A redemption is keyed by its ticket (campaign, book, ticket); a repeat points at it by that key.

The table keeps one B-tree (the key) and a BRIN on the envelope, for the intake engine's speed; these tests hold
the guarantees that shape must keep: one payment per ticket, a repeat's pointer that the database checks, and a
migration that carries existing pointers both ways.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import ProtectedError
from django.utils import translation

from settlement import services
from settlement.intake import envelope_read
from settlement.models import ReadOutcome, Redemption
from tests.settlement import test_intake
from tests.settlement.test_intake import _nothing_saved, code

# The envelope fixtures of the engine's own tests: sold books 1–20, a received envelope.
sold_books = test_intake.sold_books
received = test_intake.received


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def repeat(received, approved, alice, bob, thousand):
    """Ticket 1-2 paid in ``received``, then read again in a second envelope: one repeat pointing at it."""
    envelope_read(actor=alice, envelope=received, source="manual", codes=[code(1, 1), code(1, 2)])
    second = services.envelope_declare(actor=alice, merchant=approved, tickets={thousand: 1})
    services.envelope_receive(actor=alice, envelope=second, received_on=date(2026, 11, 3), seal_intact=True,
                              opened_with=bob, counted_tickets=1)
    envelope_read(actor=alice, envelope=second, source="manual", codes=[code(1, 2)])
    return ReadOutcome.objects.get(envelope=second)


def _indexes(table: str) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        return dict(cursor.fetchall())


@pytest.mark.django_db
def test_the_ticket_is_the_key_and_the_envelope_index_is_a_brin(repeat):
    first = Redemption.objects.get(book=1, ticket=2)
    assert first.pk == (first.campaign_id, 1, 2)
    indexes = _indexes("settlement_redemption")
    assert sorted(indexes) == ["redemption_envelope_brin", "settlement_redemption_pkey"]
    assert "(campaign_id, book, ticket)" in indexes["settlement_redemption_pkey"]
    assert "USING brin (envelope_id)" in indexes["redemption_envelope_brin"]
    # The envelope's redemptions are still found through it.
    assert list(Redemption.objects.filter(envelope=first.envelope).order_by("ticket")
                .values_list("ticket", flat=True)) == [1, 2]


@pytest.mark.django_db
def test_the_database_refuses_a_second_payment_of_a_ticket(repeat):
    first = Redemption.objects.get(book=1, ticket=2)
    before = _nothing_saved()
    with pytest.raises(IntegrityError), transaction.atomic():
        Redemption.objects.create(campaign_id=first.campaign_id, denomination_id=first.denomination_id, book=1,
                                  ticket=2, face_value=first.face_value, envelope=repeat.envelope, read=repeat.read,
                                  merchant_id=repeat.envelope.merchant_id)
    assert _nothing_saved() == before  # refused, nothing added


@pytest.mark.django_db
def test_a_repeat_points_at_its_first_redemption(repeat, received):
    assert (repeat.verification, repeat.book, repeat.ticket) == ("already_redeemed", 1, 2)
    assert repeat.repeat_campaign_id == received.campaign_id
    assert repeat.first_redemption.envelope == received
    listed = ReadOutcome.objects.select_related("first_redemption__envelope").get(pk=repeat.pk)
    assert listed.first_redemption.envelope.number == received.number
    assert list(Redemption.objects.get(book=1, ticket=2).repeats.all()) == [repeat]
    # Outcomes that are not repeats point nowhere, though they carry a book and ticket too.
    assert not ReadOutcome.objects.exclude(pk=repeat.pk).filter(repeat_campaign__isnull=False).exists()


@pytest.mark.django_db
def test_the_database_refuses_a_pointer_to_a_ticket_never_paid(repeat):
    before = _nothing_saved()
    with pytest.raises(IntegrityError), transaction.atomic():
        ReadOutcome.objects.create(read=repeat.read, envelope=repeat.envelope, line_no=9, code=code(1, 5),
                                   verification="already_redeemed", book=1, ticket=5,
                                   repeat_campaign_id=repeat.repeat_campaign_id)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the key is checked at commit; check it now
    assert _nothing_saved() == before  # refused, nothing added


@pytest.mark.django_db
def test_clearing_the_pointer_keeps_the_outcomes_own_ticket(repeat):
    repeat.first_redemption = None
    repeat.save()
    repeat.refresh_from_db()
    assert (repeat.repeat_campaign_id, repeat.book, repeat.ticket) == (None, 1, 2)
    assert repeat.first_redemption is None


@pytest.mark.django_db
def test_a_first_redemption_cannot_be_deleted_while_a_repeat_points_at_it(repeat):
    first = Redemption.objects.get(book=1, ticket=2)
    before = _nothing_saved()
    with pytest.raises(ProtectedError), transaction.atomic():
        first.delete()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM settlement_redemption WHERE book = 1 AND ticket = 2")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert _nothing_saved() == before  # refused both ways, nothing removed


@pytest.mark.django_db(transaction=True)
def test_the_migration_carries_the_pointers_both_ways(repeat, received):
    executor = MigrationExecutor(connection)
    executor.migrate([("settlement", "0006_envelope_declare_key")])
    try:
        with connection.cursor() as cursor:
            # Before: a surrogate id on every redemption, and the repeat points at the first one by it.
            cursor.execute("SELECT r.envelope_id, r.book, r.ticket FROM settlement_readoutcome o "
                           "JOIN settlement_redemption r ON r.id = o.first_redemption_id WHERE o.id = %s",
                           [repeat.pk])
            assert cursor.fetchone() == (received.pk, 1, 2)
            cursor.execute("SELECT count(*), count(DISTINCT id) FROM settlement_redemption")
            assert cursor.fetchone() == (2, 2)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    repeat.refresh_from_db()
    assert repeat.first_redemption.envelope_id == received.pk
    assert Redemption.objects.count() == 2
    assert sorted(_indexes("settlement_redemption")) == ["redemption_envelope_brin", "settlement_redemption_pkey"]

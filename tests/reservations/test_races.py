"""Fifty residents on fifty real database connections race for the last ten seats of a slot: exactly ten win.
The same race with the guard switched off (read the counter, compare in Python, write it back) overbooks,
which proves the test can catch the bug it is there for."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from reservations import booking, services
from reservations.errors import ReservationError
from reservations.models import Reservation, Slot
from tests.reservations.fixtures import ANSWERS, make_slot

pytestmark = pytest.mark.django_db(transaction=True)

RACERS = 50


def race_for_seats(slot: Slot) -> tuple[int, int, list]:
    """Run RACERS bookings at once, each on its own connection; return (wins, full refusals, other errors)."""
    barrier = threading.Barrier(RACERS)
    outcomes: list = []
    lock = threading.Lock()

    def one(index: int):
        try:
            connection.ensure_connection()  # connect before the barrier, so they really start together
            barrier.wait(30)
            result = services.reservation_book(slot_id=slot.pk, answers={**ANSWERS, "phone": f"0857-00-{index:04d}"},
                                               channel="api", idempotency_key=f"racer-{index}")
            outcome = ("won", result.reservation_id)
        except ReservationError as exc:
            outcome = ("refused", exc.code)
        except Exception as exc:  # noqa: BLE001 - reported to the test
            outcome = ("error", repr(exc))
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    wins = sum(1 for kind, _ in outcomes if kind == "won")
    full = sum(1 for kind, code in outcomes if kind == "refused" and code == "full")
    errors = [o for o in outcomes if o[0] == "error" or (o[0] == "refused" and o[1] != "full")]
    return wins, full, errors


def test_fifty_connections_race_for_the_last_ten_seats_and_exactly_ten_win(resv):
    slot = make_slot(resv["main"], capacity=100, staff_capacity=100, booked=90)
    wins, full, errors = race_for_seats(slot)
    assert errors == []
    assert (wins, full) == (10, 40)
    slot.refresh_from_db()
    assert slot.booked == 100
    assert Reservation.objects.filter(slot=slot).count() == 10


def test_without_the_guard_the_same_race_overbooks(resv, monkeypatch):
    monkeypatch.setattr(booking, "UNSAFE_CHECK_THEN_WRITE", True)
    monkeypatch.setattr(booking, "UNSAFE_PAUSE_SECONDS", 0.02)
    slot = make_slot(resv["main"], capacity=100, staff_capacity=100, booked=90)
    wins, _full, errors = race_for_seats(slot)
    assert errors == []
    rows = Reservation.objects.filter(slot=slot).count()
    slot.refresh_from_db()
    # More residents than seats were told "booked", and the counter lost updates: the race the guard prevents.
    assert wins > 10
    assert rows == wins
    assert slot.booked < 90 + rows


def test_a_double_submit_on_two_connections_books_once(resv):
    slot = make_slot(resv["main"], capacity=5)
    results = []

    def submit():
        try:
            results.append(services.reservation_book(slot_id=slot.pk, answers=ANSWERS, channel="web",
                                                     idempotency_key="same-click"))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 2
    assert results[0].reservation_id == results[1].reservation_id
    assert sorted(r.replay for r in results) == [False, True]
    # The replay answers with the same access key, so the page the browser finally shows still has it.
    assert results[0].access_key == results[1].access_key
    slot.refresh_from_db()
    assert slot.booked == 1
    assert Reservation.objects.filter(slot=slot).count() == 1


# -- the single-statement path: a public booking outside any transaction is one statement that commits itself --

@pytest.mark.parametrize("case", ["full", "closed", "past", "duplicate"])
def test_a_refused_booking_outside_a_transaction_writes_nothing(resv, case):
    assert not connection.in_atomic_block  # what the API and the web form run in: the one-statement path
    slot = make_slot(resv["main"], capacity=1, days=-1 if case == "past" else 2, booked=1 if case == "full" else 0)
    if case == "closed":
        Slot.objects.filter(pk=slot.pk).update(is_open=False)
    resident_number = ""
    if case == "duplicate":
        first = make_slot(resv["station"])
        services.reservation_book(slot_id=first.pk, answers=ANSWERS, channel="api", resident_number="R-9")
        resident_number = "R-9"
    before = Reservation.objects.count()
    with pytest.raises(ReservationError) as refused:
        services.reservation_book(slot_id=slot.pk, answers=ANSWERS, channel="api", resident_number=resident_number,
                                  idempotency_key=f"refused-{case}")
    assert refused.value.code == case
    slot.refresh_from_db()
    assert slot.booked == (1 if case == "full" else 0)  # a seat taken by the failed statement is not counted
    assert Reservation.objects.count() == before


def test_a_booking_outside_a_transaction_commits_with_its_seat_and_replays_with_its_key(resv):
    slot = make_slot(resv["main"], capacity=3)
    first = services.reservation_book(slot_id=slot.pk, answers=ANSWERS, channel="api", idempotency_key="once")
    again = services.reservation_book(slot_id=slot.pk, answers=ANSWERS, channel="api", idempotency_key="once")
    assert (again.reservation_id, again.access_key, again.replay) == (first.reservation_id, first.access_key, True)
    slot.refresh_from_db()
    assert slot.booked == 1 and Reservation.objects.filter(slot=slot).count() == 1

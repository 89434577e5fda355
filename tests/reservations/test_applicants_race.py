"""Two residents (or one resident's two phones) book with the same link code at the same instant, each on its
own database connection: exactly one booking is made, the other is refused and leaves nothing behind."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from reservations import services
from reservations.errors import ReservationError
from reservations.models import Applicant, ProgressEvent, Reservation
from tests.reservations.applicant_helpers import applicant_settings, make_applicant
from tests.reservations.fixtures import ANSWERS, make_slot

pytestmark = pytest.mark.django_db(transaction=True)


def test_one_link_code_on_two_connections_books_exactly_once(resv):
    applicant_settings(resv["campaign"])
    applicant = make_applicant(resv["campaign"])
    slots = [make_slot(resv["main"], capacity=5), make_slot(resv["station"], capacity=5)]
    barrier = threading.Barrier(2)
    outcomes = []
    lock = threading.Lock()

    def one(index: int):
        try:
            connection.ensure_connection()
            barrier.wait(30)
            result = services.reservation_book(slot_id=slots[index].pk,
                                               answers={**ANSWERS, "phone": f"0857-00-{index:04d}"},
                                               channel="web", applicant=applicant.pk,
                                               idempotency_key=f"phone-{index}")
            outcome = ("won", result.reservation_id)
        except ReservationError as exc:
            outcome = ("refused", exc.code)
        except Exception as exc:  # noqa: BLE001
            outcome = ("error", repr(exc))
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(kind for kind, _ in outcomes) == ["refused", "won"], outcomes
    assert [code for kind, code in outcomes if kind == "refused"] == ["link_used"]
    won = next(value for kind, value in outcomes if kind == "won")
    applicant.refresh_from_db()
    assert applicant.reservation_id == won
    assert Reservation.objects.count() == 1
    assert sum(s.booked for s in type(slots[0]).objects.all()) == 1  # the refused booking gave its seat back
    assert list(ProgressEvent.objects.filter(applicant=applicant).values_list("status__code", flat=True)) == [
        "reserved"]
    assert Applicant.objects.filter(reservation__isnull=False).count() == 1

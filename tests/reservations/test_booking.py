"""Booking through the service, the API and the web form: one validator, one active reservation per resident,
idempotent submits, access keys stored hashed, rate limits, e-mail with ICS, change and cancel."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from reservations import booking, services
from reservations.errors import ReservationError
from reservations.fields import FieldErrors, build_config, validate_answers
from reservations.models import Reservation, Slot
from tests.reservations.fixtures import ANSWERS, make_slot, open_settings

pytestmark = pytest.mark.django_db


def api_book(client, slot, fields=None, key="k1", **extra):
    return client.post("/api/v1/reservations/book/", data=json.dumps({"slot": slot.pk, "fields": fields or ANSWERS}),
                       content_type="application/json", HTTP_IDEMPOTENCY_KEY=key, **extra)


def test_booking_takes_a_seat_and_stores_only_the_hash_of_the_key(slot):
    result = services.reservation_book(slot_id=slot.pk, answers=ANSWERS, channel="web")
    r = Reservation.objects.get(pk=result.reservation_id)
    slot.refresh_from_db()
    assert slot.booked == 1
    assert r.name == "鳥取 花子" and r.status == "booked"
    assert len(result.access_key.replace("-", "")) == 26  # 130 bits of base32
    assert result.access_key not in r.access_key_hash and r.access_key_hash == booking.access_key_hash(
        result.access_key)
    assert services.reservation_lookup(number=result.number, access_key=result.access_key.lower()) == r
    assert services.reservation_lookup(number=result.number, access_key="0000-0000") is None


def test_a_full_slot_refuses_and_writes_nothing(resv):
    slot = make_slot(resv["main"], capacity=1, booked=1)
    with pytest.raises(ReservationError) as exc:
        services.reservation_book(slot_id=slot.pk, answers=ANSWERS, channel="web")
    assert exc.value.code == "full"
    assert Reservation.objects.count() == 0
    slot.refresh_from_db()
    assert slot.booked == 1


def test_staff_may_use_the_staff_seats(resv, bob):
    slot = make_slot(resv["main"], capacity=1, staff_capacity=2, booked=1)
    result = services.reservation_book(slot_id=slot.pk, answers=ANSWERS, channel="staff", actor=bob)
    assert Reservation.objects.get(pk=result.reservation_id).booked_by == bob
    with pytest.raises(ReservationError):
        services.reservation_book(slot_id=slot.pk, answers=ANSWERS, channel="staff", actor=bob)


def test_the_database_refuses_an_overbooked_counter(slot):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Slot.objects.filter(pk=slot.pk).update(booked=slot.staff_capacity + 1)


def test_one_active_reservation_per_resident_per_campaign(resv):
    first = make_slot(resv["main"])
    second = make_slot(resv["station"])
    services.reservation_book(slot_id=first.pk, answers=ANSWERS, channel="web", resident_number="R-1")
    with pytest.raises(ReservationError) as exc:
        services.reservation_book(slot_id=second.pk, answers=ANSWERS, channel="web", resident_number="R-1")
    assert exc.value.code == "duplicate"
    second.refresh_from_db()
    assert second.booked == 0  # the seat taken before the refusal was rolled back with it


def test_outside_the_window_residents_cannot_book(resv, slot):
    open_settings(resv["campaign"], accept_until=timezone.now() - timedelta(minutes=1),
                  accept_from=timezone.now() - timedelta(days=2))
    with pytest.raises(ReservationError) as exc:
        services.reservation_book(slot_id=slot.pk, answers=ANSWERS, channel="web")
    assert exc.value.code == "window"


def test_the_validator_names_each_field_and_its_reason():
    config = build_config({"name": {"use": "required", "alias": "お名前"}, "phone": {"use": "optional"},
                           "birth_date": {"use": "display"}},
                          [{"label": "住基カードの有無", "kind": "choice", "use": "required", "choices": ["なし", "あり"]},
                           {"label": "関心", "kind": "multi", "use": "optional", "choices": ["A", "B"]}])
    with pytest.raises(FieldErrors) as exc:
        validate_answers(config, {"phone": "12", "extra1": "たぶん", "extra2": ["C"], "birth_date": "1960-01-01",
                                  "fax": "0857"})
    assert set(exc.value.errors) == {"name", "phone", "extra1", "extra2", "birth_date", "fax"}
    assert "お名前" in exc.value.errors["name"][0]
    cleaned = validate_answers(config, {"name": "山田", "extra1": "あり", "extra2": ["A", "B"]})
    assert cleaned == {"name": "山田", "extra1": "あり", "extra2": ["A", "B"]}
    # staff may enter a display-only field
    assert validate_answers(config, {"name": "山田", "extra1": "なし", "birth_date": "1960/01/02"},
                            audience="staff")["birth_date"].isoformat() == "1960-01-02"


def test_the_api_books_and_a_repeated_key_books_once(client, slot):
    first = api_book(client, slot, key="abc")
    assert first.status_code == 201
    again = api_book(client, slot, key="abc")
    assert again.status_code == 200
    assert again.json()["number"] == first.json()["number"] and again.json()["replay"] is True
    assert again.json()["access_key"] == first.json()["access_key"]
    slot.refresh_from_db()
    assert slot.booked == 1


def test_the_api_rejects_bad_fields_with_the_same_rules(client, slot):
    response = api_book(client, slot, fields={"name": "", "phone": "abc", "unknown": "x"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"name", "phone", "unknown"}
    assert Reservation.objects.count() == 0


def test_the_api_answers_409_when_full_and_404_for_no_slot(client, resv):
    full = make_slot(resv["main"], capacity=0, staff_capacity=0)
    assert api_book(client, full).status_code == 409
    response = client.post("/api/v1/reservations/book/", data=json.dumps({"slot": 999999, "fields": ANSWERS}),
                           content_type="application/json")
    assert response.status_code == 404


def test_the_api_views_changes_and_cancels_with_number_and_key(client, resv, slot):
    other = make_slot(resv["main"], days=3)
    body = api_book(client, slot).json()
    url = f"/api/v1/reservations/{body['number']}/"
    assert client.get(url, HTTP_X_ACCESS_KEY="wrong").status_code == 404
    shown = client.get(url, HTTP_X_ACCESS_KEY=body["access_key"]).json()
    assert shown["fields"]["name"] == "鳥取 花子" and shown["status"] == "booked"
    changed = client.patch(url, data=json.dumps({"slot": other.pk}), content_type="application/json",
                           HTTP_X_ACCESS_KEY=body["access_key"])
    assert changed.status_code == 200 and changed.json()["slot"] == other.pk
    slot.refresh_from_db()
    other.refresh_from_db()
    assert (slot.booked, other.booked) == (0, 1)
    cancelled = client.delete(url, HTTP_X_ACCESS_KEY=body["access_key"])
    assert cancelled.json()["status"] == "cancelled"
    other.refresh_from_db()
    assert other.booked == 0


def test_booking_and_lookups_are_rate_limited_per_address(client, slot, settings, steady_rate_window):
    settings.RESERVATION_BOOK_RATE = 2
    settings.RESERVATION_LOOKUP_RATE = 3
    assert api_book(client, slot, key="1").status_code == 201
    assert api_book(client, slot, key="2").status_code == 201
    limited = api_book(client, slot, key="3")
    assert limited.status_code == 429 and int(limited["Retry-After"]) >= 1
    for _ in range(3):
        assert client.get("/api/v1/reservations/1/", HTTP_X_ACCESS_KEY="x").status_code == 404
    assert client.get("/api/v1/reservations/1/", HTTP_X_ACCESS_KEY="x").status_code == 429
    # another address is not affected
    assert client.get("/api/v1/reservations/1/", HTTP_X_ACCESS_KEY="x", REMOTE_ADDR="10.0.0.9").status_code == 404
    # the web lookup shares the limit
    page = client.post("/reserve/lookup/", {"number": "1", "access_key": "x"})
    assert page.status_code == 429 and page["Retry-After"]


def test_the_confirmation_mail_carries_the_key_and_an_ics(slot):
    result = services.reservation_book(slot_id=slot.pk, answers={**ANSWERS, "email": "hanako@example.jp"},
                                       channel="web")
    # on_commit callbacks run at once in these tests only when captured; call the task directly instead
    from reservations.tasks import send_confirmation

    send_confirmation(result.reservation_id, result.access_key)
    message = mail.outbox[-1]
    assert message.to == ["hanako@example.jp"]
    assert result.access_key in message.body and result.number in message.subject
    name, content, mimetype = message.attachments[0]
    assert name.endswith(".ics") and mimetype.startswith("text/calendar")
    assert "BEGIN:VEVENT" in content and "DTSTART:" in content and "本庁舎窓口" in content


def test_booking_sends_the_mail_after_commit(slot, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.reservation_book(slot_id=slot.pk, answers={**ANSWERS, "email": "hanako@example.jp"}, channel="web")
    assert len(mail.outbox) == 1


def test_no_shows_are_flagged_after_the_slot_ends(resv, bob):
    slot = make_slot(resv["main"])
    kept = services.reservation_book(slot_id=slot.pk, answers=ANSWERS, channel="web")
    came = services.reservation_book(slot_id=slot.pk, answers=ANSWERS, channel="web")
    services.reservation_arrive(reservation=Reservation.objects.get(pk=came.reservation_id), actor=bob, memo="本人確認済")
    assert services.reservations_flag_no_shows(now=slot.ends_at) == 0  # within the grace time
    assert services.reservations_flag_no_shows(now=slot.ends_at + timedelta(minutes=20)) == 1
    assert Reservation.objects.get(pk=kept.reservation_id).status == "no_show"
    visited = Reservation.objects.get(pk=came.reservation_id)
    assert visited.status == "visited" and visited.arrival_memo == "本人確認済"


def test_the_beat_schedule_runs_the_no_show_task():
    from django.conf import settings

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "reservations.tasks.flag_no_shows" in tasks


def test_personal_data_is_blanked_after_the_retention_period(slot):
    result = services.reservation_book(slot_id=slot.pk, answers=ANSWERS, channel="web")
    assert services.reservations_purge_personal_data(today=slot.day + timedelta(days=10)) == 0
    assert services.reservations_purge_personal_data(today=slot.day + timedelta(days=400)) == 1
    r = Reservation.objects.get(pk=result.reservation_id)
    assert (r.name, r.phone) == ("", "") and r.personal_data_purged_at


def test_a_hook_receives_the_booking_inside_the_transaction(slot):
    from reservations.signals import reservation_booked

    seen = []

    def receiver(sender, reservation_id, actor, applicant, **kwargs):
        seen.append((reservation_id, applicant))
        raise RuntimeError("refuse")

    reservation_booked.connect(receiver)
    try:
        with pytest.raises(RuntimeError):
            services.reservation_book(slot_id=slot.pk, answers=ANSWERS, channel="web", applicant="A-1")
    finally:
        reservation_booked.disconnect(receiver)
    assert seen and seen[0][1] == "A-1"
    slot.refresh_from_db()
    assert slot.booked == 0 and Reservation.objects.count() == 0

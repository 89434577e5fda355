"""Reservation fixtures shared by the reservation tests and the browser journeys (registered in tests/conftest.py)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.utils import timezone

from reservations import ratelimit, selectors
from reservations.models import Counter, ReservationSettings, Slot


def clear_app_cache() -> None:
    """Empty the application's cache without touching anything else in the same Redis database (Celery's
    queue lives there too: a FLUSHDB would drop the jobs another test is waiting for)."""
    from django.core.cache.backends.redis import RedisCache

    if isinstance(cache, RedisCache):
        client = cache._cache.get_client(None, write=True)
        keys = list(client.scan_iter(match=f"{cache.key_prefix}:*")) if cache.key_prefix else []
        assert cache.key_prefix, "the Redis cache needs a KEY_PREFIX (see campaign/settings.py)"
        if keys:
            client.delete(*keys)
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def _fresh_reservation_caches():
    """Rate-limit counters, replay entries and the cached settings never leak from one test to the next."""
    clear_app_cache()
    selectors.booking_context_forget()
    yield
    selectors.booking_context_forget()


@pytest.fixture
def steady_rate_window(monkeypatch):
    """The rate limiter's clock held one second into a window. Its windows are fixed minutes: a test whose
    requests straddled a minute's end saw its count start again (a 400 where the limit's 429 was due)."""
    start = (int(datetime.now().timestamp()) // 60) * 60 + 1
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: start))


def open_settings(campaign, **overrides) -> ReservationSettings:
    today = timezone.localdate()
    values = dict(accept_from=timezone.now() - timedelta(days=1), accept_until=timezone.now() + timedelta(days=30),
                  window_start=today + timedelta(days=1), window_end=today + timedelta(days=14), slot_minutes=30,
                  access_mode=ReservationSettings.AccessMode.BOTH,
                  basic_fields={"name": {"use": "required"}, "kana": {"use": "optional"},
                                "phone": {"use": "required"}, "email": {"use": "optional"}},
                  extra_fields=[])
    values.update(overrides)
    row, _ = ReservationSettings.objects.update_or_create(campaign=campaign, defaults=values)
    selectors.booking_context_forget()
    return row


def make_slot(counter, *, days=2, at=time(10, 0), capacity=5, staff_capacity=None, booked=0, minutes=30) -> Slot:
    tz = timezone.get_current_timezone()
    day = timezone.localdate() + timedelta(days=days)
    start = datetime.combine(day, at, tz)
    return Slot.objects.create(campaign=counter.campaign, counter=counter, day=day, starts_at=start,
                               ends_at=start + timedelta(minutes=minutes), capacity=capacity,
                               staff_capacity=staff_capacity if staff_capacity is not None else capacity + 2,
                               booked=booked)


ANSWERS = {"name": "鳥取 花子", "kana": "トットリ ハナコ", "phone": "0857-00-1234"}


@pytest.fixture
def resv(campaign):
    """The TEST campaign open for booking, with a main counter and a station branch."""
    open_settings(campaign)
    main = Counter.objects.create(campaign=campaign, name="本庁舎窓口", address="鳥取市東町1-220", sort_order=1)
    station = Counter.objects.create(campaign=campaign, name="駅前出張所", address="鳥取市富安2-1", sort_order=2)
    return {"campaign": campaign, "main": main, "station": station}


@pytest.fixture
def slot(resv):
    return make_slot(resv["main"])

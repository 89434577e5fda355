"""Demo counters for `manage.py seed_demo`: three counters open on weekdays (and Saturday mornings at the main
office), a two-week window from tomorrow, slots generated from the rules, and bookings in every state —
booked (web, API, proxy), visited with a memo, no-show and cancelled. Runs once per campaign."""

from __future__ import annotations

import random
from datetime import time, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from reservations import services
from reservations.models import Counter, OpeningRule, Reservation, ReservationSettings, Slot

COUNTERS = [
    ("本庁舎窓口", "鳥取県鳥取市東町1-220", "県庁本庁舎1階。JR鳥取駅から徒歩20分、バス「県庁日赤前」下車すぐ。"),
    ("駅前出張所", "鳥取県鳥取市富安2-138", "JR鳥取駅南口から徒歩3分。"),
    ("西部サポートセンター", "鳥取県米子市糀町1-160", "米子市役所となり。駐車場あり。"),
]
NAMES = [("鳥取", "トットリ"), ("米子", "ヨナゴ"), ("倉吉", "クラヨシ"), ("境", "サカイ"), ("岩美", "イワミ"),
         ("大山", "ダイセン"), ("智頭", "チヅ"), ("三朝", "ミササ")]
GIVEN = [("花子", "ハナコ"), ("太郎", "タロウ"), ("一郎", "イチロウ"), ("美咲", "ミサキ"), ("健", "ケン")]


def seed(*, campaign, users, stdout) -> None:
    if not Counter.objects.filter(campaign=campaign).exists():
        _create(campaign, users)
    from reservations import demo_applicants

    demo_applicants.seed(campaign=campaign, users=users, stdout=stdout)  # books some slots with link codes
    _summary(campaign, stdout)


def _create(campaign, users) -> None:
    rng = random.Random(8)  # noqa: S311 - demo data
    today = timezone.localdate()
    now = timezone.now()
    staff = users.get("counter") if isinstance(users, dict) else None
    with transaction.atomic():
        ReservationSettings.objects.create(
            campaign=campaign, accept_from=now - timedelta(days=7), accept_until=now + timedelta(days=14),
            window_start=today - timedelta(days=2), window_end=today + timedelta(days=13), slot_minutes=30,
            basic_fields={"name": {"use": "required"}, "kana": {"use": "required", "alias": "フリガナ"},
                          "phone": {"use": "required"}, "email": {"use": "optional"}},
            extra_fields=[{"label": "購入希望冊数", "kind": "choice", "use": "required",
                           "choices": ["1冊", "2冊", "3冊"]}])
        counters = [Counter.objects.create(campaign=campaign, name=n, address=a, access_notes=notes, sort_order=i)
                    for i, (n, a, notes) in enumerate(COUNTERS, start=1)]
        for counter, (public, staff_cap) in zip(counters, [(4, 5), (2, 3), (2, 2)], strict=True):
            for weekday in range(5):
                OpeningRule.objects.create(counter=counter, weekday=weekday, opens=time(9), closes=time(12),
                                           public_capacity=public, staff_capacity=staff_cap)
                OpeningRule.objects.create(counter=counter, weekday=weekday, opens=time(13), closes=time(17),
                                           public_capacity=public, staff_capacity=staff_cap)
        OpeningRule.objects.create(counter=counters[0], weekday=5, opens=time(9), closes=time(12),
                                   public_capacity=4, staff_capacity=5)
    services.slots_generate(campaign=campaign)
    slots = list(Slot.objects.filter(campaign=campaign).order_by("starts_at"))
    for index, slot in enumerate(slots):
        if rng.random() > 0.45:
            continue
        family, family_kana = rng.choice(NAMES)
        given, given_kana = rng.choice(GIVEN)
        answers = {"name": f"{family} {given}", "kana": f"{family_kana} {given_kana}",
                   "phone": f"0857-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}", "extra1": rng.choice(["1冊", "2冊"])}
        past = slot.starts_at <= now
        if past:
            # History before today: the booking path refuses past times, so the demo writes these rows as
            # they would have been written then (seat counted, staff channel).
            r = Reservation.objects.create(campaign=campaign, slot=slot, channel="staff", booked_by=staff,
                                           name=answers["name"], kana=answers["kana"], phone=answers["phone"],
                                           extra={"extra1": answers["extra1"]},
                                           created_at=slot.starts_at - timedelta(days=3))
            Slot.objects.filter(pk=slot.pk).update(booked=F("booked") + 1)
            if staff and rng.random() < 0.7:
                services.reservation_arrive(reservation=r, actor=staff, memo=rng.choice(["", "本人確認済", "代理人来場"]))
            continue
        actor = staff if index % 7 == 0 and staff else None
        try:
            result = services.reservation_book(slot_id=slot.pk, answers=answers, actor=actor,
                                               channel="staff" if actor else rng.choice(["web", "api"]))
        except Exception:  # noqa: BLE001, S112 - a full slot in the demo is fine
            continue
        r = Reservation.objects.get(pk=result.reservation_id)
        if rng.random() < 0.1:
            services.reservation_cancel(reservation=r, actor=staff)
    services.reservations_flag_no_shows()


def _summary(campaign, stdout) -> None:
    """The same line on every run (seed_demo is idempotent and says what is there)."""
    from reservations.models import Slot

    counts = {status: Reservation.objects.filter(campaign=campaign, status=status).count()
              for status in Reservation.Status.values}
    stdout.write(f"Demo reservations: {Counter.objects.filter(campaign=campaign).count()} counters, "
                 f"{Slot.objects.filter(campaign=campaign).count()} slots, "
                 + ", ".join(f"{k} {v}" for k, v in counts.items()))

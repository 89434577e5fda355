"""Demo applicants for `manage.py seed_demo` (called from reservations.demo): 500 applicants with addresses and
link codes, across every state — notice sent, returned mail, reserved (a real booking made with the link code),
visited, handed over, re-visit — some with an undone entry, and a letter template. Runs once per campaign."""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from reservations import selectors, services, services_applicants
from reservations.letters import DEFAULT_BODY, DEFAULT_TITLE
from reservations.linkcodes import new_code
from reservations.models import Applicant, LetterTemplate, ProgressEvent, ReservationSettings, Slot

FAMILY = [("鳥取", "トットリ"), ("米子", "ヨナゴ"), ("倉吉", "クラヨシ"), ("境", "サカイ"), ("岩美", "イワミ"),
          ("大山", "ダイセン"), ("智頭", "チヅ"), ("三朝", "ミササ"), ("湯梨浜", "ユリハマ"), ("琴浦", "コトウラ")]
GIVEN = [("花子", "ハナコ"), ("太郎", "タロウ"), ("一郎", "イチロウ"), ("美咲", "ミサキ"), ("健", "ケン"),
         ("陽子", "ヨウコ"), ("翔", "ショウ")]
TOWNS = [("680-0011", "鳥取県鳥取市東町"), ("683-0823", "鳥取県米子市加茂町"), ("682-0021", "鳥取県倉吉市宮川町"),
         ("684-0004", "鳥取県境港市大正町"), ("689-0201", "鳥取県鳥取市伏野"),
         ("682-0123", "鳥取県東伯郡三朝町大字三朝字東山手通り")]
COUNT = 500


def _answers(campaign, applicant: Applicant) -> dict:
    """What the booking form of the demo campaign asks, filled from the applicant (as the page pre-fills it)."""
    answers = {}
    for spec in selectors.booking_context(campaign.pk).fields.for_audience("public"):
        if spec.basic:
            value = getattr(applicant, spec.name, "")
            answers[spec.name] = value.isoformat() if hasattr(value, "isoformat") else (value or "")
        elif spec.choices:
            answers[spec.name] = [spec.choices[0]] if spec.kind == "multi" else spec.choices[0]
        elif spec.kind == "yesno":
            answers[spec.name] = "no"
        else:
            answers[spec.name] = "-"
    return answers


def seed(*, campaign, users, stdout) -> None:
    if not Applicant.objects.filter(campaign=campaign).exists():
        _create(campaign, users)
    _summary(campaign, stdout)


def _create(campaign, users) -> None:
    rng = random.Random(9)  # noqa: S311 - demo data
    staff = users.get("counter") if isinstance(users, dict) else None
    row = ReservationSettings.objects.filter(campaign=campaign).first()
    if row is not None:
        # Applicants are mailed: the form shows the address entered by the secretariat (display only).
        basic = dict(row.basic_fields or {})
        for name in ("postal_code", "address"):
            if (basic.get(name) or {}).get("use", "unused") == "unused":
                basic[name] = {"use": "display"}
        row.basic_fields = basic
        row.save(update_fields=["basic_fields"])
    selectors.booking_context_forget(campaign.pk)
    retention = services_applicants.default_retention(campaign)
    people = []
    for i in range(COUNT):
        family, family_kana = rng.choice(FAMILY)
        given, given_kana = rng.choice(GIVEN)
        postal, town = rng.choice(TOWNS)
        address = f"{town}{rng.randint(1, 30)}-{rng.randint(1, 300)}"
        if rng.random() < 0.2:
            address += f" コーポ{family}{rng.randint(101, 305)}号室"
        people.append(Applicant(campaign=campaign, link_code=new_code(), resident_number=f"T{i + 1:06d}",
                                name=f"{family} {given}", kana=f"{family_kana} {given_kana}",
                                sex=rng.choice(["male", "female"]), postal_code=postal, address=address,
                                phone=f"0857-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}",
                                retention_until=retention, created_by=staff))
    with transaction.atomic():
        Applicant.objects.bulk_create(people)
        LetterTemplate.objects.get_or_create(campaign=campaign, defaults={
            "title": DEFAULT_TITLE, "body": DEFAULT_BODY, "deadline": timezone.localdate() + timedelta(days=13),
            "sender": "鳥取県プレミアム食事券事務局\n電話 0857-00-0000"})
    applicants = list(Applicant.objects.filter(campaign=campaign).order_by("id"))
    notice = services_applicants.status_get("notice_sent")
    # Everyone was mailed a notice (one set-based insert, as the bulk action does).
    services_applicants.progress_bulk_append(campaign=campaign, applicant_ids=[a.pk for a in applicants],
                                             status=notice, actor=staff)
    slots = list(Slot.objects.filter(campaign=campaign, starts_at__gt=timezone.now(), is_open=True)
                 .order_by("starts_at"))
    for index, a in enumerate(applicants):
        roll = rng.random()
        if roll < 0.08:
            services_applicants.progress_append(applicant=a, status="returned", actor=staff, note="宛所不明")
        elif roll < 0.30 and slots:
            slot = slots[index % len(slots)]
            try:
                services.reservation_book(slot_id=slot.pk, answers=_answers(campaign, a), channel="web",
                                          applicant=a.pk)
            except Exception:  # noqa: BLE001, S112 - a full slot or another form set-up in the demo is fine
                continue
        elif roll < 0.45:
            for status in ("reserved", "visited", "handed_over")[:rng.choice([2, 3, 3])]:
                services_applicants.progress_append(applicant=a, status=status, actor=staff)
        elif roll < 0.50:
            for status in ("reserved", "visited", "revisit"):
                services_applicants.progress_append(applicant=a, status=status, actor=staff)
        elif roll < 0.55:
            wrong = services_applicants.progress_append(applicant=a, status="returned", actor=staff)
            services_applicants.progress_undo(event=wrong, actor=staff, note="誤登録")


def _summary(campaign, stdout) -> None:
    """The same line on every run: applicants per current status."""
    from reservations.selectors_applicants import labels, with_current_status

    names = labels()
    counts: dict[str, int] = {}
    applicants = with_current_status(Applicant.objects.filter(campaign=campaign))
    for a in applicants:
        label = names[a.current_status_id].label if a.current_status_id else "-"
        counts[label] = counts.get(label, 0) + 1
    entries = ProgressEvent.objects.filter(applicant__campaign=campaign).count()
    stdout.write(f"Demo applicants: {sum(counts.values())} applicants, {entries} progress entries, "
                 + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))

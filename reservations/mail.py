"""The confirmation e-mail with an iCalendar (.ics) attachment, so a phone can put the visit in its calendar."""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from reservations.models import Reservation


def _ics_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _ics_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def reservation_ics(reservation: Reservation) -> str:
    slot = reservation.slot
    counter = slot.counter
    host = settings.SITE_URL.split("://", 1)[-1].split("/")[0] or "jimukyoku"
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Jimukyoku//Counter reservations//JA", "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:reservation-{reservation.pk}@{host}",
        f"DTSTAMP:{_ics_time(timezone.now())}",
        f"DTSTART:{_ics_time(slot.starts_at)}",
        f"DTEND:{_ics_time(slot.ends_at)}",
        "SUMMARY:" + _ics_text(_("Counter visit: %(counter)s") % {"counter": counter.name}),
        "LOCATION:" + _ics_text(" ".join(p for p in (counter.name, counter.address) if p)),
        "DESCRIPTION:" + _ics_text(_("Reservation number: %(number)s") % {"number": reservation.number}),
        "END:VEVENT", "END:VCALENDAR",
    ]
    return "\r\n".join(lines) + "\r\n"


def send_confirmation(reservation: Reservation, access_key: str = "") -> None:
    if not reservation.email:
        return
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "reservation": reservation,
            "slot_start": timezone.localtime(reservation.slot.starts_at),
            "access_key": access_key,
            "lookup_url": settings.SITE_URL + reverse("reserve:lookup"),
        }
        subject = _("Your counter reservation (number %(number)s)") % {"number": reservation.number}
        body = render_to_string("reservations/mail/confirmation.txt", context)
        message = EmailMessage(subject=subject, body=body, to=[reservation.email])
        message.attach(f"reservation-{reservation.number}.ics", reservation_ics(reservation),
                       "text/calendar; charset=utf-8")
        message.send()

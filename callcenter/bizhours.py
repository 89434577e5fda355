"""The back office's business-hours calendar: bank business days (``campaign.bankdays``), 9:00–17:00 Tokyo.

An escalation taken at 16:00 on a Friday with four business hours to go is due at 12:00 on Monday (or on
Tuesday after a holiday Monday): the clock only runs while someone is at a desk to answer.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from campaign.bankdays import is_bank_business_day, next_business_day

OPENS = time(9, 0)
CLOSES = time(17, 0)


def _at(day, t) -> datetime:
    return timezone.make_aware(datetime.combine(day, t), timezone.get_default_timezone())


def add_business_hours(start: datetime, hours: float) -> datetime:
    """Return the moment ``hours`` business hours after ``start`` (an aware datetime)."""
    local = timezone.localtime(start)
    day = local.date()
    if not is_bank_business_day(day) or local.time() >= CLOSES:
        day = next_business_day(day)
        cursor = _at(day, OPENS)
    elif local.time() < OPENS:
        cursor = _at(day, OPENS)
    else:
        cursor = local
    remaining = timedelta(hours=hours)
    while True:
        close = _at(day, CLOSES)
        available = close - cursor
        if remaining <= available:
            return cursor + remaining
        remaining -= available
        day = next_business_day(day)
        cursor = _at(day, OPENS)

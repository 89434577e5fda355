"""The bank calendar: which days banks in Japan are open for transfers.

Payment dates (支払日) must fall on bank business days. Banks are closed on Saturdays and Sundays, on national
holidays (jpholiday follows the Cabinet Office list, substitute holidays included), from December 31 to
January 3 by the Banking Act's enforcement order, and on any extra day the secretariat enters as a
``BankHoliday`` row (a new holiday law passed after our jpholiday release, a system outage day).

Every function here reads the ``BankHoliday`` rows for the whole span it looks at in one query, so walking
forward over a month costs one query, not thirty.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import jpholiday

from campaign.models import BankHoliday

_ONE_DAY = timedelta(days=1)
# How far the date walkers look ahead per query. Five weeks always contains a business day, even across
# the New Year closure plus a long weekend, so ``next_business_day`` normally needs a single query.
_WINDOW_DAYS = 35
# A calendar with no business day for this long is a data-entry mistake (someone entered a year of
# BankHoliday rows); stop instead of walking forever.
_GIVE_UP_AFTER_DAYS = 366 * 2


def _extra_holidays(first: date, last: date) -> set[date]:
    """Return the ``BankHoliday`` dates in the inclusive range, in one query."""
    if first > last:
        first, last = last, first
    return set(BankHoliday.objects.filter(date__range=(first, last)).values_list("date", flat=True))


def _is_statutory_closure(d: date) -> bool:
    """Weekend, national holiday, or the year-end/New Year closure: the closures that need no database."""
    if d.weekday() >= 5:
        return True
    if (d.month == 12 and d.day == 31) or (d.month == 1 and d.day <= 3):
        return True
    return bool(jpholiday.is_holiday(d))


def _check_is_date(d: date) -> None:
    # datetime is a subclass of date; silently accepting one would compare a moment, not a calendar day,
    # and its date depends on the time zone it is in. Make the caller choose the day.
    if not isinstance(d, date) or isinstance(d, datetime):
        raise TypeError(f"expected a datetime.date, got {type(d).__name__}")


def is_bank_business_day(d: date) -> bool:
    """Tell whether banks are open on ``d``."""
    _check_is_date(d)
    if _is_statutory_closure(d):
        return False
    return not BankHoliday.objects.filter(date=d).exists()


def _business_days_from(d: date, step: int, window_days: int = _WINDOW_DAYS) -> Iterator[date]:
    """Yield the business days strictly after (``step=1``) or before (``step=-1``) ``d``, nearest first.

    ``BankHoliday`` rows are fetched one window at a time, as the walk reaches it.
    """
    _check_is_date(d)
    day = last_found = d
    while True:
        window_end = day + step * timedelta(days=window_days)
        extra = _extra_holidays(day + step * _ONE_DAY, window_end)
        while day != window_end:
            day += step * _ONE_DAY
            if not _is_statutory_closure(day) and day not in extra:
                last_found = day
                yield day
        if abs((day - last_found).days) > _GIVE_UP_AFTER_DAYS:
            raise ValueError(f"no bank business day within {_GIVE_UP_AFTER_DAYS} days of {last_found}")


def next_business_day(d: date) -> date:
    """Return the first bank business day strictly after ``d``."""
    return next(_business_days_from(d, 1))


def previous_business_day(d: date) -> date:
    """Return the last bank business day strictly before ``d``."""
    return next(_business_days_from(d, -1))


def add_business_days(d: date, n: int) -> date:
    """Return the ``n``-th business day after ``d`` (before it when ``n`` is negative).

    ``d`` itself is never counted, whether or not it is a business day: ``add_business_days(friday, 1)``
    is the next Monday and so is ``add_business_days(saturday, 1)``. ``n == 0`` returns ``d`` unchanged.
    """
    _check_is_date(d)
    if n == 0:
        return d
    step = 1 if n > 0 else -1
    # Size the first window so that the usual case (a couple of weeks) is a single query.
    window_days = max(_WINDOW_DAYS, abs(n) * 2 + 14)
    for counted, day in enumerate(_business_days_from(d, step, window_days), start=1):
        if counted == abs(n):
            return day
    raise AssertionError("unreachable: the walk above either yields forever or raises")


def last_business_day_of_month(year: int, month: int) -> date:
    """Return the last bank business day of the month, the usual payment date for monthly cutoffs."""
    last_day = date(year, month, calendar.monthrange(year, month)[1])
    return previous_business_day(last_day + _ONE_DAY)


def business_days_between(start: date, end: date) -> int:
    """Count the business days after ``start`` up to and including ``end``.

    This is the inverse of ``add_business_days``: when ``end`` is a business day,
    ``add_business_days(start, business_days_between(start, end)) == end``. A payment due "five business
    days after the cutoff" is therefore on time when ``business_days_between(cutoff, paid_on) <= 5``.
    When ``end`` is before ``start`` the count is negative: minus the business days from ``end`` up to,
    but not including, ``start``.
    """
    _check_is_date(start)
    _check_is_date(end)
    if end == start:
        return 0
    if end > start:
        first, last, sign = start + _ONE_DAY, end, 1
    else:
        first, last, sign = end, start - _ONE_DAY, -1
    extra = _extra_holidays(first, last)
    count = 0
    day = first
    while day <= last:
        if not _is_statutory_closure(day) and day not in extra:
            count += 1
        day += _ONE_DAY
    return sign * count

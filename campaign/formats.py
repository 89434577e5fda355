"""One way to show money and dates on screen (docs/glossary.md, "Amounts and dates").

Amounts are whole yen written with a thousands comma and 円 after the figure (1,234円), never ¥; dates are written
2026年12月8日, with the time after a space (2026年12月8日 14:05) and the weekday in full-width brackets when a
screen needs it (2026年12月8日（火）). ISO dates (2026-12-08) stay in CSV, the API and file names, where programs
read them.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

_WEEKDAYS = "月火水木金土日"


def yen(amount) -> str:
    """``1234`` -> ``"1,234円"``; ``None`` and ``""`` -> ``""``."""
    if amount is None or amount == "":
        return ""
    return f"{int(amount):,}円"


def _local(value: dt.date | dt.datetime) -> dt.date | dt.datetime:
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def day(value: dt.date | dt.datetime | None, *, weekday: bool = False) -> str:
    """``date(2026, 12, 8)`` -> ``"2026年12月8日"`` (``"2026年12月8日（火）"`` with ``weekday``); a datetime gives its
    local date."""
    if not value:
        return ""
    value = _local(value)
    text = f"{value.year}年{value.month}月{value.day}日"
    return f"{text}（{_WEEKDAYS[value.weekday()]}）" if weekday else text


def moment(value: dt.datetime | None) -> str:
    """A point in time in local time: ``"2026年12月8日 14:05"``."""
    if not value:
        return ""
    value = _local(value)
    return f"{day(value)} {value:%H:%M}"


def month(value: dt.date | None) -> str:
    """``date(2026, 12, 1)`` -> ``"2026年12月"``."""
    if not value:
        return ""
    return f"{value.year}年{value.month}月"

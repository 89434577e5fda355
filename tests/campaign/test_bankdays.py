from datetime import date, datetime

import pytest

from campaign.bankdays import (
    add_business_days,
    business_days_between,
    is_bank_business_day,
    last_business_day_of_month,
    next_business_day,
    previous_business_day,
)
from campaign.models import BankHoliday

pytestmark = pytest.mark.django_db


def test_an_ordinary_weekday_is_a_business_day():
    assert is_bank_business_day(date(2025, 11, 4))  # Tuesday


def test_weekends_are_closed():
    assert not is_bank_business_day(date(2025, 11, 8))  # Saturday
    assert not is_bank_business_day(date(2025, 11, 9))  # Sunday


def test_a_national_holiday_is_closed():
    assert not is_bank_business_day(date(2025, 11, 3))  # Culture Day, a Monday


def test_a_substitute_holiday_is_closed():
    assert not is_bank_business_day(date(2025, 11, 24))  # Labour Thanksgiving fell on Sunday the 23rd


@pytest.mark.parametrize("day", [date(2025, 12, 31), date(2026, 1, 2)])
def test_the_year_end_closure_is_closed(day):
    assert day.weekday() < 5
    assert not is_bank_business_day(day)


def test_a_bank_holiday_row_closes_an_ordinary_weekday():
    wednesday = date(2025, 11, 12)
    assert is_bank_business_day(wednesday)

    BankHoliday.objects.create(date=wednesday, name="System migration")

    assert not is_bank_business_day(wednesday)
    assert next_business_day(date(2025, 11, 11)) == date(2025, 11, 13)
    assert add_business_days(date(2025, 11, 11), 1) == date(2025, 11, 13)
    assert business_days_between(date(2025, 11, 10), date(2025, 11, 14)) == 3


def test_the_last_business_day_of_december_is_before_the_year_end_closure():
    assert last_business_day_of_month(2025, 12) == date(2025, 12, 30)


def test_the_next_business_day_after_the_last_of_the_year_is_after_new_year():
    # Dec 31 to Jan 3 closed, then Jan 4 2026 is a Sunday.
    assert next_business_day(date(2025, 12, 30)) == date(2026, 1, 5)


def test_next_and_previous_business_day_are_strictly_after_and_before():
    monday = date(2025, 11, 10)
    assert next_business_day(monday) == date(2025, 11, 11)
    assert previous_business_day(monday) == date(2025, 11, 7)  # the Friday before


def test_previous_business_day_skips_a_holiday_monday_and_the_weekend():
    assert previous_business_day(date(2025, 11, 4)) == date(2025, 10, 31)


def test_add_business_days_skips_the_weekend():
    friday = date(2025, 11, 14)
    assert add_business_days(friday, 1) == date(2025, 11, 17)
    assert add_business_days(friday, 3) == date(2025, 11, 19)
    assert add_business_days(date(2025, 11, 17), -1) == friday


def test_add_business_days_does_not_count_the_start_day_even_when_closed():
    saturday = date(2025, 11, 15)
    assert add_business_days(saturday, 1) == date(2025, 11, 17)
    assert add_business_days(saturday, -1) == date(2025, 11, 14)
    assert add_business_days(saturday, 0) == saturday


def test_add_business_days_crosses_the_new_year():
    assert add_business_days(date(2025, 12, 26), 3) == date(2026, 1, 5)  # Dec 29, Dec 30, then Jan 5
    assert add_business_days(date(2026, 1, 5), -2) == date(2025, 12, 29)


def test_last_business_day_when_the_month_ends_on_a_sunday():
    assert date(2025, 8, 31).weekday() == 6
    assert last_business_day_of_month(2025, 8) == date(2025, 8, 29)


def test_last_business_day_when_the_month_ends_on_a_weekday():
    assert last_business_day_of_month(2025, 10) == date(2025, 10, 31)


def test_last_business_day_moves_back_past_a_bank_holiday_row():
    BankHoliday.objects.create(date=date(2025, 10, 31), name="Extra closure")
    assert last_business_day_of_month(2025, 10) == date(2025, 10, 30)


@pytest.mark.parametrize(
    ("start", "end", "count"),
    [
        (date(2025, 11, 10), date(2025, 11, 10), 0),
        (date(2025, 11, 10), date(2025, 11, 14), 4),  # Mon → Fri: Tue, Wed, Thu, Fri
        (date(2025, 11, 14), date(2025, 11, 17), 1),  # Fri → Mon
        (date(2025, 12, 26), date(2026, 1, 6), 4),
        (date(2025, 11, 14), date(2025, 11, 10), -4),
        (date(2025, 11, 15), date(2025, 11, 16), 0),  # a weekend only
    ],
)
def test_business_days_between(start, end, count):
    assert business_days_between(start, end) == count


@pytest.mark.parametrize("n", [-25, -7, -1, 1, 2, 5, 23, 60])
def test_business_days_between_undoes_add_business_days(n):
    start = date(2025, 12, 20)
    assert business_days_between(start, add_business_days(start, n)) == n


def test_business_day_walks_load_bank_holidays_in_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        assert add_business_days(date(2025, 11, 1), 20) == date(2025, 12, 2)
    with django_assert_num_queries(1):
        assert business_days_between(date(2025, 1, 1), date(2025, 12, 31)) == 243


def test_a_datetime_is_refused_rather_than_guessed():
    with pytest.raises(TypeError):
        is_bank_business_day(datetime(2025, 11, 4, 9, 0))

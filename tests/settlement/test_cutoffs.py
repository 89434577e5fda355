"""Cutoff schedules: generated from rules on the bank calendar, imported, edited; closed by the beat task."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from campaign.bankdays import is_bank_business_day
from settlement.models import Cutoff, SettlementBatch
from settlement.services.cutoffs import (
    CutoffError,
    CutoffRow,
    cutoff_create,
    cutoff_update,
    cutoffs_import,
    generate_schedule,
    parse_month,
    parse_pay_rule,
)
from settlement.services.payouts import batch_close, cutoffs_close_due
from tests.settlement.payouts_world import merchant, reconciled_envelope

# EPARK's rule: cutoff on the 10th, paid on the last bank business day of the month. Checked by hand against the
# calendar: the last weekday of each month, except December (Dec 31 is a bank holiday) and April 2022, whose last
# weekday, Friday the 29th, is Shōwa Day.
EPARK = """\
2020-10-10 2020-10-30
2020-11-10 2020-11-30
2020-12-10 2020-12-30
2021-01-10 2021-01-29
2021-02-10 2021-02-26
2021-03-10 2021-03-31
2021-04-10 2021-04-30
2021-05-10 2021-05-31
2021-06-10 2021-06-30
2021-07-10 2021-07-30
2021-08-10 2021-08-31
2021-09-10 2021-09-30
2021-10-10 2021-10-29
2021-11-10 2021-11-30
2021-12-10 2021-12-30
2022-01-10 2022-01-31
2022-02-10 2022-02-28
2022-03-10 2022-03-31
2022-04-10 2022-04-28
2022-05-10 2022-05-31
2022-06-10 2022-06-30
2022-07-10 2022-07-29
2022-08-10 2022-08-31
2022-09-10 2022-09-30
2022-10-10 2022-10-31
2022-11-10 2022-11-30
"""


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.mark.django_db
def test_day_10_paid_on_the_last_bank_business_day_from_2020_10_to_2022_11():
    rows = generate_schedule(day=10, pay=parse_pay_rule("last-business-day"), first=(2020, 10), last=(2022, 11))
    assert "".join(f"{r.cutoff_date} {r.payment_date}\n" for r in rows) == EPARK


@pytest.mark.django_db
def test_the_calendar_knows_the_olympic_holidays_moved_in_2020_and_2021():
    for moved in (date(2020, 7, 23), date(2020, 7, 24), date(2020, 8, 10),
                  date(2021, 7, 22), date(2021, 7, 23), date(2021, 8, 9)):
        assert not is_bank_business_day(moved), moved
    # ... and that their usual days were ordinary working days in those years.
    for usual in (date(2020, 10, 12), date(2021, 7, 19), date(2021, 8, 11), date(2021, 10, 11)):
        assert is_bank_business_day(usual), usual


@pytest.mark.django_db
@pytest.mark.parametrize(("cutoff", "rule", "paid"), [
    (date(2021, 7, 20), "+3", date(2021, 7, 27)),   # 22nd and 23rd moved holidays, then a weekend
    (date(2021, 8, 6), "+1", date(2021, 8, 10)),    # Monday the 9th: substitute for Mountain Day on the 8th
    (date(2021, 10, 8), "+1", date(2021, 10, 11)),  # Sports Day was moved away: an ordinary Monday
    (date(2020, 12, 28), "+3", date(2021, 1, 4)),   # 29th, 30th, then Dec 31 – Jan 3 closed
])
def test_k_business_days_after_the_cutoff(cutoff, rule, paid):
    rows = generate_schedule(day=cutoff.day, pay=parse_pay_rule(rule), first=(cutoff.year, cutoff.month),
                             last=(cutoff.year, cutoff.month))
    assert rows == [CutoffRow(cutoff, paid)]


def test_rules_and_months_are_checked():
    for bad in ("last", "+0", "3", "+x"):
        with pytest.raises(CutoffError):
            parse_pay_rule(bad)
    with pytest.raises(CutoffError):
        parse_month("2021-13")


@pytest.mark.django_db
def test_the_command_prints_the_rows_without_saving(capsys):
    call_command("cutoffs_generate", "--day", "10", "--pay", "last-business-day", "--from", "2020-10",
                 "--to", "2022-11", "--dry-run")
    assert capsys.readouterr().out == EPARK
    assert not Cutoff.objects.exists()
    with pytest.raises(CommandError):
        call_command("cutoffs_generate", "--day", "10", "--pay", "soon", "--from", "2020-10", "--to", "2020-11",
                     "--dry-run")


@pytest.mark.django_db
def test_a_payment_date_that_is_not_a_bank_business_day_is_refused(campaign, alice):
    with pytest.raises(CutoffError, match="not a bank business day"):
        cutoff_create(actor=alice, campaign=campaign, cutoff_date=date(2021, 7, 10), payment_date=date(2021, 7, 22))
    cutoff = cutoff_create(actor=alice, campaign=campaign, cutoff_date=date(2021, 7, 10),
                           payment_date=date(2021, 7, 21))
    with pytest.raises(CutoffError, match="not a bank business day"):
        cutoff_update(actor=alice, cutoff=cutoff, cutoff_date=date(2021, 7, 10), payment_date=date(2021, 7, 24),
                      kind="regular")
    with pytest.raises(CutoffError, match="after the cutoff"):
        cutoff_update(actor=alice, cutoff=cutoff, cutoff_date=date(2021, 7, 10), payment_date=date(2021, 7, 9),
                      kind="regular")
    cutoff.refresh_from_db()
    assert cutoff.payment_date == date(2021, 7, 21)


@pytest.mark.django_db
def test_import_is_all_or_nothing_with_the_line_named(campaign, alice):
    good = "締日,支払日,区分\r\n2020/11/15,2020/12/07,\r\n2021-02-05,2021-02-18,臨時\r\n".encode("cp932")
    created = cutoffs_import(actor=alice, campaign=campaign, content=good, file_name="schedule.csv")
    assert [(c.cutoff_date, c.kind) for c in created] == [(date(2020, 11, 15), "regular"),
                                                          (date(2021, 2, 5), "extraordinary")]
    bad = b"2020-11-30,2020-12-21\n2020-12-15,2020-12-31\n"
    with pytest.raises(CutoffError, match="Row 2"):
        cutoffs_import(actor=alice, campaign=campaign, content=bad, file_name="more.csv")
    with pytest.raises(CutoffError, match="Line 1"):
        cutoffs_import(actor=alice, campaign=campaign, content=b"2020-11-30,soon\n", file_name="x.csv")
    assert Cutoff.objects.count() == 2


@pytest.mark.django_db
def test_a_closed_cutoff_is_frozen(campaign, alice):
    cutoff = cutoff_create(actor=alice, campaign=campaign, cutoff_date=date(2026, 11, 10),
                           payment_date=date(2026, 11, 30))
    batch_close(actor=alice, cutoff=cutoff)
    with pytest.raises(CutoffError, match="closed"):
        cutoff_update(actor=alice, cutoff=cutoff, cutoff_date=date(2026, 11, 11), payment_date=date(2026, 11, 30),
                      kind="regular")


@pytest.mark.django_db
def test_the_beat_task_closes_cutoffs_whose_day_has_ended(campaign, mizuho, alice, thousand):
    reconciled_envelope(merchant(campaign, alice), actor=alice, tickets={thousand: 1})
    done = Cutoff.objects.create(campaign=campaign, cutoff_date=date(2026, 11, 10), payment_date=date(2026, 11, 30))
    today = Cutoff.objects.create(campaign=campaign, cutoff_date=date(2026, 11, 20), payment_date=date(2026, 12, 4))
    tokyo = ZoneInfo("Asia/Tokyo")
    batches = cutoffs_close_due(actor=None, now=datetime(2026, 11, 20, 12, 0, tzinfo=tokyo))
    assert [b.cutoff for b in batches] == [done] and batches[0].prepared_by is None and batches[0].envelopes == 1
    assert cutoffs_close_due(actor=None, now=datetime(2026, 11, 20, 12, 0, tzinfo=tokyo)) == []
    assert [b.cutoff for b in cutoffs_close_due(actor=None, now=datetime(2026, 11, 20, 23, 30, tzinfo=tokyo))] == [today]
    assert SettlementBatch.objects.count() == 2


@pytest.mark.django_db
def test_an_excel_schedule_with_real_dates_is_imported(campaign, alice):
    import io

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["締日", "支払日", "区分"])
    sheet.append([datetime(2020, 11, 15), datetime(2020, 12, 7), "定例"])
    sheet.append(["2021-02-05", "2021-02-18", "臨時"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    created = cutoffs_import(actor=alice, campaign=campaign, content=buffer.getvalue(), file_name="日程.xlsx")
    assert [(c.cutoff_date, c.payment_date, c.kind) for c in created] == [
        (date(2020, 11, 15), date(2020, 12, 7), "regular"), (date(2021, 2, 5), date(2021, 2, 18), "extraordinary")]

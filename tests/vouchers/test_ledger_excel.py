"""The issuance ledger workbook: the screen's cross-tab on sheet 1, per outlet on sheet 2, the long list on sheet 3,
under a Japanese file name that survives the download."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone, translation

from campaign.jobs import job_execute
from campaign.models import Job
from vouchers import services
from vouchers.ledger import ledger_current
from vouchers.models import LEDGER_STATES, BookState
from vouchers.movements import BookRange as R

pytestmark = pytest.mark.django_db

D1 = date(2026, 10, 21)
LABELS = dict(BookState.choices)
HEADER_ROW = 4


@pytest.fixture
def world(printed, bob, marui, sanko, thousand, five_hundred):
    """Marui received 100 ¥1,000 books and sold 30; 50 ¥500 books are on the way to Sanko."""
    delivery = services.delivery_dispatch(actor=bob, outlet=marui, delivery_date=D1, ranges=[R(1, 100)])
    services.delivery_confirm(actor=bob, delivery=delivery, received_by="店長", confirmed_on=D1)
    services.delivery_dispatch(actor=bob, outlet=sanko, delivery_date=D1, ranges=[R(1001, 1050)])
    services.sales_report_record(actor=bob, outlet=marui, denomination=thousand, sales_date=D1, books=30)


def run_ledger_job(bob, campaign, day: date) -> Job:
    job = Job.objects.create(kind="vouchers_ledger", owner=bob, campaign=campaign,
                             params={"campaign": campaign.pk, "day": day.isoformat()})
    job = job_execute(job.pk)
    assert job.status == Job.Status.SUCCEEDED, job.message
    return job


def workbook(job: Job) -> openpyxl.Workbook:
    with job.result_file.open("rb") as fileobj:
        return openpyxl.load_workbook(fileobj)


def values(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def today_job(world, bob, campaign, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with translation.override("ja"):
        return run_ledger_job(bob, campaign, timezone.localdate())


def test_sheet_one_is_the_screens_cross_tab_with_the_figures_of_the_ledger(today_job, campaign):
    ledger = ledger_current(campaign)
    sheet = workbook(today_job).worksheets[0]
    rows = values(sheet)

    assert sheet.title == "発行台帳"
    assert rows[0][0] == "テスト県プレミアム食事券 発行台帳"
    assert rows[1][0] == "基準日"
    assert rows[1][1].date() == ledger.day
    assert rows[1][2] == "作成日時" and rows[1][3] is not None
    header = rows[HEADER_ROW - 1]
    assert header == ["券種", "項目", *[str(LABELS[s]) for s in LEDGER_STATES], "印刷数"]
    assert str(LABELS[BookState.VAULT]) == "保管庫在庫"

    body = rows[HEADER_ROW:]
    for i, row in enumerate(ledger.rows):
        books, yen = body[2 * i], body[2 * i + 1]
        assert books[:2] == [row.denomination.name, "冊数"]
        assert books[2:] == [row.books[s] for s in LEDGER_STATES] + [row.printed]
        assert yen[:2] == [None, "額面（円）"]
        assert yen[2:] == [row.face_value(s) for s in LEDGER_STATES] + [row.face_value()]
    books, yen = body[2 * len(ledger.rows)], body[2 * len(ledger.rows) + 1]
    assert books[:2] == ["合計", "冊数"]
    assert books[2:] == [ledger.total(s) for s in LEDGER_STATES] + [ledger.total()]
    assert yen[2:] == [ledger.total_face_value(s) for s in LEDGER_STATES] + [ledger.total_face_value()]

    # The small world, in figures a clerk would check by hand.
    thousand_row = body[0]
    assert thousand_row[2:] == [900, 0, 70, 30, 0, 0, 0, 1000]
    assert body[1][-1] == 1000 * 13 * 1000
    assert books[2:] == [1350, 50, 70, 30, 0, 0, 0, 1500]
    assert sum(books[2:-1]) == books[-1]  # printed = vault + transit + outlets + sold + collected + lost + destroyed
    assert sum(yen[2:-1]) == yen[-1]

    balance = body[2 * len(ledger.rows) + 3]
    assert balance[0] == "✓ 一致"
    assert balance[1].startswith("印刷数 1,500 = 保管庫在庫 1,350 + ")
    assert sheet.cell(HEADER_ROW + 1, 3).number_format == "#,##0"
    assert sheet.column_dimensions["A"].width >= 12


def test_sheet_two_is_per_outlet_with_totals_matching_sheet_one(today_job, campaign, marui, sanko):
    sheet = workbook(today_job).worksheets[1]
    rows = values(sheet)
    assert sheet.title == "販売所別"
    outlet_states = [BookState.TRANSIT, BookState.OUTLET, BookState.SOLD, BookState.COLLECTED, BookState.LOST]
    assert rows[HEADER_ROW - 1] == ["販売所コード", "販売所", "配送ルート", "券種", *[str(LABELS[s]) for s in outlet_states]]
    body = rows[HEADER_ROW:]
    assert body[0][:4] == ["S001", marui.name, marui.get_route_display(), "1,000円券"]
    assert body[0][4:] == [0, 70, 30, 0, 0]  # transit, at the outlet, sold, collected, lost
    assert body[1][:4] == ["S002", sanko.name, sanko.get_route_display(), "500円券"]
    assert body[1][4:] == [50, 0, 0, 0, 0]
    assert body[2][1:] == ["合計", None, "1,000円券", 0, 70, 30, 0, 0]
    assert body[3][1:] == ["合計", None, "500円券", 50, 0, 0, 0, 0]
    assert body[4][1:] == ["合計", None, None, 50, 70, 30, 0, 0]
    assert len(body) == 5


def test_sheet_three_keeps_the_long_list(today_job, campaign, marui):
    sheet = workbook(today_job).worksheets[2]
    rows = values(sheet)
    assert sheet.title == "台帳明細"
    assert rows[0] == ["券種", "販売所コード", "販売所", "所在・状態", "冊数", "額面（円）"]
    assert ["1,000円券", None, None, "印刷数", 1000, 13_000_000] in rows
    assert ["1,000円券", None, None, "保管庫在庫", 900, 900 * 13 * 1000] in rows
    assert ["1,000円券", "S001", marui.name, str(LABELS[BookState.SOLD]), 30, 30 * 13 * 1000] in rows
    assert sheet.auto_filter.ref == f"A1:F{len(rows)}"


def test_a_past_day_is_summed_from_the_movements(world, bob, campaign, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with translation.override("ja"):
        job = run_ledger_job(bob, campaign, date(2026, 10, 20))
    rows = values(workbook(job).worksheets[0])
    assert rows[1][1].date() == date(2026, 10, 20)
    assert rows[HEADER_ROW][2:] == [1000, 0, 0, 0, 0, 0, 0, 1000]  # printed, nothing delivered yet
    assert job.result_name == "発行台帳_2026-10-20.xlsx"


def test_the_file_is_named_in_japanese_and_downloads_under_that_name(today_job, staff_client, bob):
    assert today_job.result_name == f"発行台帳_{timezone.localdate():%Y-%m-%d}.xlsx"
    response = staff_client(bob).get(reverse("staff:job_download", kwargs={"public_id": today_job.public_id}))
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert f"filename*=utf-8''{quote(today_job.result_name)}" in disposition
    assert b"".join(response.streaming_content)[:2] == b"PK"  # a zip: the xlsx itself

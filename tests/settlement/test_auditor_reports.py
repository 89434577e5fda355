"""Auditor reports: figures per outlet, merchant and batch; a correction is a new revision with a diff; the API."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone, translation
from openpyxl import load_workbook

from settlement.models import AuditReport, Cutoff, Redemption
from settlement.reports import ReportError, report_issue
from settlement.services.payouts import batch_approve, batch_close
from tests.settlement.payouts_world import merchant, reconciled_envelope


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def shop(campaign, mizuho, alice):
    return merchant(campaign, alice)


@pytest.mark.django_db
def test_a_correction_is_a_new_revision_with_the_diff_and_the_first_is_kept(campaign, shop, alice, thousand, today):
    reconciled_envelope(shop, actor=alice, tickets={thousand: 3})
    first = report_issue(actor=alice, campaign=campaign, kind="daily", start=today)
    assert first.revision == 1
    assert first.figures["merchants"] == [{"key": shop.merchant_number, "merchant": shop.merchant_number,
                                           "store_name": shop.store_name, "tickets": 3, "amount_yen": 3000}]
    with pytest.raises(ReportError, match="not changed"):
        report_issue(actor=alice, campaign=campaign, kind="daily", start=today, reason="再計算")

    reconciled_envelope(shop, actor=alice, tickets={thousand: 2})  # a late envelope of the same day
    with pytest.raises(ReportError, match="reason"):
        report_issue(actor=alice, campaign=campaign, kind="daily", start=today)
    second = report_issue(actor=alice, campaign=campaign, kind="daily", start=today, reason="監査法人の指摘による修正")
    assert second.revision == 2
    assert second.diff["merchants"]["changed"] == [{"key": shop.merchant_number,
                                                    "before": {"tickets": 3, "amount_yen": 3000},
                                                    "after": {"tickets": 5, "amount_yen": 5000}}]
    assert second.diff["totals"]["redeemed_yen"] == {"before": 3000, "after": 5000}
    first.refresh_from_db()
    assert first.figures["totals"]["tickets_redeemed"] == 3  # revision 1 is untouched
    assert AuditReport.objects.count() == 2


@pytest.mark.django_db
def test_period_report_with_outlets_and_paid_batches(campaign, shop, alice, bob, thousand, printed, marui, today):
    from vouchers import services as stock
    from vouchers.movements import BookRange

    delivery = stock.delivery_dispatch(actor=bob, outlet=marui, delivery_date=today, ranges=[BookRange(1, 40)])
    stock.delivery_confirm(actor=bob, delivery=delivery, received_by="x", confirmed_on=today)
    stock.sales_report_record(actor=bob, outlet=marui, denomination=thousand, sales_date=today, books=12)
    reconciled_envelope(shop, actor=alice, tickets={thousand: 4}, received_on=today - timedelta(days=2))
    cutoff = Cutoff.objects.create(campaign=campaign, cutoff_date=today - timedelta(days=1), payment_date=today)
    batch = batch_close(actor=bob, cutoff=cutoff)
    batch_approve(actor=alice, batch=batch)

    report = report_issue(actor=alice, campaign=campaign, kind="period", start=today - timedelta(days=6), end=today)

    assert report.figures["outlets"] == [{"key": "S001/1", "outlet": "S001", "outlet_name": "スーパーまるい 本店",
                                          "denomination": 1, "books_delivered": 40, "books_sold": 12,
                                          "sales_yen": 120000}]
    assert [(b["amount_yen"], b["status"]) for b in report.figures["batches"]] == [(4000, "approved")]
    with pytest.raises(ReportError):
        report_issue(actor=alice, campaign=campaign, kind="period", start=today, end=today - timedelta(days=1))


@pytest.mark.django_db
def test_the_auditor_reads_revisions_on_screen_in_excel_and_over_the_api(campaign, shop, alice, carol, bob, thousand,
                                                                         today, client, staff_client):
    reconciled_envelope(shop, actor=alice, tickets={thousand: 1})
    report = report_issue(actor=alice, campaign=campaign, kind="daily", start=today)
    Redemption.objects.filter(merchant=shop).delete()
    report_issue(actor=alice, campaign=campaign, kind="daily", start=today, reason="取消")
    auditor = staff_client(carol)
    page = auditor.get(f"/staff/settlement/payouts/reports/{report.pk + 1}/")
    assert page.status_code == 200 and "取消" in page.content.decode()
    workbook = auditor.get(f"/staff/settlement/payouts/reports/{report.pk}/download/?format=xlsx")
    rows = list(load_workbook(io.BytesIO(workbook.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "section" and rows[1][:2] == ("merchants", shop.merchant_number)
    csv = auditor.get(f"/staff/settlement/payouts/reports/{report.pk}/download/?format=csv_cp932")
    assert csv.content.decode("cp932").startswith("section,key")

    api = auditor.get("/api/v1/audit-reports/", {"campaign": "TEST", "kind": "daily"})
    assert api.status_code == 200
    revisions = [(r["revision"], r["reason"]) for r in api.json()["results"]]
    assert revisions == [(2, "取消"), (1, "")]
    assert api.json()["results"][0]["diff"]["merchants"]["removed"][0]["key"] == shop.merchant_number
    assert auditor.get("/api/v1/settlement-batches/").status_code == 200
    # A clerk without the auditor capability is refused; so is a session without the second factor.
    clerk = staff_client(bob)
    assert clerk.get("/api/v1/audit-reports/").status_code == 403
    client.logout()
    client.force_login(carol)
    assert client.get("/api/v1/audit-reports/").status_code == 403



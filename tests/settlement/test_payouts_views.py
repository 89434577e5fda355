"""The payout screens as people use them: close, approve (by someone else), generate and download, bank result,
the merchant's payment history; the dashboard chart and table."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from django.utils import translation

from settlement.models import BatchOutput, Cutoff, SettlementBatch
from tests.conftest import PASSWORD
from tests.settlement.payouts_world import merchant, reconciled_envelope

BASE = "/staff/settlement/payouts/"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def world(campaign, mizuho, alice, thousand):
    shops = [merchant(campaign, alice, n) for n in range(2)]
    for shop in shops:
        reconciled_envelope(shop, actor=alice, tickets={thousand: 5})
    cutoff = Cutoff.objects.create(campaign=campaign, cutoff_date=date(2026, 11, 10), payment_date=date(2026, 11, 30))
    return shops, cutoff


@pytest.mark.django_db
def test_close_approve_generate_download_and_record_the_bank_result(world, clerk, manager, client, staff_client,
                                                                    django_capture_on_commit_callbacks):
    shops, cutoff = world
    as_clerk = staff_client(clerk)
    response = as_clerk.post(f"{BASE}cutoffs/{cutoff.pk}/close/", follow=True)
    batch = SettlementBatch.objects.get()
    assert response.redirect_chain[-1][0] == f"{BASE}batches/{batch.pk}/"
    assert "10,000" in response.content.decode()
    # The clerk may not approve; files are not offered before approval.
    assert as_clerk.post(f"{BASE}batches/{batch.pk}/approve/").status_code == 403
    assert as_clerk.post(f"{BASE}batches/{batch.pk}/outputs/list/generate/", follow=True).status_code == 200
    assert not BatchOutput.objects.exists()

    client.logout()
    as_manager = staff_client(manager)
    as_manager.post(f"{BASE}batches/{batch.pk}/approve/")
    batch.refresh_from_db()
    assert batch.status == "approved" and batch.approved_by == manager
    for kind in ("zengin", "list", "notices", "summary"):
        with django_capture_on_commit_callbacks(execute=True):
            response = as_manager.post(f"{BASE}batches/{batch.pk}/outputs/{kind}/generate/")
        assert response.status_code == 302 and "/staff/jobs/" in response["Location"]
    assert BatchOutput.objects.filter(batch=batch).count() == 4
    zengin = b"".join(as_manager.get(f"{BASE}batches/{batch.pk}/outputs/zengin/").streaming_content)
    assert zengin[:4] == b"1210" and zengin.count(b"\r\n") == 1 + 2 + 1 + 1
    notices = b"".join(as_manager.get(f"{BASE}batches/{batch.pk}/outputs/notices/").streaming_content)
    assert len(zipfile.ZipFile(io.BytesIO(notices)).namelist()) == 2

    result = f"{shops[0].merchant_number},口座番号相違\r\n".encode("cp932")
    upload = io.BytesIO(result)
    upload.name = "result.csv"
    as_manager.post(f"{BASE}batches/{batch.pk}/bank-result/", {"file": upload})
    batch.refresh_from_db()
    assert batch.status == "paid"
    assert {line.status for line in batch.lines.all()} == {"paid", "failed"}

    # The merchant whose transfer failed sees it, with the way to correct the account, and its notice.
    client.logout()
    shops[0].portal_user.set_password(PASSWORD)
    shops[0].portal_user.save()
    client.force_login(shops[0].portal_user)
    page = client.get("/merchant/payments/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "口座番号相違" in text and "/merchant/bank-account/" in text and "5,000" in text
    line = batch.lines.get(merchant=shops[0])
    pdf = client.get(f"/merchant/payments/{line.pk}/notice.pdf")
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"
    other = batch.lines.get(merchant=shops[1])
    assert client.get(f"/merchant/payments/{other.pk}/notice.pdf").status_code == 404


@pytest.mark.django_db
def test_the_auditor_reads_the_dashboard_but_cannot_close(world, carol, staff_client, alice, clerk):
    shops, cutoff = world
    from settlement.services.payouts import batch_approve, batch_close

    batch = batch_approve(actor=alice, batch=batch_close(actor=clerk, cutoff=cutoff))
    from settlement.payout_documents import generate_output

    generate_output(batch, "zengin", io.BytesIO())
    auditor = staff_client(carol)
    page = auditor.get(BASE)
    text = page.content.decode()
    assert page.status_code == 200 and "<svg" in text and "<rect" in text
    assert "2026-11-30" in text and "10,000" in text  # per-cutoff table
    assert auditor.post(f"{BASE}cutoffs/{cutoff.pk}/close/").status_code == 403
    # The Zengin file carries full account numbers: not for the auditor.
    assert auditor.get(f"{BASE}batches/{batch.pk}/outputs/zengin/").status_code == 403
    assert auditor.get(f"{BASE}batches/{batch.pk}/").status_code == 200


@pytest.mark.django_db
def test_the_schedule_screen_previews_a_rule_and_refuses_a_holiday(campaign, clerk, staff_client):
    as_clerk = staff_client(clerk)
    page = as_clerk.get(f"{BASE}cutoffs/", {"day": 10, "pay": "last-business-day", "first": "2022-04",
                                            "last": "2022-05"})
    assert "2022-04-28" in page.content.decode()
    as_clerk.post(f"{BASE}cutoffs/generate/", {"day": 10, "pay": "last-business-day", "first": "2022-04",
                                               "last": "2022-05"})
    assert list(Cutoff.objects.values_list("payment_date", flat=True).order_by("cutoff_date")) == [
        date(2022, 4, 28), date(2022, 5, 31)]
    response = as_clerk.post(f"{BASE}cutoffs/add/", {"cutoff_date": "2022-04-20", "payment_date": "2022-04-29",
                                                     "kind": "extraordinary"}, follow=True)
    assert "銀行営業日ではありません" in response.content.decode()  # the screens speak Japanese
    assert Cutoff.objects.count() == 2

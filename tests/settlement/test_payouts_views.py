"""The payout screens as people use them: close, approve (by someone else), generate and download, bank result,
the merchant's payment history; the dashboard chart and table; a batch the scheduler closed, signed by a preparer
before a second person approves it; a merchant with nothing to pay on screen and paper."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import openpyxl
import pytest
from django.utils import translation
from pypdf import PdfReader

from settlement.models import BatchOutput, Cutoff, SettlementBatch
from settlement.payout_documents import write_payout_list, write_summary
from settlement.services.payouts import batch_approve, batch_close
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
    batch = batch_approve(actor=alice, batch=batch_close(actor=clerk, cutoff=cutoff))
    from settlement.payout_documents import generate_output

    generate_output(batch, "zengin", io.BytesIO())
    auditor = staff_client(carol)
    page = auditor.get(BASE)
    text = page.content.decode()
    assert page.status_code == 200 and "<svg" in text and "<rect" in text
    assert "2026年11月30日" in text and "10,000" in text  # per-cutoff table
    assert auditor.post(f"{BASE}cutoffs/{cutoff.pk}/close/").status_code == 403
    # The Zengin file carries full account numbers: not for the auditor.
    assert auditor.get(f"{BASE}batches/{batch.pk}/outputs/zengin/").status_code == 403
    assert auditor.get(f"{BASE}batches/{batch.pk}/").status_code == 200


@pytest.mark.django_db
def test_the_schedule_screen_previews_a_rule_and_refuses_a_holiday(campaign, clerk, staff_client):
    as_clerk = staff_client(clerk)
    page = as_clerk.get(f"{BASE}cutoffs/", {"day": 10, "pay": "last-business-day", "first": "2022-04",
                                            "last": "2022-05"})
    assert "2022年4月28日" in page.content.decode()
    as_clerk.post(f"{BASE}cutoffs/generate/", {"day": 10, "pay": "last-business-day", "first": "2022-04",
                                               "last": "2022-05"})
    assert list(Cutoff.objects.values_list("payment_date", flat=True).order_by("cutoff_date")) == [
        date(2022, 4, 28), date(2022, 5, 31)]
    response = as_clerk.post(f"{BASE}cutoffs/add/", {"cutoff_date": "2022-04-20", "payment_date": "2022-04-29",
                                                     "kind": "extraordinary"}, follow=True)
    assert "銀行営業日ではありません" in response.content.decode()  # the screens speak Japanese
    assert Cutoff.objects.count() == 2


# --- a batch the scheduler closed; lines with nothing to pay -------------------------------------------------

@pytest.mark.django_db
def test_a_scheduler_batch_is_signed_by_a_clerk_before_another_person_approves_it(world, clerk, manager, carol,
                                                                                 client, staff_client):
    _shops, cutoff = world
    batch = batch_close(actor=None, cutoff=cutoff)  # the beat task's close: nobody prepared it
    url = f"{BASE}batches/{batch.pk}/"

    as_manager = staff_client(manager)
    text = as_manager.get(url).content.decode()
    assert "この精算バッチにはまだ作成者の署名がありません" in text
    assert "作成者の署名がまだないため、承認できません。" in text
    assert f'action="{url}approve/"' not in text  # no approve button while nobody has signed
    # Approving anyway (a page left open) is refused, with the reason, and nothing changes.
    text = as_manager.post(f"{url}approve/", follow=True).content.decode()
    assert "まず担当者が内容を確認して作成者として署名し" in text
    batch.refresh_from_db()
    assert batch.status == "prepared" and batch.prepared_by is None and batch.approved_by is None

    client.logout()
    assert staff_client(carol).post(f"{url}prepare/").status_code == 403  # the auditor only reads
    client.logout()
    as_clerk = staff_client(clerk)
    text = as_clerk.get(url).content.decode()
    assert "作成者として確認・署名" in text and f'action="{url}prepare/"' in text
    text = as_clerk.post(f"{url}prepare/", follow=True).content.decode()
    assert "作成者として精算バッチに署名しました。" in text
    batch.refresh_from_db()
    assert batch.prepared_by == clerk and batch.status == "prepared"
    # One preparer: a second signature is refused.
    assert "既に作成者が署名しています" in as_clerk.post(f"{url}prepare/", follow=True).content.decode()

    client.logout()
    as_manager = staff_client(manager)
    text = as_manager.get(url).content.decode()
    assert f'action="{url}approve/"' in text and "作成者として確認・署名" not in text
    as_manager.post(f"{url}approve/")
    batch.refresh_from_db()
    assert batch.status == "approved" and batch.prepared_by == clerk and batch.approved_by == manager


@pytest.fixture
def nothing_world(world, alice):
    """The two shops of ``world`` and a third whose only envelope had every ticket rejected: it pays ¥0."""
    shops, cutoff = world
    empty = merchant(shops[0].campaign, alice, 2)
    reconciled_envelope(empty, actor=alice, tickets={})
    return [*shops, empty], cutoff


@pytest.mark.django_db
def test_a_merchant_with_nothing_to_pay_reads_so_on_the_batch_the_portal_and_the_list(nothing_world, clerk,
                                                                                      manager, client,
                                                                                      staff_client):
    shops, cutoff = nothing_world
    batch = batch_approve(actor=manager, batch=batch_close(actor=clerk, cutoff=cutoff))
    line = batch.lines.get(merchant=shops[2])
    assert line.status == "nothing" and line.amount == 0 and batch.merchants == 2  # not a transfer

    text = staff_client(clerk).get(f"{BASE}batches/{batch.pk}/").content.decode()
    row = next(r for r in text.split("<tr>") if shops[2].merchant_number in r)
    assert "支払対象なし" in row and "封筒内に支払対象の券がありません" in row and "0円" in row
    assert "振込なし" in row and "支払予定" not in row
    assert "1 店、封筒 1 通：0円・振込なし" in text  # counted apart from the 2 transfers

    # The payout list names it as such, and rerunning gives the same bytes.
    with translation.override("ja"):
        first, again = io.BytesIO(), io.BytesIO()
        write_payout_list(batch, first)
        write_payout_list(batch, again)
    assert first.getvalue() == again.getvalue()
    rows = list(openpyxl.load_workbook(first).active.iter_rows(values_only=True))
    by_number = {r[0]: r for r in rows[1:] if r[0]}
    assert by_number[shops[2].merchant_number][2:4] == ("支払対象なし", "封筒内に支払対象の券がありません")
    assert by_number[shops[0].merchant_number][2] == "支払予定"
    assert ("支払対象なし（振込なし）：1 店",) == rows[-1][:1] and rows[-1][9] == 0

    # The merchant reads "nothing to pay" with the reason, never "to be paid" or "paid", and gets no notice.
    client.logout()
    client.force_login(shops[2].portal_user)
    text = client.get("/merchant/payments/").content.decode()
    assert "<strong>支払対象なし</strong><br><small>封筒内に支払対象の券がありません</small>" in text
    assert "支払予定" not in text and "支払済み" not in text
    assert f"/merchant/payments/{line.pk}/notice.pdf" not in text
    assert client.get(f"/merchant/payments/{line.pk}/notice.pdf").status_code == 404


@pytest.mark.django_db
def test_the_batch_summary_lists_the_merchants_with_nothing_to_pay_apart(nothing_world, clerk, manager):
    shops, cutoff = nothing_world
    batch = batch_approve(actor=manager, batch=batch_close(actor=clerk, cutoff=cutoff))
    first, again = io.BytesIO(), io.BytesIO()
    write_summary(batch, first)
    write_summary(batch, again)
    assert first.getvalue() == again.getvalue() and first.getvalue()[:5] == b"%PDF-"
    text = "".join(page.extract_text() for page in PdfReader(first).pages)
    assert "支払加盟店数 2" in text.replace("\n", " ") and "支払対象なし加盟店数 1（振込なし）" in text.replace("\n", " ")
    held, nothing = text.split("支払対象なし（封筒は本バッチで精算済み・振込なし）")
    assert shops[2].merchant_number in nothing and shops[2].merchant_number not in held
    assert "封筒内に支払対象の券がありません" in nothing

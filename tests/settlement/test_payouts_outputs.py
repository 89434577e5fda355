"""Outputs of an approved batch: nothing before approval, identical bytes on every run, a killed worker rerun."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import date

import pytest
from django.utils import timezone, translation
from openpyxl import load_workbook
from pypdf import PdfReader

from campaign import jobs
from campaign.models import Job
from settlement.models import Bank, BankAccount, BankBranch, BatchOutput, Cutoff, EnvelopeLine, ReadOutcome
from settlement.payout_documents import (
    envelopes_by_line,
    generate_output,
    notice_pdf,
    write_notices_zip,
    write_payout_list,
    write_summary,
    write_zengin,
)
from settlement.services.payouts import batch_approve, batch_close
from tests.settlement.payouts_world import investigation, merchant, reconciled_envelope


class Killed(BaseException):
    """What a worker killed mid-job looks like to the code: the job stops and nothing catches it."""


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def batch(campaign, mizuho, alice, clerk, thousand, five_hundred):
    shops = [merchant(campaign, alice, n) for n in range(3)]
    for n, shop in enumerate(shops):
        reconciled_envelope(shop, actor=alice, tickets={thousand: n + 1, five_hundred: 2})
        reconciled_envelope(shop, actor=alice, tickets={thousand: 1})
    cutoff = Cutoff.objects.create(campaign=campaign, cutoff_date=date(2026, 11, 10), payment_date=date(2026, 11, 30))
    return batch_close(actor=clerk, cutoff=cutoff)


def _bytes(writer, batch) -> bytes:
    out = io.BytesIO()
    writer(batch, out)
    return out.getvalue()


@pytest.mark.django_db
def test_nothing_leaves_before_approval(batch, manager):
    for writer in (write_zengin, write_payout_list, write_notices_zip, write_summary):
        with pytest.raises(jobs.JobError, match="not been approved"):
            _bytes(writer, batch)
    job = Job.objects.create(kind="payouts_zengin", params={"batch": batch.pk}, owner=manager)
    assert jobs.job_execute(job.pk).status == Job.Status.FAILED
    assert not BatchOutput.objects.exists()


@pytest.mark.django_db
def test_every_output_is_byte_identical_when_generated_again(batch, alice, manager):
    batch_approve(actor=manager, batch=batch)
    for writer in (write_zengin, write_payout_list, write_notices_zip, write_summary):
        assert _bytes(writer, batch) == _bytes(writer, batch), writer.__name__
    zengin = _bytes(write_zengin, batch)
    assert zengin.count(b"\r\n") == 3 + 3 and zengin[:4] == b"1210"
    assert b"1130" in zengin[:120]  # transfer date MMDD from the payment date
    trailer = zengin.split(b"\r\n")[-3]
    assert trailer[:19] == b"8" + b"000003" + f"{batch.amount:012d}".encode()
    workbook = load_workbook(io.BytesIO(_bytes(write_payout_list, batch)))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][0] == "Merchant number" and len(rows) == 1 + 3 + 3
    assert workbook.properties.created.year == 2026 and workbook.properties.modified.date() == date(2026, 11, 30)
    with zipfile.ZipFile(io.BytesIO(_bytes(write_notices_zip, batch))) as archive:
        names = archive.namelist()
        assert len(names) == len(set(names)) == 3
        assert all(info.date_time == (2026, 11, 30, 0, 0, 0) for info in archive.infolist())
        assert archive.read(names[0])[:5] == b"%PDF-"


@pytest.mark.django_db
def test_the_notice_in_the_portal_is_the_notice_in_the_zip(batch, manager):
    batch_approve(actor=manager, batch=batch)
    line = batch.lines.select_related("merchant").order_by("merchant__merchant_number").first()
    with zipfile.ZipFile(io.BytesIO(_bytes(write_notices_zip, batch))) as archive:
        assert archive.read(archive.namelist()[0]) == notice_pdf(batch, line)


@pytest.mark.django_db
def test_a_killed_worker_then_a_rerun_gives_the_same_bytes_and_no_duplicates(batch, manager, monkeypatch):
    batch_approve(actor=manager, batch=batch)
    expected = _bytes(write_notices_zip, batch)
    expected_zengin = _bytes(write_zengin, batch)

    def killed_midway(job_id, percent, message=""):
        if percent > 0:
            raise Killed

    with monkeypatch.context() as patch:
        patch.setattr(jobs, "job_set_progress", killed_midway)
        first = Job.objects.create(kind="payouts_notices", params={"batch": batch.pk}, owner=manager)
        with pytest.raises(Killed):
            jobs.job_execute(first.pk)
    first.refresh_from_db()
    assert first.status == Job.Status.RUNNING and not first.result_file  # what a dead worker leaves behind
    assert not BatchOutput.objects.exists()

    for _run in range(2):
        rerun = Job.objects.create(kind="payouts_notices", params={"batch": batch.pk}, owner=manager)
        rerun = jobs.job_execute(rerun.pk)
        assert rerun.status == Job.Status.SUCCEEDED, rerun.message
        assert rerun.result_file.read() == expected
    output = BatchOutput.objects.get(batch=batch, kind="notices")
    assert output.generations == 2 and output.records == 3
    assert output.sha256 == hashlib.sha256(expected).hexdigest()

    zengin_job = jobs.job_execute(Job.objects.create(kind="payouts_zengin", params={"batch": batch.pk},
                                                     owner=manager).pk)
    assert zengin_job.result_file.read() == expected_zengin
    data_records = [r for r in expected_zengin.split(b"\r\n") if r[:1] == b"2"]
    assert len(data_records) == len(set(data_records)) == 3
    assert BatchOutput.objects.filter(batch=batch).count() == 2


@pytest.mark.django_db
def test_a_changed_result_is_refused_instead_of_overwriting(batch, manager):
    batch_approve(actor=manager, batch=batch)
    generate_output(batch, "list", io.BytesIO())
    stored = BatchOutput.objects.get(kind="list").sha256
    batch.lines.update(holder_kana="ﾍﾝｺｳ")  # someone changed frozen data behind the system's back
    with pytest.raises(jobs.JobError, match="differs"):
        generate_output(batch, "list", io.BytesIO())
    assert BatchOutput.objects.get(kind="list").sha256 == stored


@pytest.mark.django_db
def test_the_command_writes_an_approved_batch_only(batch, manager, tmp_path):
    from django.core.management import CommandError, call_command

    out = tmp_path / "zengin.txt"
    with pytest.raises(CommandError, match="not been approved"):
        call_command("zengin_write", "--batch", str(batch.pk), "--out", str(out), stdout=io.StringIO())
    assert not out.exists() and not (tmp_path / "zengin.txt.part").exists()
    batch_approve(actor=manager, batch=batch)
    call_command("zengin_write", "--batch", str(batch.pk), "--out", str(out), stdout=io.StringIO())
    assert out.read_bytes() == _bytes(write_zengin, batch)


@pytest.mark.django_db
def test_a_name_the_bank_cannot_take_stops_the_file_and_names_the_merchant(batch, manager):
    batch_approve(actor=manager, batch=batch)
    line = batch.lines.select_related("merchant").order_by("merchant__merchant_number").last()
    line.holder_kana = "山田商店"
    line.save()
    with pytest.raises(jobs.JobError, match=f"merchant {line.merchant.merchant_number}.*payee_name"):
        _bytes(write_zengin, batch)


def _text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)


def _notice(batch, shop) -> str:
    return _text(notice_pdf(batch, batch.lines.select_related("merchant").get(merchant=shop)))


@pytest.mark.django_db
def test_the_notice_names_its_date_its_issuer_and_the_full_bank_names(campaign, mizuho, alice, clerk, manager,
                                                                       thousand, settings):
    settings.SECRETARIAT_ADDRESS = "〒680-0000 鳥取県鳥取市東町1-220"
    settings.SECRETARIAT_PHONE = "0857-00-0000"
    tottori = Bank.objects.create(code="0166", name="鳥取", kana="トツトリ")
    akasaki = BankBranch.objects.create(bank=tottori, code="123", name="赤碕出張所", kana="アカサキ")
    at_tottori, at_mizuho = merchant(campaign, alice, 0), merchant(campaign, alice, 1)
    BankAccount.objects.filter(merchant=at_tottori).update(bank=tottori, branch=akasaki)
    for shop in (at_tottori, at_mizuho):
        reconciled_envelope(shop, actor=alice, tickets={thousand: 2})
    cutoff = Cutoff.objects.create(campaign=campaign, cutoff_date=date(2026, 11, 10), payment_date=date(2026, 11, 30))
    batch = batch_approve(actor=manager, batch=batch_close(actor=clerk, cutoff=cutoff))

    text = _notice(batch, at_tottori)
    assert f"発行日 {timezone.localtime(batch.approved_at):%Y年%m月%d日}" in text
    assert "テスト県プレミアム食事券 事務局" in text
    assert "〒680-0000 鳥取県鳥取市東町1-220" in text and "TEL 0857-00-0000" in text
    assert "振込先 鳥取銀行 赤碕出張所" in text and "赤碕出張所支店" not in text
    assert "振込先 みずほ銀行 鳥取支店" in _notice(batch, at_mizuho)


@pytest.mark.django_db
def test_the_notice_says_why_each_ticket_not_paid_was_not_paid(campaign, mizuho, alice, clerk, manager, thousand,
                                                              five_hundred):
    shop = merchant(campaign, alice)
    clean = reconciled_envelope(shop, actor=alice, tickets={thousand: 3})
    # 39 declared: 35 read and paid, one repeat paid after an investigation, three not paid.
    envelope = reconciled_envelope(shop, actor=alice, tickets={thousand: 30, five_hundred: 5})
    EnvelopeLine.objects.create(envelope=envelope, denomination=thousand, declared_tickets=33, declared_amount=33000)
    EnvelopeLine.objects.create(envelope=envelope, denomination=five_hundred, declared_tickets=6,
                                declared_amount=3000)
    EnvelopeLine.objects.create(envelope=clean, denomination=thousand, declared_tickets=3, declared_amount=3000)
    investigation(envelope, status="accepted", decided_by=manager)
    investigation(envelope, status="rejected", decided_by=manager)
    for line_no, verification in ((1, "already_redeemed"), (2, "outside_usage_period")):
        ReadOutcome.objects.create(read=envelope.reads.first(), envelope=envelope, line_no=line_no,
                                   code=f"{line_no:021d}", verification=verification)
    cutoff = Cutoff.objects.create(campaign=campaign, cutoff_date=date(2026, 11, 10), payment_date=date(2026, 11, 30))
    batch = batch_approve(actor=manager, batch=batch_close(actor=clerk, cutoff=cutoff))

    text = _notice(batch, shop)
    assert f"{envelope.number} 2026-11-02 39枚 36枚 33,500円" in text
    assert "支払対象外 3枚：有効期間外 1枚、換金済み（重複） 2枚" in text
    assert f"{clean.number} 2026-11-02 3枚 3枚 3,000円" in text and text.count("支払対象外 ") == 1


@pytest.mark.django_db
def test_the_notices_read_their_envelopes_in_a_fixed_number_of_queries(batch, manager,
                                                                       django_assert_num_queries):
    lines = list(batch.lines.all())
    with django_assert_num_queries(5):
        envelopes = envelopes_by_line(line.pk for line in lines)
    assert sorted(len(rows) for rows in envelopes.values()) == [2, 2, 2]


@pytest.mark.django_db
def test_the_summary_has_an_approval_block_with_the_names(batch, clerk, manager):
    clerk.last_name, clerk.first_name = "精算", "三郎"
    clerk.save()
    batch = batch_approve(actor=manager, batch=batch)
    text = _text(_bytes(write_summary, batch))
    assert "決裁欄" in text and "起案" in text and "確認" in text and "承認" in text
    assert "精算 三郎" in text and "mallory" in text  # mallory has no name on record: her login
    assert f"決裁日 {timezone.localtime(batch.approved_at):%Y年%m月%d日}" in text

"""Outputs of an approved batch: nothing before approval, identical bytes on every run, a killed worker rerun."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import date

import pytest
from django.utils import translation
from openpyxl import load_workbook

from campaign import jobs
from campaign.models import Job
from settlement.models import BatchOutput, Cutoff
from settlement.payout_documents import (
    generate_output,
    notice_pdf,
    write_notices_zip,
    write_payout_list,
    write_summary,
    write_zengin,
)
from settlement.services.payouts import batch_approve, batch_close
from tests.settlement.payouts_world import merchant, reconciled_envelope


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

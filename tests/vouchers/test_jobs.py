"""Numbering data, proof PDF and the ledger workbook."""

from __future__ import annotations

import csv
import io
from datetime import date

import openpyxl
import pypdf
import pytest
from django.core.management import CommandError, call_command

from campaign.jobs import job_execute
from campaign.models import Job
from vouchers import services
from vouchers.jobs import lot_proof_pdf
from vouchers.models import PrintLot
from vouchers.movements import BookRange
from vouchers.serials import Verdict, keys_by_prefix, parse_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def lot(printed, thousand):
    return PrintLot.objects.get(denomination=thousand)


def test_numbering_job_streams_one_line_per_ticket(lot, bob, campaign, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    job = Job.objects.create(kind="vouchers_numbering", owner=bob, params={"lot": lot.pk})
    job = job_execute(job.pk)
    assert job.status == Job.Status.SUCCEEDED, job.message
    rows = list(csv.reader(io.StringIO(job.result_file.open("rb").read().decode())))
    assert rows[0] == ["printed_code", "barcode_payload", "book", "ticket"]
    assert len(rows) == 1 + 1000 * 13
    keys = keys_by_prefix([(campaign.serial_prefix, campaign.code)])
    for printed_code, payload, book, ticket in (rows[1], rows[5000], rows[-1]):
        parsed = parse_code(printed_code, keys.get)
        assert parsed.verdict == Verdict.VALID
        assert parsed.digits == payload
        assert (parsed.ticket.book, parsed.ticket.ticket) == (int(book), int(ticket))
    assert rows[-1][2:] == ["1000", "13"]


def test_export_numbering_command(lot, tmp_path):
    out = tmp_path / "lot.csv"
    call_command("export_numbering", "--lot", str(lot.pk), "--out", str(out))
    lines = out.read_bytes().split(b"\r\n")
    assert len([line for line in lines if line]) == 1 + 13000
    assert lines[1].split(b",")[0].count(b"-") == 4  # the grouped printed code comes first
    with pytest.raises(CommandError, match="No print lot"):
        call_command("export_numbering", "--lot", "999999", "--out", str(out))


def test_a_campaign_without_a_serial_key_fails_with_a_clear_message(lot, bob, settings):
    settings.VOUCHER_MAC_KEYS = {}
    job = job_execute(Job.objects.create(kind="vouchers_numbering", owner=bob, params={"lot": lot.pk}).pk)
    assert job.status == Job.Status.FAILED
    assert "VOUCHER_MAC_KEYS" in job.message


def test_the_proof_is_one_page_with_sample_codes(lot):
    buffer = io.BytesIO()
    lot_proof_pdf(lot, buffer)
    reader = pypdf.PdfReader(io.BytesIO(buffer.getvalue()))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert lot.campaign.name in text
    assert "0001000" in text  # the last book is among the samples


def test_the_ledger_workbook_has_the_figures_of_the_day(printed, bob, marui, thousand, campaign, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    services.delivery_dispatch(actor=bob, outlet=marui, delivery_date=date(2026, 10, 22), ranges=[BookRange(1, 250)])
    job = Job.objects.create(kind="vouchers_ledger", owner=bob,
                             params={"campaign": campaign.pk, "day": "2026-10-22"})
    job = job_execute(job.pk)
    assert job.status == Job.Status.SUCCEEDED, job.message
    # Sheet 1 is the cross-tab: a books row per denomination, places across, printed last.
    sheet = openpyxl.load_workbook(job.result_file.open("rb")).worksheets[0]
    books = next(list(r) for r in sheet.iter_rows(values_only=True) if r[0] == thousand.name)
    assert books[1] == "冊数" and books[-1] == 1000  # printed
    assert books[2:-1] == [750, 250, 0, 0, 0, 0, 0]  # vault, transit, outlet, sold, collected, lost, destroyed
    earlier = job_execute(Job.objects.create(kind="vouchers_ledger", owner=bob,
                                             params={"campaign": campaign.pk, "day": "2026-10-21"}).pk)
    sheet = openpyxl.load_workbook(earlier.result_file.open("rb")).worksheets[0]
    books = next(list(r) for r in sheet.iter_rows(values_only=True) if r[0] == thousand.name)
    assert books[2:] == [1000, 0, 0, 0, 0, 0, 0, 1000]

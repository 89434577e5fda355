"""Issue 17 ("Payments"), as the clerk meets it on the payout screens: a carried failed transfer says where it
comes from and which batch pays it; a hold reason is said once however many investigations or failed transfers
cause it; the payment rule is chosen from a list; one job generates the four batch files."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
from django.utils import translation
from pypdf import PdfReader

from campaign.models import Job
from settlement import services
from settlement.models import BatchOutput, Cutoff, PayoutLine, SettlementBatch
from settlement.payout_documents import HOLD_LABELS, generate_output, write_payout_list, write_summary
from settlement.services.payouts import (
    BankFailure,
    batch_approve,
    batch_close,
    batch_record_bank_result,
    hold_reasons_unique,
)
from settlement.views_payouts import GenerateForm, _line_notes
from tests.settlement.payouts_world import investigation, merchant, reconciled_envelope

BASE = "/staff/settlement/payouts/"


def cutoff(campaign, day: date, paid: date, kind: str = "regular") -> Cutoff:
    return Cutoff.objects.create(campaign=campaign, cutoff_date=day, payment_date=paid, kind=kind)


def fail(batch, manager, *shops):
    return batch_record_bank_result(actor=manager, batch=batch,
                                    failures=[BankFailure(s.merchant_number, "口座番号相違") for s in shops])


def new_account(shop, manager):
    change = services.bank_account_request(actor=shop.portal_user, merchant=shop, bank=services.BankDetails(
        bank_code="0001", branch_code="001", account_type="1", account_number="7654321", holder_name="カ）トツトリカフエ"))
    services.bank_account_approve(actor=manager, account=change)


# --- 1. a carried amount says where it comes from and which batch pays it ----------------------------------

@pytest.fixture
def carried_world(campaign, mizuho, alice, clerk, manager, thousand):
    """Shop A's 12,000円 transfer of the 5 November batch failed. The 10 November batch (awaiting approval) holds
    it, still on the failing account; A then gives a new account and the 20 November batch pays it."""
    a, b = merchant(campaign, alice, 0), merchant(campaign, alice, 1)
    reconciled_envelope(a, actor=alice, tickets={thousand: 12}, received_on=date(2026, 11, 2))
    reconciled_envelope(b, actor=alice, tickets={thousand: 1}, received_on=date(2026, 11, 2))
    first = batch_approve(actor=manager, batch=batch_close(actor=clerk, cutoff=cutoff(
        campaign, date(2026, 11, 5), date(2026, 11, 30))))
    fail(first, manager, a)
    reconciled_envelope(a, actor=alice, tickets={thousand: 3}, received_on=date(2026, 11, 8))
    held = batch_close(actor=clerk, cutoff=cutoff(campaign, date(2026, 11, 10), date(2026, 12, 1)))
    new_account(a, manager)
    paying = batch_close(actor=clerk, cutoff=cutoff(campaign, date(2026, 11, 20), date(2026, 12, 4)))
    return a, first, held, paying


@pytest.mark.django_db
def test_a_held_line_says_its_carried_amount_is_waiting_and_which_newer_batch_pays_it(carried_world):
    a, first, held, paying = carried_world
    held_line, paying_line = held.lines.get(merchant=a), paying.lines.get(merchant=a)
    assert (held_line.status, held_line.carried_amount) == ("held", 12000)
    assert (paying_line.status, paying_line.carried_amount, paying_line.amount) == ("payable", 12000, 15000)
    assert held.status == SettlementBatch.Status.PREPARED

    with translation.override("en"):
        notes = _line_notes(held, [held_line])[held_line.pk]
    assert [(n["kind"], n["text"], n["batch"]) for n in notes] == [
        ("waiting", "of which carried 12,000円, still waiting (failed transfer of the cutoff 2026年11月5日)", first.pk),
        ("paid_by", "12,000円 is paid by the batch of the cutoff 2026年11月20日", paying.pk),
        ("newer", "Not paid by this batch: the newer batch of the cutoff 2026年11月20日 pays it.", paying.pk)]


@pytest.mark.django_db
def test_the_paying_line_names_the_failed_transfer_it_carries_and_the_batch_that_only_shows_it(carried_world):
    a, first, held, paying = carried_world
    line = paying.lines.get(merchant=a)
    with translation.override("en"):
        notes = _line_notes(paying, [line])[line.pk]
    assert [(n["kind"], n["text"], n["batch"]) for n in notes] == [
        ("carried", "of which carried 12,000円 (failed transfer of the cutoff 2026年11月5日)", first.pk),
        ("older", "Also shown held in the batch of the cutoff 2026年11月10日 (awaiting approval): this batch pays "
                  "it, that one does not.", held.pk)]
    # A merchant with nothing carried and in no other batch gets no note.
    other = paying.lines.exclude(merchant=a)
    assert not _line_notes(paying, list(other))


@pytest.mark.django_db
def test_the_batch_pages_show_carried_and_waiting_with_links_to_the_other_batch(carried_world, clerk,
                                                                                staff_client):
    a, first, held, paying = carried_world
    as_clerk = staff_client(clerk)
    text = as_clerk.get(f"{BASE}batches/{held.pk}/").content.decode()
    assert 'data-testid="carried-waiting"' in text and 'data-note="waiting"' in text
    assert f'href="{BASE}batches/{first.pk}/"' in text and f'href="{BASE}batches/{paying.pk}/"' in text
    assert "12,000円" in text and "2026年11月5日" in text and "2026年11月20日" in text
    text = as_clerk.get(f"{BASE}batches/{paying.pk}/").content.decode()
    assert 'data-testid="carried"' in text and 'data-note="carried"' in text and 'data-note="older"' in text
    assert f'href="{BASE}batches/{held.pk}/"' in text and "carried-waiting" not in text


# --- 2. each hold reason once ------------------------------------------------------------------------------

@pytest.fixture
def troubled(campaign, mizuho, alice, clerk, manager, thousand):
    """Shop A has two failed transfers (two batches, same account, neither paid again) and four envelopes under an
    open investigation; its next close holds it."""
    a, b = merchant(campaign, alice, 0), merchant(campaign, alice, 1)
    batches = []
    for n, (day, paid) in enumerate([(date(2026, 11, 5), date(2026, 11, 30)), (date(2026, 11, 10), date(2026, 12, 1))]):
        reconciled_envelope(a, actor=alice, tickets={thousand: 2}, received_on=date(2026, 11, 2 + n * 5))
        reconciled_envelope(b, actor=alice, tickets={thousand: 1}, received_on=date(2026, 11, 2 + n * 5))
        batches.append(batch_approve(actor=manager, batch=batch_close(actor=clerk, cutoff=cutoff(campaign, day, paid))))
    for batch in batches:
        fail(batch, manager, a)
    for _n in range(4):
        investigation(reconciled_envelope(a, actor=alice, tickets={thousand: 1}, received_on=date(2026, 11, 12)))
    held = batch_close(actor=clerk, cutoff=cutoff(campaign, date(2026, 11, 20), date(2026, 12, 4)))
    return a, held


@pytest.mark.django_db
def test_four_investigations_and_two_failed_transfers_give_each_reason_once(troubled, manager):
    a, held = troubled
    line = held.lines.get(merchant=a)
    assert line.status == "held" and line.carried_amount == 4000
    assert line.hold_reasons == ["investigation", "account_failed"]

    batch_approve(actor=manager, batch=held)
    held.refresh_from_db()
    with translation.override("en"):
        out = io.BytesIO()
        write_payout_list(held, out)
    rows = {r[0]: r for r in openpyxl.load_workbook(out).active.iter_rows(values_only=True) if r[0]}
    assert rows[a.merchant_number][3] == f"{HOLD_LABELS['investigation']} / {HOLD_LABELS['account_failed']}"
    pdf = io.BytesIO()
    write_summary(held, pdf)
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert text.count(HOLD_LABELS["investigation"]) == 1


@pytest.mark.django_db
def test_a_line_closed_with_repeated_reasons_shows_each_once(troubled, clerk, manager, staff_client):
    a, held = troubled
    # As lines closed before the fix were stored.
    PayoutLine.objects.filter(batch=held, merchant=a).update(hold_reasons=["investigation"] * 4 + ["account_failed"])
    text = staff_client(clerk).get(f"{BASE}batches/{held.pk}/").content.decode()
    with translation.override("ja"):
        label = str(PayoutLine.HoldReason.INVESTIGATION.label)
    assert text.count(label) == 1
    assert hold_reasons_unique(["account_failed", "investigation", "investigation", "suspended"]) == [
        "suspended", "investigation", "account_failed"]
    batch_approve(actor=manager, batch=held)  # the list is written after approval
    with translation.override("en"):
        out = io.BytesIO()
        write_payout_list(held, out)
    rows = {r[0]: r for r in openpyxl.load_workbook(out).active.iter_rows(values_only=True) if r[0]}
    assert rows[a.merchant_number][3] == f"{HOLD_LABELS['investigation']} / {HOLD_LABELS['account_failed']}"


# --- 3. the payment rule is chosen ---------------------------------------------------------------------------

def test_the_rule_is_chosen_from_a_list_and_n_is_a_number():
    with translation.override("en"):
        form = GenerateForm()
        assert [label for _code, label in form.fields["pay_rule"].choices] == [
            "Last bank business day of the month", "N bank business days after the cutoff"]
        chosen = GenerateForm({"day": 10, "pay_rule": "days-after", "pay_days": 3, "first": "2022-04",
                               "last": "2022-05"})
        assert chosen.is_valid() and chosen.cleaned_data["pay"] == "+3"
        missing = GenerateForm({"day": 10, "pay_rule": "days-after", "first": "2022-04", "last": "2022-05"})
        assert not missing.is_valid()
        assert missing.errors["pay_days"] == ["Enter N, the number of bank business days after the cutoff."]
        last = GenerateForm({"day": 10, "pay_rule": "last-business-day", "pay_days": "x", "first": "2022-04",
                             "last": "2022-05"})
        assert last.is_valid() and last.cleaned_data["pay"] == "last-business-day"
        # The typed rule of old links is still read.
        typed = GenerateForm({"day": 10, "pay": "+3", "first": "2022-04", "last": "2022-05"})
        assert typed.is_valid() and typed.cleaned_data["pay"] == "+3"
        old = GenerateForm({"day": 10, "pay": "last-business-day", "first": "2022-04", "last": "2022-05"})
        assert old.is_valid() and old.cleaned_data["pay"] == "last-business-day"
        assert not GenerateForm({"day": 10, "pay": "+x", "first": "2022-04", "last": "2022-05"}).is_valid()


@pytest.mark.django_db
def test_the_chosen_rule_previews_and_saves_as_the_typed_one_did(campaign, clerk, staff_client):
    as_clerk = staff_client(clerk)
    months = {"day": 10, "first": "2022-04", "last": "2022-05"}
    chosen = as_clerk.get(f"{BASE}cutoffs/", {**months, "pay_rule": "days-after", "pay_days": 3}).content.decode()
    typed = as_clerk.get(f"{BASE}cutoffs/", {**months, "pay": "+3"}).content.decode()
    preview = chosen.split('data-testid="preview"')[1].split("</table>")[0]
    assert preview == typed.split('data-testid="preview"')[1].split("</table>")[0]
    assert '<select name="pay_rule"' in chosen and 'value="days-after" selected' in typed
    # The hidden copy the save button posts carries the choice, not "None".
    assert 'name="pay_days" value="3"' in typed and 'value="None"' not in chosen
    as_clerk.post(f"{BASE}cutoffs/generate/", {**months, "pay_rule": "days-after", "pay_days": 3})
    assert list(Cutoff.objects.values_list("payment_date", flat=True).order_by("cutoff_date")) == [
        date(2022, 4, 13), date(2022, 5, 13)]  # as the typed “+3”


# --- 4. the four files in one job ----------------------------------------------------------------------------

@pytest.fixture
def approved(campaign, mizuho, alice, clerk, manager, thousand):
    for n in range(2):
        reconciled_envelope(merchant(campaign, alice, n), actor=alice, tickets={thousand: 5})
    return batch_approve(actor=manager, batch=batch_close(actor=clerk, cutoff=cutoff(
        campaign, date(2026, 11, 10), date(2026, 11, 30))))


@pytest.mark.django_db
def test_one_job_generates_the_four_files_and_the_batch_page_offers_them(approved, manager, staff_client,
                                                                         django_capture_on_commit_callbacks):
    as_manager = staff_client(manager)
    url = f"{BASE}batches/{approved.pk}/"
    assert 'data-testid="generate-all"' in as_manager.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = as_manager.post(f"{url}outputs/all/generate/")
    job = Job.objects.get(kind="payouts_all")
    assert response.status_code == 302 and response["Location"] == f"{url}?files={job.public_id}#outputs-title"
    assert (job.status, job.progress, job.params) == ("succeeded", 100, {"batch": approved.pk})
    outputs = {o.kind: o for o in BatchOutput.objects.filter(batch=approved)}
    assert sorted(outputs) == sorted(BatchOutput.Kind.values)
    manifest = job.result_file.read().decode()
    assert [row.split("\t")[0] for row in manifest.splitlines()] == [
        outputs[k].file_name for k in ("zengin", "list", "notices", "summary")]

    text = as_manager.get(f"{url}?files={job.public_id}").content.decode()
    assert 'data-testid="all-files-downloads"' in text
    for kind in BatchOutput.Kind.values:
        assert f'href="{url}outputs/{kind}/"' in text
    status = as_manager.get(f"{url}outputs/all/status/", {"files": job.public_id})
    assert status.status_code == 200 and "hx-get" not in status.content.decode()
    # Each file alone gives the same bytes (a different digest would be refused), generated once more.
    for kind in BatchOutput.Kind.values:
        assert generate_output(approved, kind, io.BytesIO()).sha256 == outputs[kind].sha256
    assert set(BatchOutput.objects.filter(batch=approved).values_list("generations", flat=True)) == {2}


@pytest.mark.django_db
def test_a_clerk_without_the_bank_file_gets_no_all_files_button(approved, clerk, staff_client):
    as_clerk = staff_client(clerk)
    url = f"{BASE}batches/{approved.pk}/"
    assert 'data-testid="generate-all"' not in as_clerk.get(url).content.decode()
    as_clerk.post(f"{url}outputs/all/generate/")
    assert not Job.objects.filter(kind="payouts_all").exists() and not BatchOutput.objects.exists()
    assert as_clerk.get(f"{url}outputs/all/status/", {"files": "not-a-uuid"}).status_code == 404


@pytest.mark.django_db
def test_the_all_files_job_stops_before_approval_and_says_why(campaign, mizuho, alice, clerk, manager, thousand,
                                                              staff_client, django_capture_on_commit_callbacks):
    reconciled_envelope(merchant(campaign, alice, 0), actor=alice, tickets={thousand: 5})
    batch = batch_close(actor=clerk, cutoff=cutoff(campaign, date(2026, 11, 10), date(2026, 11, 30)))
    with django_capture_on_commit_callbacks(execute=True):
        staff_client(manager).post(f"{BASE}batches/{batch.pk}/outputs/all/generate/")
    job = Job.objects.get(kind="payouts_all")
    assert job.status == "failed" and not BatchOutput.objects.exists()
    with translation.override("ja"):
        assert str(BatchOutput.Kind.ZENGIN.label) in job.message  # the file it stopped at is named

"""The audit log: append-only in the database, written by services, filtered and exported by staff."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import openpyxl
import pytest
from django.db import IntegrityError, InternalError, ProgrammingError, connection, transaction
from django.urls import reverse

from campaign.audit import audit_log
from campaign.jobs import job_execute
from campaign.models import AuditEvent, Job

pytestmark = pytest.mark.django_db

DB_REFUSALS = (InternalError, ProgrammingError, IntegrityError)


@pytest.fixture
def events(alice, bob, campaign):
    from django.utils import timezone

    tz = timezone.get_current_timezone()
    made = [
        audit_log(actor=alice, action="merchant.approve", target_type="settlement.merchant", target_id="12",
                  target_label="喫茶ひまわり", data={"reason": "書類確認済み"}, campaign=campaign),
        audit_log(actor=bob, action="lot.create", target_type="vouchers.printlot", target_id="3",
                  target_label="第1ロット", campaign=campaign),
        audit_log(actor=bob, action="merchant.reject", target_type="settlement.merchant", target_id="13",
                  target_label="=HYPERLINK(\"http://evil\")"),
    ]
    old = AuditEvent.objects.create(actor=alice, actor_label="alice", action="lot.create",
                                    at=datetime(2026, 1, 5, 9, 0, tzinfo=tz), target_label="古いロット")
    return made + [old]


def test_an_update_through_raw_sql_is_refused_by_the_database(events):
    event = events[0]
    with pytest.raises(DB_REFUSALS, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE campaign_auditevent SET action = 'tampered' WHERE id = %s", [event.pk])
    event.refresh_from_db()
    assert event.action == "merchant.approve"


def test_a_delete_through_raw_sql_is_refused_by_the_database(events):
    with pytest.raises(DB_REFUSALS, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM campaign_auditevent")
    assert AuditEvent.objects.count() == len(events)


def test_the_orm_cannot_change_or_delete_an_event_either(events):
    with pytest.raises(DB_REFUSALS), transaction.atomic():
        AuditEvent.objects.filter(pk=events[1].pk).update(action="x")
    with pytest.raises(DB_REFUSALS), transaction.atomic():
        events[1].delete()
    assert AuditEvent.objects.filter(action="lot.create").count() == 2


def test_audit_log_records_actor_target_and_data(alice, campaign, rf):
    request = rf.get("/", REMOTE_ADDR="203.0.113.7")
    event = audit_log(actor=alice, action="campaign.update", target=campaign, data={"when": datetime(2026, 1, 1)},
                      request=request, campaign=campaign)
    event.refresh_from_db()
    assert event.actor == alice
    assert event.target_type == "campaign.campaign"
    assert event.target_id == str(campaign.pk)
    assert event.target_label == str(campaign)
    assert event.data == {"when": "2026-01-01T00:00:00"}
    assert event.ip == "203.0.113.7"


def test_staff_filter_the_log_by_actor_action_target_and_date(staff_client, carol, events):
    client = staff_client(carol)
    page = client.get(reverse("staff:audit_list"), {"action": "merchant."}).content.decode()
    assert "喫茶ひまわり" in page and "第1ロット" not in page

    page = client.get(reverse("staff:audit_list"), {"actor": "bob"}).content.decode()
    assert "第1ロット" in page and "喫茶ひまわり" not in page

    page = client.get(reverse("staff:audit_list"), {"target": "13"}).content.decode()
    assert "HYPERLINK" in page and "第1ロット" not in page

    page = client.get(reverse("staff:audit_list"), {"date_from": "2026-01-01", "date_to": "2026-01-31"}).content
    assert "古いロット" in page.decode() and "第1ロット" not in page.decode()


def test_a_reversed_date_range_is_an_error_on_the_form(staff_client, carol, events):
    response = staff_client(carol).get(reverse("staff:audit_list"),
                                       {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert response.status_code == 200
    assert response.context["form"].errors["date_to"]


def _export(client, django_capture_on_commit_callbacks, fmt, **flt):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("staff:audit_export"), {"format": fmt, **flt})
    assert response.status_code == 302
    job = Job.objects.latest("created_at")
    assert response["Location"] == reverse("staff:job_detail", args=[job.public_id])
    job.refresh_from_db()
    return job


def test_export_as_excel_runs_as_a_job_and_respects_the_filter(staff_client, carol, events,
                                                                django_capture_on_commit_callbacks):
    client = staff_client(carol)
    job = _export(client, django_capture_on_commit_callbacks, "xlsx", action="merchant.")
    assert job.status == Job.Status.SUCCEEDED and job.progress == 100
    status = client.get(reverse("staff:job_status", args=[job.public_id])).content.decode()
    assert reverse("staff:job_download", args=[job.public_id]) in status
    assert "hx-get" not in status  # finished: the page stops polling

    download = client.get(reverse("staff:job_download", args=[job.public_id]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert len(rows) == 3  # header + the two merchant.* events
    labels = {row[5] for row in rows[1:]}
    assert labels == {"喫茶ひまわり", "'=HYPERLINK(\"http://evil\")"}  # formula neutralised
    assert AuditEvent.objects.filter(action="job.download", actor=carol).count() == 1


def test_export_as_cp932_csv(staff_client, alice, events, django_capture_on_commit_callbacks):
    client = staff_client(alice)
    job = _export(client, django_capture_on_commit_callbacks, "csv_cp932")
    body = b"".join(client.get(reverse("staff:job_download", args=[job.public_id])).streaming_content)
    rows = list(csv.reader(io.StringIO(body.decode("cp932"))))
    assert "第1ロット" in {row[5] for row in rows}
    assert len(rows) == 1 + len(events) + 1  # header, the events, and the export's own job.start
    assert body.count(b"\r\n") == len(rows)


def test_only_the_owner_sees_a_job(staff_client, client, carol, alice, events, django_capture_on_commit_callbacks):
    job = _export(staff_client(carol), django_capture_on_commit_callbacks, "csv_utf8")
    from tests.conftest import make_staff, verified_login

    other_auditor = make_staff("grace", "auditor")
    client.logout()
    verified_login(client, other_auditor)
    assert client.get(reverse("staff:job_detail", args=[job.public_id])).status_code == 404
    assert client.get(reverse("staff:job_download", args=[job.public_id])).status_code == 404


def test_a_failing_job_reports_a_message_instead_of_a_file(alice):
    job = Job.objects.create(kind="audit_export", owner=alice, params={"format": "pdf"})
    job = job_execute(job.pk)
    assert job.status == Job.Status.FAILED
    assert "pdf" in job.message
    assert not job.result_file

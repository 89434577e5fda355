"""The console logs a call in one post; escalations run on business hours; callback requests stay with their
department and lose their personal data, with every copy, a year after collection."""

import io
from datetime import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from callcenter import services
from callcenter.bizhours import add_business_hours
from callcenter.models import CallbackRequest, CallRecord, Escalation, FaqItem, FaqSearchLog
from campaign.jobs import job_start
from campaign.models import AuditEvent, Job

pytestmark = pytest.mark.django_db

TOKYO = timezone.get_default_timezone()


def _post(client, line, **extra):
    data = {"received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "line": line.pk,
            "caller_type": "resident", "summary": "食事券の払い戻しについて", "answer": "できません",
            "response_type": "answered", "duration_minutes": "2.5", "search_token": "tok1"}
    data.update(extra)
    return client.post(reverse("callcenter:console"), data)


def test_the_console_logs_a_call_in_one_post(staff_client, olivia, campaign, consumer_line, faq_set):
    client = staff_client(olivia)
    item = FaqItem.objects.get(external_id="faq-008")
    assert client.get(reverse("callcenter:search"), {"q": "はらいもどし", "token": "tok1"}).status_code == 200
    response = _post(client, consumer_line, faq_items=[item.pk])
    assert response.status_code == 302
    call = CallRecord.objects.get()
    assert call.operator == olivia and call.duration_seconds == 150 and list(call.faq_items.all()) == [item]
    log = FaqSearchLog.objects.get(token="tok1")
    assert log.call == call and log.picked
    assert AuditEvent.objects.filter(action="call.log", target_id=str(call.pk)).exists()


def test_a_transfer_without_destination_is_refused_and_nothing_saved(staff_client, olivia, campaign, consumer_line):
    response = _post(staff_client(olivia), consumer_line, response_type="transferred")
    assert response.status_code == 200 and "transfer_to" in response.context["form"].errors
    assert CallRecord.objects.count() == 0


def test_escalating_from_the_console_creates_the_escalation(staff_client, olivia, dan, campaign, consumer_line,
                                                            settlement_dept, support_dept):
    response = _post(staff_client(olivia), consumer_line, response_type="escalated", department=settlement_dept.pk,
                     related_departments=[support_dept.pk], priority="high", escalation_note="至急")
    assert response.status_code == 302
    escalation = Escalation.objects.get()
    assert escalation.department == settlement_dept and escalation.escalated_by == olivia
    assert list(escalation.related_departments.all()) == [support_dept]
    # The owning department resolves; the operator then reads the outcome.
    services.escalation_update(actor=dan, escalation=escalation, status="resolved", assignee=dan, outcome="返金不可と回答")
    page = staff_client(olivia).get(reverse("callcenter:escalation_detail", args=[escalation.pk]))
    assert page.status_code == 200 and "返金不可と回答" in page.content.decode()


def test_due_times_follow_business_hours():
    friday_4pm = datetime(2026, 11, 6, 16, 0, tzinfo=TOKYO)
    assert add_business_hours(friday_4pm, 4) == datetime(2026, 11, 9, 12, 0, tzinfo=TOKYO)
    saturday = datetime(2026, 11, 7, 10, 0, tzinfo=TOKYO)
    assert add_business_hours(saturday, 1) == datetime(2026, 11, 9, 10, 0, tzinfo=TOKYO)
    # Monday 23 Nov 2026 is Labour Thanksgiving Day.
    friday_eve = datetime(2026, 11, 20, 20, 0, tzinfo=TOKYO)
    assert add_business_hours(friday_eve, 8) == datetime(2026, 11, 24, 17, 0, tzinfo=TOKYO)


def _callback(olivia, campaign, line, dept, **kw):
    call = services.call_log(actor=olivia, campaign=campaign, line=line, caller_type="resident",
                             summary="時間外の問い合わせ", response_type="callback",
                             callback=services.CallbackInput(department=dept, name="山田花子", phone="090-1234-5678",
                                                             inquiry="換金の件で折り返し希望", address="鳥取市東町1-1",
                                                             email="hanako@example.jp"), search_token="tokcb", **kw)
    return call.callback


def test_an_operator_without_the_department_cannot_open_a_callback(staff_client, olivia, dan, sam, campaign,
                                                                   consumer_line, settlement_dept):
    callback = _callback(olivia, campaign, consumer_line, settlement_dept)
    url = reverse("callcenter:callback_detail", args=[callback.pk])
    assert staff_client(olivia).get(url).status_code == 403
    assert "山田花子" not in staff_client(olivia).get(reverse("callcenter:callback_list")).content.decode()
    page = staff_client(dan).get(url)
    assert page.status_code == 200 and "山田花子" in page.content.decode()
    assert staff_client(sam).get(url).status_code == 200
    views = AuditEvent.objects.filter(action="callback.view", target_id=str(callback.pk))
    assert set(views.values_list("actor__username", flat=True)) == {"dan", "sam"}


def test_personal_data_and_its_copies_vanish_a_year_after_collection(olivia, dan, campaign, consumer_line,
                                                                     settlement_dept, faq_set,
                                                                     django_capture_on_commit_callbacks):
    with time_machine.travel(datetime(2026, 11, 2, 19, 0, tzinfo=TOKYO), tick=False):
        # The operator typed the caller's name into the FAQ search during the call (a copy to be found).
        services.search_log(user=olivia, source="console", query="山田花子 換金", hits=[], token="tokcb")
        callback = _callback(olivia, campaign, consumer_line, settlement_dept)
        services.callback_view(actor=dan, callback=callback)
        with django_capture_on_commit_callbacks(execute=True):
            job = job_start(actor=dan, kind=services.CALLBACK_EXPORT_KIND, campaign=campaign,
                            params={"format": "xlsx"})
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    sheet = load_workbook(io.BytesIO(job.result_file.read())).active
    assert any(cell.value == "山田花子" for row in sheet.iter_rows() for cell in row)
    assert callback.purge_after.isoformat() == "2027-11-02"

    def pii_copies():
        cb = CallbackRequest.objects.get(pk=callback.pk)
        job.refresh_from_db()
        return {
            "request": bool(cb.name or cb.phone or cb.address or cb.email or cb.inquiry),
            "search_log": FaqSearchLog.objects.filter(query__contains="山田").exists(),
            "export": bool(job.result_file),
            "audit": services.audit_events_quoting("山田").exists()
            or services.audit_events_quoting("090-1234").exists(),
        }

    with time_machine.travel(datetime(2027, 11, 2, 3, 0, tzinfo=TOKYO), tick=False):  # the day before
        assert services.callbacks_purge() == 0
        assert pii_copies() == {"request": True, "search_log": True, "export": True, "audit": False}
    with time_machine.travel(datetime(2027, 11, 4, 3, 0, tzinfo=TOKYO), tick=False):  # the day after
        from callcenter.tasks import purge_callback_personal_data

        assert purge_callback_personal_data.apply().get() == 1
        assert pii_copies() == {"request": False, "search_log": False, "export": False, "audit": False}
    cb = CallbackRequest.objects.get(pk=callback.pk)
    assert cb.purged_at is not None and cb.department == settlement_dept
    assert CallRecord.objects.filter(response_type="callback").count() == 1  # the statistics stay

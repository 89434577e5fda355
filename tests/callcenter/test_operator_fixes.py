"""Issue 17 (operator console): the operator is told the number to give the caller, follows the callback
requests she took, the supervisor's callback list shows caller and request (audit-logged), a blank duration is
unknown rather than 0 seconds, and phone numbers are stored in one form whatever the input method typed."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone, translation

from callcenter import services
from callcenter.models import CallbackRequest, CallRecord, Escalation
from campaign import roles
from campaign.models import AuditEvent
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db


def _post(client, line, **extra):
    data = {"received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "line": line.pk,
            "caller_type": "resident", "summary": "換金の締切について", "response_type": "answered",
            "duration_minutes": "1.5", "search_token": "tok-fix"}
    data.update(extra)
    return client.post(reverse("callcenter:console"), data)


def _message(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def _callback(olivia, campaign, line, dept, name="山田花子", phone="090-1234-5678"):
    call = services.call_log(actor=olivia, campaign=campaign, line=line, caller_type="resident",
                             summary="時間外の問い合わせ", response_type="callback",
                             callback=services.CallbackInput(department=dept, name=name, phone=phone,
                                                             inquiry="換金の件で折り返し希望"))
    return call.callback


# 1. The number to give the caller (the page runs in Japanese; the numbers are asserted, not the wording) ----

def test_escalating_tells_the_operator_the_escalation_number(staff_client, olivia, campaign, consumer_line,
                                                             settlement_dept):
    response = _post(staff_client(olivia), consumer_line, response_type="escalated", department=settlement_dept.pk,
                     priority="normal")
    assert response.status_code == 302
    escalation = Escalation.objects.get()
    message = _message(response)
    assert str(escalation).startswith("E-") and str(escalation) in message
    assert f"#{escalation.call_id}" in message


def test_a_callback_request_tells_the_operator_the_callback_number(staff_client, olivia, campaign, consumer_line,
                                                                   settlement_dept):
    response = _post(staff_client(olivia), consumer_line, response_type="callback", department=settlement_dept.pk,
                     cb_name="山田花子", cb_phone="090-1234-5678", cb_inquiry="折り返し希望")
    assert response.status_code == 302
    callback = CallbackRequest.objects.get()
    assert str(callback).startswith("CB-") and str(callback) in _message(response)


def test_an_answered_call_gives_only_the_call_number(staff_client, olivia, campaign, consumer_line):
    response = _post(staff_client(olivia), consumer_line)
    message = _message(response)
    assert f"#{CallRecord.objects.get().pk}" in message and "E-" not in message and "CB-" not in message


# 2. The operator follows the callback requests she took -------------------------------------------------------

def test_the_operator_lists_her_own_callbacks_without_personal_data(staff_client, olivia, campaign, consumer_line,
                                                                    settlement_dept):
    callback = _callback(olivia, campaign, consumer_line, settlement_dept)
    page = staff_client(olivia).get(reverse("callcenter:callback_list"), {"state": "all"})
    assert page.status_code == 200
    html = page.content.decode()
    assert str(callback) in html and settlement_dept.name in html
    assert "山田花子" not in html and "090-1234-5678" not in html and "換金の件で折り返し希望" not in html
    # The detail page (personal data) stays closed to her, and she viewed no personal data.
    assert staff_client(olivia).get(reverse("callcenter:callback_detail", args=[callback.pk])).status_code == 403
    assert not AuditEvent.objects.filter(action="callback.view").exists()
    # The console lists it too.
    assert str(callback) in staff_client(olivia).get(reverse("callcenter:console")).content.decode()


def test_another_operator_does_not_see_the_callback(staff_client, olivia, campaign, consumer_line, settlement_dept):
    callback = _callback(olivia, campaign, consumer_line, settlement_dept)
    oscar = make_staff("oscar", roles.OPERATOR)
    html = staff_client(oscar).get(reverse("callcenter:callback_list"), {"state": "all"}).content.decode()
    assert str(callback) not in html


def test_the_department_sees_name_and_request_in_the_list_and_it_is_logged(staff_client, olivia, dan, campaign,
                                                                          consumer_line, settlement_dept):
    callback = _callback(olivia, campaign, consumer_line, settlement_dept)
    html = staff_client(dan).get(reverse("callcenter:callback_list")).content.decode()
    assert "山田花子" in html and "換金の件で折り返し希望" in html
    event = AuditEvent.objects.get(action="callback.view", target_id=str(callback.pk))
    assert event.actor == dan and event.data == {"via": "list"}


# 3. The supervisor's list shows caller and request, audit-logged ----------------------------------------------

def test_the_supervisor_list_shows_caller_and_request_and_logs_each_view(staff_client, olivia, sam, campaign,
                                                                         consumer_line, settlement_dept,
                                                                         support_dept):
    first = _callback(olivia, campaign, consumer_line, settlement_dept)
    second = _callback(olivia, campaign, consumer_line, support_dept, name="鳥取太郎", phone="0857-22-1234")
    html = staff_client(sam).get(reverse("callcenter:callback_list")).content.decode()
    assert "山田花子" in html and "鳥取太郎" in html and "換金の件で折り返し希望" in html
    assert "応対" in html  # who took it: Olivia by her family name (person_name), not her login ID
    views = AuditEvent.objects.filter(action="callback.view", actor=sam)
    assert set(views.values_list("target_id", flat=True)) == {str(first.pk), str(second.pk)}
    # The audit events carry the number only, never the caller's data.
    assert not services.audit_events_quoting("山田").exists()


def test_purged_requests_are_listed_without_a_view_event(staff_client, olivia, sam, campaign, consumer_line,
                                                         settlement_dept):
    callback = _callback(olivia, campaign, consumer_line, settlement_dept)
    CallbackRequest.objects.filter(pk=callback.pk).update(purged_at=timezone.now(), name="", inquiry="", phone="")
    html = staff_client(sam).get(reverse("callcenter:callback_list")).content.decode()
    assert str(callback) in html
    assert not AuditEvent.objects.filter(action="callback.view").exists()


# 4. A blank duration is unknown; the console has a timer -----------------------------------------------------

def test_a_blank_duration_is_stored_as_unknown_and_shown_as_a_dash(staff_client, olivia, campaign, consumer_line):
    client = staff_client(olivia)
    assert _post(client, consumer_line, duration_minutes="").status_code == 302
    call = CallRecord.objects.get()
    assert call.duration_seconds is None
    html = client.get(reverse("callcenter:call_detail", args=[call.pk])).content.decode()
    assert "<dd>—</dd>" in html


def test_an_entered_duration_is_kept_in_seconds(staff_client, olivia, campaign, consumer_line):
    client = staff_client(olivia)
    _post(client, consumer_line, duration_minutes="0")
    _post(client, consumer_line, duration_minutes="1.5")
    assert sorted(CallRecord.objects.values_list("duration_seconds", flat=True)) == [0, 90]


def test_the_service_takes_no_duration_as_unknown(olivia, campaign, consumer_line):
    call = services.call_log(actor=olivia, campaign=campaign, line=consumer_line, caller_type="resident",
                             summary="問い合わせ", response_type="answered")
    assert CallRecord.objects.get(pk=call.pk).duration_seconds is None


def test_the_console_has_a_call_timer_that_fills_the_duration(staff_client, olivia, campaign, consumer_line):
    html = staff_client(olivia).get(reverse("callcenter:console")).content.decode()
    # Hidden until the script shows it, so the page works without JavaScript.
    assert 'id="call-timer" hidden' in html and 'getElementById("id_duration_minutes")' in html
    assert 'name="duration_minutes"' in html


# 5. Phone numbers in one form ---------------------------------------------------------------------------------

@pytest.mark.parametrize("typed, stored", [
    ("０８５７－２２－１２３４", "0857-22-1234"),
    ("0857ー22ー1234", "0857-22-1234"),
    ("(0857) 22−1234", "085722-1234"),
    (" 090-1234-5678 ", "090-1234-5678"),
])
def test_phone_numbers_are_normalised(typed, stored):
    assert services.phone_normalize(typed) == stored


def test_a_full_width_phone_is_stored_half_width(staff_client, olivia, campaign, consumer_line, settlement_dept):
    response = _post(staff_client(olivia), consumer_line, response_type="callback", department=settlement_dept.pk,
                     cb_name="山田花子", cb_phone="０８５７－２２－１２３４", cb_fax="０８５７－２２－９９９９",
                     cb_inquiry="折り返し希望")
    assert response.status_code == 302
    callback = CallbackRequest.objects.get()
    assert (callback.phone, callback.fax) == ("0857-22-1234", "0857-22-9999")


def test_a_phone_without_digits_is_refused_and_nothing_saved(staff_client, olivia, campaign, consumer_line,
                                                             settlement_dept):
    response = _post(staff_client(olivia), consumer_line, response_type="callback", department=settlement_dept.pk,
                     cb_name="山田花子", cb_phone="ひるま", cb_inquiry="折り返し希望")
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert CallRecord.objects.count() == 0 and CallbackRequest.objects.count() == 0
    with pytest.raises(services.CallCenterError) as excinfo, translation.override("en"):
        _callback(olivia, campaign, consumer_line, settlement_dept, phone="ひるま")
    assert "needs digits" in str(excinfo.value)

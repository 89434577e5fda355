"""An operator searches the FAQ while logging a call and escalates it; the public FAQ page passes axe."""

from __future__ import annotations

import re

import pytest

from callcenter.models import CallRecord, Escalation
from tests.e2e.test_accessibility import axe_violations
from tests.e2e.test_job_progress import _login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_operator_searches_the_faq_while_logging_a_call_and_escalates(page, live_server, campaign, olivia,
                                                                       consumer_line, settlement_dept, faq_set):
    _login(page, live_server, olivia)
    page.goto("/staff/callcenter/")
    page.locator("#id_summary").fill("換金した代金の振込が遅れている")
    page.locator("#faq-q").fill("いつ振り込まれる")
    first = page.locator("#faq-results .cc-result").first
    first.wait_for()
    assert "振込" in first.inner_text()
    assert page.locator("#faq-results mark").count() >= 1
    first.locator(".cc-pick").click()
    assert page.locator("#faq-picked li").count() == 1
    assert page.locator("#id_answer").input_value() != ""
    page.locator("input[name=response_type][value=escalated]").check()
    page.locator("#id_department").select_option(str(settlement_dept.pk))
    page.locator("#id_priority").select_option("high")
    page.locator("#call-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/staff/callcenter/$"))
    call = CallRecord.objects.get()
    assert call.response_type == "escalated" and call.faq_items.get().external_id == "faq-028"
    escalation = Escalation.objects.get(call=call)
    assert escalation.department == settlement_dept and escalation.priority == "high"
    assert page.locator(f"a[href='/staff/callcenter/escalations/{escalation.pk}/']").count() == 1


def test_public_faq_page_has_no_violations_and_searches(page, live_server, campaign, faq_set):
    page.goto("/faq/")
    assert page.get_by_role("heading", level=1).count() == 1
    assert axe_violations(page) == []
    page.locator("#faq-public-q").fill("はらいもどし")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/faq/\?q="))
    assert "払い戻し" in page.locator(".cc-faq").first.inner_text()
    assert axe_violations(page) == []

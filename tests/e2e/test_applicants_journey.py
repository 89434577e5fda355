"""Counter staff follow an applicant: record a status, undo it after the confirmation (both entries stay, the
status goes back), then export the list and download the file from the job page."""

from __future__ import annotations

import re

import pytest

from campaign import roles
from reservations import services_applicants as applicants
from reservations.models import ProgressEvent
from reservations.selectors_applicants import current_status
from tests.conftest import make_staff
from tests.e2e.test_accessibility import axe_violations
from tests.e2e.test_job_progress import _login
from tests.reservations.applicant_helpers import applicant_settings, make_applicant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_undo_a_status_change_and_export_the_list(page, live_server, resv, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    applicant_settings(resv["campaign"])
    user = make_staff("madoguchi", roles.COUNTER_STAFF)
    a = make_applicant(resv["campaign"], user)
    make_applicant(resv["campaign"], user, name="米子 太郎", kana="ヨナゴ タロウ")
    applicants.progress_append(applicant=a, status="notice_sent", actor=user)
    _login(page, live_server, user)

    page.goto("/staff/reservations/applicants/")
    assert axe_violations(page) == []
    page.get_by_role("link", name=str(a.pk), exact=True).click()
    assert page.get_by_test_id("current-status").inner_text() == "通知発送済み"
    page.get_by_label("新しい状況").select_option("returned")
    page.get_by_role("button", name="状況を登録").click()
    assert page.get_by_test_id("current-status").inner_text() == "郵便返戻"
    assert axe_violations(page) == []

    page.get_by_role("link", name=re.compile("取消 郵便返戻")).click()
    assert axe_violations(page) == []
    page.get_by_label("取消の理由").fill("入力誤り")
    page.get_by_role("button", name="取り消す").click()
    assert page.get_by_test_id("current-status").inner_text() == "通知発送済み"
    history = page.get_by_test_id("history").inner_text()
    assert "「郵便返戻」の取消" in history and "（取消済み）" in history and "入力誤り" in history
    assert ProgressEvent.objects.filter(applicant=a).count() == 3
    assert current_status(a).code == "notice_sent"

    page.goto("/staff/reservations/applicants/")
    page.get_by_label("形式").select_option("csv_utf8")
    page.get_by_role("button", name="出力", exact=True).click()
    link = page.get_by_test_id("job-download")
    link.wait_for()
    with page.expect_download() as info:
        link.click()
    text = open(info.value.path(), "rb").read().decode("utf-8-sig")
    assert "鳥取 花子" in text and "米子 太郎" in text and "通知発送済み" in text

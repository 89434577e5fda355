"""The job page polls with htmx and offers the download when the job finishes, without a reload."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from campaign.models import Job
from tests.conftest import make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, live_server, user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.conftest import PASSWORD, current_totp

    page.goto("/staff/login/")
    page.get_by_label("ユーザー名").fill(user.username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="次へ").click()
    page.get_by_label("確認コード").fill(current_totp(TOTPDevice.objects.get(user=user)))
    page.get_by_role("button", name="確認").click()
    page.wait_for_url(re.compile(r"/staff/$"))


def test_progress_updates_and_download_appears(page, live_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    user = make_staff("ume", "auditor")
    job = Job.objects.create(kind="audit_export", owner=user, status=Job.Status.RUNNING, progress=10)
    _login(page, live_server, user)
    page.goto(f"/staff/jobs/{job.public_id}/")
    assert page.get_by_test_id("job-state").inner_text() == "実行中"
    assert page.get_by_test_id("job-download").count() == 0

    Job.objects.filter(pk=job.pk).update(progress=60)
    page.wait_for_function("document.querySelector('progress').value == 60")

    job.result_file.save("audit.csv", ContentFile("日時,操作\r\n".encode("utf-8-sig")), save=False)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.SUCCEEDED, progress=100, result_file=job.result_file.name,
                                         result_name="audit.csv", finished_at=timezone.now(),
                                         expires_at=timezone.now() + timedelta(hours=1))
    link = page.get_by_test_id("job-download")
    link.wait_for()
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == "audit.csv"
    assert open(download.path(), "rb").read().startswith(b"\xef\xbb\xbf")

"""Background jobs: campaign picker, progress page, file retention."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from campaign.jobs import job_purge_expired, job_set_progress
from campaign.models import Campaign, Job

pytestmark = pytest.mark.django_db


def test_staff_pick_the_current_campaign(staff_client, bob, campaign):
    other = Campaign.objects.create(code="OTHER", name="別キャンペーン", prefecture="13", serial_prefix=13,
                                    sales_start="2025-01-01",
                                    sales_end="2025-02-01", usage_start="2025-01-01", usage_end="2025-03-01",
                                    settlement_deadline="2025-04-01")
    client = staff_client(bob)
    assert client.get(reverse("staff:home")).context["current_campaign"] == campaign  # newest active by default
    response = client.post(reverse("staff:campaign_select"), {"campaign": other.pk, "next": "/staff/audit/"})
    assert response.status_code == 302
    page = client.get(reverse("staff:home"))
    assert page.context["current_campaign"] == other
    assert "別キャンペーン" in page.content.decode()
    # An unknown campaign is refused with a message and changes nothing.
    client.post(reverse("staff:campaign_select"), {"campaign": 999999})
    assert client.get(reverse("staff:home")).context["current_campaign"] == other


def test_the_progress_fragment_polls_until_the_job_is_finished(staff_client, carol):
    job = Job.objects.create(kind="audit_export", owner=carol, status=Job.Status.RUNNING)
    job_set_progress(job.pk, 42, "420 / 1000")
    client = staff_client(carol)
    running = client.get(reverse("staff:job_status", args=[job.public_id])).content.decode()
    assert 'hx-trigger="every 1s"' in running
    assert 'value="42"' in running and "420 / 1000" in running
    assert reverse("staff:job_download", args=[job.public_id]) not in running


def test_progress_is_clamped_to_0_100(carol):
    job = Job.objects.create(kind="audit_export", owner=carol)
    job_set_progress(job.pk, 250)
    job.refresh_from_db()
    assert job.progress == 100


def test_expired_files_are_deleted_but_the_job_row_stays(carol, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    job = Job.objects.create(kind="audit_export", owner=carol, status=Job.Status.SUCCEEDED,
                             expires_at=timezone.now() - timedelta(minutes=1), result_name="x.csv")
    job.result_file.save("x.csv", ContentFile(b"a,b\r\n"))
    path = job.result_file.path
    fresh = Job.objects.create(kind="audit_export", owner=carol, status=Job.Status.SUCCEEDED,
                               expires_at=timezone.now() + timedelta(hours=1), result_name="y.csv")
    fresh.result_file.save("y.csv", ContentFile(b"c\r\n"))

    assert job_purge_expired() == 1
    job.refresh_from_db()
    fresh.refresh_from_db()
    assert not job.result_file and fresh.result_file
    import os

    assert not os.path.exists(path)
    assert os.path.exists(fresh.result_file.path)

"""A job travels through Redis to a real Celery worker process and back, with its file."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import openpyxl
import pytest
from django.conf import settings
from django.db import connection

from campaign.audit import audit_log
from campaign.env import database_url
from campaign.jobs import job_start
from campaign.models import Job


def _drop_connections(app) -> None:
    # Connection and producer pools are bound to the broker URL they were made with; kombu also keeps
    # process-wide pools keyed by connection. Start both afresh.
    from kombu import pools

    app._pool = None
    app.amqp._producer_pool = None
    pools.reset()


def _wait_until_ready(proc, log_path, timeout: float = 120) -> None:
    """The worker imports Django and every task module before it listens; on a busy two-core CI machine that took
    30 s once, longer than the test gives the job. The job's clock starts when the worker says it is ready."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the Celery worker exited with {proc.returncode}: {log_path.read_text()[-2000:]}")
        if " ready." in log_path.read_text():
            return
        time.sleep(0.2)
    pytest.fail(f"the Celery worker was not ready after {timeout:.0f} s: {log_path.read_text()[-2000:]}")


@pytest.fixture
def worker(redis_url, tmp_path, settings):
    from campaign.celery import app

    settings.MEDIA_ROOT = tmp_path
    env = dict(os.environ, DATABASE_URL=database_url(connection.settings_dict), REDIS_URL=redis_url, MEDIA_ROOT=str(tmp_path))
    log = open(tmp_path / "worker.log", "w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "campaign", "worker", "--pool=solo", "--without-mingle",
         "--without-gossip", "-l", "info"],
        cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    old_broker = app.conf.broker_url
    app.conf.broker_url = redis_url
    app.conf.task_always_eager = False
    _drop_connections(app)
    try:
        _wait_until_ready(proc, tmp_path / "worker.log")
        yield proc
    finally:
        app.conf.broker_url = old_broker
        _drop_connections(app)
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.seek(0)
        print(log.read()[-4000:])
        log.close()


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_an_export_job_runs_on_a_real_worker(worker, alice):
    for n in range(30):
        audit_log(actor=alice, action="lot.create", target_label=f"ロット{n}")
    job = job_start(actor=alice, kind="audit_export", params={"format": "xlsx", "filter": {"action": "lot."}})
    # The job row is committed (transactional test), so on_commit sent the task to Redis.

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_finished:
            break
        assert worker.poll() is None, "the worker died"
        time.sleep(0.3)
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert job.started_at is not None and job.finished_at >= job.started_at
    with job.result_file.open("rb") as handle:
        rows = list(openpyxl.load_workbook(handle).active.iter_rows(values_only=True))
    assert len(rows) == 31
    assert {row[5] for row in rows[1:]} == {f"ロット{n}" for n in range(30)}
    assert str(settings.MEDIA_ROOT) in job.result_file.path

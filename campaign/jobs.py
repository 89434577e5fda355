"""Background jobs: long work behind a ``Job`` row with progress and a downloadable result file.

A job kind is a function registered with ``@job_kind``. It receives the job and a ``progress`` callback and
writes its result into the file it is handed; ``job_start`` creates the row and enqueues the Celery task
after the transaction commits, and ``job_execute`` (called by the task) runs the function and stores the file.
Without REDIS_URL the task runs inline, so the same code path serves the demo.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import BinaryIO

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.audit import audit_log
from campaign.errors import DomainError
from campaign.models import Campaign, Job
from campaign.roles import has_capability

logger = logging.getLogger(__name__)

Progress = Callable[[int, str], None]


class JobError(DomainError):
    """A job failed for a reason the user should read (shown on the progress page)."""


@dataclass(frozen=True)
class JobKind:
    code: str
    label: str
    capability: str
    run: Callable[[Job, BinaryIO, Progress], str]
    """Writes the result into the binary file and returns the download file name."""


_KINDS: dict[str, JobKind] = {}


def job_kind(code: str, *, label, capability: str):
    """Register a job kind. ``capability`` is what a user needs to start it and to download its result."""

    def decorator(func):
        _KINDS[code] = JobKind(code=code, label=label, capability=capability, run=func)
        return func

    return decorator


def get_kind(code: str) -> JobKind:
    try:
        return _KINDS[code]
    except KeyError:
        raise JobError(_("Unknown job kind: %(kind)s") % {"kind": code}) from None


def job_start(*, actor, kind: str, params: dict | None = None, campaign: Campaign | None = None,
              request=None) -> Job:
    """Create a queued job and enqueue it once the current transaction commits."""
    job_kind_ = get_kind(kind)
    if not has_capability(actor, job_kind_.capability):
        raise PermissionError(kind)
    with transaction.atomic():
        job = Job.objects.create(kind=kind, params=params or {}, owner=actor, campaign=campaign)
        audit_log(actor=actor, action="job.start", target=job, data={"kind": kind, "params": job.params},
                  request=request, campaign=campaign)
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    from campaign.tasks import run_job

    run_job.delay(job_id)


def job_set_progress(job_id: int, percent: int, message: str = "") -> None:
    """Write progress outside any transaction so the polling page sees it at once."""
    percent = max(0, min(100, int(percent)))
    Job.objects.filter(pk=job_id).update(progress=percent, message=message[:500])


def job_execute(job_id: int) -> Job:
    """Run a queued job to the end. Safe to call twice: only a queued job is started."""
    claimed = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=timezone.now(), progress=0
    )
    job = Job.objects.get(pk=job_id)
    if not claimed:
        return job
    kind = get_kind(job.kind)
    fd, tmp_path = tempfile.mkstemp(prefix=f"job-{job.pk}-")
    try:
        with os.fdopen(fd, "w+b") as handle:
            filename = kind.run(job, handle, lambda pct, msg="": job_set_progress(job.pk, pct, msg))
        with open(tmp_path, "rb") as handle:
            job.result_file.save(filename, File(handle), save=False)
        now = timezone.now()
        job.result_name = filename
        job.status = Job.Status.SUCCEEDED
        job.progress = 100
        job.message = ""
        job.finished_at = now
        job.expires_at = now + timedelta(hours=settings.JOB_FILE_RETENTION_HOURS)
        job.save(update_fields=["result_file", "result_name", "status", "progress", "message", "finished_at",
                                "expires_at"])
    except Exception as exc:
        logger.exception("job %s (%s) failed", job.pk, job.kind)
        message = str(exc) if isinstance(exc, JobError) else _("The job failed unexpectedly. Please try again "
                                                               "or contact the system administrator.")
        Job.objects.filter(pk=job.pk).update(status=Job.Status.FAILED, message=message[:500],
                                             finished_at=timezone.now())
        job.refresh_from_db()
    finally:
        if os.path.exists(tmp_path):
            os.unlink(tmp_path)
    return job


def job_purge_expired(*, now=None) -> int:
    """Delete result files whose retention has passed; the job rows stay as a record. Returns the count."""
    now = now or timezone.now()
    count = 0
    for job in Job.objects.filter(expires_at__lte=now).exclude(result_file=""):
        job.result_file.delete(save=False)
        Job.objects.filter(pk=job.pk).update(result_file="")
        count += 1
    return count


def can_view(user, job: Job) -> bool:
    """The owner sees the progress of their own jobs; a system administrator sees every job."""
    return bool(user.is_authenticated and (user.is_superuser or job.owner_id == user.pk))


def can_download(user, job: Job) -> bool:
    """Downloading also needs the capability the kind requires, held now (a role may have been withdrawn)."""
    if not can_view(user, job):
        return False
    return user.is_superuser or has_capability(user, get_kind(job.kind).capability)

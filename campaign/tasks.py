"""Celery tasks: thin wrappers that load by id and call the service."""

from celery import shared_task

from campaign.jobs import job_execute, job_purge_expired


@shared_task(name="campaign.tasks.run_job")
def run_job(job_id: int) -> str:
    return job_execute(job_id).status


@shared_task(name="campaign.tasks.purge_expired_jobs")
def purge_expired_jobs() -> int:
    return job_purge_expired()

from celery import shared_task

from settlement import services


@shared_task(name="settlement.tasks.purge_expired_personal_data")
def purge_expired_personal_data() -> int:
    return services.representatives_purge()

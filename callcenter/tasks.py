from celery import shared_task

from callcenter import services


@shared_task(name="callcenter.tasks.purge_callback_personal_data")
def purge_callback_personal_data() -> int:
    """Daily: erase callback requests' personal data a year after collection, with its copies."""
    return services.callbacks_purge()

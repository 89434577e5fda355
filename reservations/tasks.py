from celery import shared_task

from reservations import mail, services
from reservations.models import Reservation


@shared_task(name="reservations.tasks.send_confirmation")
def send_confirmation(reservation_id: int, access_key: str = "") -> None:
    reservation = Reservation.objects.select_related("slot", "slot__counter").filter(pk=reservation_id).first()
    if reservation is not None:
        mail.send_confirmation(reservation, access_key)


@shared_task(name="reservations.tasks.flag_no_shows")
def flag_no_shows() -> int:
    return services.reservations_flag_no_shows()


@shared_task(name="reservations.tasks.purge_expired_personal_data")
def purge_expired_personal_data() -> int:
    return services.reservations_purge_personal_data()


@shared_task(name="reservations.tasks.purge_expired_applicants")
def purge_expired_applicants() -> int:
    from reservations.services_applicants import applicants_purge_personal_data

    return applicants_purge_personal_data()

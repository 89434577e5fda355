from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReservationsConfig(AppConfig):
    name = "reservations"
    verbose_name = _("Counter reservations")

    def ready(self):
        from reservations import (
            jobs,  # noqa: F401  (registers the job kinds)
            jobs_applicants,  # noqa: F401
            signals,
        )
        from reservations import services_applicants as applicants

        # Booking with a link code appends "reserved", arrival "visited"; a cancellation frees the code.
        signals.reservation_booked.connect(applicants.on_reservation_booked, dispatch_uid="applicant_booked")
        signals.reservation_arrived.connect(applicants.on_reservation_arrived, dispatch_uid="applicant_arrived")
        signals.reservation_cancelled.connect(applicants.on_reservation_cancelled, dispatch_uid="applicant_cancelled")

        # The six system statuses exist after every migrate, and after a test database flush as well.
        from django.db.models.signals import post_migrate

        post_migrate.connect(_ensure_statuses, sender=self, dispatch_uid="reservations_statuses")


def _ensure_statuses(sender, using="default", **kwargs) -> None:
    from reservations import services_applicants

    services_applicants.statuses_ensure()

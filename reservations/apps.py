from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReservationsConfig(AppConfig):
    name = "reservations"
    verbose_name = _("Counter reservations")

    def ready(self):
        from reservations import jobs  # noqa: F401  (registers the job kinds)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CallcenterConfig(AppConfig):
    name = "callcenter"
    verbose_name = _("Call center")

    def ready(self) -> None:
        from callcenter import jobs  # noqa: F401  (registers the job kinds)

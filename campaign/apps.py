from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CampaignConfig(AppConfig):
    default = True
    name = "campaign"
    verbose_name = _("Campaign core")

    def ready(self) -> None:
        # Register job kinds so that web processes and workers know them.
        from campaign import audit_export  # noqa: F401

        # After every app's migrate (not only ours): the permissions of apps migrated later must exist first.
        post_migrate.connect(_sync_role_permissions, dispatch_uid="campaign.sync_role_permissions")


def _sync_role_permissions(sender, **kwargs) -> None:
    # Model permissions for the admin site follow the role matrix; run after every migrate (idempotent).
    from campaign.permissions_sync import sync_role_permissions

    sync_role_permissions()


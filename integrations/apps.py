from django.apps import AppConfig
from django.db.models.signals import post_migrate


class IntegrationsConfig(AppConfig):
    name = "integrations"

    def ready(self) -> None:
        from integrations.roles import grant_integration_permissions

        # After accounts' sync_roles (INSTALLED_APPS order), which creates the groups.
        post_migrate.connect(
            grant_integration_permissions,
            sender=self,
            dispatch_uid="integrations.grant_integration_permissions",
        )

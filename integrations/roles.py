"""Who manages webhook subscriptions: the service and staff roles (accounts/roles.py), given
this app's permission here so that accounts need not know the app above it."""

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission

MANAGE_WEBHOOKS = "integrations.manage_webhooks"
ROLES_MANAGING_WEBHOOKS = ["service", "staff"]
# Support reads every back-office row; staff edit subscriptions in the admin too.
SUPPORT_VIEWS = ["view_notification", "view_webhooksubscription", "view_webhookdelivery"]
STAFF_EDITS = ["add_webhooksubscription", "change_webhooksubscription", "view_webhookattempt"]


def grant_integration_permissions(**kwargs) -> None:
    create_permissions(apps.get_app_config("integrations"), verbosity=0)
    own = Permission.objects.filter(content_type__app_label="integrations")
    manage = own.get(codename=MANAGE_WEBHOOKS.split(".")[1])
    for role in ROLES_MANAGING_WEBHOOKS:
        Group.objects.get_or_create(name=role)[0].permissions.add(manage)
    views = list(own.filter(codename__in=[*SUPPORT_VIEWS, "view_webhookattempt"]))
    Group.objects.get_or_create(name="support")[0].permissions.add(*views)
    Group.objects.get_or_create(name="staff")[0].permissions.add(
        *views, *own.filter(codename__in=STAFF_EDITS)
    )

"""Roles are Django groups holding permissions; API checks ask for permissions, not roles.

- customer: no permissions; acts on their own wallet only.
- service: an integration account; credits any wallet (earn, top-up, bonus), places
  holds, reports activity. Reads other users' history only if granted view_any_wallet.
- support: reads everything, moves nothing.
- staff: everything.
"""

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission

CUSTOMER = "customer"
SERVICE = "service"
SUPPORT = "support"
STAFF = "staff"

VIEW_ANY_WALLET = "ledger.view_any_wallet"
CREDIT_ANY_WALLET = "ledger.credit_any_wallet"
DEBIT_ANY_WALLET = "ledger.debit_any_wallet"
HOLD_ANY_WALLET = "ledger.hold_any_wallet"
REVERSE_TRANSACTION = "ledger.reverse_transaction"
REPORT_ACTIVITY = "ledger.report_activity"

ROLE_PERMISSIONS: dict[str, list[str]] = {
    CUSTOMER: [],
    SERVICE: [CREDIT_ANY_WALLET, HOLD_ANY_WALLET, REPORT_ACTIVITY],
    SUPPORT: [VIEW_ANY_WALLET],
    STAFF: [
        VIEW_ANY_WALLET,
        CREDIT_ANY_WALLET,
        DEBIT_ANY_WALLET,
        HOLD_ANY_WALLET,
        REVERSE_TRANSACTION,
        REPORT_ACTIVITY,
    ],
}


def sync_roles(**kwargs) -> None:
    """Create the role groups with their permissions (run after every migrate and flush)."""
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = [
            Permission.objects.get(
                content_type__app_label=perm.split(".")[0], codename=perm.split(".")[1]
            )
            for perm in perms
        ]
        group.permissions.add(*wanted)


def acts_for_others(user) -> bool:
    """Whether the user holds any permission over other users' wallets."""
    return any(user.has_perm(perm) for perm in ROLE_PERMISSIONS[STAFF])

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

from ledger.permissions import (
    CREDIT_ANY_WALLET,
    DEBIT_ANY_WALLET,
    FREEZE_WALLET,
    HOLD_ANY_WALLET,
    REPORT_ACTIVITY,
    REVERSE_TRANSACTION,
    RUN_RECONCILE,
    VIEW_ANY_WALLET,
)

CUSTOMER = "customer"
SERVICE = "service"
SUPPORT = "support"
STAFF = "staff"


# Apps whose rows the back office shows; support and staff may view all of them.
BACK_OFFICE_APPS = ["accounts", "ledger", "wallets", "rewards", "payments", "jobs"]
# What staff may edit in the admin: configuration, never ledger rows (those are read-only
# for everyone; value moves only through the admin actions).
STAFF_EDITS = [
    "accounts.add_user",
    "accounts.change_user",
    "ledger.add_asset",
    "ledger.change_asset",
    "ledger.add_conversionrate",
    "ledger.change_conversionrate",
    *[
        f"rewards.{verb}_{model}"
        for verb in ("add", "change")
        for model in ("task", "item", "reward", "earningrule", "milestone", "campaign")
    ],
]

WALLET_POWERS = [
    VIEW_ANY_WALLET,
    CREDIT_ANY_WALLET,
    DEBIT_ANY_WALLET,
    HOLD_ANY_WALLET,
    REVERSE_TRANSACTION,
    REPORT_ACTIVITY,
]


# Money in and out (payments/models.py): refunds, payment look-ups, payouts, approvals.
REFUND_PAYMENT = "payments.refund_payment"
VIEW_ANY_PAYMENT = "payments.view_any_payment"
MANAGE_WITHDRAWALS = "payments.manage_withdrawals"
DECIDE_APPROVAL = "payments.decide_approval"
# Back-office jobs (jobs/): starting a bulk transfer or a campaign from the admin.
START_JOB = "jobs.start_job"

ROLE_PERMISSIONS: dict[str, list[str]] = {
    CUSTOMER: [],
    SERVICE: [
        CREDIT_ANY_WALLET,
        HOLD_ANY_WALLET,
        REPORT_ACTIVITY,
        REFUND_PAYMENT,
        VIEW_ANY_PAYMENT,
    ],
    SUPPORT: [VIEW_ANY_WALLET, VIEW_ANY_PAYMENT],
    STAFF: [
        *WALLET_POWERS,
        FREEZE_WALLET,
        RUN_RECONCILE,
        *STAFF_EDITS,
        REFUND_PAYMENT,
        VIEW_ANY_PAYMENT,
        MANAGE_WITHDRAWALS,
        DECIDE_APPROVAL,
        START_JOB,
    ],
}
VIEWS_BACK_OFFICE = {SUPPORT, STAFF}


def sync_roles(**kwargs) -> None:
    """Create the role groups with their permissions (run after every migrate and flush)."""
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    views = Permission.objects.filter(
        content_type__app_label__in=BACK_OFFICE_APPS, codename__startswith="view_"
    )
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = [
            Permission.objects.get(
                content_type__app_label=perm.split(".")[0], codename=perm.split(".")[1]
            )
            for perm in perms
        ]
        group.permissions.add(*wanted)
        if role in VIEWS_BACK_OFFICE:
            group.permissions.add(*views)


# What makes a user powerful; only may_edit_roles may change them.
ROLE_FIELDS = ["is_staff", "is_superuser", "groups", "user_permissions"]


def may_edit_roles(editor, user) -> bool:
    """Only a superuser changes a user's role fields, and never their own: no session,
    however privileged, widens (or narrows) itself. `user` None is a user being added."""
    return editor.is_superuser and (user is None or user.pk != editor.pk)


def may_manage_user(editor, user) -> bool:
    """Whether editor may change or delete user's account at all (profile, password).

    A non-superuser may manage themselves and users with no power beyond their own:
    resetting a stronger account's password would hand them its power.
    """
    if editor.is_superuser or user is None or user.pk == editor.pk:
        return True
    if user.is_superuser or (user.is_staff and not editor.is_staff):
        return False
    return user.get_all_permissions() <= editor.get_all_permissions()


def acts_for_others(user) -> bool:
    """Whether the user holds any permission over other users' wallets."""
    return any(user.has_perm(perm) for perm in WALLET_POWERS)

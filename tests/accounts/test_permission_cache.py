"""accounts.backends.CachedPermissionsBackend: each user's permission set from process
memory, dropped as soon as a role, a membership or a user's own permissions change.

Django also caches permissions on the user object, so each check here loads the user
again, as authentication does on every request."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from accounts import roles
from accounts.models import User
from tests.api import API, client_for
from tests.factories import create_role_user, create_user

pytestmark = pytest.mark.django_db


# Created in a committed transaction, as in production: a role change that has not
# committed keeps this thread from caching anything (see core.cache.ProcessCache.put).
@pytest.fixture
def staff(assets, django_capture_on_commit_callbacks) -> User:
    with django_capture_on_commit_callbacks(execute=True):
        return create_role_user(roles.STAFF)


@pytest.fixture
def alice(assets, django_capture_on_commit_callbacks) -> User:
    with django_capture_on_commit_callbacks(execute=True):
        return create_user("alice@example.com")


class Boom(Exception):
    pass


def may(user: User, perm: str = roles.VIEW_ANY_WALLET) -> bool:
    return User.objects.get(pk=user.pk).has_perm(perm)


def permission(name: str) -> Permission:
    app_label, codename = name.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def test_permissions_are_served_from_memory_once_read(staff, django_assert_num_queries):
    may(staff)
    fresh = User.objects.get(pk=staff.pk)

    with django_assert_num_queries(0):
        assert fresh.has_perm(roles.VIEW_ANY_WALLET)
        assert not fresh.has_perm("ledger.delete_entry")


def test_removing_a_user_from_staff_takes_effect_at_once(
    staff, alice, django_capture_on_commit_callbacks
):
    client = client_for(staff)
    assert client.get(f"{API}wallets/{alice.pk}").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        staff.groups.remove(Group.objects.get(name=roles.STAFF))

    assert not may(staff)
    assert client.get(f"{API}wallets/{alice.pk}").status_code == 404


def test_removal_is_seen_before_its_transaction_commits(staff):
    may(staff)

    with transaction.atomic():
        staff.groups.remove(Group.objects.get(name=roles.STAFF))
        assert not may(staff)


def test_a_permission_added_to_a_group_is_seen(alice, django_capture_on_commit_callbacks):
    assert not may(alice)

    with django_capture_on_commit_callbacks(execute=True):
        Group.objects.get(name=roles.CUSTOMER).permissions.add(permission(roles.VIEW_ANY_WALLET))

    assert may(alice)


def test_a_permission_given_to_the_user_is_seen(alice, django_capture_on_commit_callbacks):
    assert not may(alice)

    with django_capture_on_commit_callbacks(execute=True):
        alice.user_permissions.add(permission(roles.VIEW_ANY_WALLET))

    assert may(alice)


def test_a_deleted_group_no_longer_grants_its_permissions(
    alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        auditors = Group.objects.create(name="auditors")
        auditors.permissions.add(permission(roles.VIEW_ANY_WALLET))
        alice.groups.add(auditors)
    assert may(alice)

    with django_capture_on_commit_callbacks(execute=True):
        auditors.delete()

    assert not may(alice)


def test_a_group_change_rolled_back_leaves_no_wrong_answer(staff):
    assert may(staff)

    with pytest.raises(Boom), transaction.atomic():
        staff.groups.remove(Group.objects.get(name=roles.STAFF))
        assert not may(staff)  # read inside the change: must not be kept
        raise Boom

    assert may(staff)


def test_a_superuser_is_not_answered_from_the_cached_set(alice):
    assert not may(alice, "ledger.delete_entry")

    User.objects.filter(pk=alice.pk).update(is_superuser=True)

    # has_perm answers True for any active superuser before asking a backend
    assert "ledger.delete_entry" in User.objects.get(pk=alice.pk).get_all_permissions()


def test_an_inactive_user_has_no_permissions_whatever_is_cached(staff):
    assert may(staff)

    User.objects.filter(pk=staff.pk).update(is_active=False)

    assert not may(staff)
    assert User.objects.get(pk=staff.pk).get_all_permissions() == set()

"""Only a superuser changes roles (superuser and staff flags, groups, permissions), never
their own; crafted admin POSTs get nothing more than the form offers."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.models import RefreshTokenFamily, User
from accounts.services import issue_token_pair
from tests.api import API, client_for
from tests.backoffice.conftest import back_office_user

pytestmark = pytest.mark.django_db


def change_url(user: User) -> str:
    return reverse("admin:accounts_user_change", args=[user.pk])


def crafted_change(user: User, *, name: str, **roles) -> dict:
    """A change form for `user` that also claims every role there is."""
    data = {
        "email": user.email,
        "name": name,
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "last_login_0": "",
        "last_login_1": "",
        "is_staff": "on",
        "is_superuser": "on",
        "groups": [str(group.pk) for group in Group.objects.all()],
        "user_permissions": [
            str(pk) for pk in Permission.objects.all().values_list("pk", flat=True)
        ],
    }
    data.update(roles)
    return data


def roles_of(user: User) -> tuple:
    user = User.objects.get(pk=user.pk)
    return (
        user.is_staff,
        user.is_superuser,
        sorted(user.groups.values_list("name", flat=True)),
        user.user_permissions.count(),
    )


def desk(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def staff_member(assets) -> User:
    return back_office_user("staff")


@pytest.fixture
def root(assets) -> User:
    return User.objects.create_superuser(email="root@example.com", password="root-pw-12345")


def test_staff_posting_their_own_form_with_superuser_on_gets_no_role(staff_member):
    before = roles_of(staff_member)

    response = desk(staff_member).post(
        change_url(staff_member), crafted_change(staff_member, name="Renamed")
    )

    assert response.status_code == 302  # saved: the name is theirs to change
    assert User.objects.get(pk=staff_member.pk).name == "Renamed"
    assert roles_of(staff_member) == before


def test_staff_cannot_grant_roles_to_a_customer(staff_member, alice):
    before = roles_of(alice)

    response = desk(staff_member).post(change_url(alice), crafted_change(alice, name="Alice"))

    assert response.status_code == 302
    assert User.objects.get(pk=alice.pk).name == "Alice"
    assert roles_of(alice) == before


def test_staff_change_form_shows_roles_read_only(staff_member, alice):
    form = desk(staff_member).get(change_url(alice)).context["adminform"].form

    assert not {"is_staff", "is_superuser", "groups", "user_permissions"} & set(form.fields)


def test_a_superuser_grants_roles_to_another_user(root, alice):
    staff_group = Group.objects.get(name="staff")

    response = desk(root).post(
        change_url(alice),
        crafted_change(alice, name="Alice", is_superuser="", groups=[str(staff_group.pk)]),
    )

    assert response.status_code == 302
    is_staff, is_superuser, groups, _ = roles_of(alice)
    assert (is_staff, is_superuser, groups) == (True, False, ["staff"])


def test_a_superuser_cannot_change_their_own_roles(root):
    before = roles_of(root)

    response = desk(root).post(change_url(root), crafted_change(root, name="Root", is_staff=""))

    assert response.status_code == 302
    assert User.objects.get(pk=root.pk).name == "Root"
    assert roles_of(root) == before


@pytest.mark.parametrize("target", ["superuser", "other staff"])
def test_staff_cannot_edit_or_reset_the_password_of_a_more_powerful_user(
    staff_member, root, target
):
    other = root if target == "superuser" else back_office_user("support")
    other.user_permissions.add(Permission.objects.get(codename="delete_user"))
    client = desk(staff_member)
    password_url = reverse("admin:auth_user_password_change", args=[other.pk])

    changed = client.post(change_url(other), crafted_change(other, name="Taken"))
    reset = client.post(password_url, {"password1": "new-pass-4567", "password2": "new-pass-4567"})

    assert (changed.status_code, reset.status_code) == (403, 403)
    assert User.objects.get(pk=other.pk).check_password("new-pass-4567") is False
    assert User.objects.get(pk=other.pk).name != "Taken"


def test_staff_may_still_reset_a_customers_password(staff_member, alice):
    password_url = reverse("admin:auth_user_password_change", args=[alice.pk])

    response = desk(staff_member).post(
        password_url, {"password1": "new-pass-4567", "password2": "new-pass-4567"}
    )

    assert response.status_code == 302
    assert User.objects.get(pk=alice.pk).check_password("new-pass-4567")


@pytest.fixture
def group_editor(staff_member) -> User:
    """A staff member someone also gave every group permission."""
    staff_member.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_group", "change_group", "delete_group"])
    )
    return User.objects.get(pk=staff_member.pk)


def test_a_non_superuser_cannot_add_permissions_to_a_group(group_editor):
    staff_group = Group.objects.get(name="staff")
    before = set(staff_group.permissions.values_list("pk", flat=True))
    every = [str(pk) for pk in Permission.objects.all().values_list("pk", flat=True)]
    client = desk(group_editor)

    changed = client.post(
        reverse("admin:auth_group_change", args=[staff_group.pk]),
        {"name": "staff", "permissions": every},
    )
    added = client.post(reverse("admin:auth_group_add"), {"name": "root", "permissions": every})

    assert (changed.status_code, added.status_code) == (403, 403)
    assert set(staff_group.permissions.values_list("pk", flat=True)) == before
    assert not Group.objects.filter(name="root").exists()


def test_a_superuser_edits_groups(root):
    response = desk(root).post(
        reverse("admin:auth_group_add"),
        {"name": "auditors", "permissions": [str(Permission.objects.first().pk)]},
    )

    assert response.status_code == 302
    assert Group.objects.get(name="auditors").permissions.count() == 1


@pytest.mark.parametrize("flag", ["is_staff", "is_superuser"])
def test_a_save_setting_a_role_flag_without_the_right_is_refused(staff_member, alice, flag):
    # given: whatever path hands the admin a user with a flag set (a later form, an action)
    request = RequestFactory().post("/")
    request.user = staff_member
    setattr(alice, flag, True)

    # when / then
    with pytest.raises(PermissionDenied):
        admin.site._registry[User].save_model(request, alice, form=None, change=True)
    assert roles_of(alice)[:2] == (False, False)


def test_staff_revokes_a_session_in_the_admin(staff_member, alice):
    # given: alice logged in
    tokens = issue_token_pair(user=alice)
    family = RefreshTokenFamily.objects.get(user=alice)

    # when
    desk(staff_member).post(
        reverse("admin:accounts_refreshtokenfamily_changelist"),
        {"action": "revoke", "_selected_action": [str(family.pk)]},
    )

    # then
    refreshed = client_for().post(
        f"{API}auth/refresh", {"refresh": tokens["refresh"]}, format="json"
    )
    assert refreshed.status_code == 401

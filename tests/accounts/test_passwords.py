"""Every way a password is set runs the AUTH_PASSWORD_VALIDATORS, blank ones included."""

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.services import register_user
from core.errors import ValidationError
from tests.api import API, client_for, error_code

pytestmark = pytest.mark.django_db

BLANK_PASSWORDS = [" " * 12, "\t" * 10, " \n \r\n \u3000\u00a0    ", "ab" + " " * 10 + "cd"]


@pytest.mark.parametrize("password", BLANK_PASSWORDS)
def test_signup_with_a_blank_password_is_400_naming_password(assets, password):
    response = client_for().post(
        f"{API}auth/signup", {"email": "ana@example.com", "password": password}, format="json"
    )

    assert response.status_code == 400
    assert error_code(response) == "validation_error"
    assert "password" in response.json()["error"]["details"]
    assert not User.objects.filter(email="ana@example.com").exists()


def test_signup_keeps_passphrases_with_spaces(assets):
    response = client_for().post(
        f"{API}auth/signup",
        {"email": "ana@example.com", "password": "  correct horse 42  "},
        format="json",
    )

    assert response.status_code == 201


def test_register_user_refuses_a_weak_password_itself(assets):
    with pytest.raises(ValidationError) as refused:
        register_user(email="ana@example.com", password=" " * 12)

    assert "password" in refused.value.details
    assert not User.objects.filter(email="ana@example.com").exists()


@pytest.fixture
def superuser_desk(assets) -> Client:
    client = Client()
    client.force_login(
        User.objects.create_superuser(email="root@example.com", password="root-pw-1234")
    )
    return client


def test_admin_user_creation_refuses_a_blank_password(superuser_desk):
    response = superuser_desk.post(
        reverse("admin:accounts_user_add"),
        {"email": "ana@example.com", "name": "", "password1": " " * 12, "password2": " " * 12},
    )

    assert response.status_code == 200  # the form again, with its errors
    assert not User.objects.filter(email="ana@example.com").exists()


def test_admin_password_change_refuses_a_blank_password(superuser_desk, alice):
    before = User.objects.get(pk=alice.pk).password

    response = superuser_desk.post(
        reverse("admin:auth_user_password_change", args=[alice.pk]),
        {"password1": " " * 12, "password2": " " * 12},
    )

    assert response.status_code == 200
    assert User.objects.get(pk=alice.pk).password == before


def test_createsuperuser_without_a_prompt_refuses_a_blank_password(assets, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", " " * 12)

    with pytest.raises(CommandError):
        call_command("createsuperuser", "--noinput", "--email", "root@example.com")

    assert not User.objects.filter(email="root@example.com").exists()


def test_create_user_refuses_a_weak_password_for_any_caller(assets):
    with pytest.raises(DjangoValidationError) as refused:
        User.objects.create_user(email="svc@example.com", password="short")

    assert "password" in refused.value.message_dict
    assert not User.objects.filter(email="svc@example.com").exists()

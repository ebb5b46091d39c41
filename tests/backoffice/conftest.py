import pytest
from django.contrib.auth.models import Group
from django.test import Client

from accounts.models import User


def back_office_user(role: str) -> User:
    user = User.objects.create_user(
        email=f"{role}-desk@example.com", password="desk-password-1", is_staff=True
    )
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def staff_desk(assets) -> Client:
    client = Client()
    client.force_login(back_office_user("staff"))
    return client


@pytest.fixture
def support_desk(assets) -> Client:
    client = Client()
    client.force_login(back_office_user("support"))
    return client

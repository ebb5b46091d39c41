"""accounts.authentication.JWTAuthentication.get_user: the user row read with one plain
SELECT on every request; a token naming no usable user is a 401, never a 500."""

import pytest
from rest_framework_simplejwt.tokens import AccessToken

from accounts.authentication import JWTAuthentication
from accounts.models import User
from tests.api import API, client_for, error_code

pytestmark = pytest.mark.django_db


def bearer(token: AccessToken):
    client = client_for()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_the_user_is_read_whole_in_one_query(alice, django_assert_num_queries):
    token = AccessToken.for_user(alice)

    with django_assert_num_queries(1):
        user = JWTAuthentication().get_user(token)

    expected = User.objects.get(pk=alice.pk)
    fields = [field.attname for field in User._meta.concrete_fields]
    # repr: 1 is not True, nor a naive datetime an aware one (SQLite returns both raw)
    assert [repr(getattr(user, name)) for name in fields] == [
        repr(getattr(expected, name)) for name in fields
    ]
    assert user._state.adding is False


def test_a_disabled_users_token_is_refused_at_once(alice):
    client = client_for(alice)
    assert client.get(f"{API}wallets/me").status_code == 200

    User.objects.filter(pk=alice.pk).update(is_active=False)
    response = client.get(f"{API}wallets/me")

    assert response.status_code == 401
    assert error_code(response) == "not_authenticated"


def test_a_token_whose_user_was_deleted_is_refused(db):
    user = User.objects.create_user(email="gone@example.com", password="a-long-test-password")
    client = client_for(user)

    user.delete()
    response = client.get(f"{API}wallets/me")

    assert response.status_code == 401
    assert error_code(response) == "not_authenticated"


@pytest.mark.parametrize("user_id", ["abc", None, [1], "1.5", 10**30])
def test_a_token_with_an_unusable_user_id_is_a_401(alice, user_id):
    token = AccessToken.for_user(alice)
    token["user_id"] = user_id

    response = bearer(token).get(f"{API}wallets/me")

    assert response.status_code == 401
    assert error_code(response) == "not_authenticated"


def test_a_token_without_a_user_id_is_a_401(alice):
    token = AccessToken.for_user(alice)
    del token["user_id"]

    response = bearer(token).get(f"{API}wallets/me")

    assert response.status_code == 401

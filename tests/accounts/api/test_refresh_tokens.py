from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import RefreshTokenFamily
from tests.api import API, client_for, error_code
from tests.threads import run_in_threads

PASSWORD = "a-long-test-password"


def login(email: str = "alice@example.com") -> dict:
    response = client_for().post(
        f"{API}auth/login", {"email": email, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    return response.json()


def refresh(token: str):
    return client_for().post(f"{API}auth/refresh", {"refresh": token}, format="json")


@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_of_one_token_give_exactly_one_new_pair(alice):
    # given
    tokens = login()

    # when
    results = run_in_threads(10, lambda _: refresh(tokens["refresh"]))

    # then
    statuses = sorted(result.status_code for result in results)
    assert statuses == [200] + [401] * 9
    refused = [result for result in results if result.status_code == 401]
    assert {error_code(result) for result in refused} == {"not_authenticated"}


@pytest.mark.django_db
def test_a_rotated_refresh_token_presented_again_revokes_the_newer_ones(alice):
    # given: the legitimate client rotated twice; a thief kept the first token
    first = login()["refresh"]
    second = refresh(first).json()["refresh"]
    third = refresh(second).json()["refresh"]

    # when
    replayed = refresh(first)

    # then: the replay fails and the family's current token is dead too
    assert replayed.status_code == 401
    assert refresh(third).status_code == 401
    assert refresh(second).status_code == 401


@pytest.mark.django_db
def test_reuse_revokes_only_its_own_family(alice):
    # given: two logins (two devices)
    phone = login()["refresh"]
    laptop = login()["refresh"]
    refresh(phone)

    # when: the phone's old token is replayed
    refresh(phone)

    # then: the laptop's session is untouched
    assert refresh(laptop).status_code == 200


@pytest.mark.django_db
def test_each_rotation_gives_a_usable_pair(alice):
    tokens = login()

    for _ in range(3):
        response = refresh(tokens["refresh"])
        assert response.status_code == 200
        tokens = response.json()
        client = client_for()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
        assert client.get(f"{API}auth/me").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("token", ["", "not.a.jwt", "a" * 5000])
def test_a_malformed_refresh_token_is_refused(alice, token):
    response = refresh(token)

    assert response.status_code in (400, 401)
    assert "error" in response.json()


@pytest.mark.django_db
def test_a_signed_refresh_token_not_issued_by_login_is_refused(alice):
    from rest_framework_simplejwt.tokens import RefreshToken

    response = refresh(str(RefreshToken.for_user(alice)))

    assert response.status_code == 401
    assert error_code(response) == "not_authenticated"


@pytest.mark.django_db
def test_a_password_change_ends_the_sessions_opened_before_it(alice):
    # given: two sessions, then the password changes (admin, changepassword, a reset)
    first, second = login()["refresh"], login()["refresh"]
    alice.set_password("another-long-password")
    alice.save()

    # when
    response = refresh(first)

    # then: refused and revoked; the other old session too; a new login works
    assert response.status_code == 401
    assert "password changed" in response.json()["error"]["message"]
    assert refresh(second).status_code == 401
    tokens = (
        client_for()
        .post(
            f"{API}auth/login",
            {"email": "alice@example.com", "password": "another-long-password"},
            format="json",
        )
        .json()
    )
    assert refresh(tokens["refresh"]).status_code == 200


@pytest.mark.django_db
def test_login_records_last_login_and_drops_expired_sessions(alice):
    # given: a session that expired long ago
    login()
    RefreshTokenFamily.objects.update(expires_at=timezone.now() - timedelta(days=1))

    # when
    login()

    # then
    assert RefreshTokenFamily.objects.filter(user=alice).count() == 1
    alice.refresh_from_db()
    assert alice.last_login is not None

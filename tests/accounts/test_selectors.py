"""get_user: an inactive user is found only when the caller does not ask for active ones
(staff read a disabled user's wallet; nobody transfers to one or credits them activity)."""

import pytest

from accounts.models import User
from accounts.selectors import get_user
from tests.api import API, client_for, error_code
from tests.factories import create_role_user, fund, wallet

pytestmark = pytest.mark.django_db


def test_get_user_finds_an_inactive_user_only_when_not_asked_for_active(alice):
    User.objects.filter(pk=alice.pk).update(is_active=False)

    assert get_user(user_id=alice.pk) == alice
    assert get_user(user_id=alice.pk, active_only=True) is None
    assert get_user(user_id=alice.pk + 1000) is None


def test_a_transfer_to_an_inactive_user_is_400(as_alice, alice, bob):
    fund(wallet(alice, "COIN"), 500)
    User.objects.filter(pk=bob.pk).update(is_active=False)

    response = as_alice.post(
        f"{API}wallets/me/transfer", {"to": bob.pk, "asset": "COIN", "amount": 1}, format="json"
    )

    assert (response.status_code, error_code(response)) == (400, "validation_error")
    assert response.json()["error"]["details"] == {"to": ["No such user."]}
    assert wallet(alice, "COIN").balance == 500


def test_staff_still_read_an_inactive_users_wallet(alice):
    User.objects.filter(pk=alice.pk).update(is_active=False)

    response = client_for(create_role_user("staff")).get(f"{API}wallets/{alice.pk}")

    assert (response.status_code, response.json()["user"]) == (200, alice.pk)

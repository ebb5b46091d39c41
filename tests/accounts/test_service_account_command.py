import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.api import API, client_for

pytestmark = pytest.mark.django_db


def test_service_account_logs_in_and_credits_but_cannot_read_history(alice):
    out = StringIO()
    call_command("create_service_account", "reports", stdout=out)
    password = re.search(r"shown only now: (\S+)", out.getvalue()).group(1)

    tokens = client_for().post(
        f"{API}auth/login",
        {"email": "reports@services.invalid", "password": password},
        format="json",
    )
    client = client_for()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.json()['access']}")

    earned = client.post(
        f"{API}wallets/{alice.pk}/earn", {"asset": "SILVER", "amount": 5}, format="json"
    )
    history = client.get(f"{API}wallets/{alice.pk}/transactions")
    assert (earned.status_code, history.status_code) == (201, 403)
    assert client.get(f"{API}auth/me").json()["roles"] == ["service"]


def test_service_account_name_taken_is_refused(assets):
    call_command("create_service_account", "reports", stdout=StringIO())

    with pytest.raises(CommandError):
        call_command("create_service_account", "reports", stdout=StringIO())

"""/ws/wallet/ against a real uvicorn process (config.asgi) with a real websocket client.

The test process and the server meet in Redis (the channel layer, as the relay and the
websocket service do in production) and in the test database (committed data:
transaction=True)."""

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, transaction
from rest_framework_simplejwt.tokens import AccessToken
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from integrations.dispatch import dispatch
from ledger.models import Transaction
from tests.api import API, client_for
from tests.integrations.envelopes import posted_from

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/13"

pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


# This run's own channel names, so runs sharing the Redis server never cross.
PREFIX = f"wallet-test-{secrets.token_hex(4)}"


@pytest.fixture(autouse=True)
def channel_layer(settings) -> None:
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 15}], "prefix": PREFIX},
        }
    }


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker) -> Iterator[str]:
    """One uvicorn for the module; it reads the test database as the tests commit it."""
    from django.conf import settings

    port = free_port()
    with django_db_blocker.unblock():
        url = database_url()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": url,
        "TEST_SECRET_KEY": settings.SECRET_KEY,
        "REDIS_URL": REDIS_URL,
        "CHANNEL_LAYER_PREFIX": PREFIX,
    }
    command = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host",
               "127.0.0.1", "--port", str(port), "--lifespan", "off", "--no-access-log",
               "--ws", "websockets"]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "uvicorn did not start"
                time.sleep(0.1)
        yield f"ws://127.0.0.1:{port}/ws/wallet/"
    finally:
        process.terminate()
        process.wait(timeout=10)


def token_for(user, *, expired: bool = False) -> str:
    token = AccessToken.for_user(user)
    if expired:
        token.set_exp(lifetime=-timedelta(seconds=1))
    return str(token)


def open_socket(url: str, user=None, **kwargs) -> ClientConnection:
    headers = {"Authorization": f"Bearer {token_for(user)}"} if user else None
    return connect(url, additional_headers=headers, open_timeout=5, **kwargs)


def relay_transaction(transaction_id: int) -> None:
    """What the relay does with a committed transaction's outbox event."""
    with transaction.atomic():
        dispatch([posted_from(Transaction.objects.get(pk=transaction_id))])


def nothing_arrives(socket: ClientConnection, seconds: float = 0.5) -> bool:
    try:
        socket.recv(timeout=seconds)
    except TimeoutError:
        return True
    return False


def test_spend_reaches_the_owners_socket_within_a_second(server, alice, bob):
    with open_socket(server, alice) as alices, open_socket(server, bob) as bobs:
        # when: alice spends over REST, and the relay dispatches the event
        response = client_for(alice).post(
            f"{API}wallets/me/spend", {"asset": "GOLD", "amount": "12"}, format="json"
        )
        assert response.status_code == 201
        started = time.monotonic()
        relay_transaction(response.json()["id"])

        # then
        message = json.loads(alices.recv(timeout=1.0))
        assert time.monotonic() - started < 1.0
        assert message["event"] == "wallet:payment_processed"
        assert message["data"]["user_id"] == alice.pk
        assert message["data"]["transaction_id"] == response.json()["id"]
        assert message["data"]["entries"][0]["amount"] == "-12"
        assert message["data"]["entries"][0]["balance_after"] == "88"
        assert nothing_arrives(bobs)


@pytest.mark.parametrize("how", ["query", "subprotocol"])
def test_token_in_query_string_or_subprotocol(server, alice, how):
    token = token_for(alice)
    if how == "query":
        socket = connect(f"{server}?token={token}", open_timeout=5)
    else:
        socket = connect(server, subprotocols=["wallet.bearer", token], open_timeout=5)
    with socket:
        assert socket.subprotocol == ("wallet.bearer" if how == "subprotocol" else None)
        response = client_for(alice).post(
            f"{API}wallets/me/spend", {"asset": "GOLD", "amount": "1"}, format="json"
        )
        relay_transaction(response.json()["id"])
        assert json.loads(socket.recv(timeout=1.0))["event"] == "wallet:payment_processed"


@pytest.mark.parametrize("token", ["expired", "garbage", "none"])
def test_expired_invalid_or_missing_token_is_refused(server, alice, token):
    headers = {
        "expired": {"Authorization": f"Bearer {token_for(alice, expired=True)}"},
        "garbage": {"Authorization": "Bearer not.a.token"},
        "none": {},
    }[token]
    with pytest.raises(InvalidStatus) as refused:
        connect(server, additional_headers=headers, open_timeout=5)
    assert refused.value.response.status_code == 403


def test_customer_cannot_watch_another_user(server, alice, bob):
    with pytest.raises(InvalidStatus):
        connect(
            f"{server}?user={bob.pk}",
            additional_headers={"Authorization": f"Bearer {token_for(alice)}"},
            open_timeout=5,
        )


def test_staff_watch_a_user(server, alice, staff):
    with open_socket(f"{server}?user={alice.pk}", staff) as watching:
        response = client_for(alice).post(
            f"{API}wallets/me/spend", {"asset": "GOLD", "amount": "3"}, format="json"
        )
        relay_transaction(response.json()["id"])
        message = json.loads(watching.recv(timeout=1.0))
    assert message["data"]["user_id"] == alice.pk


def test_socket_closes_when_its_token_expires(server, alice):
    token = AccessToken.for_user(alice)
    token.set_exp(lifetime=timedelta(seconds=1))
    headers = {"Authorization": f"Bearer {token}"}
    with (
        connect(server, additional_headers=headers) as socket,
        pytest.raises(ConnectionClosed) as closed,
    ):
        socket.recv(timeout=5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


def test_an_idle_socket_stays_open(server, alice):
    """Longer than channels-redis's 5 s blocking pop (redis-py 8's default read timeout
    would drop it there), then an event still arrives."""
    with open_socket(server, alice) as socket:
        assert nothing_arrives(socket, 7)
        response = client_for(alice).post(
            f"{API}wallets/me/spend", {"asset": "GOLD", "amount": "2"}, format="json"
        )
        relay_transaction(response.json()["id"])
        assert json.loads(socket.recv(timeout=1.0))["event"] == "wallet:payment_processed"

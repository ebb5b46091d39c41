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
import tempfile
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from rest_framework_simplejwt.tokens import AccessToken
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from ledger.models import OutboxEvent
from ledger.relay import relay_batch
from tests.api import API, client_for

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


# What the server's processes run with (filled by `server`).
ENVIRONMENT: dict[str, str] = {}


def server_env() -> dict[str, str]:
    return ENVIRONMENT


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
    ENVIRONMENT.update(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=url,
        TEST_SECRET_KEY=settings.SECRET_KEY,
        REDIS_URL=REDIS_URL,
        CHANNEL_LAYER_PREFIX=PREFIX,
    )
    env = {**os.environ, **ENVIRONMENT}
    command = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host",
               "127.0.0.1", "--port", str(port), "--lifespan", "off", "--no-access-log",
               "--ws", "websockets"]  # fmt: skip
    # A file, not a pipe: a full pipe would stall the server.
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in finally)
    process = subprocess.Popen(command, cwd=ROOT, env=env, stderr=log)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                log.seek(0)
                pytest.fail(f"uvicorn exited: {log.read().decode(errors='replace')}")
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
        log.close()


def token_for(user, *, expired: bool = False) -> str:
    token = AccessToken.for_user(user)
    if expired:
        token.set_exp(lifetime=-timedelta(seconds=1))
    return str(token)


def open_socket(url: str, user=None, **kwargs) -> ClientConnection:
    headers = {"Authorization": f"Bearer {token_for(user)}"} if user else None
    return connect(url, additional_headers=headers, open_timeout=5, **kwargs)


def relay() -> int:
    """The real relay, one pass with no broker: every unpublished event to the dispatchers."""
    relayed = 0
    while count := relay_batch(publish=None):
        relayed += count
    return relayed


def spend_over_rest(user, amount: str) -> int:
    response = client_for(user).post(
        f"{API}wallets/me/spend", {"asset": "GOLD", "amount": amount}, format="json"
    )
    assert response.status_code == 201
    return response.json()["id"]


def nothing_arrives(socket: ClientConnection, seconds: float = 0.5) -> bool:
    try:
        socket.recv(timeout=seconds)
    except TimeoutError:
        return True
    return False


def test_spend_reaches_the_owners_socket_within_a_second(server, alice, bob):
    relay()  # given: the signups' events are out before the sockets open
    with open_socket(server, alice) as alices, open_socket(server, bob) as bobs:
        # when: alice spends over REST, and the relay runs
        started = time.monotonic()
        transaction_id = spend_over_rest(alice, "12")
        assert relay() == 1

        # then
        message = json.loads(alices.recv(timeout=1.0))
        assert time.monotonic() - started < 1.0
        assert message["event"] == "wallet:payment_processed"
        assert message["data"]["user_id"] == alice.pk
        assert message["data"]["transaction_id"] == transaction_id
        assert message["data"]["entries"][0]["amount"] == "-12"
        assert message["data"]["entries"][0]["balance_after"] == "88"
        assert nothing_arrives(bobs)


@pytest.mark.parametrize("how", ["query", "subprotocol"])
def test_token_in_query_string_or_subprotocol(server, alice, how):
    relay()
    token = token_for(alice)
    if how == "query":
        socket = connect(f"{server}?token={token}", open_timeout=5)
    else:
        socket = connect(server, subprotocols=["wallet.bearer", token], open_timeout=5)
    with socket:
        assert socket.subprotocol == ("wallet.bearer" if how == "subprotocol" else None)
        spend_over_rest(alice, "1")
        relay()
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
    relay()
    with open_socket(f"{server}?user={alice.pk}", staff) as watching:
        spend_over_rest(alice, "3")
        relay()
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


def test_through_the_relay_events_process(server, alice):
    """The production path: relay_events (no broker: dispatchers only) in its own process,
    uvicorn in another, Redis between them."""
    env = {**os.environ, **server_env()}
    relay_process = subprocess.Popen(
        [sys.executable, "manage.py", "relay_events", "--forever", "--interval", "0.05"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        with open_socket(server, alice) as socket:
            # given: the signup's events relayed by the process (and seen on the socket)
            deadline = time.monotonic() + 20
            while OutboxEvent.objects.filter(published_at__isnull=True).exists():
                assert time.monotonic() < deadline, "relay_events published nothing"
                time.sleep(0.05)
            while not nothing_arrives(socket, 0.3):
                pass

            # when
            started = time.monotonic()
            transaction_id = spend_over_rest(alice, "5")

            # then
            message = json.loads(socket.recv(timeout=1.0))
            assert time.monotonic() - started < 1.0
            assert message["event"] == "wallet:payment_processed"
            assert message["data"]["transaction_id"] == transaction_id
    finally:
        relay_process.terminate()
        relay_process.wait(timeout=10)


def test_an_idle_socket_stays_open(server, alice):
    """Longer than channels-redis's 5 s blocking pop (redis-py 8's default read timeout
    would drop it there), then an event still arrives. Its claim is that it arrives; the
    one-second latency is the spend test's (a loaded CI machine took longer here)."""
    relay()
    with open_socket(server, alice) as socket:
        assert nothing_arrives(socket, 7)
        spend_over_rest(alice, "2")
        relay()
        assert json.loads(socket.recv(timeout=5.0))["event"] == "wallet:payment_processed"

"""A database connection lost under a request (a restart, a failover, a terminated backend)
is an infrastructure blip: never a 500, never half-applied, never handed to the next
request. Backends are really terminated, with pg_terminate_backend from another session."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from tests.api import API, client_for, error_code
from tests.factories import fund, wallet

pytestmark = pytest.mark.postgres_only  # backends terminated from another session, a psycopg pool

ROOT = Path(__file__).resolve().parents[2]
POOL_APP = "wallet-outage-test"


def admin_session() -> psycopg.Connection:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**params, autocommit=True)


def terminate(where: str, params: list) -> None:
    """Terminate the matching backends and wait until they are gone."""
    with admin_session() as session:
        session.execute(
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE {where}", params
        )
        for _ in range(100):
            (left,) = session.execute(
                f"SELECT count(*) FROM pg_stat_activity WHERE {where}", params
            ).fetchone()
            if not left:
                return
            time.sleep(0.05)
    raise AssertionError("the backends outlived pg_terminate_backend")


def terminate_django_connection() -> None:
    connection.ensure_connection()
    terminate("pid = %s", [connection.connection.info.backend_pid])


@pytest.mark.django_db(transaction=True)
def test_a_read_on_a_terminated_connection_is_retried_on_a_fresh_one(alice):
    client = client_for(alice)
    terminate_django_connection()

    response = client.get(f"{API}wallets/me/transactions")

    assert response.status_code == 200
    assert client.get(f"{API}wallets/me").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_write_on_a_terminated_connection_is_503_and_changes_nothing(alice, assert_reconciles):
    # given
    fund(wallet(alice, "SILVER"), 100)
    client = client_for(alice)
    body = {"asset": "SILVER", "amount": 30, "description": "sword"}
    terminate_django_connection()

    # when
    refused = client.post(f"{API}wallets/me/spend", body, format="json", HTTP_IDEMPOTENCY_KEY="k1")

    # then: a 503 to retry, nothing posted, and the retry posts once on a fresh connection
    assert refused.status_code == 503
    assert error_code(refused) == "service_unavailable"
    assert int(refused["Retry-After"]) > 0
    assert wallet(alice, "SILVER").balance == 100
    retried = client.post(f"{API}wallets/me/spend", body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert retried.status_code == 201
    assert wallet(alice, "SILVER").balance == 70
    assert_reconciles()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def post(url: str, body: dict) -> int:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def pooled_server(assets):
    """gunicorn on the test database through Django's connection pool (production settings,
    as config.wsgi picks them without DJANGO_SETTINGS_MODULE)."""
    db = connection.settings_dict
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env.update(
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        f"?application_name={POOL_APP}",
        SECRET_KEY="s" * 60,
        SECURE_SSL_REDIRECT="false",
        DB_POOL_MIN_SIZE="2",
    )
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "config.wsgi:application", "--bind", f"127.0.0.1:{port}", "-w", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)
        terminate("application_name = %s", [POOL_APP])


@pytest.mark.django_db(transaction=True)
def test_a_pooled_connection_the_server_dropped_is_not_handed_to_a_request(pooled_server):
    # given: the pool holds connections
    signup = f"{pooled_server}{API}auth/signup"
    password = "a-long-pooled-password"
    assert post(signup, {"email": "one@example.com", "password": password, "name": "x"}) == 201

    # when: PostgreSQL drops every one of them while idle
    terminate("application_name = %s", [POOL_APP])

    # then: the next writes run on fresh connections
    for number in (2, 3):
        body = {"email": f"n{number}@example.com", "password": password, "name": "x"}
        assert post(signup, body) == 201

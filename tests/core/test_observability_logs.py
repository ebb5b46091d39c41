"""Structured logs: every line of a request carries its request id, user id and, once a
posting committed, its transaction id; the request id comes back in X-Request-ID."""

import io
import json
import logging
import uuid

import pytest
from django.test import Client

from core.observability.logs import formatter
from tests.api import API, client_for

SPEND = f"{API}wallets/me/spend"


@pytest.fixture
def json_lines():
    """What the production formatter writes, from every logger, as parsed JSON objects."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter("json"))
    root = logging.getLogger()
    request_logger = logging.getLogger("django_structlog")
    previous_level = request_logger.level
    root.addHandler(handler)
    request_logger.setLevel(logging.INFO)  # the test settings keep only warnings
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        request_logger.setLevel(previous_level)


def finished(lines: list[dict]) -> dict:
    (line,) = [line for line in lines if line["event"] == "request_finished"]
    return line


@pytest.mark.django_db(transaction=True)
def test_a_spend_logs_its_request_user_and_transaction_ids(alice, json_lines):
    # when: the posting commits for real, so its on_commit hook runs inside the request
    response = client_for(alice).post(
        SPEND, {"asset": "GOLD", "amount": "1"}, format="json", HTTP_X_REQUEST_ID="req-42.a"
    )

    # then
    assert response.status_code == 201
    assert response["X-Request-ID"] == "req-42.a"
    line = finished(json_lines())
    assert line["request_id"] == "req-42.a"
    assert line["user_id"] == alice.pk
    assert line["transaction_id"] == response.json()["id"]
    assert (line["code"], line["request"], line["level"]) == (201, f"POST {SPEND}", "info")


@pytest.mark.django_db(transaction=True)
def test_the_transaction_id_does_not_outlive_its_request(alice, json_lines):
    as_alice = client_for(alice)
    as_alice.post(SPEND, {"asset": "GOLD", "amount": "1"}, format="json")

    as_alice.get(f"{API}wallets/me")

    balance_line = finished(json_lines()[1:])
    assert "transaction_id" not in balance_line
    assert balance_line["user_id"] == alice.pk


@pytest.mark.parametrize(
    "incoming",
    ["", "has space", "x" * 129, "<script>", "-starts-with-dash", "caf\u00e9", "a\nb"],
)
def test_a_malformed_request_id_is_replaced_by_a_uuid(db, incoming, json_lines):
    response = client_for().get("/healthz", HTTP_X_REQUEST_ID=incoming)

    request_id = response["X-Request-ID"]
    assert uuid.UUID(request_id).version == 4
    assert finished(json_lines())["request_id"] == request_id


def test_each_request_gets_its_own_id_and_errors_carry_it(db, json_lines):
    client = client_for()

    first = client.get(f"{API}wallets/me")  # 401 from the API's exception handler
    second = client.get(f"{API}no-such-route")  # 404 rewrapped by the envelope middleware

    assert (first.status_code, second.status_code) == (401, 404)
    assert first["X-Request-ID"] != second["X-Request-ID"]
    lines = [line for line in json_lines() if line["event"] == "request_finished"]
    assert [line["request_id"] for line in lines] == [first["X-Request-ID"], second["X-Request-ID"]]
    assert [line["user_id"] for line in lines] == [None, None]


def test_standard_library_lines_in_a_request_carry_its_ids(alice, settings, json_lines):
    # given: Redis unreachable, so the throttle logs its fail-open warning mid-request,
    # after DRF authenticated the JWT (which is after every middleware ran)
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    response = client_for(alice).get(f"{API}wallets/me", HTTP_X_REQUEST_ID="trace-7")

    assert response.status_code == 200
    (warning,) = [line for line in json_lines() if line["logger"] == "core.api.throttles"]
    assert warning["event"] == "Rate limits not applied: Redis is unreachable"
    assert (warning["level"], warning["request_id"], warning["user_id"]) == (
        "warning",
        "trace-7",
        alice.pk,
    )
    assert "RedisError" in warning["exception"] or "ConnectionError" in warning["exception"]


def test_lines_outside_a_request_have_no_request_context(json_lines):
    logging.getLogger("ledger.relay").warning("relay %s", "stopped")

    (line,) = json_lines()
    assert line["event"] == "relay stopped"
    assert "request_id" not in line and "user_id" not in line


@pytest.mark.parametrize(
    ("num_proxies", "forwarded_for", "ip"),
    [
        (0, "203.0.113.9", "127.0.0.1"),  # no proxy trusted: the peer's address
        (1, "203.0.113.9, 10.0.0.2", "10.0.0.2"),  # one proxy: the address it saw
        (2, "203.0.113.9, 10.0.0.2", "203.0.113.9"),
    ],
)
def test_the_logged_client_address_is_the_one_rate_limits_use(
    db, settings, json_lines, num_proxies, forwarded_for, ip
):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": num_proxies}

    client_for().get("/healthz", HTTP_X_FORWARDED_FOR=forwarded_for)

    assert finished(json_lines())["ip"] == ip


@pytest.mark.urls("tests.core.raising_urls")
def test_an_unhandled_error_logs_its_traceback_with_the_request_id(db, json_lines):
    client = Client(raise_request_exception=False)

    response = client.get("/boom", HTTP_X_REQUEST_ID="err-1")
    after = client.get("/healthz")

    assert (response.status_code, response["X-Request-ID"]) == (500, "err-1")
    lines = json_lines()
    (failed,) = [line for line in lines if line["event"] == "request_failed"]
    assert (failed["request_id"], failed["code"], failed["level"]) == ("err-1", 500, "error")
    assert "RuntimeError: boom" in failed["exception"]
    # the failed request's context does not leak into the next one
    assert finished(lines)["request_id"] == after["X-Request-ID"] != "err-1"

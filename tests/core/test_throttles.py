"""core.api.throttles: sliding-window limits per IP and per user, counted in Redis
when REDIS_URL is set (else in this process), let through when Redis is down."""

import logging

import pytest
import redis
from rest_framework.settings import api_settings

from core.api.throttles import count_requests
from tests.api import API, client_for, error_code

pytestmark = pytest.mark.django_db

# A database of its own on the local Redis, emptied around each test that uses it.
TEST_REDIS_URL = "redis://127.0.0.1:6379/14"
CLOSED_PORT_URL = "redis://127.0.0.1:1/0"


@pytest.fixture
def rates(monkeypatch):
    def lower(**scopes: str) -> None:
        rates = {**api_settings.DEFAULT_THROTTLE_RATES, **scopes}
        monkeypatch.setattr(api_settings, "DEFAULT_THROTTLE_RATES", rates)

    return lower


@pytest.fixture
def shared_redis(settings):
    client = redis.Redis.from_url(TEST_REDIS_URL)
    client.flushdb()
    settings.REDIS_URL = TEST_REDIS_URL
    yield client
    client.flushdb()


@pytest.fixture
def no_redis(settings):
    settings.REDIS_URL = ""


def get_wallets(client, ip: str):
    return client.get(f"{API}wallets/me", REMOTE_ADDR=ip)


@pytest.mark.usefixtures("shared_redis")
def test_a_user_over_the_user_rate_is_throttled_from_any_ip(alice, bob, rates):
    rates(user="3/min")
    as_alice = client_for(alice)

    statuses = [get_wallets(as_alice, f"10.0.0.{n}").status_code for n in range(1, 5)]
    refused = get_wallets(as_alice, "10.0.0.5")
    other_user_same_ip = get_wallets(client_for(bob), "10.0.0.5")

    assert statuses == [200, 200, 200, 429]
    assert refused.status_code == 429
    assert error_code(refused) == "throttled"
    retry_after = refused.json()["error"]["details"]["retry_after"]
    assert 0 < retry_after <= 60
    assert int(refused["Retry-After"]) == retry_after
    assert other_user_same_ip.status_code == 200


@pytest.mark.usefixtures("shared_redis")
def test_the_ip_scope_counts_unauthenticated_requests(db, rates):
    rates(ip="3/min")
    anonymous = client_for()

    statuses = [anonymous.get(f"{API}assets", REMOTE_ADDR="10.0.1.1").status_code for _ in "1234"]
    other_ip = anonymous.get(f"{API}assets", REMOTE_ADDR="10.0.1.2")

    assert statuses == [200, 200, 200, 429]
    assert other_ip.status_code == 200


@pytest.mark.usefixtures("shared_redis")
def test_the_counters_live_in_redis(alice, rates, shared_redis):
    rates(user="3/min")

    get_wallets(client_for(alice), "10.0.2.1")

    keys = {key.decode() for key in shared_redis.keys("throttle:*")}
    scopes = {key.rsplit(":", 1)[0] for key in keys}  # less the window number
    assert scopes == {"throttle:ip:10.0.2.1", f"throttle:user:{alice.pk}"}


@pytest.mark.usefixtures("no_redis")
def test_without_redis_url_the_process_cache_counts(alice, rates):
    rates(user="3/min")
    as_alice = client_for(alice)

    statuses = [get_wallets(as_alice, f"10.0.3.{n}").status_code for n in range(1, 5)]

    assert statuses == [200, 200, 200, 429]


@pytest.mark.parametrize("backend", ["shared_redis", "no_redis"])
def test_the_previous_window_counts_by_how_much_of_it_still_overlaps(backend, request):
    request.getfixturevalue(backend)
    checks = [("throttle:test:weights", 100, 60)]
    window = 60 * 1_000_000  # the start of a minute

    in_first_minute = [count_requests(checks, window + 30)[0] for _ in range(4)]
    quarter_into_next = count_requests(checks, window + 60 + 15)[0]
    three_quarters_into_next = count_requests(checks, window + 60 + 45)[0]
    start_of_the_one_after = count_requests(checks, window + 120)[0]

    assert in_first_minute == [1, 2, 3, 4]
    assert quarter_into_next == 1 + 4 * 0.75
    assert three_quarters_into_next == 2 + 4 * 0.25
    assert start_of_the_one_after == 1 + 2 * 1.0  # nothing from two minutes back


def test_each_scope_is_counted_under_its_own_key(no_redis):
    checks = [("throttle:ip:a", 100, 60), ("throttle:user:1", 100, 3600)]

    count_requests(checks, 7200.0)
    counts = count_requests(checks, 7200.0)

    assert counts == [2, 2]


def test_an_unreachable_redis_lets_requests_through_and_logs(alice, rates, settings, caplog):
    settings.REDIS_URL = CLOSED_PORT_URL
    rates(user="1/min", ip="1/min")
    as_alice = client_for(alice)

    with caplog.at_level(logging.WARNING, logger="core.api.throttles"):
        statuses = [get_wallets(as_alice, "10.0.4.1").status_code for _ in range(3)]

    assert statuses == [200, 200, 200]
    assert "Redis is unreachable" in caplog.text

"""One request, in process: SQL statements, cache round trips and CPU per request.

Runs the whole Django stack (middleware, authentication, throttles, view, renderer)
through the WSGI handler under production settings, against PostgreSQL and Redis,
without a network in between, so the figures are the service's own cost:

    .venv/bin/python bench/profile_request.py [--requests 300] [--profile spend]

For each endpoint it prints statements and cache calls per request (counted on a
separate pass, so counting costs nothing in the timed one) and the process's CPU
per request. `--profile NAME` also prints cProfile's top functions for that endpoint.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import secrets
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")  # production + hello
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))  # this run's only
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/3")
os.environ.setdefault("THROTTLE_IP_RATE", "100000000/min")
os.environ.setdefault("THROTTLE_USER_RATE", "100000000/min")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")

from setup import setup_django  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--blocks", type=int, default=5, help="timed blocks; the least is shown")
    parser.add_argument("--profile", default="")
    parser.add_argument("--sort", default="cumulative", help="cProfile order: cumulative, tottime")
    args = parser.parse_args()
    setup_django("wallet_profile_bench", fresh=True)

    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.roles import sync_roles
    from tests.factories import create_assets, create_role_user, create_user, fund, wallet

    sync_roles()
    create_assets()
    cache.clear()
    alice = create_user("alice@bench.example")
    bob = create_user("bob@bench.example")
    service = create_role_user("service")
    for user in (alice, bob):
        fund(wallet(user, "GOLD"), 10**9)
        fund(wallet(user, "COIN"), 10**9)
    for _ in range(30):  # some history to page through
        fund(wallet(alice, "COIN"), 1)

    def client(user) -> Client:
        return Client(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")

    as_alice, as_service = client(alice), client(service)

    def post(c: Client, path: str, body: dict) -> Callable[[], int]:
        data = json.dumps(body)
        return lambda: c.post(path, data, content_type="application/json").status_code

    endpoints: dict[str, Callable[[], int]] = {
        "hello": lambda: as_alice.get("/bench/hello").status_code,
        "balance": lambda: as_alice.get("/api/v1/wallets/me").status_code,
        "uncached": lambda: as_alice.get("/bench/uncached/wallets/me").status_code,
        "history": lambda: as_alice.get("/api/v1/wallets/me/transactions?limit=20").status_code,
        "history_uncached": lambda: (
            as_alice.get("/bench/uncached/wallets/me/transactions?limit=20").status_code
        ),
        "spend": post(as_alice, "/api/v1/wallets/me/spend", {"asset": "GOLD", "amount": "1"}),
        "transfer": post(
            as_alice, "/api/v1/wallets/me/transfer", {"to": bob.pk, "asset": "COIN", "amount": 1}
        ),
        "earn": post(
            as_service, f"/api/v1/wallets/{bob.pk}/earn", {"asset": "GOLD", "amount": "1"}
        ),
    }

    print(
        f"{'endpoint':<10} {'status':>6} {'SQL/req':>8} {'cache/req':>9} {'CPU ms/req':>10}"
        f" {'calls/req':>9}"
    )
    for name, call in endpoints.items():
        for _ in range(20):  # warm caches and code paths
            status = call()
        statements, cache_calls = count_per_request(call, connection, 20)
        cpu_ms = least_cpu_ms(call, args.requests, args.blocks)
        calls = python_calls_per_request(call, 20)
        print(
            f"{name:<10} {status:>6} {statements:>8.1f} {cache_calls:>9.1f} {cpu_ms:>10.2f}"
            f" {calls:>9,.0f}"
        )
        if name == args.profile:
            profile(call, args.requests, args.sort)


def least_cpu_ms(call, requests: int, blocks: int) -> float:
    """CPU per request in the least disturbed of `blocks` runs of `requests / blocks`:
    on a shared machine other processes only ever add to it."""
    per_block = max(1, requests // blocks)
    least = float("inf")
    for _ in range(blocks):
        cpu = time.process_time()
        for _ in range(per_block):
            call()
        least = min(least, (time.process_time() - cpu) * 1000 / per_block)
    return least


def python_calls_per_request(call, n: int) -> float:
    """Python function calls per request: a count of the work done in Python that other
    processes' load does not move, unlike CPU time on a shared machine."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        call()
    profiler.disable()
    return pstats.Stats(profiler).total_calls / n  # type: ignore[attr-defined]


def count_per_request(call, connection, n: int) -> tuple[float, float]:
    statements = 0
    cache_calls = 0

    def count_sql(execute, sql, params, many, context):
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    import redis

    # A pipeline is one round trip however many commands it carries.
    originals = {redis.Redis: redis.Redis.execute_command, redis.client.Pipeline: None}
    originals[redis.client.Pipeline] = redis.client.Pipeline.execute

    def counting(method):
        def wrapper(*args, **kwargs):
            nonlocal cache_calls
            cache_calls += 1
            return method(*args, **kwargs)

        return wrapper

    redis.Redis.execute_command = counting(originals[redis.Redis])
    redis.client.Pipeline.execute = counting(originals[redis.client.Pipeline])
    try:
        with connection.execute_wrapper(count_sql):
            for _ in range(n):
                call()
    finally:
        redis.Redis.execute_command = originals[redis.Redis]
        redis.client.Pipeline.execute = originals[redis.client.Pipeline]
    return statements / n, cache_calls / n


def profile(call, n: int, sort: str) -> None:
    profiler = cProfile.Profile(time.process_time)  # CPU, not time spent waiting
    profiler.enable()
    for _ in range(n):
        call()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(sort).print_stats(45)
    print(out.getvalue())


if __name__ == "__main__":
    main()

"""Every route in the URL conf, found by walking the resolver (a new route is covered
without editing this file), gets a corpus of hostile bodies, headers, query strings and
path values. None may answer 5xx; every 4xx under /api/ is the error envelope."""

import base64
import itertools
import json
from collections.abc import Iterator
from urllib.parse import urlencode

import jwt
import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils.regex_helper import normalize
from rest_framework.test import APIClient

from accounts.models import User
from ledger.services import place_hold
from rewards.demo import seed_demo
from rewards.models import Item, Reward, Task
from tests.api import client_for
from tests.factories import create_role_user, create_user, fund, wallet

pytestmark = pytest.mark.django_db

DEEP = "[" * 1000 + "]" * 1000
LONG = "x" * 20_000
HUGE_INT = 10**30
FIELDS = [
    "asset",
    "amount",
    "description",
    "metadata",
    "to",
    "note",
    "from_asset",
    "to_asset",
    "reason",
    "reference",
    "expires_in",
    "quantity",
    "user",
    "event",
    "email",
    "password",
    "name",
    "refresh",
]


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def every_field(value) -> dict:
    return {field: value for field in FIELDS}


# (content type, raw body) pairs.
BODIES: list[tuple[str, str | bytes]] = [
    ("application/json", DEEP),
    ("application/json", json.dumps({"metadata": json.loads("[" * 100 + "]" * 100)})),
    ("application/json", json.dumps(every_field(LONG))),
    ("application/json", json.dumps({"a": "x" * 3_000_000})),  # over the upload limit
    ("application/json", json.dumps(every_field("a\u0000b"))),
    ("application/json", '{"asset": "\\ud800", "reason": "\\udfff"}'),
    ("application/json", json.dumps(every_field(HUGE_INT))),
    ("application/json", json.dumps(every_field(-HUGE_INT))),
    ("application/json", json.dumps(every_field([1, {"a": None}]))),
    ("application/json", json.dumps(every_field({"nested": {"deeper": []}}))),
    ("application/json", json.dumps(every_field(None))),
    ("application/json", json.dumps(every_field(True))),
    ("application/json", json.dumps(every_field("²"))),
    ("application/json", json.dumps(every_field("9999-12-31"))),
    ("application/json", '{"amount": NaN, "quantity": Infinity}'),
    ("application/json", '{"amount": 1e999}'),
    ("application/json", "[1, 2]"),
    ("application/json", "42"),
    ("application/json", '"text"'),
    ("application/json", "null"),
    ("application/json", "{not json"),
    ("application/json", ""),
    ("application/json", b"\xff\xfe\x00garbage"),
    ("application/json; charset=utf-16", '{"asset": "GOLD"}'),
    ("application/json; charset=bogus", '{"asset": "GOLD"}'),
    ("text/plain", "asset=GOLD"),
    ("application/x-www-form-urlencoded", "asset=GOLD&amount=1"),
    ("multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data\r\n\r\n--x--"),
    ("application/xml", "<a/>"),
]

QUERIES: list[dict[str, str]] = [
    {"limit": "²"},
    {"limit": "١٠"},
    {"limit": "-1"},
    {"limit": "9" * 5000},
    {"cursor": b64("p=2026-01-01")},
    {"cursor": b64("o=-1&r=x&p=1")},
    {"cursor": b64("p=" + "9" * 5000)},
    {"cursor": "%%%not-base64"},
    {"since": "9999-12-31", "until": "9999-12-31"},
    {"since": "0001-01-01T00:00:00+14:00", "until": "9999-12-31T23:59:59-12:00"},
    {"since": "2026-13-45", "until": "²⁰²⁶-01-01"},
    {"type": "\u0000", "asset": "GO\u0000LD"},
    {"search": LONG, "asset": LONG, "type": LONG},
    {"search": "\udcff"},
    {"asset": "GOLD", "period": "²", "limit": "²"},
    {"asset": "GOLD", "period": "daily", "limit": str(HUGE_INT)},
    {"format": "xml"},
    {"page": "²", "offset": "-1", "ordering": "password"},
]


def query_string(params: dict[str, str]) -> str:
    return urlencode(params, errors="surrogatepass")


def forged_token() -> str:
    return jwt.encode(
        {"token_type": "access", "user_id": 1, "exp": 2**40}, "another-key-of-a-decent-length-" * 2
    )


HEADERS: list[dict[str, str]] = [
    {"HTTP_AUTHORIZATION": "garbage"},
    {"HTTP_AUTHORIZATION": "Bearer"},
    {"HTTP_AUTHORIZATION": "Bearer "},
    {"HTTP_AUTHORIZATION": "Bearer a.b.c"},
    {"HTTP_AUTHORIZATION": f"Bearer {forged_token()}"},
    {"HTTP_AUTHORIZATION": f"Bearer {jwt.encode({'user_id': 1}, '', algorithm='none')}"},
    {"HTTP_AUTHORIZATION": "Basic " + b64("a:b")},
    {"HTTP_AUTHORIZATION": "Bearer " + LONG},
    {"HTTP_IDEMPOTENCY_KEY": LONG},
    {"HTTP_IDEMPOTENCY_KEY": "ключ-é-\u2028"},
    {"HTTP_IDEMPOTENCY_KEY": ""},
    {"HTTP_IDEMPOTENCY_KEY": "a\tb"},
    {"HTTP_ACCEPT": "application/xml"},
    {"HTTP_ACCEPT_LANGUAGE": "zz-" + LONG[:1000]},
]

# Hostile values for every path parameter, besides the plausible ones.
PATH_VALUES = ["0", "9223372036854775807", "9" * 19]


def routes() -> Iterator[tuple[str, URLPattern]]:
    """(full regex, pattern) for every leaf of the URL conf."""

    def walk(patterns, prefix: str) -> Iterator[tuple[str, URLPattern]]:
        for pattern in patterns:
            regex = prefix + pattern.pattern.regex.pattern.lstrip("^")
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, regex)
            else:
                yield regex, pattern

    yield from walk(get_resolver().url_patterns, "")


def concrete_paths(regex: str, pattern: URLPattern, plausible: dict[str, list[str]]) -> list[str]:
    """Paths that resolve to this very pattern: plausible values first, then hostile ones."""
    template, params = normalize(regex)[0]
    choices = [plausible.get(name, ["1", "accounts"]) + PATH_VALUES for name in params]
    paths = []
    for values in itertools.product(*choices):
        path = "/" + template % dict(zip(params, values, strict=True))
        try:
            if resolve(path).func is pattern.callback:
                paths.append(path)
        except Exception:  # Resolver404: this value does not fit the route
            continue
    return paths[:6]


# (what the case is, keyword arguments for send)
BODY_CASES = [
    (f"{kind} {body[:40]!r}", {"body": body, "content_type": kind}) for kind, body in BODIES
]
QUERY_CASES = [(str(query)[:80], {"QUERY_STRING": query_string(query)}) for query in QUERIES]
HEADER_CASES = [(str(headers)[:80], {"body": "{}", **headers}) for headers in HEADERS]


def methods(pattern: URLPattern) -> list[str]:
    view = getattr(pattern.callback, "cls", None) or getattr(pattern.callback, "view_class", None)
    if view is None:
        return ["get", "post"]
    return [m for m in ("get", "post", "put", "patch", "delete") if hasattr(view, m)] + ["delete"]


@pytest.fixture
def world():
    """The demo economy, a funded customer with a hold, and a staff member."""
    seed_demo()
    alice = create_user("alice-hostile@example.com")
    fund(wallet(alice, "GOLD"), 1000)
    hold = place_hold(account=wallet(alice, "GOLD"), amount=5)
    staff = create_role_user("staff")
    admin = User.objects.create_superuser(email="root@example.com", password="x-long-password")
    plausible = {
        "user": ["me", str(alice.pk)],
        "hold_id": [str(hold.pk)],
        "transaction_id": [str(hold.account.entries.latest("id").transaction_id)],
        "id": [str(model.objects.first().pk) for model in (Task, Item, Reward)],
        "app_label": ["accounts", "ledger"],
    }
    return {"staff": staff, "alice": alice, "admin": admin, "plausible": plausible}


def check(response, method: str, path: str, case: str, problems: list[str]) -> None:
    status = response.status_code
    where = f"{method.upper()} {path[:80]} [{case[:80]}] -> {status}"
    if status >= 500:
        problems.append(where)
    elif status >= 400 and path.startswith("/api/"):
        try:
            error = response.json()["error"]
            assert set(error) == {"code", "message", "details"}
        except Exception:
            problems.append(f"{where}: not the error envelope")


def send(client, method: str, path: str, body="", content_type="application/json", **extra):
    return client.generic(method.upper(), path, body, content_type, **extra)


def test_no_route_answers_5xx_or_an_html_error_to_hostile_input(world):
    problems: list[str] = []
    api = client_for(world["staff"])
    anonymous, admin = APIClient(), APIClient()
    queries = query_string({k: v[:200] for query in QUERIES for k, v in query.items()})

    for regex, pattern in routes():
        plausible, *hostile = concrete_paths(regex, pattern, world["plausible"])
        if not plausible.startswith("/api/"):
            # The HTML back office and health checks: a lighter corpus, as a superuser
            # (logged in again each time, in case the route was logout).
            admin.force_login(world["admin"])
            for method, body in (("get", ""), ("post", DEEP)):
                response = send(admin, method, plausible, body, "text/plain", QUERY_STRING=queries)
                check(response, method, plausible, "back office", problems)
            continue
        for method in methods(pattern):
            cases = BODY_CASES if method in ("post", "put", "patch") else QUERY_CASES
            for case, extra in cases + HEADER_CASES:
                # An Authorization header of the case's own goes out without the staff token.
                client = anonymous if "HTTP_AUTHORIZATION" in extra else api
                check(send(client, method, plausible, **extra), method, plausible, case, problems)
            for path in hostile:
                check(send(api, method, path, "{}"), method, path, "path value", problems)

    assert not problems, "\n".join(problems)

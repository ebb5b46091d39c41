"""Conventions every endpoint keeps: one error envelope, no HTML, no redirects, health."""

import base64

import pytest
from django.test import Client
from rest_framework.settings import api_settings

from tests.api import API, client_for, error_code

pytestmark = pytest.mark.django_db


def assert_envelope(response, status, code):
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    assert set(response.json()["error"]) == {"code", "message", "details"}
    assert error_code(response) == code


def test_unknown_api_path_is_a_json_404(as_alice):
    assert_envelope(as_alice.get(f"{API}no-such-thing/"), 404, "not_found")


def test_wrong_method_is_405(as_alice):
    assert_envelope(as_alice.delete(f"{API}wallets/me/spend"), 405, "method_not_allowed")


def test_malformed_json_is_400(as_alice):
    response = as_alice.post(f"{API}wallets/me/spend", "{not json", content_type="application/json")

    assert_envelope(response, 400, "validation_error")


def test_form_encoded_body_is_415(as_alice):
    response = as_alice.post(
        f"{API}wallets/me/spend",
        "asset=GOLD&amount=1",
        content_type="application/x-www-form-urlencoded",
    )

    assert_envelope(response, 415, "unsupported_media_type")


def test_a_json_array_body_is_400(as_alice):
    response = as_alice.post(f"{API}wallets/me/spend", [1, 2], format="json")

    assert_envelope(response, 400, "validation_error")


def test_no_redirect_without_the_trailing_slash(as_alice):
    for path in ("wallets/me", "wallets/me/", "assets", "assets/"):
        assert as_alice.get(f"{API}{path}").status_code == 200


def test_login_is_throttled_per_ip(alice, monkeypatch):
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "auth": "3/min"}
    monkeypatch.setattr(api_settings, "DEFAULT_THROTTLE_RATES", rates)

    codes = [
        client_for().post(
            f"{API}auth/login", {"email": "x@example.com", "password": "nope"}, format="json"
        )
        for _ in range(4)
    ]

    assert [r.status_code for r in codes] == [401, 401, 401, 429]
    assert_envelope(codes[-1], 429, "throttled")
    assert int(codes[-1]["Retry-After"]) > 0


def test_healthz_and_readyz():
    client = Client()

    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ok", "database": "ok"}


def test_schema_and_swagger_ui_are_served():
    client = Client()

    schema = client.get("/api/schema/?format=json")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    assert "/api/v1/wallets/{user}/spend/" in schema.json()["paths"]
    assert docs.status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"asset": "GO\u0000LD", "amount": 1},
        {"asset": "GOLD", "amount": 1, "description": "a\u0000b"},
        {"asset": "GOLD", "amount": 1, "metadata": {"k\u0000": 1}},
    ],
)
def test_text_postgres_cannot_store_is_400_not_500(as_alice, body):
    response = as_alice.post(f"{API}wallets/me/spend", body, format="json")

    assert_envelope(response, 400, "validation_error")


def test_a_lone_surrogate_is_400(as_alice):
    response = as_alice.post(
        f"{API}wallets/me/spend",
        '{"asset": "\\ud800", "amount": 1}',
        content_type="application/json",
    )

    assert_envelope(response, 400, "validation_error")


def test_a_nul_in_the_query_string_is_400(as_alice):
    assert_envelope(
        as_alice.get(f"{API}wallets/me/transactions?search=a%00b"), 400, "validation_error"
    )


@pytest.mark.parametrize("limit", ["null", "0", "201", "-3"])
def test_an_unusable_page_limit_is_400(as_alice, limit):
    assert_envelope(
        as_alice.get(f"{API}wallets/me/transactions?limit={limit}"), 400, "validation_error"
    )


def test_swagger_ui_loads_its_assets_locally_not_from_a_cdn():
    html = Client().get("/api/docs/").content.decode()

    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn.jsdelivr" not in html


def test_json_nested_a_thousand_levels_deep_is_400(as_alice):
    body = "[" * 1000 + "]" * 1000

    response = as_alice.post(f"{API}wallets/me/spend", body, content_type="application/json")

    assert_envelope(response, 400, "validation_error")


def test_json_nested_within_the_recursion_limit_but_too_deep_is_400(as_alice):
    metadata = {}
    for _ in range(200):
        metadata = {"k": metadata}

    response = as_alice.post(
        f"{API}wallets/me/spend",
        {"asset": "GOLD", "amount": 1, "metadata": metadata},
        format="json",
    )

    assert_envelope(response, 400, "validation_error")


def test_a_body_over_the_upload_limit_is_413(as_alice, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = {"asset": "GOLD", "amount": 1, "description": "x" * 2000}

    response = as_alice.post(f"{API}wallets/me/spend", body, format="json")

    assert_envelope(response, 413, "payload_too_large")


@pytest.mark.parametrize("limit", ["²", "١٠", "１０", " 10", "10 ", "+10", "9" * 5000])
def test_a_page_limit_in_anything_but_ascii_digits_is_400(as_alice, limit):
    response = as_alice.get(f"{API}wallets/me/transactions", {"limit": limit})

    assert_envelope(response, 400, "validation_error")


@pytest.mark.parametrize(
    "cursor",
    [
        base64.b64encode(b"p=2026-01-01").decode(),
        base64.b64encode(b"p=1e3").decode(),
        base64.b64encode(b"p=" + b"9" * 5000).decode(),
        base64.b64encode(b"o=" + b"9" * 5000).decode(),
        "not-base64!",
    ],
)
def test_a_forged_or_garbage_cursor_is_400(as_alice, cursor):
    response = as_alice.get(f"{API}wallets/me/transactions", {"cursor": cursor})

    assert_envelope(response, 400, "validation_error")


def test_a_cursor_the_api_issued_still_pages(as_alice, alice):
    first = as_alice.get(f"{API}wallets/me/transactions?limit=1").json()
    assert first["results"], "the signup grant is on the first page"

    second = as_alice.get(first["next"] or f"{API}wallets/me/transactions?limit=1")

    assert second.status_code == 200


@pytest.mark.parametrize(
    "query, expected",
    [
        ("until=9999-12-31", 1),
        ("until=9999-12-31T23:59:59.999999", 1),
        ("since=9999-12-31", 0),
        ("since=0001-01-01", 1),
        ("until=0001-01-01", 0),
        # Instants before and after the calendar in UTC (SQLite compares UTC text)
        ("since=0001-01-01T00:00:00%2B14:00", 1),
        ("until=0001-01-01T00:00:00%2B14:00", 0),
        ("until=9999-12-31T23:59:59-12:00", 1),
        ("since=9999-12-31T23:59:59-12:00", 0),
    ],
)
def test_history_dates_at_the_ends_of_the_calendar(as_alice, query, expected):
    response = as_alice.get(f"{API}wallets/me/transactions?{query}")

    assert response.status_code == 200
    assert len(response.json()["results"]) == expected  # alice's signup grant, or nothing


def test_an_id_of_thousands_of_digits_is_a_json_404(as_alice):
    assert_envelope(as_alice.post(f"{API}tasks/{'9' * 5000}/complete"), 404, "not_found")
    assert_envelope(as_alice.get(f"{API}wallets/{'9' * 5000}/"), 404, "not_found")


@pytest.mark.parametrize("debug", [False, True])
def test_every_api_error_is_the_envelope_whatever_debug_is(as_alice, settings, debug):
    settings.DEBUG = debug

    assert_envelope(as_alice.get(f"{API}no-such-thing/"), 404, "not_found")
    assert_envelope(Client().get("/api/nowhere"), 404, "not_found")
    assert_envelope(Client(HTTP_HOST="evil.example").get(f"{API}assets"), 400, "validation_error")


LOOSE_WHOLE_NUMBERS = ["٣", "３", "²", "1.0", " 2", "2 ", "+2", "1e1", 2.0, True]


@pytest.mark.parametrize("to", LOOSE_WHOLE_NUMBERS)
def test_a_whole_number_field_takes_only_an_integer_or_ascii_digits(as_alice, bob, to):
    body = {"to": to, "asset": "COIN", "amount": "1"}

    response = as_alice.post(f"{API}wallets/me/transfer", body, format="json")

    assert_envelope(response, 400, "validation_error")
    assert "to" in response.json()["error"]["details"]


@pytest.mark.parametrize("expires_in", LOOSE_WHOLE_NUMBERS)
def test_a_hold_expiry_in_loose_digits_is_400(as_alice, expires_in):
    body = {"asset": "GOLD", "amount": "1", "expires_in": expires_in}

    response = as_alice.post(f"{API}wallets/me/holds", body, format="json")

    assert_envelope(response, 400, "validation_error")


@pytest.mark.parametrize("limit", ["١٠", "10.0", " 10"])
def test_a_leaderboard_limit_in_loose_digits_is_400(as_alice, limit):
    response = as_alice.get(f"{API}leaderboard/", {"asset": "CITY_POINTS", "limit": limit})

    assert_envelope(response, 400, "validation_error")


def test_whole_numbers_as_json_integers_or_ascii_digit_strings_are_read(as_alice):
    for limit in ("10", 10):
        response = as_alice.get(f"{API}leaderboard/", {"asset": "CITY_POINTS", "limit": limit})
        assert response.status_code == 200

"""Prometheus metrics: the service's own counters move, /metrics is never open."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connections
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from core.observability import metrics
from tests.api import API, client_for, error_code

ROOT = Path(__file__).resolve().parents[2]
SPEND = f"{API}wallets/me/spend"
TOKEN = "a-metrics-token-of-at-least-32-characters"


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client, token: str | None = None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.get("/metrics", **headers)


def parsed(response) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} from an exposition page."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.content.decode())
        for s in family.samples
    }


def test_a_spend_counts_one_spend_posting(alice, django_capture_on_commit_callbacks):
    before = sample("wallet_postings_total", type="SPEND")

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(alice).post(SPEND, {"asset": "GOLD", "amount": "1"}, format="json")

    assert response.status_code == 201
    assert sample("wallet_postings_total", type="SPEND") == before + 1


def test_a_posting_rolled_back_is_not_counted(alice, django_capture_on_commit_callbacks):
    before = sample("wallet_postings_total", type="SPEND")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client_for(alice).post(SPEND, {"asset": "GOLD", "amount": "1"}, format="json")

    assert callbacks  # the count waits for a commit that, here, never comes
    assert sample("wallet_postings_total", type="SPEND") == before


def test_a_refused_spend_counts_a_refusal_by_code(alice, django_capture_on_commit_callbacks):
    before_refusals = sample("wallet_refusals_total", code="insufficient_funds")
    before_postings = sample("wallet_postings_total", type="SPEND")

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(alice).post(
            SPEND, {"asset": "GOLD", "amount": "1000000"}, format="json"
        )

    assert error_code(response) == "insufficient_funds"
    assert sample("wallet_refusals_total", code="insufficient_funds") == before_refusals + 1
    assert sample("wallet_postings_total", type="SPEND") == before_postings


def test_a_malformed_request_counts_a_validation_error(alice):
    before = sample("wallet_refusals_total", code="validation_error")

    response = client_for(alice).post(SPEND, {"asset": "GOLD", "amount": "-1"}, format="json")

    assert error_code(response) == "validation_error"
    assert sample("wallet_refusals_total", code="validation_error") == before + 1


def test_metrics_refuse_a_request_without_credentials(db, metrics_token):
    response = scrape(client_for())

    assert response.status_code == 401
    assert error_code(response) == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"wallet_" not in response.content


@pytest.mark.parametrize("token", ["wrong", TOKEN[:-1], TOKEN + "x", f"{TOKEN} extra"])
def test_metrics_refuse_a_wrong_token(db, metrics_token, token):
    response = scrape(client_for(), token)

    assert response.status_code == 403
    assert error_code(response) == "permission_denied"


def test_metrics_refuse_every_token_when_none_is_configured(db, settings):
    settings.METRICS_TOKEN = ""

    assert scrape(client_for(), "").status_code == 401
    assert scrape(client_for(), "anything").status_code == 403


def test_metrics_refuse_a_signed_in_customer_and_serve_staff(client, alice, staff, metrics_token):
    staff.is_staff = True
    staff.save()

    client.force_login(alice)
    as_customer = scrape(client)
    client.force_login(staff)
    as_staff = scrape(client)

    assert as_customer.status_code == 403
    assert as_staff.status_code == 200


def test_metrics_serve_every_counter_with_the_token(
    alice, metrics_token, django_capture_on_commit_callbacks
):
    # given: a spend (an outbox event waits for the relay) and a refused one
    as_alice = client_for(alice)
    with django_capture_on_commit_callbacks(execute=True):
        as_alice.post(SPEND, {"asset": "GOLD", "amount": "1"}, format="json")
        as_alice.post(SPEND, {"asset": "GOLD", "amount": "1000000"}, format="json")

    # when
    response = scrape(client_for(), metrics_token)

    # then
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    page = parsed(response)
    assert page[("wallet_postings_total", (("type", "SPEND"),))] >= 1
    assert page[("wallet_refusals_total", (("code", "insufficient_funds"),))] >= 1
    assert page[("wallet_outbox_unpublished_events", ())] >= 1
    assert page[("wallet_outbox_oldest_unpublished_age_seconds", ())] >= 0
    latency = ("method", "POST"), ("view", "wallet-spend")
    assert page[("django_http_requests_latency_seconds_by_view_method_count", latency)] >= 2


def test_the_outbox_lag_is_zero_when_everything_was_relayed(db, metrics_token):
    page = parsed(scrape(client_for(), metrics_token))

    assert page[("wallet_outbox_unpublished_events", ())] == 0
    assert page[("wallet_outbox_oldest_unpublished_age_seconds", ())] == 0


def test_route_metrics_never_label_by_raw_path_or_made_up_method(alice):
    as_alice = client_for(alice)
    as_alice.get(f"{API}wallets/{alice.pk}")
    as_alice.generic("BREW", f"{API}wallets/me")

    labels = [
        s.labels
        for family in REGISTRY.collect()
        if family.name == "django_http_requests_latency_seconds_by_view_method"
        for s in family.samples
    ]
    views = {label["view"] for label in labels}
    methods = {label["method"] for label in labels}
    assert "wallet" in views  # the route's name, for /wallets/<id> and /wallets/me alike
    assert not any("/" in view for view in views)
    assert "BREW" not in methods and "<invalid method>" in methods


class _FakePool:
    def get_stats(self) -> dict:
        return {"pool_min": 2, "pool_max": 20, "pool_size": 5, "pool_available": 3}


def test_the_database_pool_is_sampled_at_most_once_a_second(monkeypatch):
    # Whichever backend this lane runs on (SQLite has no pool of its own).
    wrapper = type(connections["default"])
    monkeypatch.setattr(wrapper, "pool", property(lambda self: _FakePool()), raising=False)
    monkeypatch.setattr(metrics, "_last_pool_sample", 0.0)

    metrics.sample_db_pool()
    monkeypatch.setattr(_FakePool, "get_stats", lambda self: pytest.fail("sampled again"))
    metrics.sample_db_pool()

    assert sample("wallet_db_pool_open_connections") == 5
    assert sample("wallet_db_pool_idle_connections") == 3
    assert sample("wallet_db_pool_waiting_requests") == 0
    assert sample("wallet_db_pool_max_connections") == 20


WORKER = """
import django; django.setup()
from core.observability.metrics import POSTINGS
POSTINGS.labels(type="EARN").inc(3)
"""
SCRAPE = """
import django; django.setup()
from django.test import RequestFactory
from core.observability.views import metrics_view
request = RequestFactory().get("/metrics", HTTP_AUTHORIZATION="Bearer " + "t" * 40)
print(metrics_view()(request).content.decode())
"""


def test_metrics_add_up_every_worker_process(tmp_path):
    # given: two worker processes that each counted postings, then exited
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "METRICS_TOKEN": "t" * 40,
    }
    for _ in range(2):
        subprocess.run([sys.executable, "-c", WORKER], cwd=ROOT, env=env, check=True)

    # when: a third process serves /metrics
    result = subprocess.run(
        [sys.executable, "-c", SCRAPE], cwd=ROOT, env=env, capture_output=True, text=True
    )

    # then
    assert result.returncode == 0, result.stderr
    assert 'wallet_postings_total{type="EARN"} 6.0' in result.stdout

"""Each rewards write answers with exactly the fields its schema component documents:
the body and the component come from one output serializer, so they cannot drift."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from rewards.models import EarningRule, Item, Task
from tests.api import API, client_for
from tests.factories import create_role_user, earn

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def openapi() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def documented(openapi: dict, path: str, status: int) -> dict:
    """The component the schema names for `status` of POST `path`."""
    content = openapi["paths"][path]["post"]["responses"][str(status)]["content"]
    ref = content["application/json"]["schema"]["$ref"]
    return openapi["components"]["schemas"][ref.rsplit("/", 1)[-1]]


def assert_matches(body: dict, component: dict) -> None:
    assert list(body) == list(component["properties"])  # the same fields, in order
    assert set(component["required"]) == set(body)
    assert component["properties"]["transaction"]["$ref"].endswith("/Transaction")
    assert body["transaction"]["id"] > 0


def test_task_completion_matches_its_schema(openapi, as_alice, assets):
    task = Task.objects.create(title="t", asset=assets["SILVER"], reward=10)

    response = as_alice.post(f"{API}tasks/{task.pk}/complete")

    assert response.status_code == 201
    body = response.json()
    assert_matches(body, documented(openapi, "/api/v1/tasks/{id}/complete/", 201))
    assert (body["task"], body["transaction"]["type"]) == (task.pk, "EARN")


def test_purchase_matches_its_schema(openapi, as_alice, assets):
    item = Item.objects.create(name="egg", asset=assets["GOLD"], price=30)

    response = as_alice.post(f"{API}items/{item.pk}/buy", {"quantity": 2}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert_matches(body, documented(openapi, "/api/v1/items/{id}/buy/", 201))
    assert (body["item"], body["quantity"], body["transaction"]["balances"]) == (
        item.pk,
        2,
        {"GOLD": "40"},
    )


def test_checkin_matches_its_schema(openapi, as_alice):
    response = as_alice.post(f"{API}checkin")

    assert response.status_code == 201
    assert_matches(response.json(), documented(openapi, "/api/v1/checkin/", 201))


def test_activity_event_new_and_seen_match_their_schemas(openapi, alice, assets):
    EarningRule.objects.create(event="report_submitted", asset=assets["SILVER"], amount=10)
    reporter = client_for(create_role_user("service"))  # the role that reports activity
    payload = {"user": alice.pk, "event": "report_submitted", "reference": "incident_001"}

    first = reporter.post(f"{API}activity-events", payload, format="json")
    again = reporter.post(f"{API}activity-events", payload, format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert_matches(first.json(), documented(openapi, "/api/v1/activity-events/", 201))
    assert_matches(again.json(), documented(openapi, "/api/v1/activity-events/", 200))
    assert again.json()["transaction"] == first.json()["transaction"]
    assert first.json()["user"] == alice.pk


def test_leaderboard_rows_match_their_schema(openapi, as_alice, alice):
    earn(alice, 10)

    response = as_alice.get(f"{API}leaderboard?asset=SILVER")

    assert response.status_code == 200
    documented_rows = openapi["paths"]["/api/v1/leaderboard/"]["get"]["responses"]["200"]
    ref = documented_rows["content"]["application/json"]["schema"]["items"]["$ref"]
    row = openapi["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert [list(body) for body in response.json()] == [list(row["properties"])]
    assert response.json()[0] == {"rank": 1, "user": alice.pk, "name": "", "earned": "10"}

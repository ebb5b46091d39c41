import pytest
import time_machine

from accounts.models import User
from rewards.models import ActivityEvent, CheckIn, EarningRule, Milestone
from rewards.services import check_in
from tests.api import API, client_for, error_code
from tests.factories import wallet
from tests.threads import outcomes, run_in_threads


@pytest.fixture
def rules(assets):
    for event, amount in [
        ("report_submitted", 10),
        ("report_confirmed", 20),
        ("report_resolved", 30),
    ]:
        EarningRule.objects.create(
            event=event,
            asset=assets["CITY_POINTS"],
            amount=amount,
            period="DAY",
            limit_per_period=3,
        )


def report(client, user, event="report_submitted", reference="r-1"):
    return client.post(
        f"{API}activity-events",
        {"user": user.pk, "event": event, "reference": reference},
        format="json",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("event", "points"),
    [("report_submitted", 10), ("report_confirmed", 20), ("report_resolved", 30)],
)
def test_each_event_credits_its_rule(service, alice, rules, event, points):
    response = report(client_for(service), alice, event)

    assert response.status_code == 201
    assert response.json()["transaction"]["type"] == "EARN"
    assert wallet(alice, "CITY_POINTS").balance == points


@pytest.mark.django_db
def test_the_same_event_again_returns_the_original_and_credits_nothing(service, alice, rules):
    client = client_for(service)
    first = report(client, alice)

    again = report(client, alice)

    assert again.status_code == 200
    assert again.json()["transaction"]["id"] == first.json()["transaction"]["id"]
    assert wallet(alice, "CITY_POINTS").balance == 10


@pytest.mark.django_db
def test_events_beyond_the_daily_limit_are_409(service, alice, rules):
    # tokens are minted inside each travel: a token issued "in the future" is refused
    with time_machine.travel("2026-06-01 09:00Z"):
        client = client_for(service)
        codes = [report(client, alice, reference=f"r-{i}").status_code for i in range(3)]
        refused = report(client, alice, reference="r-9")
    with time_machine.travel("2026-06-02 09:00Z"):
        next_day = report(client_for(service), alice, reference="r-10")

    assert codes == [201, 201, 201]
    assert refused.status_code == 409
    assert error_code(refused) == "limit_reached"
    assert next_day.status_code == 201
    assert wallet(alice, "CITY_POINTS").balance == 40


@pytest.mark.django_db
def test_the_tenth_resolved_report_pays_the_milestone_once(service, alice, rules, assets):
    EarningRule.objects.filter(event="report_resolved").update(limit_per_period=None)
    Milestone.objects.create(
        event="report_resolved", count=10, asset=assets["CITY_POINTS"], amount=100
    )
    client = client_for(service)

    for i in range(11):
        report(client, alice, "report_resolved", reference=f"r-{i}")

    assert wallet(alice, "CITY_POINTS").balance == 11 * 30 + 100


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"event": "report_exploded", "reference": "x"}, 400),
        ({"event": "report_submitted"}, 400),
        ({"event": "report_submitted", "reference": "x", "user": 999999}, 400),
    ],
)
def test_bad_activity_events_are_400(service, alice, rules, payload, status):
    response = client_for(service).post(
        f"{API}activity-events", {"user": alice.pk, **payload}, format="json"
    )

    assert response.status_code == status
    assert not ActivityEvent.objects.exists()


@pytest.mark.django_db
def test_customers_cannot_report_activity(alice, rules):
    assert report(client_for(alice), alice).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_the_same_event_reported_concurrently_credits_once(alice, rules, assert_reconciles):
    from tests.factories import create_role_user

    service = create_role_user("service")
    results = run_in_threads(6, lambda _: report(client_for(service), alice).status_code)

    assert sorted(results) == [200] * 5 + [201]
    assert wallet(alice, "CITY_POINTS").balance == 10
    assert_reconciles()


@pytest.mark.django_db
def test_check_in_credits_two_points_once_a_day(alice, assets):
    with time_machine.travel("2026-06-01 23:00Z"):
        first = client_for(alice).post(f"{API}checkin")
        second = client_for(alice).post(f"{API}checkin/")
    with time_machine.travel("2026-06-02 00:30Z"):
        next_day = client_for(alice).post(f"{API}checkin")

    assert (first.status_code, second.status_code, next_day.status_code) == (201, 409, 201)
    assert error_code(second) == "limit_reached"
    assert first.json()["day"] == "2026-06-01"
    assert wallet(alice, "CITY_POINTS").balance == 4


@pytest.mark.django_db
def test_check_in_follows_the_configured_time_zone(alice, assets, settings):
    settings.WALLET_TIME_ZONE = "Asia/Tokyo"  # UTC+9: 20:00Z on June 1 is June 2 there
    with time_machine.travel("2026-06-01 10:00Z"):
        client_for(alice).post(f"{API}checkin")
    with time_machine.travel("2026-06-01 20:00Z"):
        response = client_for(alice).post(f"{API}checkin")

    assert response.status_code == 201
    assert response.json()["day"] == "2026-06-02"


@pytest.mark.django_db(transaction=True)
def test_concurrent_check_ins_credit_once(alice, assets, assert_reconciles):
    user = User.objects.get(pk=alice.pk)

    results = run_in_threads(6, lambda _: check_in(user=user).pk)

    assert outcomes(results) == {"int": 1, "limit_reached": 5}
    assert CheckIn.objects.count() == 1
    assert wallet(alice, "CITY_POINTS").balance == 2
    assert_reconciles()

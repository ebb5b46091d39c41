"""GET notifications/, POST notifications/{id}/read, POST notifications/read-all."""

import pytest
from django.db import transaction

from integrations.dispatch import dispatch
from integrations.models import Notification
from tests.api import API, client_for, error_code
from tests.integrations.envelopes import envelope, posted


def notify(*events: dict) -> None:
    with transaction.atomic():
        dispatch(list(events))


def test_list_newest_first_with_unread_count_and_messages(alice, as_alice):
    # given
    notify(
        posted("TOPUP", (alice.pk, "COIN", "12.50", "12.50")),
        posted("SPEND", (alice.pk, "GOLD", "-30", "70")),
    )

    # when
    response = as_alice.get(f"{API}notifications/")

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["unread"] == 2
    assert [row["kind"] for row in body["results"]] == ["payment_processed", "funds_added"]
    assert body["results"][0]["message"] == "Payment of 30 GOLD processed."
    assert body["results"][1]["message"] == "12.50 COIN added to your wallet."
    assert body["results"][0]["read"] is False
    assert response["Content-Language"] == "en"


@pytest.mark.parametrize(
    ("accept_language", "message"),
    [
        ("de-DE,de;q=0.9,en;q=0.5", "Zahlung über 30 GOLD ausgeführt."),
        ("fr-FR,de;q=0.5", "Zahlung über 30 GOLD ausgeführt."),
        ("en-GB", "Payment of 30 GOLD processed."),
        ("ja", "Payment of 30 GOLD processed."),
    ],
)
def test_message_in_the_readers_language(alice, as_alice, accept_language, message):
    notify(posted("SPEND", (alice.pk, "GOLD", "-30", "70")))
    response = as_alice.get(f"{API}notifications", HTTP_ACCEPT_LANGUAGE=accept_language)
    assert response.json()["results"][0]["message"] == message


def test_every_kind_has_a_german_message(alice, as_alice):
    wallet = {"account_id": 1, "user_id": alice.pk, "asset": "GOLD"}
    notify(
        posted("TOPUP", (alice.pk, "GOLD", "5", "105")),
        posted("TRANSFER", (alice.pk, "COIN", "-1", "0")),
        posted("SPEND", (alice.pk, "GOLD", "-5", "100")),
        posted("EARN", (alice.pk, "SILVER", "10", "10")),
        posted("CONVERT", (alice.pk, "SILVER", "-50", "0"), (alice.pk, "GOLD", "1", "101")),
        envelope("wallet.frozen", wallet),
        envelope("wallet.unfrozen", wallet),
    )
    body = as_alice.get(f"{API}notifications", HTTP_ACCEPT_LANGUAGE="de").json()
    assert [row["message"] for row in body["results"]] == [
        "Dein GOLD-Wallet ist wieder aktiv.",
        "Dein GOLD-Wallet wurde eingefroren.",
        "Dein Guthaben hat sich geändert: -50 SILVER, +1 GOLD.",
        "Du hast 10 SILVER verdient.",
        "Zahlung über 5 GOLD ausgeführt.",
        "1 COIN wurden von deinem Wallet gesendet.",
        "5 GOLD wurden deinem Wallet gutgeschrieben.",
    ]


def test_cursor_pages(alice, as_alice):
    # given: five notifications
    notify(*[posted("EARN", (alice.pk, "SILVER", str(n), str(n))) for n in range(1, 6)])

    # when: pages of two
    first = as_alice.get(f"{API}notifications?limit=2").json()
    second = as_alice.get(first["next"]).json()
    third = as_alice.get(second["next"]).json()

    # then
    amounts = [
        row["params"]["entries"][0]["amount"]
        for page in (first, second, third)
        for row in page["results"]
    ]
    assert amounts == ["5", "4", "3", "2", "1"]
    assert third["next"] is None
    assert first["unread"] == third["unread"] == 5


def test_list_query_count(alice, as_alice, django_assert_num_queries):
    notify(*[posted("EARN", (alice.pk, "SILVER", str(n), str(n))) for n in range(1, 30)])
    # the user, the page, the unread count
    with django_assert_num_queries(3):
        assert as_alice.get(f"{API}notifications?limit=20").status_code == 200


def test_bad_cursor_and_limit_are_400(alice, as_alice):
    assert error_code(as_alice.get(f"{API}notifications?cursor=garbage")) == "validation_error"
    assert error_code(as_alice.get(f"{API}notifications?limit=0")) == "validation_error"


def test_mark_one_read(alice, as_alice):
    notify(
        posted("EARN", (alice.pk, "SILVER", "1", "1")),
        posted("EARN", (alice.pk, "SILVER", "2", "3")),
    )
    target = Notification.objects.filter(user=alice).order_by("id").first()

    response = as_alice.post(f"{API}notifications/{target.pk}/read")
    again = as_alice.post(f"{API}notifications/{target.pk}/read/")

    assert response.status_code == again.status_code == 200
    assert response.json()["read"] is True
    assert again.json()["read_at"] == response.json()["read_at"]
    assert as_alice.get(f"{API}notifications").json()["unread"] == 1


def test_read_all(alice, bob, as_alice):
    notify(
        posted("EARN", (alice.pk, "SILVER", "1", "1")),
        posted("EARN", (alice.pk, "SILVER", "2", "3")),
        posted("EARN", (bob.pk, "SILVER", "2", "2")),
    )

    response = as_alice.post(f"{API}notifications/read-all")

    assert response.status_code == 200
    assert response.json() == {"marked": 2, "unread": 0}
    assert Notification.objects.filter(user=bob, read_at__isnull=True).count() == 1


def test_another_users_notification_is_404(alice, bob, as_alice):
    notify(posted("EARN", (bob.pk, "SILVER", "1", "1")))
    bobs = Notification.objects.get(user=bob)

    response = as_alice.post(f"{API}notifications/{bobs.pk}/read")

    assert response.status_code == 404
    assert error_code(response) == "not_found"
    assert Notification.objects.get(pk=bobs.pk).read_at is None
    assert as_alice.get(f"{API}notifications").json()["results"] == []
    assert error_code(as_alice.post(f"{API}notifications/99999999/read")) == "not_found"


def test_anonymous_is_401(assets):
    response = client_for(None).get(f"{API}notifications")
    assert response.status_code == 401
    assert error_code(response) == "not_authenticated"

"""Events out: every producer's events validate against the catalogue, and the AsyncAPI
document lists the whole catalogue in a valid 3.0 structure."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from jsonschema import Draft202012Validator

from ledger import services as ledger
from ledger.events import CATALOGUE, envelope
from ledger.events.asyncapi import asyncapi_document
from ledger.events.catalogue import validate_envelope
from ledger.models import Account, OutboxEvent
from rewards.models import Reward
from rewards.services import redeem_reward
from tests.factories import create_user, earn, fund, spend, wallet
from wallets.inbound.handlers import handle
from wallets.inbound.messages import Message

pytestmark = pytest.mark.django_db


def test_every_producer_writes_events_that_validate_and_cover_the_catalogue(alice, bob, assets):
    gold, coin = wallet(alice, "GOLD"), wallet(alice, "COIN")
    fund(coin, 1000)
    spent = spend(alice, 12)
    ledger.transfer(source=coin, destination=wallet(bob, "COIN"), amount=250)
    ledger.reverse_transaction(transaction_id=spent.pk, reason="test")
    captured = ledger.place_hold(account=gold, amount=5, reference="order-1")
    ledger.capture_hold(hold_id=captured.pk, amount=3)
    ledger.void_hold(hold_id=ledger.place_hold(account=gold, amount=2).pk)
    ledger.place_hold(account=gold, amount=1, expires_at=timezone.now() + timedelta(seconds=1))
    assert ledger.release_expired_holds(now=timezone.now() + timedelta(hours=1)) == 1
    ledger.set_account_status(account=gold, status=Account.Status.FROZEN)
    ledger.set_account_status(account=gold, status=Account.Status.ACTIVE)
    tea = Reward.objects.create(name="Tea", kind="VOUCHER", asset=assets["GOLD"], cost=10)
    redeem_reward(reward_id=tea.pk, user=alice, quantity=2)
    points = wallet(alice, "CITY_POINTS")
    earn(alice, 40, "CITY_POINTS")
    ledger.expire_lots(account_id=points.pk, now=timezone.now() + timedelta(days=400))
    topup = {"transaction_id": "ext-1", "kind": "topup", "to": alice.pk, "asset": "COIN",
             "amount": "2.50"}  # fmt: skip
    handle(Message(id="m-1", type="transaction.completed", data=topup))

    rows = list(OutboxEvent.objects.order_by("id"))
    for row in rows:
        validate_envelope(envelope(row))
    assert {row.topic for row in rows} == set(CATALOGUE)
    transfer = next(r for r in rows if r.payload.get("type") == "TRANSFER")
    assert [(e["user_id"], e["amount"]) for e in transfer.payload["entries"]] == [
        (alice.pk, "-2.50"),
        (bob.pk, "2.50"),
    ]
    assert transfer.payload["entries"][0]["balance_after"] == "7.50"
    redeemed = next(r for r in rows if r.topic == "wallet.reward.redeemed")
    assert (redeemed.payload["amount"], redeemed.payload["quantity"]) == ("20", 2)
    hold = next(r for r in rows if r.topic == "wallet.hold.captured")
    assert (hold.payload["amount"], hold.payload["captured_amount"]) == ("5", "3")
    expired = next(r for r in rows if r.topic == "wallet.points.expired")
    assert expired.payload["amount"] == "40"


def test_a_wallet_is_announced_once_when_opened(assets):
    user = create_user()
    created = OutboxEvent.objects.filter(topic="wallet.created", payload__user_id=user.pk)

    ledger.open_user_accounts(user=user)  # all open already: nothing new

    active = [code for code, asset in assets.items() if asset.active]
    assert sorted(e.payload["asset"] for e in created) == sorted(active)
    assert {e.payload["account_id"] for e in created} == set(
        Account.objects.filter(user=user).values_list("pk", flat=True)
    )


def test_the_catalogues_examples_match_their_schemas():
    for event in CATALOGUE.values():
        Draft202012Validator.check_schema(event.envelope_schema)
        body = {"id": "0d9c6a8e-6f36-4b8e-9f7a-3c1d2b4e5f60", "type": event.type,
                "occurred_at": "2026-05-01T09:30:00Z", "version": event.version,
                "data": event.example}  # fmt: skip
        Draft202012Validator(event.envelope_schema).validate(body)


COMPONENT_KEY = re.compile(r"^[A-Za-z0-9._-]+$")


def _resolve(document: dict, ref: str) -> dict:
    assert ref.startswith("#/"), ref
    node = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _refs(node):
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_the_asyncapi_document_is_served_and_lists_every_catalogue_type():
    response = Client().get("/api/asyncapi/")

    assert response.status_code == 200
    document = response.json()
    assert document == asyncapi_document()
    assert document["asyncapi"] == "3.0.0"
    assert {"title", "version"} <= set(document["info"])
    assert {channel["address"] for channel in document["channels"].values()} == set(CATALOGUE)
    for name, server in document["servers"].items():
        assert COMPONENT_KEY.match(name) and {"host", "protocol"} <= set(server)
    for section in ("channels", "operations"):
        assert all(COMPONENT_KEY.match(key) for key in document[section])
    for ref in _refs({k: v for k, v in document.items() if k != "components"}):
        _resolve(document, ref)  # every reference points at something
    sent = set()
    for operation in document["operations"].values():
        assert operation["action"] in ("send", "receive")
        channel = _resolve(document, operation["channel"]["$ref"])
        for ref in operation["messages"]:
            assert ref["$ref"].startswith(operation["channel"]["$ref"] + "/messages/")
        sent.add(channel["address"])
    assert sent == set(CATALOGUE)
    for message in document["components"]["messages"].values():
        schema = message["payload"]["schema"]
        assert message["payload"]["schemaFormat"].startswith("application/schema+json")
        Draft202012Validator.check_schema(schema)
        for example in message["examples"]:
            Draft202012Validator(schema).validate(example["payload"])
        assert CATALOGUE[message["name"]].version == schema["properties"]["version"]["const"]

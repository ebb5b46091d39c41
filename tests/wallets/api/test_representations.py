"""The hand-written to_representation of the wallet serializers equals DRF's generic
output of their declared fields; a posting's 201 is built from what the engine wrote,
with no read of it; the busiest paths' query counts are pinned."""

from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework import serializers

from accounts.models import User
from ledger import services as ledger
from ledger.models import Entry, Transaction
from ledger.selectors import get_transaction_with_entries, get_user_wallets
from tests.api import API, client_for
from tests.factories import create_assets, create_role_user, create_user, fund, wallet
from wallets import services
from wallets.api import serializers as io
from wallets.api.access import transaction_context
from wallets.selectors import list_history

pytestmark = pytest.mark.django_db

# A spend on warm caches: the user; the wallet lock, which takes the new ids too on
# PostgreSQL (ledger/locks.py); the one statement that writes the transaction, its
# entries, the balance, the daily totals and the outbox event; and the savepoint and its
# release (BEGIN and COMMIT outside a test). No reference data, no read of what was
# written. On SQLite the ids are a query of their own and the one statement is five
# (ledger/inserts.py).
SPEND_QUERIES = {"postgresql": 5, "sqlite": 10}


# Built in committed transactions, as in production: the process caches keep nothing
# while a change of theirs is uncommitted, and the query counts below need them warm.
@pytest.fixture
def assets(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return create_assets()


@pytest.fixture
def alice(assets, django_capture_on_commit_callbacks) -> User:
    with django_capture_on_commit_callbacks(execute=True):
        return create_user("alice@example.com")


@pytest.fixture
def bob(assets, django_capture_on_commit_callbacks) -> User:
    with django_capture_on_commit_callbacks(execute=True):
        return create_user("bob@example.com")


@pytest.fixture
def staff(assets, django_capture_on_commit_callbacks) -> User:
    with django_capture_on_commit_callbacks(execute=True):
        return create_role_user("staff")


def context(viewer: User, owner: User) -> dict:
    """What the views pass: the viewer's request, the wallet owner."""
    return transaction_context(SimpleNamespace(user=viewer), owner)


def assert_same_as_generic(txn: Transaction, ctx: dict) -> dict:
    """The transaction and each entry, by hand and by DRF's generic path, both as the
    engine returned them and as read back from the database."""
    for shown in (txn, get_transaction_with_entries(txn.pk)):
        serializer = io.TransactionSerializer(context=ctx)
        by_hand = serializer.to_representation(shown)
        generic = serializers.ModelSerializer.to_representation(serializer, shown)
        assert by_hand == generic
        assert list(by_hand) == list(generic)
        for entry in shown.entries.all():
            entry_serializer = io.EntrySerializer(context=ctx)
            entry_by_hand = entry_serializer.to_representation(entry)
            assert entry_by_hand == serializers.ModelSerializer.to_representation(
                entry_serializer, entry
            )
            assert list(entry_by_hand) == list(io.EntrySerializer.Meta.fields)
    return by_hand


def test_a_spend_is_shown_as_the_generic_serializer_would(alice):
    txn = services.spend(user=alice, asset=wallet(alice, "GOLD").asset, amount=30)

    body = assert_same_as_generic(txn, context(alice, alice))

    assert body["balances"] == {"GOLD": "70"}


@pytest.mark.parametrize(("viewer", "recipient_balance"), [("alice", None), ("staff", "1.50")])
def test_a_transfer_is_shown_as_the_generic_serializer_would(
    alice, bob, staff, viewer, recipient_balance
):
    coin = fund(wallet(alice, "COIN"), 500)
    txn = services.transfer(sender=alice, recipient=bob, asset=coin.asset, amount=150)

    body = assert_same_as_generic(txn, context({"alice": alice, "staff": staff}[viewer], alice))

    by_user = {entry["user"]: entry for entry in body["entries"]}
    assert by_user[alice.pk]["balance_after"] == "3.50"
    assert by_user[bob.pk]["balance_after"] == recipient_balance
    assert body["balances"] == {"COIN": "3.50"}


def test_a_convert_is_shown_as_the_generic_serializer_would(alice):
    silver = fund(wallet(alice, "SILVER"), 100)
    txn = services.convert(
        user=alice, from_asset=silver.asset, to_asset=wallet(alice, "GOLD").asset, amount=100
    )

    body = assert_same_as_generic(txn, context(alice, alice))

    assert len(body["entries"]) == 4
    assert body["balances"] == {"SILVER": "0", "GOLD": "102"}


def test_a_reversal_is_shown_as_the_generic_serializer_would(alice, staff):
    spent = services.spend(user=alice, asset=wallet(alice, "GOLD").asset, amount=30)
    txn = ledger.reverse_transaction(transaction_id=spent.pk, reason="refund", initiated_by=staff)

    body = assert_same_as_generic(txn, context(staff, staff))

    assert body["reverses"] == spent.pk
    assert body["balances"] == {}  # staff's own: none moved


def test_wallet_balances_are_shown_as_the_generic_serializer_would(alice):
    fund(wallet(alice, "COIN"), 1234)
    ledger.place_hold(account=wallet(alice, "COIN"), amount=34)
    wallets = get_user_wallets(user_id=alice.pk, expiring_before=timezone.now())
    instance = {"user": alice.pk, "wallets": wallets}

    for account in wallets:
        balance = io.WalletBalanceSerializer()
        by_hand = balance.to_representation(account)
        assert by_hand == serializers.ModelSerializer.to_representation(balance, account)
        assert list(by_hand) == list(io.WalletBalanceSerializer.Meta.fields)
    whole = io.WalletSerializer()
    body = whole.to_representation(instance)
    assert body == serializers.Serializer.to_representation(whole, instance)
    coin = next(shown for shown in body["wallets"] if shown["asset"] == "COIN")
    assert (coin["balance"], coin["held"], coin["available"]) == ("12.34", "0.34", "12.00")


def test_history_rows_are_shown_as_the_generic_serializer_would(alice):
    fund(wallet(alice, "COIN"), 1234)
    services.spend(user=alice, asset=wallet(alice, "COIN").asset, amount=34)
    silver = fund(wallet(alice, "SILVER"), 100)
    services.convert(
        user=alice, from_asset=silver.asset, to_asset=wallet(alice, "GOLD").asset, amount=50
    )
    page = list_history(owner=alice, entries=Entry.objects.all(), limit=10)

    rows = []
    for txn in page:
        row = io.HistoryRowSerializer()
        by_hand = row.to_representation(txn)
        assert by_hand == serializers.ModelSerializer.to_representation(row, txn)
        for entry in txn.owner_entries:
            shown = io.HistoryEntrySerializer()
            assert shown.to_representation(entry) == serializers.ModelSerializer.to_representation(
                shown, entry
            )
        rows.append(by_hand)
    assert [len(row["entries"]) for row in rows] == [2, 1, 1, 1, 1]  # the convert: two
    assert rows[2]["entries"] == [{"asset": "COIN", "amount": "-0.34", "balance_after": "12.00"}]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("spend", {"asset": "GOLD", "amount": "30", "description": "sword", "metadata": {"a": 1}}),
        ("transfer", {"asset": "COIN", "amount": "1.5", "to": None}),
        ("convert", {"from_asset": "SILVER", "to_asset": "GOLD", "amount": "50"}),
    ],
)
def test_the_201_of_a_posting_is_the_transaction_as_later_read(alice, bob, path, body):
    fund(wallet(alice, "COIN"), 500)
    fund(wallet(alice, "SILVER"), 50)
    if "to" in body:
        body = {**body, "to": bob.pk}
    as_alice = client_for(alice)

    posted = as_alice.post(f"{API}wallets/me/{path}", body, format="json")
    read = as_alice.get(f"{API}transactions/{posted.json()['id']}")

    assert posted.status_code == 201
    assert posted.json() == read.json()


def test_a_spend_answers_without_reading_back_what_it_wrote(alice):
    as_alice = client_for(alice)

    with CaptureQueriesContext(connection) as queries:
        response = as_alice.post(
            f"{API}wallets/me/spend", {"asset": "GOLD", "amount": 1}, format="json"
        )

    assert response.status_code == 201
    sql = [query["sql"].replace('"', "") for query in queries.captured_queries]  # SQLite quotes
    written = max(i for i, text in enumerate(sql) if "INSERT INTO ledger_entry" in text)
    read_back = [
        text
        for text in sql[written + 1 :]
        if text.lstrip().upper().startswith("SELECT")
        and ("ledger_entry" in text or "ledger_transaction" in text)
    ]
    assert read_back == []


def warm(client, django_capture_on_commit_callbacks) -> None:
    """One spend and one balance read with their on-commit work done, as in a worker
    that has served a request."""
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{API}wallets/me/spend", {"asset": "GOLD", "amount": 1}, format="json")
        client.get(f"{API}wallets/me")


def test_a_balance_read_on_warm_caches_is_two_queries(
    alice, django_assert_num_queries, django_capture_on_commit_callbacks
):
    as_alice = client_for(alice)
    warm(as_alice, django_capture_on_commit_callbacks)

    with django_assert_num_queries(2):  # the user, the wallets with what expires
        response = as_alice.get(f"{API}wallets/me")

    assert response.status_code == 200


def test_a_spend_on_warm_caches_is_a_fixed_number_of_queries(
    alice, django_assert_num_queries, django_capture_on_commit_callbacks
):
    as_alice = client_for(alice)
    warm(as_alice, django_capture_on_commit_callbacks)

    with django_assert_num_queries(SPEND_QUERIES[connection.vendor]):
        response = as_alice.post(
            f"{API}wallets/me/spend", {"asset": "GOLD", "amount": 1}, format="json"
        )

    assert response.status_code == 201

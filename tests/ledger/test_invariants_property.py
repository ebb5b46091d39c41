"""Random sequences of operations over several users and assets.

A plain-Python model predicts whether each operation succeeds and what every
balance becomes; after each sequence the wallets must match the model and the
whole ledger must pass the same checks as `manage.py reconcile`.
"""

from collections import defaultdict

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import DomainError
from ledger.models import Account, AccountPurpose, TransactionType
from ledger.reconcile import check_ledger
from ledger.services import (
    capture_hold,
    convert,
    credit,
    debit,
    place_hold,
    reverse_transaction,
    set_account_status,
    transfer,
    void_hold,
)
from tests.factories import create_user, fund, wallet

USERS = 2
ASSETS = ["SILVER", "GOLD", "COIN", "CITY_POINTS"]
START_BALANCE = 50  # of every asset above, for every user
RATES = {("SILVER", "GOLD"): (50, 1), ("GOLD", "DIAMOND"): (50, 1)}

user_index = st.integers(0, USERS - 1)
asset = st.sampled_from(ASSETS)
amount = st.integers(1, 60)
operation = st.one_of(
    st.tuples(st.just("earn"), user_index, asset, amount),
    st.tuples(st.just("spend"), user_index, asset, amount),
    st.tuples(
        st.just("transfer"), user_index, user_index, st.sampled_from(["COIN", "GOLD"]), amount
    ),
    st.tuples(
        st.just("convert"),
        user_index,
        st.sampled_from(list(RATES)),
        st.integers(1, 3),
        st.booleans(),
    ),
    st.tuples(st.just("hold"), user_index, asset, amount),
    st.tuples(st.just("capture"), st.integers(0, 9), st.integers(0, 90)),
    st.tuples(st.just("void"), st.integers(0, 9)),
    st.tuples(st.just("reverse"), st.integers(0, 30)),
    st.tuples(st.just("freeze"), user_index, asset, st.booleans()),
)


class Model:
    """What the ledger should hold: balance and held per (user, asset)."""

    def __init__(self, users):
        self.users = users
        self.balance = defaultdict(int)
        self.held = defaultdict(int)
        self.frozen: set[tuple[int, str]] = set()
        for index, user in enumerate(users):
            for account in Account.objects.filter(user=user).select_related("asset"):
                self.balance[index, account.asset.code] = account.balance
        self.holds: list[tuple[int, int, tuple[int, str], int]] = []  # (hold id, amount, key, live)
        self.posted: list[tuple[int, dict, str, bool]] = []  # (txn id, deltas, type, reversed)

    def available(self, key) -> int:
        return self.balance[key] - self.held[key]

    def can_debit(self, key, value, type=TransactionType.SPEND) -> bool:
        frozen_ok = type in (TransactionType.REVERSAL,) or key not in self.frozen
        return frozen_ok and self.available(key) >= value

    def wallet(self, key) -> Account:
        return Account.objects.select_related("asset").get(
            user=self.users[key[0]], asset__code=key[1]
        )


def apply(model: Model, op: tuple) -> None:
    """Run one operation against the ledger and check the model agrees on its outcome."""
    kind = op[0]
    expected, deltas, txn_type, run = True, {}, None, None
    if kind == "earn":
        _, u, code, value = op
        deltas = {(u, code): value}
        txn_type = TransactionType.EARN

        def run():
            return credit(
                account=model.wallet((u, code)),
                amount=value,
                type=txn_type,
                source=AccountPurpose.REWARDS,
            )
    elif kind == "spend":
        _, u, code, value = op
        expected = model.can_debit((u, code), value)
        deltas = {(u, code): -value}
        txn_type = TransactionType.SPEND

        def run():
            return debit(
                account=model.wallet((u, code)),
                amount=value,
                type=txn_type,
                destination=AccountPurpose.REVENUE,
            )
    elif kind == "transfer":
        _, u, v, code, value = op
        expected = (
            u != v
            and code == "COIN"
            and (v, code) not in model.frozen
            and model.can_debit((u, code), value)
        )
        deltas = {(u, code): -value, (v, code): value}
        txn_type = TransactionType.TRANSFER

        def run():
            return transfer(
                source=model.wallet((u, code)),
                destination=model.wallet((v, code)),
                amount=value,
            )
    elif kind == "convert":
        _, u, (src, dst), multiple, exact = op
        per, out = RATES[src, dst]
        value = per * multiple + (0 if exact else 1)
        expected = exact and model.can_debit((u, src), value)
        deltas = {(u, src): -value, (u, dst): multiple * out}
        txn_type = TransactionType.CONVERT

        def run():
            return convert(
                source=model.wallet((u, src)),
                destination=model.wallet((u, dst)),
                amount=value,
            )
    elif kind == "hold":
        _, u, code, value = op
        expected = model.can_debit((u, code), value)
        try:
            hold = place_hold(account=model.wallet((u, code)), amount=value)
        except DomainError:
            assert not expected, op
            return
        assert expected, op
        model.held[u, code] += value
        model.holds.append([hold.pk, value, (u, code), True])
        return
    elif kind in ("capture", "void"):
        if not model.holds:
            return
        record = model.holds[op[1] % len(model.holds)]
        hold_id, held, key, live = record
        if kind == "void":
            try:
                void_hold(hold_id=hold_id)
            except DomainError:
                assert not live, op
                return
            assert live, op
            model.held[key] -= held
            record[3] = False
            return
        value = op[2] or None
        captured = held if value is None else value
        expected = live and captured <= held and key not in model.frozen
        try:
            posted = capture_hold(hold_id=hold_id, amount=value)
        except DomainError:
            assert not expected, op
            return
        assert expected, op
        model.held[key] -= held
        model.balance[key] -= captured
        record[3] = False
        model.posted.append([posted.pk, {key: -captured}, TransactionType.CAPTURE, False])
        return
    elif kind == "reverse":
        if not model.posted:
            return
        record = model.posted[op[1] % len(model.posted)]
        txn_id, original, original_type, reversed_already = record
        deltas = {key: -delta for key, delta in original.items()}
        expected = (
            not reversed_already
            and original_type != TransactionType.REVERSAL
            and all(model.available(key) >= -delta for key, delta in deltas.items() if delta < 0)
        )
        txn_type = TransactionType.REVERSAL

        def run():
            return reverse_transaction(transaction_id=txn_id, reason="property test")

        if expected:
            record[3] = True
    elif kind == "freeze":
        _, u, code, frozen = op
        set_account_status(
            account=model.wallet((u, code)),
            status=Account.Status.FROZEN if frozen else Account.Status.ACTIVE,
        )
        (model.frozen.add if frozen else model.frozen.discard)((u, code))
        return

    try:
        posted = run()
    except DomainError:
        assert not expected, op
        return
    assert expected, op
    for key, delta in deltas.items():
        model.balance[key] += delta
    model.posted.append([posted.pk, deltas, txn_type, False])


@pytest.fixture
def users(assets):
    users = [create_user() for _ in range(USERS)]  # GOLD comes with the signup grant
    for user in users:
        for code in ASSETS:
            if code != "GOLD":
                fund(wallet(user, code), START_BALANCE)
    return users


@pytest.mark.django_db
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=st.lists(operation, min_size=15, max_size=40))
def test_random_operations_keep_every_invariant(users, operations):
    with transaction.atomic():
        model = Model(users)
        for op in operations:
            apply(model, op)
        if connection.vendor == "postgresql":  # SQLite has no triggers to run
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the commit-time triggers, now
        for (u, code), expected_balance in list(model.balance.items()):
            wallet = model.wallet((u, code))
            assert (wallet.balance, wallet.held) == (expected_balance, model.held[u, code])
        report = check_ledger()
        assert report.ok, report.problems
        transaction.set_rollback(True)  # each example starts from the same users

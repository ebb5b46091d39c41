import pytest

from core.errors import AlreadyReversed, InsufficientFunds, NotFound, ValidationError
from ledger.models import Transaction, TransactionType
from ledger.services import reverse_transaction
from tests.factories import earn, spend, wallet

pytestmark = pytest.mark.django_db


def test_reverse_transaction_posts_the_mirror_image(alice):
    spent = spend(alice, 30)

    reversal = reverse_transaction(transaction_id=spent.pk, reason="refund")

    assert reversal.type == TransactionType.REVERSAL
    assert reversal.reverses_id == spent.pk
    assert sorted(e.amount for e in reversal.entries.all()) == [-30, 30]
    assert wallet(alice, "GOLD").balance == 100


def test_reverse_transaction_twice_is_refused(alice):
    spent = spend(alice, 30)
    reverse_transaction(transaction_id=spent.pk, reason="refund")

    with pytest.raises(AlreadyReversed):
        reverse_transaction(transaction_id=spent.pk, reason="refund again")

    assert wallet(alice, "GOLD").balance == 100


def test_reverse_transaction_of_spent_credit_is_refused(alice):
    earned = earn(alice, 50)
    spend(alice, 20, "SILVER")
    before = Transaction.objects.count()

    with pytest.raises(InsufficientFunds):
        reverse_transaction(transaction_id=earned.pk, reason="fraud")

    assert Transaction.objects.count() == before
    assert wallet(alice, "SILVER").balance == 30


def test_reverse_transaction_of_a_reversal_is_refused(alice):
    spent = spend(alice, 30)
    reversal = reverse_transaction(transaction_id=spent.pk, reason="refund")

    with pytest.raises(ValidationError):
        reverse_transaction(transaction_id=reversal.pk, reason="undo")


def test_reverse_transaction_unknown_id_is_not_found(assets):
    with pytest.raises(NotFound):
        reverse_transaction(transaction_id=999_999, reason="?")


def test_reverse_transaction_needs_a_reason(alice):
    spent = spend(alice, 1)

    with pytest.raises(ValidationError):
        reverse_transaction(transaction_id=spent.pk, reason="")


def test_reverse_transaction_with_a_key_replays(alice):
    spent = spend(alice, 30)

    first = reverse_transaction(transaction_id=spent.pk, reason="r", idempotency_key="rev-1")
    again = reverse_transaction(transaction_id=spent.pk, reason="r", idempotency_key="rev-1")

    assert again.pk == first.pk

"""One function per message type, each applying its message once.

Each opens the database transaction (`transaction.atomic(durable=True)`) in which it
writes the message's effect, its inbox row and, for the transaction messages, the
`wallet.transactionFinalized` outbox event; the consumer acknowledges the message only
after that commit. A message id already in the inbox is a redelivery: nothing happens
again. Locks, in this order: the message id (a redelivery racing the first delivery
waits, then finds its inbox row), the external transaction id (its completion and
failure never interleave), then whatever the ledger's services take.

Users, assets and amounts that do not check out make the message poison (retried, then
dead-lettered); a posting the ledger refuses (insufficient_funds, wallet_frozen, ...) is
an answer, published as status `rejected`.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from accounts.models import User
from accounts.services import create_customer, grant_signup_bonus
from core.amounts import to_minor_units
from core.errors import AlreadyReversed, DomainError
from ledger import services as ledger
from ledger.locks import lock_idempotency_key
from ledger.models import Asset, Hold, Transaction, TransactionType
from ledger.outbox import add_event
from ledger.reference import get_asset
from wallets import services as wallets
from wallets.inbound.claims import claim_failure, claim_topup
from wallets.inbound.messages import Message, PoisonMessage
from wallets.inbound.payloads import PARTIES, CompletedData, FailedData, SignupData, validated
from wallets.models import ExternalTransaction, InboxMessage

FINALIZED = "wallet.transactionFinalized"
Status = ExternalTransaction.Status


@dataclass(frozen=True)
class Outcome:
    """What handling a message did: `result` is stored in its inbox row."""

    duplicate: bool
    result: dict[str, Any]


def handle(message: Message) -> Outcome:
    """Apply one message once. Raises PoisonMessage for one that cannot apply, and lets
    database errors through (the consumer leaves the message unacknowledged)."""
    handler = HANDLERS.get(message.type)
    if handler is None:
        raise PoisonMessage(f"unknown message type {message.type!r}")
    try:
        return handler(message)
    except DomainError as invalid:  # the refusals a handler does not answer itself
        details = f" {json.dumps(invalid.details)}" if invalid.details else ""
        raise PoisonMessage(f"{invalid.code}: {invalid.message}{details}") from None


# --- user.signup ------------------------------------------------------------------------


def handle_user_signup(message: Message) -> Outcome:
    """The user (by id, or by email: created if new) and their wallets and signup grants
    exist afterwards, however often the message comes and whether or not the user signed
    up over REST first (the grants are keyed per user)."""
    data = validated(SignupData, message.data)
    with transaction.atomic(durable=True):
        earlier = _earlier_outcome(message)
        if earlier is not None:
            return Outcome(duplicate=True, result=earlier)
        user, created = _signed_up_user(data)
        result = {"user_id": user.pk, "created": created}
        _record(message, result)
    return Outcome(duplicate=False, result=result)


def _signed_up_user(data: dict[str, Any]) -> tuple[User, bool]:
    if "user_id" in data:
        user = User.objects.filter(pk=data["user_id"]).first()
        if user is None:
            raise PoisonMessage(f"unknown user: no user with id {data['user_id']}")
        if "email" in data and user.email != data["email"]:
            raise PoisonMessage(f"user {user.pk} has another email than {data['email']!r}")
        grant_signup_bonus(user=user)
        return user, False
    user = User.objects.filter(email=data["email"]).first()
    if user is None:
        try:
            with transaction.atomic():
                return create_customer(email=data["email"], password=None, name=data["name"]), True
        except IntegrityError:  # signed up over REST meanwhile: its commit came first
            user = User.objects.get(email=data["email"])
    grant_signup_bonus(user=user)
    return user, False


# --- transaction.completed --------------------------------------------------------------


def handle_transaction_completed(message: Message) -> Outcome:
    """Post the external transaction once, keyed by its id; answer with a finalized event.

    A completion arriving after the transaction's failure posts nothing (`ignored`); one
    repeated under a new message id is answered again as the first was; one repeated with
    other details is poison.
    """
    data = validated(CompletedData, message.data)
    external_id = data["transaction_id"]
    fingerprint = _fingerprint(data)
    with transaction.atomic(durable=True):
        earlier = _earlier_outcome(message)
        if earlier is not None:
            return Outcome(duplicate=True, result=earlier)
        record = _lock_external(external_id)
        if record is None:
            finalized = _finalized(_complete(data, fingerprint))
        elif record.status in (Status.FAILED, Status.VOIDED):
            finalized = {
                **_finalized(record),
                "status": "ignored",
                "reason": f"already_{record.status}",
            }
            finalized["wallet_transaction"] = None
        elif record.fingerprint != fingerprint:
            raise PoisonMessage(
                f"idempotency_key_reused: {external_id} was completed before with other details"
            )
        else:
            finalized = _finalized(record)
        add_event(topic=FINALIZED, payload=finalized, key=None)
        _record(message, finalized)
    return Outcome(duplicate=False, result=finalized)


def _complete(data: dict[str, Any], fingerprint: str) -> ExternalTransaction:
    external_id, kind = data["transaction_id"], data["kind"]
    asset = get_asset(data["asset"])
    if asset is None:
        raise PoisonMessage(f"unknown asset {data['asset']!r}")
    amount = to_minor_units(data["amount"], scale=asset.scale)
    users = {party: _user(data[party]) for party in PARTIES[kind]}
    record = ExternalTransaction(external_id=external_id, kind=kind, fingerprint=fingerprint)
    try:
        record.transaction, record.hold = POSTINGS[kind](
            users=users, asset=asset, amount=amount, external_id=external_id
        )
        record.status = Status.COMPLETED
    except DomainError as refused:
        if refused.code in ("validation_error", "not_found"):
            raise
        record.status, record.reason = Status.REJECTED, refused.code
    record.save()
    return record


Posted = tuple[Transaction, Hold | None]


def _details(external_id: str) -> dict[str, Any]:
    return {
        "idempotency_key": f"event:{external_id}",
        "reference": external_id,
        "metadata": {"external_id": external_id},
    }


def _post_topup(*, users: dict[str, User], asset: Asset, amount: int, external_id: str) -> Posted:
    # A top-up an app above owns (a payments deposit) is settled by that app.
    claimed = claim_topup(external_id=external_id, user=users["to"], asset=asset, amount=amount)
    if claimed is not None:
        return claimed, None
    posted = wallets.credit_wallet(
        user=users["to"],
        asset=asset,
        amount=amount,
        type=TransactionType.TOPUP,
        reason=f"Top-up {external_id}",
        **_details(external_id),
    )
    return posted, None


def _post_transfer(
    *, users: dict[str, User], asset: Asset, amount: int, external_id: str
) -> Posted:
    posted = wallets.transfer(
        sender=users["from"],
        recipient=users["to"],
        asset=asset,
        amount=amount,
        **_details(external_id),
    )
    return posted, None


def _post_payment(*, users: dict[str, User], asset: Asset, amount: int, external_id: str) -> Posted:
    """A payment captures the payer's pending hold placed for it (reference = the external
    id), if there is one; otherwise it is a spend."""
    hold = (
        Hold.objects.filter(
            account__user=users["from"],
            account__asset=asset,
            reference=external_id,
            status=Hold.Status.PENDING,
        )
        .order_by("id")
        .first()
    )
    if hold is not None:
        key = _details(external_id)["idempotency_key"]
        captured = ledger.capture_hold(hold_id=hold.pk, amount=amount, idempotency_key=key)
        return captured, hold
    posted = wallets.spend(
        user=users["from"],
        asset=asset,
        amount=amount,
        description=f"Payment {external_id}",
        **_details(external_id),
    )
    return posted, None


POSTINGS: dict[str, Callable[..., Posted]] = {
    "topup": _post_topup,
    "transfer": _post_transfer,
    "payment": _post_payment,
}


# --- transaction.failed -----------------------------------------------------------------


def handle_transaction_failed(message: Message) -> Outcome:
    """Undo what the external transaction did: reverse its posting, or void the hold
    placed for it. A failure arriving first is remembered, so its completion posts
    nothing. A posting that cannot be reversed (the credit was spent) is poison: an
    operator decides, then replays it."""
    data = validated(FailedData, message.data)
    external_id = data["transaction_id"]
    with transaction.atomic(durable=True):
        earlier = _earlier_outcome(message)
        if earlier is not None:
            return Outcome(duplicate=True, result=earlier)
        record = _lock_external(external_id) or ExternalTransaction(external_id=external_id)
        if record.status == Status.COMPLETED:
            _revert(record, reason=data["reason"] or f"{external_id} failed")
        elif record.status in ("", Status.REJECTED):  # nothing posted
            record.hold = _void_holds(external_id)
            claim_failure(external_id=external_id, reason=data["reason"])  # a pending deposit
            record.status = Status.VOIDED if record.hold else Status.FAILED
            record.save()
        # FAILED, VOIDED, REVERTED: final already, answered again as it stands.
        finalized = _finalized(record)
        add_event(topic=FINALIZED, payload=finalized, key=None)
        _record(message, finalized)
    return Outcome(duplicate=False, result=finalized)


def _revert(record: ExternalTransaction, *, reason: str) -> None:
    assert record.transaction_id is not None  # a completed record posted
    try:
        record.reversal = ledger.reverse_transaction(
            transaction_id=record.transaction_id,
            reason=reason,
            idempotency_key=f"event:{record.external_id}:reversal",
        )
    except AlreadyReversed:  # by staff, in the admin, before the failure came
        record.reversal = Transaction.objects.get(reverses_id=record.transaction_id)
    record.status = Status.REVERTED
    record.save()


def _void_holds(external_id: str) -> Hold | None:
    """Void every pending hold placed for the external id; return the first."""
    pending = Hold.objects.filter(reference=external_id, status=Hold.Status.PENDING).order_by("id")
    holds = list(pending)
    for hold in holds:
        ledger.void_hold(hold_id=hold.pk)
    return holds[0] if holds else None


# --- shared -----------------------------------------------------------------------------


def _earlier_outcome(message: Message) -> dict[str, Any] | None:
    """What the message did when it was first applied, or None if it never was."""
    lock_idempotency_key(f"inbox:{message.id}")
    return (
        InboxMessage.objects.filter(message_id=message.id).values_list("outcome", flat=True).first()
    )


def _record(message: Message, result: dict[str, Any]) -> None:
    InboxMessage.objects.create(
        message_id=message.id, type=message.type, occurred_at=message.occurred_at, outcome=result
    )


def _lock_external(external_id: str) -> ExternalTransaction | None:
    lock_idempotency_key(f"external-transaction:{external_id}")
    return ExternalTransaction.objects.filter(external_id=external_id).first()


def _user(ref: tuple[str, int | str]) -> User:
    field, value = ref
    user = User.objects.filter(**{"pk" if field == "id" else "email": value}).first()
    if user is None:
        raise PoisonMessage(f"unknown user: no user with {field} {value}")
    return user


def _fingerprint(data: dict[str, Any]) -> str:
    """What a completion asks for; a repeat asking for something else is refused."""
    fields = {key: data.get(key) for key in ("kind", "from", "to", "asset")}
    fields["amount"] = str(data["amount"])
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def _finalized(record: ExternalTransaction) -> dict[str, Any]:
    """The wallet.transactionFinalized payload: the external id, its status here and the
    wallet transaction that settled it (the reversal, once reverted)."""
    payload: dict[str, Any] = {
        "transaction_id": record.external_id,
        "status": record.status,
        "wallet_transaction": record.reversal_id or record.transaction_id,
    }
    if record.reversal_id:
        payload["reversed_transaction"] = record.transaction_id
    if record.hold_id:
        payload["wallet_hold"] = record.hold_id
    if record.reason:
        payload["reason"] = record.reason
    return payload


HANDLERS: dict[str, Callable[[Message], Outcome]] = {
    "user.signup": handle_user_signup,
    "transaction.completed": handle_transaction_completed,
    "transaction.failed": handle_transaction_failed,
}
MESSAGE_TYPES = tuple(HANDLERS)

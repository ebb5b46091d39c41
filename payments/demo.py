"""Demo rows for money in and out (added by `seed_demo` through core.demo.demo_seeded):
a deposit confirmed by the simulated provider, a withdrawal awaiting approval and a
payment refunded in part, all on the COIN wallet of a customer of their own (carol), so
the other demo users' histories stay as the rewards demo leaves them. Each is made
once, found again by its reference."""

from typing import Any

from django.db import transaction

from accounts.models import User
from accounts.services import register_user
from ledger.models import Asset
from payments.limits import approval_threshold
from payments.models import Deposit, Payment, Withdrawal
from payments.providers import get_provider
from payments.providers.simulated import SimulatedProvider
from payments.services import deposits, payments, withdrawals

ORDER_ID = "demo-order-1001"
CUSTOMER, PASSWORD = "carol@example.com", "carol-demo-pass"


def seed_payments(*, users: dict[str, User], assets: dict[str, Any]) -> dict[str, int]:
    coin = assets.get("COIN")
    if not isinstance(coin, Asset):
        return {}
    carol = User.objects.filter(email=CUSTOMER).first() or register_user(
        email=CUSTOMER, password=PASSWORD, name="Carol"
    )
    if not Deposit.objects.filter(user=carol, payment_method_id="pm_demo_card").exists():
        deposit = deposits.create_deposit(
            user=carol,
            asset=coin,
            amount=2 * approval_threshold(coin),
            payment_method={"type": "card", "id": "pm_demo_card"},
            provider_name="simulated",
        )
        provider = get_provider("simulated")
        assert isinstance(provider, SimulatedProvider)
        body, headers = provider.signed_callback(
            reference=deposit.provider_reference or "", succeeded=True
        )
        deposits.apply_callback(provider_name="simulated", headers=headers, body=body)
    if not Payment.objects.filter(order_id=ORDER_ID).exists():
        with transaction.atomic():
            payment = payments.pay(
                user=carol, asset=coin, amount=1250, order_id=ORDER_ID, service="food"
            )
            payments.refund(payment_id=payment.pk, amount=250, reason="demo: a missing drink")
    if not Withdrawal.objects.filter(user=carol, bank_name="Demo Bank").exists():
        # Requested by carol herself above the threshold: it waits for an operator's approval.
        withdrawals.request_withdrawal(
            user=carol,
            asset=coin,
            amount=approval_threshold(coin) + 100,
            account_number="DE89370400440532013000",
            bank_name="Demo Bank",
            requested_by=carol,
        )
    return {
        "deposits": Deposit.objects.count(),
        "withdrawals": Withdrawal.objects.count(),
        "payments": Payment.objects.count(),
    }

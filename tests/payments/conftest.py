import pytest

from payments.models import Deposit
from payments.providers import get_provider
from payments.providers.simulated import SimulatedProvider
from tests.api import API, client_for
from tests.factories import create_role_user, fund, wallet


@pytest.fixture
def rich_alice(alice):
    """alice with 1,000.00 COIN (100000 minor units) on top of her signup grant."""
    fund(wallet(alice, "COIN"), 100_000)
    return alice


@pytest.fixture
def as_staff(staff):
    return client_for(staff)


@pytest.fixture
def as_service(service):
    return client_for(service)


@pytest.fixture
def checker(assets):
    """A second staff member: the one who approves."""
    return create_role_user("staff")


def simulated() -> SimulatedProvider:
    provider = get_provider("simulated")
    assert isinstance(provider, SimulatedProvider)
    return provider


def post_callback(deposit: Deposit, *, succeeded: bool = True, at: int | None = None, body=None):
    """The simulated provider's signed callback for the deposit, as it would POST it."""
    signed_body, headers = simulated().signed_callback(
        reference=deposit.provider_reference, succeeded=succeeded, at=at
    )
    return client_for().generic(
        "POST",
        f"{API}providers/simulated/callback",
        body if body is not None else signed_body,
        content_type="application/json",
        headers=headers,
    )

import pytest

from ledger.reconcile import check_ledger
from tests.factories import create_assets, create_user


@pytest.fixture
def assets(db):
    return create_assets()


@pytest.fixture
def alice(assets):
    return create_user("alice@example.com")


@pytest.fixture
def bob(assets):
    return create_user("bob@example.com")


@pytest.fixture
def assert_reconciles():
    """Call at the end of a test: every invariant of the whole ledger holds."""

    def check() -> None:
        report = check_ledger()
        assert report.ok, report.problems

    return check

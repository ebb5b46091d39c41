import pytest
from django.db import connection

from ledger.reconcile import check_ledger
from tests.api import client_for
from tests.factories import create_assets, create_role_user, create_user


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The SQLite lane (scripts/test) skips what only PostgreSQL has: its triggers and
    composite keys, planner statistics, terminated backends."""
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason=f"postgres_only: this lane runs on {connection.vendor}")
    for item in items:
        if item.get_closest_marker("postgres_only"):
            item.add_marker(skip)


@pytest.fixture
def assets(db, django_capture_on_commit_callbacks):
    """Created as if committed: the process caches keep nothing while a change of
    theirs is uncommitted, and the tests should see them work as in production."""
    with django_capture_on_commit_callbacks(execute=True):
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


@pytest.fixture
def service(assets):
    return create_role_user("service")


@pytest.fixture
def staff(assets):
    return create_role_user("staff")


@pytest.fixture
def support(assets):
    return create_role_user("support")


@pytest.fixture
def as_alice(alice):
    return client_for(alice)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters, cached boards and reference data must not leak between tests."""
    from django.core.cache import cache

    from core.cache import clear_process_caches

    cache.clear()
    clear_process_caches()

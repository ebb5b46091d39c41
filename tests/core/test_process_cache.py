"""core.cache.ProcessCache: two instances with one name stand for two worker processes
sharing the Django cache (Redis in production, locmem here)."""

import logging
import threading
from types import SimpleNamespace

import pytest
from django.db import transaction

from core import cache as process_cache
from core.cache import ProcessCache


class Clock:
    """time.monotonic for core.cache, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


class BrokenSharedCache:
    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("shared cache down")

        return fail


class Boom(Exception):
    pass


@pytest.fixture
def make_cache():
    """ProcessCache instances for one test, taken out of the module's registry after."""
    made: list[ProcessCache] = []

    def make(name: str = "test", **options) -> ProcessCache:
        made.append(ProcessCache(name, **options))
        return made[-1]

    yield make
    for instance in made:
        process_cache._registry.remove(instance)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(process_cache, "time", SimpleNamespace(monotonic=clock.monotonic))
    return clock


def test_invalidate_in_one_process_drops_the_others_entries(make_cache):
    here, there = make_cache(check_every=0), make_cache(check_every=0)
    there.get("GOLD")  # learns the current version
    there.put("GOLD", 1)
    assert there.get("GOLD") == 1

    here.invalidate()

    assert there.get("GOLD") is None


def test_invalidate_reaches_another_process_within_check_every(make_cache, clock):
    here, there = make_cache(check_every=1.0), make_cache(check_every=1.0)
    there.get("GOLD")
    there.put("GOLD", 1)

    here.invalidate()
    clock.now += 0.5
    kept_before_the_check = there.get("GOLD")
    clock.now += 0.6
    kept_after_the_check = there.get("GOLD")

    assert kept_before_the_check == 1  # no shared-cache read on every get
    assert kept_after_the_check is None


def test_invalidate_clears_this_process_at_once(make_cache, clock):
    cache = make_cache(check_every=60)
    cache.put("GOLD", 1)

    cache.invalidate()

    assert cache.get("GOLD") is None


def test_bounded_size_evicts_the_least_recently_used(make_cache):
    cache = make_cache(max_entries=2, check_every=60)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.get("a")  # "b" is now the least recently used

    cache.put("c", 3)

    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    assert len(cache.entries) == 2


@pytest.mark.django_db
def test_put_on_commit_keeps_the_value_only_once_committed(
    make_cache, django_capture_on_commit_callbacks
):
    cache = make_cache(check_every=60)

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        cache.put_on_commit("wallet", 7)
        inside = cache.get("wallet")

    assert inside is None
    assert cache.get("wallet") == 7


@pytest.mark.django_db
def test_put_on_commit_keeps_nothing_when_the_transaction_rolls_back(
    make_cache, django_capture_on_commit_callbacks
):
    cache = make_cache(check_every=60)

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(Boom),
        transaction.atomic(),
    ):
        cache.put_on_commit("wallet", 7)
        raise Boom

    assert cache.get("wallet") is None


@pytest.mark.django_db(transaction=True)
def test_a_value_read_in_the_transaction_that_changed_the_data_is_kept_only_after_it(
    make_cache,
):
    cache = make_cache(check_every=60)
    cache.put("assets", "old")

    with transaction.atomic():
        cache.changed()
        cleared_at_once = cache.get("assets")
        cache.put("assets", "new, not committed")
        kept_inside = cache.get("assets")
    missed_after = cache.get("assets")
    cache.put("assets", "new")

    assert cleared_at_once is None
    assert kept_inside is None
    assert missed_after is None
    assert cache.get("assets") == "new"


@pytest.mark.django_db(transaction=True)
def test_a_change_rolled_back_does_not_leave_its_reads_behind(make_cache):
    cache = make_cache(check_every=60)

    with pytest.raises(Boom), transaction.atomic():
        cache.changed()
        cache.put("assets", "read inside the rolled-back change")
        raise Boom
    after_rollback = cache.get("assets")
    cache.put("assets", "committed")

    assert after_rollback is None
    assert cache.get("assets") == "committed"


@pytest.mark.django_db(transaction=True)
def test_changed_tells_other_processes_once_committed(make_cache):
    here, there = make_cache(check_every=0), make_cache(check_every=0)
    there.get("GOLD")
    there.put("GOLD", 1)

    with transaction.atomic():
        here.changed()
        seen_elsewhere_before_commit = there.get("GOLD")

    assert seen_elsewhere_before_commit == 1  # the change may still roll back
    assert there.get("GOLD") is None


def test_an_unreachable_shared_cache_drops_entries_and_raises_nothing(
    make_cache, monkeypatch, caplog
):
    cache = make_cache(check_every=0)
    cache.put("GOLD", 1)
    monkeypatch.setattr(process_cache, "shared_cache", BrokenSharedCache())

    with caplog.at_level(logging.WARNING, logger="core.cache"):
        value = cache.get("GOLD")
        cache.invalidate()

    assert value is None
    assert cache.entries == {}
    assert "unreachable" in caplog.text


@pytest.mark.django_db
def test_a_value_read_before_another_threads_drop_is_not_kept(make_cache):
    # given a thread that missed and went to read the database
    cache = make_cache(check_every=60)
    assert cache.get("assets") is None

    # when another thread's change drops the cache before the first one keeps what it read
    other = threading.Thread(target=cache.drop)
    other.start()
    other.join()
    cache.put("assets", "read before the change")

    # then the stale read is not kept, and the next miss and read are
    assert cache.get("assets") is None
    cache.put("assets", "read after the change")
    assert cache.get("assets") == "read after the change"

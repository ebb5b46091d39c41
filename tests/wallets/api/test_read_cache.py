"""The read cache in Redis (ledger/read_cache.py, core/versioned_cache.py): the balance
read and the history pages answered from Redis until a write commits, never stale after
one, never consulted by a debit. Against the real Redis, with real threads for the race."""

import threading

import pytest
import redis
from django.db import connection

from accounts.models import User
from core.versioned_cache import Lookup
from ledger.models import Account, Asset
from ledger.read_cache import wallet_reads
from ledger.services import place_hold, set_account_status
from tests.api import API, client_for, error_code
from tests.factories import fund, spend, wallet
from tests.threads import run_in_threads
from wallets.api.views import wallets as wallet_views

pytestmark = pytest.mark.django_db(transaction=True)  # invalidation runs on commit
TEST_REDIS_URL = "redis://127.0.0.1:6379/12"
BALANCE = f"{API}wallets/me"


@pytest.fixture
def cache_redis(settings):
    settings.REDIS_URL = TEST_REDIS_URL
    settings.BALANCE_CACHE_SECONDS = 30
    client = redis.Redis.from_url(TEST_REDIS_URL)
    pattern = f"{wallet_reads.name}:{connection.settings_dict['NAME']}:*"
    client.delete(*client.keys(pattern) or ["-"])
    yield client
    client.delete(*client.keys(pattern) or ["-"])


def gold(response) -> dict:
    assert response.status_code == 200, response.content
    return next(w for w in response.json()["wallets"] if w["asset"] == "GOLD")


def cached_value(user: User) -> bytes | None:
    lookup = wallet_reads.lookup(str(user.pk))
    assert lookup is not None
    return lookup.value


def test_a_read_is_kept_and_answered_without_the_wallet_query(
    cache_redis, alice, django_assert_num_queries
):
    client = client_for(alice)
    first = client.get(BALANCE)

    with django_assert_num_queries(1):  # the user (JWT) only
        second = client.get(BALANCE)

    assert second.json() == first.json()
    assert cached_value(alice) is not None
    ttl = cache_redis.pttl(f"wallet_reads:{connection.settings_dict['NAME']}:value:{alice.pk}")
    assert 0 < ttl <= 30_000


def test_a_spend_over_the_api_is_seen_by_the_next_read(cache_redis, alice):
    client = client_for(alice)
    before = gold(client.get(BALANCE))["balance"]
    gold(client.get(BALANCE))  # answered from the cache

    spent = client.post(f"{API}wallets/me/spend", {"asset": "GOLD", "amount": "7"}, format="json")

    assert spent.status_code == 201
    assert gold(client.get(BALANCE))["balance"] == spent.json()["balances"]["GOLD"]
    assert gold(client.get(BALANCE))["balance"] != before


def test_holds_and_freezes_invalidate_the_read(cache_redis, alice):
    client = client_for(alice)
    assert gold(client.get(BALANCE))["held"] == "0"

    place_hold(account=wallet(alice, "GOLD"), amount=5)
    assert gold(client.get(BALANCE))["held"] == "5"

    set_account_status(account=wallet(alice, "GOLD"), status=Account.Status.FROZEN)
    assert gold(client.get(BALANCE))["status"] == Account.Status.FROZEN


def test_an_asset_edit_invalidates_every_users_read(cache_redis, alice, bob):
    for user in (alice, bob):
        gold(client_for(user).get(BALANCE))

    Asset.objects.filter(code="GOLD").update(code="AURUM")  # no save(): the signal still runs

    for user in (alice, bob):
        codes = {w["asset"] for w in client_for(user).get(BALANCE).json()["wallets"]}
        assert "AURUM" in codes and "GOLD" not in codes


def test_a_read_from_before_a_write_is_not_stored_after_it(cache_redis, alice, monkeypatch):
    """The race a delete-on-write leaves open: the reader reads the database, the write
    commits and invalidates, then the reader stores what it read before the write."""
    read_done, write_done = threading.Event(), threading.Event()
    real_read = wallet_views.get_user_wallets

    def read_then_wait(**kwargs):
        wallets = real_read(**kwargs)
        if threading.current_thread() is not threading.main_thread():
            read_done.set()
            assert write_done.wait(30)
        return wallets

    monkeypatch.setattr(wallet_views, "get_user_wallets", read_then_wait)
    before = gold(client_for(alice).get(BALANCE))["balance"]
    wallet_reads.invalidate([str(alice.pk)])  # the next read misses and stores again

    def work(index: int):
        if index == 0:
            return gold(client_for(alice).get(BALANCE))["balance"]
        assert read_done.wait(30)
        spend(alice, 9)  # commits and invalidates while the reader holds its old read
        write_done.set()
        return None

    stale_read, _ = run_in_threads(2, work)

    assert stale_read == before  # the reader did read before the write...
    after = gold(client_for(alice).get(BALANCE))["balance"]
    assert after != before  # ...and what it then tried to store is not served
    assert after == gold(client_for(alice).get(f"/api/v1/wallets/{alice.pk}"))["balance"]


def test_a_store_after_a_newer_lookup_is_refused(cache_redis, alice):
    key = str(alice.pk)
    old = wallet_reads.lookup(key)
    wallet_reads.invalidate([key])
    new = wallet_reads.lookup(key)
    assert old is not None and new is not None

    assert not wallet_reads.store(old, b'{"stale": true}')
    assert wallet_reads.store(new, b'{"fresh": true}')
    assert cached_value(alice) == b'{"fresh": true}'


def test_many_threads_reading_and_spending_end_on_the_true_balance(cache_redis, alice):
    def work(index: int):
        if index % 2:
            spend(alice, 1)
        for _ in range(3):
            client_for(alice).get(BALANCE)

    assert not [r for r in run_in_threads(8, work) if isinstance(r, Exception)]

    shown = gold(client_for(alice).get(BALANCE))["balance"]
    true = Account.objects.get(pk=wallet(alice, "GOLD").pk).balance
    assert shown == str(true)


def test_the_cache_never_decides_a_debit(cache_redis, alice):
    client = client_for(alice)
    real = gold(client.get(BALANCE))["available"]
    lookup = wallet_reads.lookup(str(alice.pk))
    assert isinstance(lookup, Lookup)
    wallet_reads.invalidate([str(alice.pk)])
    forged = b'{"user": %d, "wallets": [{"asset": "GOLD", "available": "1000000"}]}' % alice.pk
    assert wallet_reads.store(wallet_reads.lookup(str(alice.pk)), forged)  # type: ignore[arg-type]
    assert gold(client.get(BALANCE))["available"] == "1000000"

    response = client.post(
        f"{API}wallets/me/spend", {"asset": "GOLD", "amount": str(int(real) + 1)}, format="json"
    )

    assert response.status_code == 409
    assert error_code(response) == "insufficient_funds"


def test_without_redis_the_read_and_the_writes_still_work(settings, alice):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    settings.BALANCE_CACHE_SECONDS = 30
    client = client_for(alice)
    before = gold(client.get(BALANCE))["balance"]

    spent = client.post(f"{API}wallets/me/spend", {"asset": "GOLD", "amount": "3"}, format="json")

    assert spent.status_code == 201
    assert gold(client.get(BALANCE))["balance"] == spent.json()["balances"]["GOLD"] != before


HISTORY = f"{API}wallets/me/transactions"


def page(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_a_history_page_is_kept_per_url_and_answered_without_the_ledger_query(
    cache_redis, alice, django_assert_num_queries
):
    for _ in range(4):
        spend(alice, 1)
    client = client_for(alice)
    first = client.get(f"{HISTORY}?limit=3")

    with django_assert_num_queries(1):  # the user (JWT) only
        second = client.get(f"{HISTORY}?limit=3")

    assert second.json() == first.json() and len(page(second)) == 3
    assert second.json()["next"]  # the links are kept with the page
    assert len(page(client.get(f"{HISTORY}?limit=2"))) == 2  # another URL, another page
    following = client.get(first.json()["next"])
    assert set(page(following)).isdisjoint(page(first))


def test_a_write_retires_every_cached_page_of_each_user_it_touches(cache_redis, alice, bob):
    fund(wallet(alice, "COIN"), 500)
    as_alice, as_bob = client_for(alice), client_for(bob)
    kept = {url: page(as_alice.get(url)) for url in (HISTORY, f"{HISTORY}?limit=1")}
    bobs = page(as_bob.get(HISTORY))

    sent = as_alice.post(
        f"{API}wallets/me/transfer", {"asset": "COIN", "amount": "1", "to": bob.pk}, format="json"
    )

    assert sent.status_code == 201, sent.content
    for url, before in kept.items():
        assert page(as_alice.get(url))[0] == sent.json()["id"] != before[0]
    assert page(as_bob.get(HISTORY)) == [sent.json()["id"], *bobs]


def test_a_variant_stored_before_an_invalidation_is_not_served(cache_redis, alice):
    """Invalidation deletes a key's value but not its variants, which it cannot name:
    a variant is served only while the versions it was stored with still hold."""
    key, url = str(alice.pk), "http://testserver/some/page"
    lookup = wallet_reads.lookup(key, url)
    assert lookup is not None and wallet_reads.store(lookup, b'{"old": true}')
    assert wallet_reads.lookup(key, url).value == b'{"old": true}'  # type: ignore[union-attr]

    wallet_reads.invalidate([key])

    assert cache_redis.exists(wallet_reads._keys(key, url)[2])  # still there...
    assert wallet_reads.lookup(key, url).value is None  # type: ignore[union-attr]  # ...unserved
    assert not wallet_reads.store(lookup, b'{"stale": true}')


def test_an_asset_edit_retires_cached_history(cache_redis, alice):
    spend(alice, 1)
    client = client_for(alice)
    assert client.get(HISTORY).json()["results"][0]["entries"][0]["asset"] == "GOLD"

    Asset.objects.filter(code="GOLD").update(code="AURUM")

    assert client.get(HISTORY).json()["results"][0]["entries"][0]["asset"] == "AURUM"


def test_a_cached_page_is_not_shown_to_a_caller_who_may_not_see_it(cache_redis, alice, bob):
    spend(alice, 1)
    url = f"{API}wallets/{alice.pk}/transactions"
    assert page(client_for(alice).get(url))  # alice's own page, cached under this URL

    response = client_for(bob).get(url)

    assert response.status_code == 404  # as for any wallet bob may not see
    assert "results" not in response.json()

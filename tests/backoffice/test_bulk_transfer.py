import csv
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ledger.models import AccountPurpose, Transaction, TransactionType
from ledger.selectors import get_account_balance
from ledger.services import get_system_account
from tests.factories import create_user, fund, wallet
from wallets import bulk

# Committed data: bulk_transfer posts on worker threads with their own connections.
pytestmark = pytest.mark.django_db(transaction=True)

HEADER = "from,to,asset,amount,reference\n"


def write(tmp_path, body: str, name="transfers.csv"):
    path = tmp_path / name
    path.write_text(HEADER + body)
    return path


def results(path) -> list[dict]:
    with path.with_suffix(".result.csv").open() as stream:
        return list(csv.DictReader(stream))


def test_posts_every_row_with_the_right_type_and_writes_results(
    tmp_path, alice, bob, assets, assert_reconciles
):
    fund(wallet(alice, "COIN"), 1000)
    path = write(
        tmp_path,
        "TREASURY,bob@example.com,SILVER,25,promo-1\n"
        "alice@example.com,bob@example.com,COIN,2.50,gift\n"
        "alice@example.com,DONATION:aid,GOLD,10,drive\n",
    )
    out = StringIO()

    call_command("bulk_transfer", str(path), stdout=out)

    assert "Posted 3, already posted 0, refused 0 of 3 rows" in out.getvalue()
    assert [r["status"] for r in results(path)] == ["posted"] * 3
    types = [Transaction.objects.get(pk=r["transaction_id"]).type for r in results(path)]
    assert types == [TransactionType.TOPUP, TransactionType.TRANSFER, TransactionType.REDEEM]
    assert wallet(bob, "SILVER").balance == 25
    assert wallet(bob, "COIN").balance == 250
    aid = get_system_account(purpose=AccountPurpose.DONATION, asset=assets["GOLD"], label="aid")
    assert get_account_balance(aid) == 10
    assert_reconciles()


def test_dry_run_moves_nothing(tmp_path, alice, bob):
    path = write(tmp_path, "TREASURY,bob@example.com,SILVER,25,promo-1\n")
    before = Transaction.objects.count()

    call_command("bulk_transfer", str(path), "--dry-run", stdout=StringIO())

    assert Transaction.objects.count() == before
    assert not path.with_suffix(".result.csv").exists()


def test_a_malformed_file_reports_every_bad_line_and_posts_nothing(tmp_path, alice, bob):
    path = write(
        tmp_path,
        "TREASURY,bob@example.com,SILVER,25,ok\n"
        "TREASURY,nobody@example.com,SILVER,25,unknown user\n"
        "TREASURY,bob@example.com,RUBIES,25,unknown asset\n"
        "TREASURY,bob@example.com,COIN,1.234,too many decimals\n"
        "bob@example.com,bob@example.com,SILVER,1,same\n"
        "MINT,bob@example.com,SILVER,1,unknown system account\n"
        "TREASURY,bob@example.com,SILVER\n"
        "TREASURY,bob@example.com,SILVER,-5,negative\n"
        "alice@example.com,bob@example.com,GOLD,5,not transferable\n",
    )
    err = StringIO()
    before = Transaction.objects.count()

    with pytest.raises(CommandError, match="8 bad rows"):
        call_command("bulk_transfer", str(path), stdout=StringIO(), stderr=err)

    lines = [line.split(":")[0] for line in err.getvalue().splitlines()]
    assert lines == [f"line {n}" for n in range(3, 11)]
    assert Transaction.objects.count() == before


def test_an_interrupted_run_resumed_moves_each_row_once(
    tmp_path, alice, bob, monkeypatch, assert_reconciles
):
    rows = "".join(f"TREASURY,bob@example.com,SILVER,1,r-{n}\n" for n in range(25))
    path = write(tmp_path, rows)
    calls = {"batches": 0}
    real_postings_for = bulk._postings_for

    def interrupted_before_the_third_batch(*args, **kwargs):
        if calls["batches"] == 2:
            raise KeyboardInterrupt
        calls["batches"] += 1
        return real_postings_for(*args, **kwargs)

    monkeypatch.setattr(bulk, "_postings_for", interrupted_before_the_third_batch)
    with pytest.raises(KeyboardInterrupt):
        call_command("bulk_transfer", str(path), "--batch-size", "10", stdout=StringIO())
    # The two batches under way when the interrupt came finished and were recorded.
    assert wallet(bob, "SILVER").balance == 20
    assert [r["status"] for r in results(path)] == ["posted"] * 20

    monkeypatch.setattr(bulk, "_postings_for", real_postings_for)
    out = StringIO()
    call_command("bulk_transfer", str(path), "--batch-size", "10", stdout=out)

    assert "Posted 5, already posted 20, refused 0 of 25 rows" in out.getvalue()
    assert wallet(bob, "SILVER").balance == 25
    assert_reconciles()


@pytest.mark.parametrize("workers", [1, 3])
def test_parallel_batches_apply_to_each_wallet_in_file_order(
    tmp_path, alice, bob, workers, assert_reconciles
):
    """Each row spends what the row before it received: with batches of one row on three
    connections, a batch locking its wallets before the one ahead of it would find no funds."""
    carol = create_user("carol@example.com")
    people = ["alice@example.com", "bob@example.com", "carol@example.com"]
    chain = "TREASURY,alice@example.com,COIN,5,start\n" + "".join(
        f"{people[n % 3]},{people[(n + 1) % 3]},COIN,5,hop-{n}\n" for n in range(30)
    )
    path = write(tmp_path, chain)
    out = StringIO()

    call_command(
        "bulk_transfer", str(path), "--batch-size", "1", "--workers", str(workers), stdout=out
    )

    assert "Posted 31, already posted 0, refused 0 of 31 rows" in out.getvalue()
    assert [r["status"] for r in results(path)] == ["posted"] * 31
    # 30 hops from alice end at alice again (30 is a multiple of 3).
    balances = [wallet(user, "COIN").balance for user in (alice, bob, carol)]
    assert balances == [500, 0, 0]
    assert_reconciles()


def test_rows_refused_by_the_ledger_are_reported_and_the_rest_posted(tmp_path, alice, bob):
    path = write(
        tmp_path,
        "alice@example.com,REVENUE,GOLD,500,too much\nalice@example.com,REVENUE,GOLD,40,fine\n",
    )

    with pytest.raises(CommandError, match="1 rows were refused"):
        call_command("bulk_transfer", str(path), stdout=StringIO())

    assert [(r["status"], r["error"]) for r in results(path)] == [
        ("refused", "insufficient_funds"),
        ("posted", ""),
    ]
    assert wallet(alice, "GOLD").balance == 60


def test_a_file_without_the_header_is_refused(tmp_path, alice):
    path = tmp_path / "bad.csv"
    path.write_text("a,b,c\n")

    with pytest.raises(CommandError):
        call_command("bulk_transfer", str(path), stdout=StringIO(), stderr=StringIO())


def test_the_account_cache_keeps_its_limit_and_reloads_what_it_dropped(
    alice, bob, assets, monkeypatch
):
    monkeypatch.setattr(bulk.AccountCache, "LIMIT", 2)
    carol = create_user("carol@example.com")
    cache = bulk.AccountCache({user.email: user.pk for user in (alice, bob, carol)})
    silver = assets["SILVER"]

    def row(source, target):
        return bulk.Row(2, source, target, silver, 1, "r", [])

    first = cache.for_rows([row("alice@example.com", "bob@example.com")])
    assert first["alice@example.com", silver.pk] == wallet(alice, "SILVER")
    cache.for_rows([row(("TREASURY", ""), "carol@example.com")])
    again = cache.for_rows([row("carol@example.com", "alice@example.com")])

    assert len(again) == 2  # the treasury, least recently used, went
    assert again["alice@example.com", silver.pk] == wallet(alice, "SILVER")
    assert again["carol@example.com", silver.pk].user_id == carol.pk

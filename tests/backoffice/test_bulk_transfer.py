import csv
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from ledger.models import AccountPurpose, Transaction, TransactionType
from ledger.reference import get_system_account
from ledger.selectors import get_account_balance
from tests.factories import create_user, fund, wallet
from tests.threads import run_in_threads
from wallets import bulk

# Committed data: bulk_transfer posts on worker threads with their own connections.
pytestmark = pytest.mark.django_db(transaction=True)

HEADER = "from,to,asset,amount,reference\n"


def write(tmp_path, body: str, name="transfers.csv"):
    path = tmp_path / name
    path.write_text(HEADER + body)
    return path


def results(path) -> list[dict]:
    with path.with_suffix(".result.csv").open(newline="") as stream:
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


def run(path, *args) -> str:
    out = StringIO()
    call_command("bulk_transfer", str(path), *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_a_rerun_of_the_file_with_a_row_appended_posts_only_the_new_row(
    tmp_path, alice, bob, assert_reconciles
):
    first = "TREASURY,bob@example.com,SILVER,10,pay-1\nTREASURY,alice@example.com,SILVER,20,pay-2\n"
    path = write(tmp_path, first)
    run(path)

    path.write_text(HEADER + first + "TREASURY,bob@example.com,SILVER,5,pay-3\n")
    out = run(path)

    assert "Posted 1, already posted 2, refused 0 of 3 rows" in out
    assert [r["status"] for r in results(path)] == ["already posted"] * 2 + ["posted"]
    assert (wallet(bob, "SILVER").balance, wallet(alice, "SILVER").balance) == (15, 20)
    assert_reconciles()


def test_a_row_posted_by_a_run_with_its_clock_ahead_is_reported_as_already_posted(tmp_path, bob):
    """A replay is told by the engine's outcome, never by timestamps: here the earlier
    transaction is dated after the second run started."""
    # given: the row posted by a run on a machine whose clock was a day ahead
    path = write(tmp_path, "TREASURY,bob@example.com,SILVER,10,pay-1\n")
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        run(path)
    first = results(path)[0]["transaction_id"]

    # when
    out = run(path)

    # then
    assert "Posted 0, already posted 1, refused 0 of 1 rows" in out
    assert [(r["status"], r["transaction_id"]) for r in results(path)] == [
        ("already posted", first)
    ]
    assert Transaction.objects.get(pk=first).created_at > timezone.now()
    assert wallet(bob, "SILVER").balance == 10


def test_the_same_rows_resorted_in_another_file_are_replays(tmp_path, alice, bob):
    first = write(
        tmp_path,
        "TREASURY,bob@example.com,SILVER,10,pay-1\nTREASURY,alice@example.com,GOLD,3,pay-2\n",
        name="monday.csv",
    )
    run(first)
    posted = {r["reference"]: r["transaction_id"] for r in results(first)}

    # another operator's export: other order, spacing, letter case and file name
    again = write(
        tmp_path,
        "TREASURY,alice@example.com,GOLD,3,pay-2\n treasury , BOB@example.com,silver,10,pay-1\n",
        name="export.csv",
    )
    out = run(again)

    assert "Posted 0, already posted 2, refused 0 of 2 rows" in out
    assert {r["reference"]: r["transaction_id"] for r in results(again)} == posted
    assert (wallet(bob, "SILVER").balance, wallet(alice, "GOLD").balance) == (10, 103)


@pytest.mark.parametrize(
    "changed",
    [
        "TREASURY,bob@example.com,SILVER,11,pay-1\n",  # another amount
        "TREASURY,alice@example.com,SILVER,10,pay-1\n",  # another recipient
        "BONUS,bob@example.com,SILVER,10,pay-1\n",  # another source
        "TREASURY,bob@example.com,COIN,10,pay-1\n",  # another asset
    ],
)
def test_a_reference_posted_before_with_other_details_is_refused_as_a_conflict(
    tmp_path, alice, bob, changed, assert_reconciles
):
    first = write(tmp_path, "TREASURY,bob@example.com,SILVER,10,pay-1\n", name="first.csv")
    run(first)
    earlier = results(first)[0]["transaction_id"]
    before = Transaction.objects.count()
    path = write(tmp_path, changed + "TREASURY,bob@example.com,SILVER,7,pay-2\n")

    with pytest.raises(CommandError, match="1 rows were refused"):
        run(path)

    assert [(r["status"], r["transaction_id"], r["error"]) for r in results(path)] == [
        ("refused", earlier, "idempotency_key_reused"),
        ("posted", results(path)[1]["transaction_id"], ""),
    ]
    assert Transaction.objects.count() == before + 1
    assert (wallet(bob, "SILVER").balance, wallet(alice, "SILVER").balance) == (17, 0)
    assert wallet(bob, "COIN").balance == 0
    assert_reconciles()


@pytest.mark.parametrize("reference", ["", "   ", "x" * (bulk.MAX_REFERENCE + 1)])
def test_a_row_without_a_usable_reference_is_a_bad_row(tmp_path, alice, bob, reference):
    path = write(
        tmp_path,
        f"TREASURY,bob@example.com,SILVER,10,ok\nTREASURY,bob@example.com,SILVER,10,{reference}\n",
    )
    err = StringIO()

    with pytest.raises(CommandError, match="1 bad rows"):
        call_command("bulk_transfer", str(path), stdout=StringIO(), stderr=err)

    assert err.getvalue().startswith("line 3: reference is required")
    assert wallet(bob, "SILVER").balance == 0


def test_a_reference_twice_in_one_file_is_a_bad_row(tmp_path, alice, bob):
    path = write(
        tmp_path,
        "TREASURY,bob@example.com,SILVER,10,pay-1\n"
        "TREASURY,alice@example.com,SILVER,10,pay-2\n"
        "TREASURY,alice@example.com,SILVER,10,pay-1\n",
    )
    err = StringIO()

    with pytest.raises(CommandError, match="1 bad rows"):
        call_command("bulk_transfer", str(path), stdout=StringIO(), stderr=err)

    assert err.getvalue() == "line 4: reference 'pay-1' is already on line 2\n"
    assert wallet(bob, "SILVER").balance == 0


def test_two_operators_posting_the_same_file_at_once_pay_each_row_once(
    tmp_path, alice, bob, assert_reconciles
):
    rows = "".join(f"TREASURY,bob@example.com,SILVER,1,r-{n}\n" for n in range(40))
    paths = [write(tmp_path, rows, name=f"operator-{n}.csv") for n in range(2)]

    run_in_threads(2, lambda n: run(paths[n], "--batch-size", "5", "--workers", "1"))

    assert wallet(bob, "SILVER").balance == 40
    statuses = [r["status"] for path in paths for r in results(path)]
    assert statuses.count("posted") == 40 and statuses.count("already posted") == 40
    assert_reconciles()


def test_the_result_file_neutralises_cells_a_spreadsheet_would_run(tmp_path, alice, bob):
    formulas = ["=1+2", "+cmd", "-2+3", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("x")']
    path = tmp_path / "formulas.csv"
    with path.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(bulk.COLUMNS)
        for n, reference in enumerate(formulas):
            writer.writerow(["TREASURY", "bob@example.com", "SILVER", "1", f"{reference}{n}"])

    run(path)

    written = results(path)
    assert [r["reference"] for r in written] == [f"'{ref}{n}" for n, ref in enumerate(formulas)]
    assert all(r["status"] == "posted" and r["transaction_id"].isdigit() for r in written)
    assert wallet(bob, "SILVER").balance == len(formulas)


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


def test_a_result_path_naming_the_input_file_is_refused_before_anything(tmp_path, alice, bob):
    path = write(tmp_path, "TREASURY,bob@example.com,SILVER,10,pay-1\n")
    content = path.read_text()

    with pytest.raises(CommandError, match="overwrite"):
        call_command(
            "bulk_transfer",
            str(path),
            "--result",
            str(tmp_path / "." / path.name),
            stdout=StringIO(),
        )

    assert path.read_text() == content
    assert wallet(bob, "SILVER").balance == 0


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

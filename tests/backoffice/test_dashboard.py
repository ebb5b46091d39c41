"""The dashboard: its figures come from balances and daily totals, and must equal what
`reconcile` sums from the entries themselves."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import User
from jobs.models import Job
from ledger.dashboard import get_dashboard
from ledger.models import Asset, ReconciliationRun
from ledger.reconcile import record_reconciliation
from ledger.services import expire_lots, place_hold, reverse_transaction, transfer
from tests.factories import earn, fund, spend, wallet

pytestmark = pytest.mark.django_db


@pytest.fixture
def moving_ledger(alice, bob):
    """Every kind of flow the dashboard counts, in two assets, plus some it must not."""
    Asset.objects.filter(code="COIN").update(expiry_days=30)
    fund(wallet(alice, "COIN"), 1000)
    fund(wallet(bob, "COIN"), 250)
    spend(alice, 125, "COIN")
    earn(bob, 40)
    spend(bob, 30, "GOLD")
    transfer(source=wallet(bob, "COIN"), destination=wallet(alice, "COIN"), amount=7)
    topup = fund(wallet(bob, "CITY_POINTS"), 90)
    reverse_transaction(transaction_id=topup.entries.latest("id").transaction_id, reason="mistake")
    place_hold(account=wallet(alice, "COIN"), amount=100, reference="order-1")
    expire_lots(account_id=wallet(bob, "COIN").pk, now=timezone.now() + timedelta(days=31))


def test_the_dashboard_figures_equal_reconciles_sums_from_the_entries(moving_ledger):
    run = record_reconciliation()

    dashboard = get_dashboard(days=7)

    assert run.ok
    shown = {row["asset"].code: row["figures"] for row in dashboard["assets"]}
    summed = {code: sums for code, sums in run.report["sums"].items()}
    assert {code: shown[code] for code in summed} == summed
    assert summed["COIN"]["issued"] == 1250 and summed["COIN"]["spent"] == 125
    assert summed["COIN"]["expired"] == 243 and summed["COIN"]["held"] == 100
    assert summed["COIN"]["circulation"] == 882


def test_the_range_limits_flows_and_charts_but_not_balances(moving_ledger, time_machine):
    time_machine.move_to(timezone.now() + timedelta(days=10))

    week = get_dashboard(days=7)
    quarter = get_dashboard(days=90)

    coin_week = next(row for row in week["assets"] if row["asset"].code == "COIN")
    coin_quarter = next(row for row in quarter["assets"] if row["asset"].code == "COIN")
    assert coin_week["figures"]["issued"] == 0 and coin_quarter["figures"]["issued"] == 1250
    assert coin_week["figures"]["circulation"] == coin_quarter["figures"]["circulation"] == 882
    assert len(coin_week["chart"]["labels"]) == 7 and len(coin_quarter["chart"]["labels"]) == 90
    assert coin_quarter["chart"]["datasets"][0]["data"][-11] == 12.5  # issued, in COIN


def test_the_dashboard_page_shows_ranges_earners_queues_and_reads_a_fixed_number_of_rows(
    staff_desk, moving_ledger, django_assert_max_num_queries
):
    record_reconciliation()

    with django_assert_max_num_queries(25):
        page = staff_desk.get("/admin/", {"days": "90"}).content.decode()

    assert 'aria-current="true">90 days' in page
    assert page.count('<canvas class="chart"') == Asset.objects.count()
    assert 'id="top-earners"' in page and "alice@example.com" in page
    assert "Pending holds" in page and "Outbox events not yet published" in page
    assert "Run reconcile now" in page


@pytest.mark.django_db(transaction=True)  # the job runs on its own, after the commit
def test_staff_runs_reconcile_from_the_dashboard_after_confirming(staff_desk, moving_ledger):
    asked = staff_desk.get("/admin/reconcile/")
    nothing_yet = ReconciliationRun.objects.count()

    # the job runs inline (the test runner) once the request's transaction commits
    started = staff_desk.post("/admin/reconcile/", {"confirm": "yes"})
    job = Job.objects.get()
    done = staff_desk.get(started["Location"])

    assert asked.status_code == 200 and nothing_yet == 0
    assert started.status_code == 302 and started["Location"] == f"/admin/jobs/job/{job.pk}/change/"
    assert job.kind == Job.Kind.RECONCILE and job.status == Job.Status.DONE
    run = ReconciliationRun.objects.get()
    assert run.ok and job.summary["reconciliation"] == run.pk
    assert f"Reconciliation #{run.pk}</a>: clean" in done.content.decode()


def test_the_dashboard_shows_a_reconcile_running_and_does_not_start_a_second(
    staff_desk, moving_ledger
):
    # given a reconcile job queued (its commit callback, the runner, never runs in a test
    # transaction)
    staff_desk.post("/admin/reconcile/", {"confirm": "yes"})
    job = Job.objects.get()

    again = staff_desk.post("/admin/reconcile/", {"confirm": "yes"})
    page = staff_desk.get("/admin/").content.decode()

    assert again["Location"] == f"/admin/jobs/job/{job.pk}/change/"
    assert Job.objects.count() == 1 and not ReconciliationRun.objects.exists()
    link = f'id="reconcile-job" class="text-primary-600" href="/admin/jobs/job/{job.pk}/change/"'
    assert link in page


def test_support_sees_the_dashboard_but_cannot_run_reconcile(support_desk, moving_ledger):
    page = support_desk.get("/admin/").content.decode()

    refused = support_desk.post("/admin/reconcile/", {"confirm": "yes"})

    assert 'id="dashboard"' in page and "Run reconcile now" not in page
    assert refused.status_code == 403
    assert not ReconciliationRun.objects.exists()


def test_a_later_service_can_add_a_queue_to_the_dashboard(staff_desk, moving_ledger):
    from ledger import dashboard

    def approvals() -> dashboard.Queue:
        return dashboard.Queue("Adjustments awaiting approval", 3, "admin:ledger_hold_changelist")

    dashboard.register_queue(approvals)
    try:
        page = staff_desk.get("/admin/").content.decode()
    finally:
        dashboard._queues.remove(approvals)

    assert "Adjustments awaiting approval" in page


def test_an_unknown_range_falls_back_to_thirty_days(staff_desk, moving_ledger):
    assert get_dashboard(days=12)["range"] == 30
    assert staff_desk.get("/admin/", {"days": "nope"}).status_code == 200


def test_customers_do_not_get_a_group_that_reconciles():
    assert not Group.objects.filter(name="support", permissions__codename="add_reconciliationrun")
    assert not User.objects.filter(is_staff=False, groups__name="staff").exists()


def test_closed_days_are_read_once_and_today_is_read_live(moving_ledger, alice, time_machine):
    from ledger.models import DailyTotal

    time_machine.move_to(timezone.now() + timedelta(days=3))
    coin = Asset.objects.get(code="COIN")
    first = get_dashboard(days=7)
    # a closed day's totals changing behind its back (no posting does this) is not re-read
    DailyTotal.objects.filter(asset=coin, type="TOPUP").update(credited=1)
    fund(wallet(alice, "COIN"), 500)  # today: read live

    second = get_dashboard(days=7)

    def coin_of(dashboard) -> dict:
        return next(row for row in dashboard["assets"] if row["asset"].code == "COIN")["figures"]

    assert coin_of(first)["issued"] == 1250
    assert coin_of(second)["issued"] == 1250 + 500
    assert [e["account"].user.email for e in second["top_earners_today"]] == ["alice@example.com"]
    assert "bob@example.com" in [e["account"].user.email for e in second["top_earners"]]


def test_the_page_keeps_its_figures_a_few_seconds_says_when_read_and_then_reads_again(
    staff_desk, moving_ledger, alice, settings, time_machine
):
    # given: figures kept up to 5 s, and a page read at a known moment
    settings.DASHBOARD_FIGURES_SECONDS = 5
    time_machine.move_to(timezone.now(), tick=False)
    read_at = timezone.localtime().strftime("%H:%M:%S")
    first = staff_desk.get("/admin/", {"days": "7"}).content.decode()

    # when: money is issued and a hold placed, then the page is loaded within and after 5 s
    fund(wallet(alice, "COIN"), 500)
    place_hold(account=wallet(alice, "COIN"), amount=1, reference="order-2")
    time_machine.shift(4)
    within = staff_desk.get("/admin/", {"days": "7"}).content.decode()
    time_machine.shift(2)
    after = staff_desk.get("/admin/", {"days": "7"}).content.decode()

    # then: the kept figures say when they were read; the queues are always live
    def issued_coin(page: str) -> str:
        return page.split('data-asset="COIN"')[1].split('data-figure="issued">')[1].split("<")[0]

    def pending_holds(page: str) -> str:
        return page.split("Pending holds</a>")[1].split(">")[1].split("<")[0]

    assert issued_coin(first) == issued_coin(within) == "12.50"
    assert f"as of {read_at}" in first and f"as of {read_at}" in within
    assert "read again when 5 s old" in first
    assert issued_coin(after) == "17.50" and f"as of {read_at}" not in after
    assert (pending_holds(first), pending_holds(within)) == ("1", "2")


def test_the_figures_are_read_on_every_load_when_not_kept(
    staff_desk, moving_ledger, alice, settings, time_machine
):
    settings.DASHBOARD_FIGURES_SECONDS = 0
    time_machine.move_to(timezone.now(), tick=False)
    staff_desk.get("/admin/", {"days": "7"})
    fund(wallet(alice, "COIN"), 500)

    page = staff_desk.get("/admin/", {"days": "7"}).content.decode()

    assert 'data-figure="issued">17.50<' in page and "read again" not in page


def test_the_next_days_figures_from_the_day_befores_equal_a_read_from_scratch(
    alice, bob, assets, time_machine
):
    from django.core.cache import cache

    from ledger import dashboard

    # given: earnings and spending over nine days, the dashboard loaded on each
    noon = (timezone.now() + timedelta(days=1)).replace(hour=12, minute=0)
    for n in range(9):
        time_machine.move_to(noon + timedelta(days=n), tick=False)
        earn(alice if n % 3 else bob, 10 + n, "COIN")
        fund(wallet(bob, "COIN"), 5 * n + 1)
        spend(bob, 2, "COIN")
        get_dashboard(days=7)
    # when: the next day, once from what the day before kept, once with nothing kept
    time_machine.move_to(noon + timedelta(days=9), tick=False)
    yesterdays = dashboard._cache_key(
        "earned", (noon + timedelta(days=2)).date(), (noon + timedelta(days=7)).date()
    )
    kept_before = cache.get(yesterdays)
    built = get_dashboard(days=7)
    cache.clear()
    read = get_dashboard(days=7)

    # then: the same figures and earners, and they equal reconcile's sums
    def shown(figures: dict) -> tuple:
        return (
            {row["asset"].code: row["figures"] for row in figures["assets"]},
            [(e["account"].pk, e["earned"]) for e in figures["top_earners"]],
        )

    assert kept_before  # the range was built from the day before's
    assert shown(built) == shown(read)
    assert {e["account"].user.email for e in read["top_earners"]} == {
        "alice@example.com",
        "bob@example.com",
    }
    run = record_reconciliation()
    assert (
        run.ok
        and run.report["sums"]["COIN"]["circulation"] == shown(built)[0]["COIN"]["circulation"]
    )

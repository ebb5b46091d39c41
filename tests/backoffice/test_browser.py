"""The back office in a real headless Chromium (Debian's chromium and chromium-driver,
installed by .ci/run), driven by Selenium against Django's live server."""

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.utils import timezone
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import Select, WebDriverWait

from accounts.models import User
from ledger.models import Account, ReconciliationRun, Transaction, TransactionType
from ledger.reconcile import record_reconciliation
from tests.backoffice.chromium import ARTIFACTS, chromium, click_through, needs_chromium
from tests.factories import fund, spend, wallet

pytestmark = [pytest.mark.django_db(transaction=True), needs_chromium]
# A job's page reloads itself: an element found just before may be gone when read.
RELOADING = (NoSuchElementException, StaleElementReferenceException)


@pytest.fixture
def browser():
    with chromium() as driver:
        yield driver


def desk_user(email: str, role: str) -> User:
    user = User.objects.create_user(email=email, password="operator-pass-1", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def operator(assets):
    return desk_user("operator@example.com", "staff")


@pytest.fixture
def support_agent(assets):
    return desk_user("support@example.com", "support")


def log_in(browser, live_server, email: str = "operator@example.com"):
    browser.get(f"{live_server.url}/admin/login/")
    browser.find_element(By.NAME, "username").send_keys(email)
    browser.find_element(By.NAME, "password").send_keys("operator-pass-1")
    click_through(browser, browser.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    WebDriverWait(browser, 10).until(ready.presence_of_element_located((By.ID, "dashboard")))


def shot(browser, name: str) -> Path:
    """A screenshot of the page as it is now, in TEST_ARTIFACTS (artifacts/ by default)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    browser.save_screenshot(str(path))
    assert path.stat().st_size > 10_000  # a rendered page, not a blank one
    return path


def page_text(browser) -> str:
    return browser.find_element(By.TAG_NAME, "body").text


def test_operator_adjusts_a_wallet_and_sees_the_balance_and_the_transaction(
    browser, live_server, operator, alice, bob
):
    log_in(browser, live_server)

    # finds alice's GOLD wallet by her email
    browser.get(f"{live_server.url}/admin/ledger/account/")
    search = browser.find_element(By.ID, "searchbar")
    search.send_keys("alice@example.com")
    click_through(browser, search, submit=True)
    row = next(
        r
        for r in browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
        if "GOLD" in r.text
    )
    row.find_element(By.CSS_SELECTOR, "input.action-select").click()

    # runs the adjustment action, confirms with an amount and a reason
    Select(browser.find_element(By.NAME, "action")).select_by_value("post_adjustment")
    click_through(browser, browser.find_element(By.NAME, "index"))
    browser.find_element(By.NAME, "amount").send_keys("25")
    browser.find_element(By.NAME, "reason").send_keys("goodwill after incident_001")
    confirm = browser.find_element(By.NAME, "confirm")
    click_through(browser, confirm)
    assert "done for 1 of 1" in page_text(browser)

    # the wallet page shows the new balance and the adjustment among its entries
    browser.get(f"{live_server.url}/admin/ledger/account/{wallet(alice, 'GOLD').pk}/change/")
    page = browser.find_element(By.ID, "content").text
    adjustment = Transaction.objects.get(type=TransactionType.ADJUSTMENT)
    balance = "//label[normalize-space()='Balance']/following::div[contains(@class, 'readonly')]"
    assert "125" in browser.find_element(By.XPATH, balance).text
    assert f"#{adjustment.pk}" in page and "ADJUSTMENT" in page
    assert adjustment.initiated_by == operator
    assert adjustment.metadata["reason"] == "goodwill after incident_001"

    # and the transaction's own page shows its entries
    click_through(browser, browser.find_element(By.LINK_TEXT, f"#{adjustment.pk}"))
    assert "goodwill after incident_001" in browser.find_element(By.ID, "content").text


def test_dashboard_screenshot(browser, live_server, operator, alice, bob):
    # two weeks of history, so the charts have days to draw
    now = timezone.now()
    for days_ago in range(14, 0, -1):
        with time_machine.travel(now - timedelta(days=days_ago), tick=False):
            fund(wallet(alice, "CITY_POINTS"), 20 + 7 * (days_ago % 5))
            fund(wallet(bob, "COIN"), 150 + 40 * (days_ago % 3))
            spend(bob, 30 + 10 * (days_ago % 4), "COIN")
    fund(wallet(alice, "CITY_POINTS"), 300)
    fund(wallet(bob, "COIN"), 1250)
    record_reconciliation()
    log_in(browser, live_server)

    dashboard = browser.find_element(By.ID, "dashboard")
    charts = browser.find_elements(By.CSS_SELECTOR, "#dashboard canvas.chart")
    shot(browser, "dashboard")
    assert "CITY_POINTS" in dashboard.text and "clean" in dashboard.text
    assert charts and all(chart.size["height"] > 100 for chart in charts)  # Chart.js drew them

    # the range picker redraws the page for the last 7 days
    click_through(browser, browser.find_element(By.CSS_SELECTOR, "#range-picker a[href='?days=7']"))
    WebDriverWait(browser, 10).until(ready.url_contains("days=7"))
    assert "7 days" in browser.find_element(By.CSS_SELECTOR, "[aria-current=true]").text
    shot(browser, "dashboard-7-days")

    # and "run reconcile now" asks first, then starts a job and shows its page until done
    click_through(browser, browser.find_element(By.LINK_TEXT, "Run reconcile now"))
    shot(browser, "reconcile-confirm")
    click_through(browser, browser.find_element(By.NAME, "confirm"))
    WebDriverWait(browser, 60, ignored_exceptions=RELOADING).until(
        lambda driver: (
            driver.find_element(By.ID, "job-status").get_attribute("data-status") == "DONE"
        )
    )
    shot(browser, "reconcile-job-done")
    run = ReconciliationRun.objects.latest("id")
    assert f"Reconciliation #{run.pk}: clean" in page_text(browser)


def test_operator_finds_a_user_by_email_and_adjusts_from_the_users_page(
    browser, live_server, operator, alice, bob
):
    fund(wallet(alice, "COIN"), 1250)
    log_in(browser, live_server)

    # finds alice by her email in the users list
    click_through(
        browser,
        browser.find_element(By.CSS_SELECTOR, "#nav-sidebar a[href='/admin/accounts/user/']"),
    )
    search = browser.find_element(By.ID, "searchbar")
    search.send_keys("alice@example.com")
    click_through(browser, search, submit=True)
    shot(browser, "users-search")
    click_through(browser, browser.find_element(By.LINK_TEXT, "alice@example.com"))

    # sees her balances on her page
    wallets = browser.find_element(By.ID, "user-wallets")
    gold = wallets.find_element(By.CSS_SELECTOR, "tr[data-key=GOLD] .col-balance")
    coin = wallets.find_element(By.CSS_SELECTOR, "tr[data-key=COIN] .col-balance")
    assert (gold.text, coin.text) == ("100", "12.50")
    shot(browser, "user-page")

    # posts an adjustment from her page: the form, then what will change, then confirm
    click_through(browser, browser.find_element(By.CSS_SELECTOR, "a[href$='/adjust_here/']"))
    Select(browser.find_element(By.NAME, "wallet")).select_by_value(str(wallet(alice, "COIN").pk))
    browser.find_element(By.NAME, "amount").send_keys("-2.50")
    browser.find_element(By.NAME, "reason").send_keys("double credit, ticket 4411")
    shot(browser, "adjust-form")
    click_through(browser, browser.find_element(By.NAME, "preview"))
    preview = browser.find_element(By.ID, "preview").text
    assert "12.50" in preview and "10.00" in preview
    assert Account.objects.get(pk=wallet(alice, "COIN").pk).balance == 1250  # nothing yet
    shot(browser, "adjust-preview")
    confirm = browser.find_element(By.NAME, "confirm")
    click_through(browser, confirm)

    # back on her page: the outcome, the new balance and the adjustment among her transactions
    assert "Post an adjustment: done" in page_text(browser)
    coin = browser.find_element(By.CSS_SELECTOR, "#user-wallets tr[data-key=COIN] .col-balance")
    assert coin.text == "10.00"
    adjustment = Transaction.objects.get(type=TransactionType.ADJUSTMENT)
    assert f"#{adjustment.pk}" in browser.find_element(By.ID, "user-transactions").text
    assert adjustment.initiated_by == operator
    shot(browser, "user-page-after-adjustment")

    # and all her transactions, found by her email in the transactions list
    click_through(browser, browser.find_element(By.LINK_TEXT, "All of them"))
    listed = browser.find_element(By.ID, "result_list").text
    assert "ADJUSTMENT" in listed.upper() and "-2.50 COIN" not in listed  # amounts moved
    assert "2.50 COIN" in listed and "alice@example.com" in listed
    shot(browser, "transactions-by-email")


def test_support_sees_everything_and_can_start_nothing(
    browser, live_server, support_agent, alice, bob
):
    fund(wallet(alice, "COIN"), 1250)
    topup = Transaction.objects.filter(type=TransactionType.TOPUP).latest("id")
    gold = wallet(alice, "GOLD")
    log_in(browser, live_server, "support@example.com")
    assert "Run reconcile now" not in page_text(browser)
    shot(browser, "support-dashboard")

    pages = {
        "support-user-page": f"/admin/accounts/user/{alice.pk}/change/",
        "support-wallet-page": f"/admin/ledger/account/{gold.pk}/change/",
        "support-transaction-page": f"/admin/ledger/transaction/{topup.pk}/change/",
        "support-transactions": "/admin/ledger/transaction/",
    }
    for name, path in pages.items():
        browser.get(live_server.url + path)
        assert "alice@example.com" in page_text(browser), name
        shot(browser, name)
        links = [a.get_attribute("href") or "" for a in browser.find_elements(By.TAG_NAME, "a")]
        assert not [
            href
            for href in links
            if href.rstrip("/").endswith(
                ("adjust_here", "bonus_here", "adjust_wallet", "freeze_wallet", "reverse_here")
            )
        ], name

    # the lists offer no value-moving action, and a typed-in action address is refused
    browser.get(f"{live_server.url}/admin/ledger/account/")
    offered = [
        o.get_attribute("value")
        for o in browser.find_elements(By.CSS_SELECTOR, "select[name=action] option")
    ]
    assert not {"post_adjustment", "freeze", "unfreeze"} & set(offered)
    browser.get(f"{live_server.url}/admin/accounts/user/{alice.pk}/adjust_here/")
    assert "403" in browser.title or "Forbidden" in page_text(browser)
    assert wallet(alice, "COIN").balance == 1250

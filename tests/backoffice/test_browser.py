"""The back office in a real headless Chromium (Debian's chromium and chromium-driver,
installed by .ci/run), driven by Selenium against Django's live server."""

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import Select, WebDriverWait

from accounts.models import User
from ledger.models import Transaction, TransactionType
from ledger.reconcile import record_reconciliation
from tests.factories import fund, wallet

ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", Path(__file__).parents[2] / "artifacts"))
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not (CHROMIUM and CHROMEDRIVER) and not os.environ.get("CI"),
        reason="needs Debian's chromium and chromium-driver (.ci/run installs them)",
    ),
]


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp()
    for flag in [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,1000",
        f"--user-data-dir={profile}",
    ]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def operator(assets):
    user = User.objects.create_user(
        email="operator@example.com", password="operator-pass-1", is_staff=True
    )
    user.groups.add(Group.objects.get(name="staff"))
    return user


def log_in(browser, live_server):
    browser.get(f"{live_server.url}/admin/login/")
    browser.find_element(By.NAME, "username").send_keys("operator@example.com")
    browser.find_element(By.NAME, "password").send_keys("operator-pass-1")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    WebDriverWait(browser, 10).until(ready.presence_of_element_located((By.ID, "dashboard")))


def test_operator_adjusts_a_wallet_and_sees_the_balance_and_the_transaction(
    browser, live_server, operator, alice, bob
):
    log_in(browser, live_server)

    # finds alice's GOLD wallet by her email
    browser.get(f"{live_server.url}/admin/ledger/account/")
    search = browser.find_element(By.ID, "searchbar")
    search.send_keys("alice@example.com")
    search.submit()
    row = next(
        r
        for r in browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
        if "GOLD" in r.text
    )
    row.find_element(By.CSS_SELECTOR, "input.action-select").click()

    # runs the adjustment action, confirms with an amount and a reason
    Select(browser.find_element(By.NAME, "action")).select_by_value("post_adjustment")
    browser.find_element(By.NAME, "index").click()
    browser.find_element(By.NAME, "amount").send_keys("25")
    browser.find_element(By.NAME, "reason").send_keys("goodwill after incident_001")
    browser.find_element(By.NAME, "confirm").click()
    assert "done for 1 of 1" in browser.find_element(By.CSS_SELECTOR, ".messagelist").text

    # the wallet page shows the new balance and the adjustment among its entries
    browser.get(f"{live_server.url}/admin/ledger/account/{wallet(alice, 'GOLD').pk}/change/")
    page = browser.find_element(By.ID, "content").text
    adjustment = Transaction.objects.get(type=TransactionType.ADJUSTMENT)
    assert "125" in browser.find_element(By.CSS_SELECTOR, ".field-full_balance .readonly").text
    assert f"#{adjustment.pk}" in page and "ADJUSTMENT" in page
    assert adjustment.initiated_by == operator
    assert adjustment.metadata["reason"] == "goodwill after incident_001"

    # and the transaction's own page shows its entries
    browser.find_element(By.LINK_TEXT, f"#{adjustment.pk}").click()
    assert "goodwill after incident_001" in browser.find_element(By.ID, "content").text


def test_dashboard_screenshot(browser, live_server, operator, alice, bob):
    fund(wallet(alice, "CITY_POINTS"), 300)
    fund(wallet(bob, "COIN"), 1250)
    record_reconciliation()
    log_in(browser, live_server)

    dashboard = browser.find_element(By.ID, "dashboard")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "dashboard.png"
    browser.save_screenshot(str(shot))

    assert "CITY_POINTS" in dashboard.text and "clean" in dashboard.text
    assert shot.stat().st_size > 10_000

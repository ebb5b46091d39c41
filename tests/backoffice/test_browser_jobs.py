"""Exports and jobs in a real headless Chromium (Debian's chromium and chromium-driver),
driven by Selenium against Django's live server; a screenshot of each page goes to
TEST_ARTIFACTS. Jobs run as in the embedded default: a thread of the server."""

import csv
import time
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from accounts.models import User
from rewards.models import Campaign
from tests.backoffice.chromium import ARTIFACTS, chromium, click_through, needs_chromium
from tests.factories import create_user, fund, spend, wallet

pytestmark = [pytest.mark.django_db(transaction=True), needs_chromium]


@pytest.fixture
def downloads(tmp_path) -> Path:
    folder = tmp_path / "downloads"
    folder.mkdir()
    return folder


@pytest.fixture
def browser(downloads):
    with chromium(downloads) as driver:
        yield driver


@pytest.fixture
def operator(assets, settings):
    settings.JOBS_RUNNER = "thread"  # the embedded default: no broker, no waiting request
    user = User.objects.create_user(
        email="operator@example.com", password="operator-pass-1", is_staff=True
    )
    user.groups.add(Group.objects.get(name="staff"))
    return user


def log_in(browser, live_server) -> None:
    browser.get(f"{live_server.url}/admin/login/")
    browser.find_element(By.NAME, "username").send_keys("operator@example.com")
    browser.find_element(By.NAME, "password").send_keys("operator-pass-1")
    click_through(browser, browser.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    # Signed in once the login page is left (no theme-specific element is waited for).
    WebDriverWait(browser, 10).until(lambda driver: "/admin/login/" not in driver.current_url)


def screenshot(browser, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def downloaded(folder: Path, suffix: str, timeout: float = 20) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [f for f in folder.iterdir() if f.suffix == suffix]
        if done:
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"no {suffix} file downloaded: {list(folder.iterdir())}")


# The job's page reloads itself: an element found just before may be gone when read.
RELOADING = (NoSuchElementException, StaleElementReferenceException)


def shown(browser, element_id: str, timeout: float = 30):
    """The element once the page showing it has loaded (a loaded machine can be slow)."""
    return WebDriverWait(browser, timeout, ignored_exceptions=RELOADING).until(
        lambda driver: driver.find_element(By.ID, element_id)
    )


def wait_for_job(browser, timeout: float = 90) -> str:
    """The job's page polls its state and reloads once it has finished; data-status is
    the server's, so it is final only on the reloaded page."""
    WebDriverWait(browser, timeout, ignored_exceptions=RELOADING).until(
        lambda driver: (
            driver.find_element(By.ID, "job-status").get_attribute("data-status")
            in ("DONE", "FAILED")
        )
    )
    return browser.find_element(By.ID, "job-status").text


def test_operator_exports_a_filtered_list(browser, live_server, operator, alice, bob, downloads):
    fund(wallet(alice, "COIN"), 1250)
    spend(bob, 30)
    log_in(browser, live_server)

    browser.get(f"{live_server.url}/admin/ledger/transaction/?type__exact=TOPUP")
    screenshot(browser, "export-filtered-list")
    browser.find_element(By.ID, "export-csv").click()

    with downloaded(downloads, ".csv").open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert [(row["type"], row["amount"], row["to"]) for row in rows] == [
        ("TOPUP", "12.50", "alice@example.com")
    ]


def test_a_long_export_becomes_a_job_and_its_file_is_downloaded(
    browser, live_server, operator, alice, bob, downloads, settings
):
    # given more top-ups than an export in the page may hold (the threshold set low)
    settings.EXPORTS_INLINE_MAX_ROWS = 2
    for amount in (1250, 300, 75):
        fund(wallet(alice, "COIN"), amount)
    spend(bob, 30)
    log_in(browser, live_server)

    # exporting the filtered list opens the export's job page, which runs and finishes
    browser.get(f"{live_server.url}/admin/ledger/transaction/?type__exact=TOPUP")
    click_through(browser, browser.find_element(By.ID, "export-csv"))
    assert wait_for_job(browser) == "Done"
    screenshot(browser, "export-job-done")
    assert browser.find_element(By.ID, "job-count").text == "3 / 3"

    # and its file is the filtered list
    browser.find_element(By.ID, "result-file").click()
    with downloaded(downloads, ".csv").open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert sorted(row["amount"] for row in rows) == ["0.75", "12.50", "3.00"]
    assert {row["type"] for row in rows} == {"TOPUP"}


def test_operator_uploads_a_bulk_file_fixes_it_and_watches_it_finish(
    browser, live_server, operator, alice, bob, tmp_path
):
    log_in(browser, live_server)
    bad = tmp_path / "payouts.csv"
    bad.write_text(
        "from,to,asset,amount,reference\n"
        "TREASURY,alice@example.com,GOLD,10,march-1\n"
        "TREASURY,bob@example.com,GOLD,-5,march-2\n"
        "TREASURY,bob@example.com,COIN,2.50,march-3\n"
    )

    # uploads a file with one bad row and sees its line number; nothing is posted
    browser.get(f"{live_server.url}/admin/jobs/job/")
    click_through(browser, browser.find_element(By.ID, "new-bulk-transfer"))
    browser.find_element(By.NAME, "file").send_keys(str(bad))
    click_through(browser, browser.find_element(By.ID, "validate"))
    errors = shown(browser, "validation-errors")
    screenshot(browser, "bulk-upload-bad-row")
    assert "1 bad row" in errors.text
    assert browser.find_element(By.CSS_SELECTOR, ".bad-row .line").text == "3"
    assert wallet(alice, "GOLD").balance == 100

    # fixes the file, uploads it, sees the totals, starts it and watches it finish
    fixed = tmp_path / "payouts-fixed.csv"
    fixed.write_text(bad.read_text().replace("GOLD,-5,", "GOLD,5,"))
    browser.find_element(By.NAME, "file").send_keys(str(fixed))
    click_through(browser, browser.find_element(By.ID, "validate"))
    summary = shown(browser, "job-summary").text
    assert "15 GOLD" in summary and "2.50 COIN" in summary
    screenshot(browser, "bulk-job-ready")
    click_through(browser, browser.find_element(By.ID, "start-job"))

    assert wait_for_job(browser) == "Done"
    screenshot(browser, "bulk-job-done")
    assert browser.find_element(By.CSS_SELECTOR, ".summary-posted").text == "3"
    assert browser.find_element(By.ID, "job-count").text == "3 / 3"
    assert browser.find_element(By.ID, "result-file").is_displayed()
    assert wallet(alice, "GOLD").balance == 110
    assert wallet(bob, "GOLD").balance == 105 and wallet(bob, "COIN").balance == 250


def test_operator_starts_a_campaign_and_watches_it_run(browser, live_server, operator, assets):
    for _ in range(3):
        create_user()
    drive = Campaign.objects.create(name="Spring boost", asset=assets["COIN"], amount=200)
    log_in(browser, live_server)

    browser.get(f"{live_server.url}/admin/rewards/campaign/{drive.pk}/change/")
    assert shown(browser, "audience-size").text == "3"
    click_through(browser, browser.find_element(By.LINK_TEXT, "Start the campaign"))
    assert shown(browser, "audience-cost").text == "6.00 COIN"
    screenshot(browser, "campaign-start")
    click_through(browser, browser.find_element(By.ID, "start"))

    assert wait_for_job(browser) == "Done"
    screenshot(browser, "campaign-job-done")
    assert browser.find_element(By.CSS_SELECTOR, ".summary-paid").text == "3"
    drive.refresh_from_db()
    assert drive.status == Campaign.Status.DONE

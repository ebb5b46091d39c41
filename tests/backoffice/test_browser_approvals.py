"""The approval queue in a real headless Chromium: an operator approves a customer's
withdrawal; the same operator cannot approve an adjustment they asked for themselves."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select

from ledger.models import Transaction, TransactionType
from payments.models import ApprovalRequest, Withdrawal
from payments.services import withdrawals
from tests.backoffice.chromium import click_through
from tests.backoffice.test_browser import browser, log_in, operator, page_text, pytestmark, shot
from tests.factories import fund, wallet

__all__ = ["browser", "operator", "pytestmark"]  # fixtures and marks shared with test_browser


@pytest.fixture(autouse=True)
def _threshold(settings):
    settings.PAYMENTS_APPROVAL_THRESHOLDS = {"DEFAULT": 1000}


def list_row(browser, text: str) -> WebElement:
    """The first row of the list on the page that shows `text`."""
    rows = browser.find_elements(By.CSS_SELECTOR, "#result_list tr.data-row")
    return next(row for row in rows if text in row.text)


def cells(row: WebElement) -> dict[str, str]:
    """A list row's cells by column: unfold keeps Django's `field-<column>` class on each."""
    shown = {}
    for cell in row.find_elements(By.CSS_SELECTOR, "[class^='field-']"):
        shown[cell.get_attribute("class").split()[0].removeprefix("field-")] = cell.text
    return shown


def run_action(browser, live_server, changelist: str, row_text: str, action: str, **form) -> str:
    """Select the row showing row_text, run the action, confirm it with the form's values;
    the page that follows, whose messages (unfold gives them no class to find) say what
    happened."""
    browser.get(f"{live_server.url}/admin/{changelist}/")
    list_row(browser, row_text).find_element(By.CSS_SELECTOR, "input.action-select").click()
    Select(browser.find_element(By.NAME, "action")).select_by_value(action)
    click_through(browser, browser.find_element(By.NAME, "index"))
    for name, value in form.items():
        browser.find_element(By.NAME, name).send_keys(value)
    click_through(browser, browser.find_element(By.NAME, "confirm"))
    return page_text(browser)


def test_operator_approves_a_withdrawal_in_the_queue(browser, live_server, operator, alice):
    fund(wallet(alice, "COIN"), 50_000)
    withdrawal = withdrawals.request_withdrawal(
        user=alice,
        asset=wallet(alice, "COIN").asset,
        amount=20_000,
        account_number="DE89370400440532013000",
        bank_name="Demo Bank",
        requested_by=alice,
    )
    log_in(browser, live_server)

    browser.get(f"{live_server.url}/admin/payments/approvalrequest/")
    queued = cells(list_row(browser, "alice@example.com"))
    assert (queued["kind"], queued["status"]) == ("Withdrawal", "Pending")
    assert queued["wallet_owner"] == "alice@example.com"
    notice = run_action(
        browser,
        live_server,
        "payments/approvalrequest",
        "alice@example.com",
        "approve",
        reason="checked the customer",
    )

    assert "done for 1 of 1" in notice
    assert Withdrawal.objects.get(pk=withdrawal.pk).status == "approved"
    browser.get(f"{live_server.url}/admin/payments/withdrawal/{withdrawal.pk}/change/")
    page = browser.find_element(By.ID, "content").text
    assert "****3000" in page and "0532013000" not in page
    shot(browser, "withdrawal-approved")


def test_the_requester_cannot_approve_their_own_adjustment(browser, live_server, operator, alice):
    log_in(browser, live_server)

    queued = run_action(
        browser,
        live_server,
        "ledger/account",
        "alice@example.com",
        "post_adjustment",
        amount="2000",
        reason="big goodwill",
    )
    assert "waiting for a second staff member" in queued and "done for" not in queued
    refused = run_action(browser, live_server, "payments/approvalrequest", "Adjustment", "approve")

    assert "self_approval" in refused and "done for" not in refused
    request = ApprovalRequest.objects.get(kind="adjustment")
    assert request.status == "pending" and request.requested_by == operator
    assert not Transaction.objects.filter(type=TransactionType.ADJUSTMENT).exists()
    shot(browser, "self-approval-refused")

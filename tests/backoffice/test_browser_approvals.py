"""The approval queue in a real headless Chromium: an operator approves a customer's
withdrawal; the same operator cannot approve an adjustment they asked for themselves."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from ledger.models import Transaction, TransactionType
from payments.models import ApprovalRequest, Withdrawal
from payments.services import withdrawals
from tests.backoffice.test_browser import ARTIFACTS, browser, log_in, operator, pytestmark
from tests.factories import fund, wallet

__all__ = ["browser", "operator", "pytestmark"]  # fixtures and marks shared with test_browser


@pytest.fixture(autouse=True)
def _threshold(settings):
    settings.PAYMENTS_APPROVAL_THRESHOLDS = {"DEFAULT": 1000}


def run_action(browser, live_server, changelist: str, row_text: str, action: str, **form):
    browser.get(f"{live_server.url}/admin/{changelist}/")
    row = next(
        r
        for r in browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
        if row_text in r.text
    )
    row.find_element(By.CSS_SELECTOR, "input.action-select").click()
    Select(browser.find_element(By.NAME, "action")).select_by_value(action)
    browser.find_element(By.NAME, "index").click()
    for name, value in form.items():
        browser.find_element(By.NAME, name).send_keys(value)
    browser.find_element(By.NAME, "confirm").click()
    return browser.find_element(By.CSS_SELECTOR, ".messagelist").text


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
    queue = browser.find_element(By.ID, "result_list").text
    assert "Withdrawal Pending" in queue and "alice@example.com" in queue
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
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "withdrawal-approved.png"))


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
    assert "waiting for a second staff member" in queued
    refused = run_action(browser, live_server, "payments/approvalrequest", "Adjustment", "approve")

    assert "self_approval" in refused
    request = ApprovalRequest.objects.get(kind="adjustment")
    assert request.status == "pending" and request.requested_by == operator
    assert not Transaction.objects.filter(type=TransactionType.ADJUSTMENT).exists()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "self-approval-refused.png"))

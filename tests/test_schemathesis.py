"""Schemathesis against the live schema of a running server: examples, coverage,
fuzzing and stateful phases, positive and negative data. No 5xx; every response
matches the schema it documents. Bounded (examples per operation, time budget)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework_simplejwt.tokens import RefreshToken

from ledger.reconcile import check_ledger
from tests.factories import create_role_user, fund, wallet

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
    ]
)


@pytest.mark.django_db(transaction=True)
def test_api_conforms_to_its_schema_under_generated_requests(live_server, alice, bob, tmp_path):
    # given: a staff token (so every operation is reachable) and wallets with funds
    staff = create_role_user("staff")
    fund(wallet(alice, "COIN"), 10_000)
    fund(wallet(alice, "SILVER"), 10_000)
    token = RefreshToken.for_user(staff).access_token
    schemathesis = Path(sys.executable).with_name("schemathesis")

    # when
    result = subprocess.run(
        [
            str(schemathesis),
            "run",
            f"{live_server.url}/api/schema/?format=json",
            "--url",
            f"{live_server.url}",
            "--header",
            f"Authorization: Bearer {token}",
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--mode",
            "all",
            "--checks",
            CHECKS,
            "--max-examples",
            os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "12"),
            "--max-time",
            os.environ.get("SCHEMATHESIS_MAX_TIME", "120"),
            "--seed",
            "1",
            "--workers",
            "1",
            "--generation-database",
            "none",
            "--no-color",
            "--request-timeout",
            "10",
            "--report",
            "junit",
            "--report-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=Path(__file__).parents[1],
        env={**os.environ, "SCHEMATHESIS_USER": str(alice.pk)},
    )

    # then
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    report = check_ledger()
    assert report.ok, report.problems

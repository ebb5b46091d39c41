"""How each environment is wired for observability, checked in fresh processes: the
settings configure logging, Sentry and prometheus_client once, at import."""

import json
import os
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from config import gunicorn, healthcheck
from tests.factories import create_user

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s" * 60
# Production settings need one; these processes never connect.
UNUSED_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/wallet"


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "SECRET_KEY": SECRET, **env}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True
    )


def database_url_for_other_processes() -> str:
    """The test database, as a URL another process can use (either lane)."""
    params = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(params['NAME']).resolve()}"  # sqlite:////absolute/path
    auth = quote(params["USER"]) + (f":{quote(params['PASSWORD'])}" if params["PASSWORD"] else "")
    return f"postgres://{auth}@{params['HOST']}:{params['PORT'] or 5432}/{params['NAME']}?pool=0"


PRODUCTION_SPEND = """
import django
django.setup()
from django.test import Client
from rest_framework_simplejwt.tokens import AccessToken
from accounts.models import User

user = User.objects.get(email="alice@example.com")
client = Client(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
response = client.post(
    "/api/v1/wallets/me/spend", {"asset": "GOLD", "amount": "1"}, content_type="application/json"
)
print(json.dumps({"status": response.status_code, "request_id": response["X-Request-ID"],
                  "transaction_id": response.json()["id"], "user_id": user.pk}))
"""


@pytest.mark.django_db(transaction=True)
def test_a_production_request_logs_one_json_object_per_line(assets):
    # given: a committed user the other process can read
    create_user("alice@example.com")

    # when: a spend under production settings, in a process of its own
    result = run_python(
        "import json\n" + PRODUCTION_SPEND,
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DATABASE_URL=database_url_for_other_processes(),
        ALLOWED_HOSTS="testserver",
        SECURE_SSL_REDIRECT="0",
        REDIS_URL="",
        LOG_LEVEL="INFO",
    )

    # then: every line on stderr is JSON, the request's line has its ids
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    (finished,) = [line for line in lines if line["event"] == "request_finished"]
    assert outcome["status"] == 201
    assert finished["request_id"] == outcome["request_id"]
    assert finished["user_id"] == outcome["user_id"]
    assert finished["transaction_id"] == outcome["transaction_id"]
    assert finished["level"] == "info" and finished["timestamp"].endswith("Z")


SENTRY_STATE = (
    "import django, sentry_sdk; django.setup(); "
    "client = sentry_sdk.get_client(); "
    "print(client.is_active(), client.options['send_default_pii'], "
    "client.options['environment'], client.options['release'])"
)


def test_without_sentry_dsn_sentry_is_not_started():
    result = run_python(SENTRY_STATE, DJANGO_SETTINGS_MODULE="config.settings.local", SENTRY_DSN="")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "False"


def test_with_a_sentry_dsn_sentry_starts_without_personal_data():
    # A DSN nothing listens behind: starting the client sends nothing, no event is raised.
    result = run_python(
        SENTRY_STATE,
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SENTRY_DSN="http://public@127.0.0.1:9/1",
        SENTRY_ENVIRONMENT="staging",
        SENTRY_RELEASE="wallet@1.2.3",
        DATABASE_URL=UNUSED_DATABASE_URL,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "False", "staging", "wallet@1.2.3"]


def test_production_refuses_a_short_metrics_token():
    result = run_python(
        "import django; django.setup()",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DATABASE_URL=UNUSED_DATABASE_URL,
        METRICS_TOKEN="short",
    )

    assert result.returncode != 0
    assert "METRICS_TOKEN" in result.stderr


@pytest.mark.parametrize(
    ("allowed_hosts", "host"),
    [
        ("", "localhost"),
        ("wallet.example.com,localhost", "wallet.example.com"),
        (" .example.com", "example.com"),
        ("*", "localhost"),
        ("*, api.example.com", "api.example.com"),
    ],
)
def test_the_health_check_sends_a_host_the_server_allows(allowed_hosts, host):
    assert healthcheck.host_header(allowed_hosts) == host


class _Probe(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.hosts.append(self.headers["Host"])
        self.send_response(200 if self.path == "/healthz" else 503)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_the_health_check_exits_zero_only_on_a_200(monkeypatch):
    server = HTTPServer(("127.0.0.1", 0), _Probe)
    server.hosts = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("ALLOWED_HOSTS", "wallet.example.com")
    port = str(server.server_address[1])
    try:
        outcomes = [healthcheck.main("/healthz", port=port), healthcheck.main("/readyz", port=port)]
    finally:
        server.shutdown()
        server.server_close()

    assert outcomes == [0, 1]
    assert server.hosts == ["wallet.example.com", "wallet.example.com"]


def test_the_health_check_fails_when_nothing_listens():
    assert healthcheck.main("/healthz", port="1") == 1


def test_gunicorn_empties_the_metrics_directory_when_it_starts(tmp_path, monkeypatch):
    # given: files an earlier run's workers left behind
    directory = tmp_path / "prometheus"
    (directory / "old").mkdir(parents=True)
    (directory / "counter_123.db").write_bytes(b"x")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))

    gunicorn.on_starting(server=None)

    assert directory.is_dir() and list(directory.iterdir()) == []


def test_env_example_lists_every_variable_the_settings_read():
    read = {
        name
        for module in (ROOT / "config" / "settings").glob("*.py")
        for name in re.findall(
            r"env_(?:str|bool|int|list)\(\s*\"([A-Z0-9_]+)\"", module.read_text()
        )
    }
    read |= set(re.findall(r"env_int\(\"([A-Z0-9_]+)\"", (ROOT / "config" / "env.py").read_text()))
    listed = set(re.findall(r"^#?\s*([A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))

    assert {"SECRET_KEY", "METRICS_TOKEN", "SENTRY_DSN", "DB_POOL_MAX_SIZE"} <= read
    assert read - listed == set()

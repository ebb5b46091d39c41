import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.env import database_from_url

ROOT = Path(__file__).resolve().parents[2]


def test_production_settings_pass_check_deploy():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "x" * 20 + "a-production-grade-secret-of-sufficient-length-1234567890",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/wallet",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_refuse_to_start_without_a_secret():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.production", "SECRET_KEY": ""}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_database_url_parses_postgres_with_pool(tmp_path):
    config = database_from_url(
        "postgres://app:s%40cret@db.internal:6543/wallet", sqlite_path=tmp_path / "x"
    )
    assert (config["USER"], config["PASSWORD"], config["HOST"], config["PORT"], config["NAME"]) == (
        "app",
        "s@cret",
        "db.internal",
        "6543",
        "wallet",
    )
    assert config["OPTIONS"]["pool"]["max_size"] == 20
    assert config["CONN_MAX_AGE"] == 0


def test_no_database_url_means_embedded_sqlite(tmp_path):
    config = database_from_url("", sqlite_path=tmp_path / "db.sqlite3")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_a_sqlite_url_names_another_embedded_file(tmp_path):
    default = database_from_url("", sqlite_path=tmp_path / "db.sqlite3")
    relative = database_from_url("sqlite:///data/w.sqlite3", sqlite_path=tmp_path / "db.sqlite3")
    absolute = database_from_url("sqlite:////srv/w.sqlite3", sqlite_path=tmp_path / "db.sqlite3")

    assert relative["NAME"] == tmp_path / "data" / "w.sqlite3"
    assert absolute["NAME"] == Path("/srv/w.sqlite3")
    assert database_from_url("sqlite://", sqlite_path=tmp_path / "db.sqlite3") == default
    assert relative["OPTIONS"] == absolute["OPTIONS"] == default["OPTIONS"]


ENTRY_POINT_SETTINGS = (
    "import importlib, sys; from django.conf import settings; "
    "importlib.import_module(sys.argv[1]); print(settings.SETTINGS_MODULE, settings.DEBUG)"
)


@pytest.mark.parametrize("entry_point", ["config.wsgi", "config.asgi"])
def test_server_entry_points_default_to_production_settings(entry_point):
    # given: a server started with a secret but no DJANGO_SETTINGS_MODULE
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env["SECRET_KEY"] = "s" * 60

    # when
    result = subprocess.run(
        [sys.executable, "-c", ENTRY_POINT_SETTINGS, entry_point],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )

    # then: production, DEBUG off
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["config.settings.production", "False"]


def test_manage_py_stays_on_local_settings():
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "manage.py", "diffsettings", "--output", "unified"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "+ DEBUG = True" in result.stdout

"""Settings come from the environment; bad values stop the app with a clear message."""
import os
import subprocess
import sys

import pytest

from server.settings import DatabaseSettings, SettingsError, is_loopback, load_settings


@pytest.mark.parametrize("url", ["sqlite:///var/app.db", "sqlite:////tmp/x.db", "postgresql://u@localhost:5432/db",
                                 "postgresql://u:pw@db.internal/cs"])
def test_database_urls_that_are_accepted(url):
    assert DatabaseSettings.parse(url).url == url


def test_a_relative_sqlite_path_is_under_the_project_and_an_absolute_one_is_kept():
    assert DatabaseSettings.parse("sqlite:////tmp/x.db").sqlite_path.as_posix() == "/tmp/x.db"
    assert DatabaseSettings.parse("sqlite:///var/app.db").sqlite_path.as_posix().endswith("/var/app.db")


@pytest.mark.parametrize("name,value", [
    ("DATABASE_URL", "mysql://root@localhost/x"),
    ("DATABASE_URL", "sqlite://"),
    ("PORT", "eighty"),
    ("PORT", "0"),
    ("UPLOAD_MAX_BYTES", "-5"),
    ("REDIS_URL", "http://localhost:6379"),
    ("SMTP_STARTTLS", "maybe"),
    ("SECRET_KEY", "short"),
    ("DEFAULT_LANGUAGE", "fr"),
    ("DEMO", "maybe"),
    ("PHOTO_SWEEP_SECONDS", "7"),
    ("PHOTO_SWEEP_SECONDS", "0"),
])
def test_malformed_values_are_refused_by_name(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert name in str(error.value)


def test_the_app_refuses_to_start_on_a_bad_setting():
    env = dict(os.environ, PORT="eighty")
    result = subprocess.run([sys.executable, "-m", "server", "migrate"], env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0 and "PORT" in result.stderr


def test_the_app_refuses_to_start_when_the_database_cannot_be_reached():
    env = dict(os.environ, DATABASE_URL="postgresql://postgres@127.0.0.1:1/nothing")
    result = subprocess.run([sys.executable, "-m", "server", "migrate"], env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0 and "Cannot reach the database" in result.stderr


@pytest.mark.parametrize("host,loopback", [
    ("127.0.0.1", True), ("127.0.1.1", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.20", False), ("cs.example.com", False),
])
def test_loopback_hosts(host, loopback):
    assert is_loopback(host) is loopback


@pytest.mark.parametrize("host,demo,loaded", [
    ("127.0.0.1", "", True),
    ("::1", "", True),
    ("0.0.0.0", "", False),
    ("192.168.1.20", "", False),
    ("0.0.0.0", "1", True),
    ("127.0.0.1", "0", False),
])
def test_the_demo_is_for_a_loopback_host_unless_demo_says_otherwise(monkeypatch, host, demo, loaded):
    monkeypatch.setenv("HOST", host)
    monkeypatch.setenv("DEMO", demo)
    assert load_settings().demo is loaded


def test_the_photo_sweep_runs_every_minute_unless_told(monkeypatch):
    monkeypatch.delenv("PHOTO_SWEEP_SECONDS", raising=False)
    assert load_settings().photo_sweep_seconds == 60
    monkeypatch.setenv("PHOTO_SWEEP_SECONDS", "5")
    assert load_settings().photo_sweep_seconds == 5

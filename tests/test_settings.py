"""Settings come from the environment; bad values stop the app with a clear message."""
import os
import subprocess
import sys

import pytest

from server.settings import DatabaseSettings, SettingsError, load_settings


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

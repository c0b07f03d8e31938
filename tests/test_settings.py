"""Settings come from the environment, with documented defaults."""

from __future__ import annotations

import pytest

from cms import db
from cms.settings import DEFAULT_DATABASE_URL, load_settings


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CMS_DATABASE_URL", raising=False)
    settings = load_settings()
    assert settings.database_url == DEFAULT_DATABASE_URL == "sqlite://cms.sqlite3"


def test_database_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CMS_DATABASE_URL", "postgres://u@localhost:5432/cms")
    assert load_settings().database_url == "postgres://u@localhost:5432/cms"


def test_bad_integer_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CMS_SQLITE_BUSY_TIMEOUT_MS", "soon")
    with pytest.raises(ValueError, match="CMS_SQLITE_BUSY_TIMEOUT_MS"):
        load_settings()


def test_sqlite_gets_a_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CMS_DATABASE_URL", "sqlite://x.sqlite3")
    monkeypatch.setenv("CMS_SQLITE_BUSY_TIMEOUT_MS", "1234")
    config = db.tortoise_config(load_settings())
    assert config["connections"]["default"] == "sqlite://x.sqlite3?busy_timeout=1234"

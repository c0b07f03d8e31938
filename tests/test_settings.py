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
    connection = config["connections"]["default"]
    assert connection["engine"] == "cms.sqlite_engine"
    assert connection["credentials"]["busy_timeout"] == "1234"
    assert connection["credentials"]["file_path"] == "x.sqlite3"


def test_postgres_pool_size_and_replicas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CMS_DATABASE_URL", "postgres://u:p@db:5432/cms")
    monkeypatch.setenv("CMS_DB_POOL_SIZE", "7")
    monkeypatch.setenv("CMS_DATABASE_REPLICA_URLS", "postgres://u:p@r1/cms, postgres://u:p@r2/cms")
    connections = db.tortoise_config(load_settings())["connections"]
    assert connections["default"]["engine"] == "tortoise.backends.asyncpg"
    assert connections["default"]["credentials"]["maxsize"] == 7
    assert [connections[f"replica{i}"]["credentials"]["host"] for i in range(2)] == ["r1", "r2"]


def test_every_variable_is_documented_in_the_readme() -> None:
    """Each CMS_* variable cms/settings.py reads has a row in the README's configuration
    table, and the row's default is what an unset variable gives."""
    import re
    from pathlib import Path

    from cms import settings as module
    from cms.settings import Settings

    root = Path(__file__).resolve().parent.parent
    source = Path(module.__file__).read_text(encoding="utf-8")
    read = set(re.findall(r'"(CMS_[A-Z0-9_]+)"', source.split("def load_settings")[1]))
    table = {
        name: default
        for name, default in re.findall(
            r"^\| `(CMS_[A-Z0-9_]+)` \| `?([^|`]*)`? \|", (root / "README.md").read_text(), re.M
        )
    }
    assert read - set(table) == set(), "variables the README's configuration table leaves out"
    defaults = Settings()
    for field, name in re.findall(r'(\w+)=_env_\w+\("(CMS_[A-Z0-9_]+)"', source):
        value = getattr(defaults, field)
        if isinstance(value, bool):
            shown = str(value).lower()
        elif isinstance(value, float) and value.is_integer():
            shown = str(int(value))
        else:
            shown = str(value)
        if value is None or isinstance(value, tuple) or name == "CMS_DATABASE_URL":
            continue
        assert table[name] == shown, f"{name}: the README says {table[name]}, the code {shown}"

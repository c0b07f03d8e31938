"""The ``cms`` command line, driven as a user would (through typer's runner)."""

from __future__ import annotations

import json
import sqlite3
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cms import db
from cms.cli import app
from cms.settings import Settings
from tests.conftest import SEED_JSON, SEED_SLUG, SEED_TEXT
from tests.databases import FreshDatabases

runner = CliRunner()


@pytest.fixture
def db_url(databases: FreshDatabases, monkeypatch: pytest.MonkeyPatch) -> str:
    """An empty database (not migrated), named by the environment as users do."""
    url = databases.empty().database_url
    monkeypatch.setenv("CMS_DATABASE_URL", url)
    return url


def article_rows(url: str) -> list[tuple[Any, ...]]:
    sql = "SELECT slug, status, version FROM article ORDER BY id"
    return FreshDatabases.rows(Settings(database_url=url), sql)


def test_help_lists_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0, result.output
    assert "migrate" in result.output and "fixtures" in result.output
    result = runner.invoke(app, ["fixtures", "--help"])
    assert result.exit_code == 0, result.output
    for command in ("load", "dump", "generate"):
        assert command in result.output
        sub = runner.invoke(app, ["fixtures", command, "--help"])
        assert sub.exit_code == 0, sub.output


def test_migrate_load_dump(db_url: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 0, result.output
    assert "cms.0001_initial" in result.output

    result = runner.invoke(app, ["fixtures", "load"])
    assert result.exit_code == 0, result.output
    assert "articles: 1 created, 0 updated, 0 unchanged" in result.output
    assert "tags: 14 created" in result.output

    result = runner.invoke(app, ["fixtures", "load"])
    assert result.exit_code == 0, result.output
    assert "articles: 0 created, 0 updated, 1 unchanged" in result.output
    assert article_rows(db_url) == [(SEED_SLUG, "PUBLISHED", 1)]

    out = tmp_path / "dump.json"
    result = runner.invoke(app, ["fixtures", "dump", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8")) == json.loads(
        SEED_JSON.read_text(encoding="utf-8")
    )
    result = runner.invoke(app, ["fixtures", "dump"])
    assert json.loads(result.stdout)["articles"][0]["slug"] == SEED_SLUG


def test_database_url_option(databases: FreshDatabases, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CMS_DATABASE_URL", raising=False)
    url = databases.empty().database_url
    for args in (["migrate"], ["fixtures", "load"]):
        result = runner.invoke(app, [*args, "--database-url", url])
        assert result.exit_code == 0, result.output
    assert article_rows(url) == [(SEED_SLUG, "PUBLISHED", 1)]


def test_bad_fixture_exits_nonzero_names_the_problem_and_writes_nothing(
    db_url: str, tmp_path: Path
) -> None:
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "articles": [
                    {"title": "Fine", "body": "ok"},
                    {"title": "When?", "body": "x", "publishedAt": "2024-06-27 10:00"},
                ]
            }
        ),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["fixtures", "load", str(SEED_JSON), str(bad)])
    assert result.exit_code == 1, result.output
    assert "nothing was loaded" in result.output
    assert str(bad) in result.output
    assert "articles[1]" in result.output and "publishedAt" in result.output
    assert article_rows(db_url) == []


def test_plain_text_with_status_and_published_at(db_url: str) -> None:
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    result = runner.invoke(app, ["fixtures", "load", str(SEED_TEXT), "--status", "DRAFT"])
    assert result.exit_code == 0, result.output
    assert article_rows(db_url) == [(SEED_SLUG, "DRAFT", 1)]
    result = runner.invoke(
        app, ["fixtures", "load", str(SEED_TEXT), "--published-at", "2024-06-27T08:00:00+08:00"]
    )
    assert result.exit_code == 0, result.output
    assert article_rows(db_url) == [(SEED_SLUG, "PUBLISHED", 2)]
    result = runner.invoke(
        app, ["fixtures", "load", str(SEED_TEXT), "--published-at", "2024-06-27T08:00:00"]
    )
    assert result.exit_code == 2
    assert "offset" in result.output


def test_generate_is_deterministic_and_loads(db_url: str, tmp_path: Path) -> None:
    outputs = []
    for name in ("a.json", "b.json"):
        path = tmp_path / name
        args = ["fixtures", "generate", "--articles", "40", "--seed", "5", "--output", str(path)]
        result = runner.invoke(app, [*args, "--now", "2026-01-01T00:00:00Z"])
        assert result.exit_code == 0, result.output
        outputs.append(path.read_text(encoding="utf-8"))
    assert outputs[0] == outputs[1]
    assert len(json.loads(outputs[0])["articles"]) == 40
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    result = runner.invoke(app, ["fixtures", "load", str(tmp_path / "a.json")])
    assert result.exit_code == 0, result.output
    assert "articles: 40 created" in result.output
    assert len(article_rows(db_url)) == 40


def test_load_into_an_unmigrated_database_says_to_migrate(db_url: str) -> None:
    if db_url.startswith("sqlite://"):
        sqlite3.connect(db_url.removeprefix("sqlite://")).close()  # exists, but empty
    result = runner.invoke(app, ["fixtures", "load"])
    assert result.exit_code == 1
    assert "cms migrate" in result.output and "pending: cms.0001_initial" in result.output
    assert f"the database {db.describe(db_url)} is not migrated" in result.output


def test_load_into_a_database_that_does_not_exist_says_so(db_url: str) -> None:
    result = runner.invoke(app, ["fixtures", "load"])
    assert result.exit_code == 1
    if db_url.startswith("sqlite://"):
        assert "does not exist: run `cms migrate` to create it" in result.output
        assert not Path(db_url.removeprefix("sqlite://")).exists()
    else:  # an empty PostgreSQL database
        assert "is not migrated" in result.output


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output == f"cms {version('cms')}\n"

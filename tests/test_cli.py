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


def test_webhooks_add_list_remove(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from standardwebhooks.webhooks import Webhook

    assert runner.invoke(app, ["migrate"]).exit_code == 0
    url = "http://127.0.0.1:9/hook"
    result = runner.invoke(app, ["webhooks", "add", "--url", url])
    assert result.exit_code == 1
    assert "non-public address (127.0.0.1)" in result.output
    assert "CMS_WEBHOOK_ALLOW_PRIVATE=true" in result.output
    result = runner.invoke(app, ["webhooks", "add", "--url", "ftp://example.com/hook"])
    assert result.exit_code == 1 and "must be http or https" in result.output

    monkeypatch.setenv("CMS_WEBHOOK_ALLOW_PRIVATE", "true")
    result = runner.invoke(app, ["webhooks", "add", "--url", url, "--events", "article.gone"])
    assert result.exit_code == 2 and "unknown event type article.gone" in result.output
    result = runner.invoke(app, ["webhooks", "add", "--url", url, "--types", "PAGE"])
    assert result.exit_code == 2 and "unknown content type PAGE" in result.output
    args = ["--events", "tag.removed,article.published", "--types", "article"]
    result = runner.invoke(app, ["webhooks", "add", "--url", url, *args])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"added webhook endpoint 1 for {url}"
    secret = lines[-1]
    assert secret.startswith("whsec_")
    Webhook(secret)  # a secret the Standard Webhooks library takes

    result = runner.invoke(app, ["webhooks", "list"])
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"1\t{url}\tenabled\tevents: article.published,tag.removed\ttypes: ARTICLE\t"
        "pending 0, delivered 0, failed 0\n"
    )
    assert secret not in result.output
    result = runner.invoke(app, ["webhooks", "deliveries"])
    assert result.exit_code == 0 and result.output == "no deliveries\n"
    for args in (["remove", "2"], ["enable", "2"], ["deliveries", "--endpoint", "2"]):
        result = runner.invoke(app, ["webhooks", *args])
        assert result.exit_code == 1 and "no webhook endpoint 2" in result.output, args
    result = runner.invoke(app, ["webhooks", "enable", "1"])
    assert result.exit_code == 1 and "is enabled already" in result.output
    result = runner.invoke(app, ["webhooks", "redeliver", "7"])
    assert result.exit_code == 1 and "no webhook delivery 7" in result.output

    result = runner.invoke(app, ["webhooks", "remove", "1"])
    assert result.exit_code == 0 and result.output == f"removed webhook endpoint 1 ({url})\n"
    assert runner.invoke(app, ["webhooks", "list"]).output == "no webhook endpoints\n"


async def _gone(url: str) -> None:
    """Endpoint 1's first delivery as the worker leaves it when the receiver answered 500,
    timed out, then answered 410 Gone."""
    from datetime import timedelta

    from cms.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
    from cms.timeutil import utcnow

    async with db.database(Settings(database_url=url)):
        now = utcnow()
        delivery = await WebhookDelivery.create(
            endpoint_id=1,
            position=1,
            message_id="msg_test",
            event_type="article.published",
            payload="{}",
            status=DeliveryStatus.FAILED,
            attempts=3,
            last_status_code=410,
        )
        for number, code, error, took in [
            (1, 500, None, 12),
            (2, None, "timed out after 10 s", 10000),
            (3, 410, None, 5),
        ]:
            await WebhookAttempt.create(
                delivery_id=delivery.id,
                number=number,
                started_at=now + timedelta(seconds=number),
                status_code=code,
                error=error,
                duration_ms=took,
            )
        await WebhookEndpoint.filter(id=1).update(
            enabled=False, disabled_at=now, disabled_reason="the receiver answered 410 Gone"
        )


def test_webhooks_delivery_log_redeliver_and_enable(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    assert runner.invoke(app, ["migrate"]).exit_code == 0
    monkeypatch.setenv("CMS_WEBHOOK_ALLOW_PRIVATE", "true")
    result = runner.invoke(app, ["webhooks", "add", "--url", "http://127.0.0.1:9/hook"])
    assert result.exit_code == 0, result.output
    asyncio.run(_gone(db_url))

    result = runner.invoke(app, ["webhooks", "list"])
    assert "\tDISABLED " in result.output
    assert "(the receiver answered 410 Gone; `cms webhooks enable 1`)" in result.output
    assert "pending 0, delivered 0, failed 1" in result.output

    for args in (["--failed"], ["--endpoint", "1"], []):
        result = runner.invoke(app, ["webhooks", "deliveries", *args])
        assert result.exit_code == 0, result.output
        lines = result.output.splitlines()
        assert lines[0].startswith("1\tendpoint 1\tarticle.published\tmsg_test\tFAILED\tcreated ")
        assert lines[1].startswith("  attempt 1 at ") and lines[1].endswith(
            ": answered 500 in 12 ms"
        )
        assert lines[2].endswith(": timed out after 10 s in 10000 ms")
        assert lines[3].endswith(": answered 410 in 5 ms")

    result = runner.invoke(app, ["webhooks", "redeliver", "1"])
    assert result.exit_code == 0, result.output
    assert result.output == "delivery 1 (msg_test) will be sent again\n"
    assert runner.invoke(app, ["webhooks", "deliveries", "--failed"]).output == "no deliveries\n"
    assert "\tmsg_test\tPENDING\t" in runner.invoke(app, ["webhooks", "deliveries"]).output

    result = runner.invoke(app, ["webhooks", "enable", "1"])
    assert result.exit_code == 0, result.output
    assert "gets changes from now on" in result.output
    assert "\tenabled\t" in runner.invoke(app, ["webhooks", "list"]).output

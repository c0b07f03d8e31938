"""The database lifecycle: connection settings on each database."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from tortoise import connections
from tortoise.exceptions import OperationalError, TransactionManagementError
from tortoise.transactions import in_transaction

from cms import db
from cms.settings import Settings
from tests.databases import DIALECT


async def test_connection_settings(database: Settings) -> None:
    connection = connections.get("default")
    if DIALECT == "postgres":
        # The pool is sized by CMS_DB_POOL_SIZE (default 10).
        assert connection.pool_maxsize == 10
        return
    # SQLite: WAL (readers do not block the writer), a busy timeout, IMMEDIATE transactions.
    _, rows = await connection.execute_query("PRAGMA journal_mode")
    assert rows[0][0] == "wal"
    _, rows = await connection.execute_query("PRAGMA busy_timeout")
    assert rows[0][0] == 5000
    assert type(connection).__module__ == "cms.sqlite_engine"
    async with in_transaction("default") as transaction:
        assert transaction._connection.in_transaction


async def test_a_load_changes_the_content_version_and_postgres_bumps_it_once(
    database: Settings,
) -> None:
    """Every committed change moves the content version (caches key on it). On PostgreSQL a
    transaction bumps it once however many statements it runs (migration 0007: updating the
    one row per statement made large loads slow down as they grew), and a transaction that
    changes nothing leaves it alone."""
    from cms.fixtures.service import load_files
    from cms.read.versions import content_version
    from tests.conftest import SEED_JSON

    before = await content_version()
    await load_files([SEED_JSON])
    after = await content_version()
    if DIALECT == "postgres":
        assert after == before + 1
    else:
        assert after > before
    await load_files([SEED_JSON])  # unchanged: nothing written
    assert await content_version() == after
    async with in_transaction("default") as transaction:  # two changes, one transaction
        await transaction.execute_query("UPDATE tag SET description = 'x' WHERE slug = 'china'")
        await transaction.execute_query("UPDATE tag SET description = 'y' WHERE slug = 'china'")
    final = await content_version()
    assert final == after + 1 if DIALECT == "postgres" else final > after


async def test_a_failed_connect_lets_go_of_the_connection_lock(tmp_path: Path) -> None:
    """Tortoise's SQLite client took its lock, failed to connect and kept the lock: the next
    statement (and `cms migrate`, and every request of `cms serve`) waited forever."""
    url = f"sqlite://{tmp_path / 'missing-directory' / 'cms.sqlite3'}"
    async with db.database(Settings(database_url=url)):
        connection = connections.get("default")
        for _ in range(3):
            with pytest.raises(OperationalError, match="unable to open"):
                async with asyncio.timeout(5):
                    await connection.execute_query("SELECT 1")
            with pytest.raises((OperationalError, sqlite3.OperationalError), match="unable to"):
                async with asyncio.timeout(5), in_transaction("default"):
                    pass


async def test_a_transaction_that_cannot_begin_lets_go_of_the_lock(tmp_path: Path) -> None:
    """BEGIN IMMEDIATE that gives up on a busy database used to keep the client's lock."""
    settings = Settings(database_url=f"sqlite://{tmp_path / 'busy.sqlite3'}")
    await db.migrate(settings)
    other = sqlite3.connect(tmp_path / "busy.sqlite3", isolation_level=None)
    try:
        async with db.database(replace(settings, sqlite_busy_timeout_ms=20)):
            other.execute("BEGIN IMMEDIATE")  # another process is writing
            for _ in range(2):
                with pytest.raises(TransactionManagementError, match="locked"):
                    async with asyncio.timeout(5), in_transaction("default"):
                        pass
            other.execute("ROLLBACK")
            async with asyncio.timeout(5), in_transaction("default") as transaction:
                await transaction.execute_query("UPDATE tag SET name = name")
    finally:
        other.close()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgres://cms:secret@db:5432/cms", "postgres://cms:***@db:5432/cms"),
        ("postgres://cms:p@ss/w:rd@db/cms", "postgres://cms:***@db/cms"),
        (
            "postgres://cms@db/cms?password=secret&ssl=true",
            "postgres://cms@db/cms?password=***&ssl=true",
        ),
        ("postgres://db/cms", "postgres://db/cms"),
        ("cms:secret@db/cms", "***@db/cms"),
        ("sqlite:///srv/cms.sqlite3", "sqlite:///srv/cms.sqlite3"),
    ],
)
def test_redacted_hides_passwords(url: str, shown: str) -> None:
    assert db.redacted(url) == shown


def test_describe_names_an_sqlite_file_by_its_absolute_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert db.describe("sqlite://cms.sqlite3?busy_timeout=1") == f"sqlite://{tmp_path}/cms.sqlite3"
    assert db.describe("sqlite://:memory:") == "sqlite://:memory:"
    assert db.describe("postgres://cms:secret@db/cms") == "postgres://cms:***@db/cms"

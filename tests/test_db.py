"""The database lifecycle: connection settings on each database."""

from __future__ import annotations

from tortoise import connections
from tortoise.transactions import in_transaction

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

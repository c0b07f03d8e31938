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

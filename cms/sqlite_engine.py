"""Tortoise's SQLite backend, with write transactions that take the write lock up front.

A transaction opened with a plain ``BEGIN`` that reads and then writes fails at once with
"database is locked" when another process wrote in between, whatever the busy timeout: SQLite
cannot upgrade its read lock without risking deadlock. Every transaction cms opens writes, so
they start with ``BEGIN IMMEDIATE`` and wait their turn (up to the busy timeout) instead.
"""

from __future__ import annotations

import sqlite3

from tortoise.backends.base.client import TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.exceptions import TransactionManagementError


class _ImmediateTransaction(SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc


class ImmediateSqliteClient(SqliteClient):
    def _in_transaction(self) -> TransactionContext:
        return SqliteTransactionContext(_ImmediateTransaction(self), self._lock)


client_class = ImmediateSqliteClient

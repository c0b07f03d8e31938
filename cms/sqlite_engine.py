"""Tortoise's SQLite backend, with write transactions that take the write lock up front, and a
connection of its own for quick reads.

A transaction opened with a plain ``BEGIN`` that reads and then writes fails at once with
"database is locked" when another process wrote in between, whatever the busy timeout: SQLite
cannot upgrade its read lock without risking deadlock. Every transaction cms opens writes, so
they start with ``BEGIN IMMEDIATE`` and wait their turn (up to the busy timeout) instead.

Tortoise runs every statement through aiosqlite, in a thread of its own: a statement that
reads a few rows through an index takes tens of microseconds in SQLite, and several times
that in handing it to the thread and the result back to the event loop. :meth:`read` runs such
a statement on a second, read-only connection, on the calling (event loop's) thread. In WAL
mode, which Tortoise sets, a reader never waits for a writer and sees only committed data, so
it can neither block the loop on a lock nor serve a write that is later rolled back. When it
cannot answer (an in-memory database, another journal mode, another thread, a busy database)
it returns None, and the statement goes through Tortoise as before.

:meth:`read_aside` runs a long read (a search's count) on a third, read-only connection in a
thread of its own, so that it runs while Tortoise's connection runs another (the search's
ranking) instead of after it: two cores, half the wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import aiosqlite
from tortoise.backends.base.client import (
    ConnectionWrapper,
    TransactionalDBClient,
    TransactionContext,
)
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.connection import get_connections
from tortoise.exceptions import TransactionManagementError


class _ImmediateTransaction(SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc


class _Connection(ConnectionWrapper[Any]):
    """Tortoise's wrapper takes the client's lock, then connects; when connecting fails it
    keeps the lock, and every later statement waits for it forever. This one lets it go."""

    __slots__ = ()

    async def __aenter__(self) -> Any:
        await self._lock.acquire()
        try:
            await self.ensure_connection()
        except BaseException:
            self._lock.release()
            raise
        return self.connection


class _Transaction(SqliteTransactionContext):
    """Tortoise's transaction context, letting go of the lock (and the connection it set for
    the task) when connecting or ``BEGIN`` fails, as :class:`_Connection` does."""

    __slots__ = ()

    async def __aenter__(self) -> TransactionalDBClient:
        await self._trxlock.acquire()
        try:
            await self.ensure_connection()
            self.token = get_connections().set(self.connection_name, self.connection)
            try:
                await self.connection.begin()
            except BaseException:
                get_connections().reset(self.token)
                raise
        except BaseException:
            self._trxlock.release()
            raise
        return self.connection  # type: ignore[no-any-return]


#: Logs each statement the reader runs, as Tortoise logs its own (at DEBUG).
_statements = logging.getLogger("tortoise.db_client")


def _rows_unless_busy(
    connection: sqlite3.Connection, sql: str, params: Sequence[Any]
) -> list[Sequence[Any]] | None:
    """The statement's rows, logged as Tortoise logs its own; None when the database is busy or
    locked (the caller then goes through Tortoise, which waits its turn)."""
    if _statements.isEnabledFor(logging.DEBUG):
        _statements.debug("%s: %s", sql, params)
    try:
        return connection.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return None
        raise


class ImmediateSqliteClient(SqliteClient):
    _reader: sqlite3.Connection | None = None
    _reader_thread: int | None = None
    _reader_refused = False
    _aside: sqlite3.Connection | None = None
    _aside_thread: ThreadPoolExecutor | None = None

    def _in_transaction(self) -> TransactionContext:
        return _Transaction(_ImmediateTransaction(self), self._lock)

    def acquire_connection(self) -> ConnectionWrapper[Any]:
        return _Connection(self._lock, self)

    async def create_connection(self, with_db: bool) -> None:
        """Tortoise's, except that a connection that fails to open or to set up (a directory
        that cannot be written, a file that is not a database) is stopped and its thread
        waited for: aiosqlite leaves it to report into the event loop later, and a command
        that exits on the error has closed its loop by then (a traceback after the error)."""
        if self._connection:
            return
        connection = aiosqlite.connect(self.filename, isolation_level=None)
        try:
            await connection
            connection._conn.row_factory = sqlite3.Row
            for pragma, value in self.pragmas.items():
                cursor = await connection.execute(f"PRAGMA {pragma}={value}")
                await cursor.close()
        except BaseException:
            with contextlib.suppress(Exception):
                await connection.close()  # stops the thread (when it was opened)
            await asyncio.to_thread(connection._thread.join, 10)
            raise
        self._connection = connection
        await self._post_connect()

    def read(self, sql: str, params: Sequence[Any]) -> list[Sequence[Any]] | None:
        """The rows of a quick read statement, run here and now on the reader connection, or
        None when it cannot be (the caller then runs it through Tortoise)."""
        reader = self._reader
        if reader is None or self._reader_thread != threading.get_ident():
            reader = self._open_reader()
            if reader is None:
                return None
        return _rows_unless_busy(reader, sql, params)  # never wait on the loop's thread

    def _open_reader(self) -> sqlite3.Connection | None:
        if self._reader_refused or self._reader is not None or self._connection is None:
            return None  # refused, opened by another thread, or Tortoise is not connected
        reader = self._open_read_only()
        if reader is not None:
            self._reader, self._reader_thread = reader, threading.get_ident()
        return reader

    async def read_aside(self, sql: str, params: Sequence[Any]) -> list[Sequence[Any]] | None:
        """The rows of a read statement, run on the aside connection in its own thread, or None
        when it cannot be (the caller then runs it through Tortoise)."""
        if self._reader_refused or self._connection is None:
            return None
        if self._aside_thread is None:
            self._aside_thread = ThreadPoolExecutor(1, thread_name_prefix="cms-sqlite-aside")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._aside_thread, self._run_aside, sql, list(params))

    def _run_aside(self, sql: str, params: list[Any]) -> list[Sequence[Any]] | None:
        aside = self._aside
        if aside is None:
            aside = self._aside = self._open_read_only(check_same_thread=False)
            if aside is None:
                return None
        return _rows_unless_busy(aside, sql, params)

    def _open_read_only(self, check_same_thread: bool = True) -> sqlite3.Connection | None:
        """A read-only connection to the database in WAL mode, or None (refusing from then on
        when the database cannot have one: in memory, or another journal mode)."""
        if self.filename == ":memory:" or self.filename.startswith("file::memory:"):
            self._reader_refused = True  # another connection would see another database
            return None
        try:
            connection = sqlite3.connect(
                self.filename,
                isolation_level=None,
                cached_statements=256,
                check_same_thread=check_same_thread,
            )
        except sqlite3.Error:
            return None  # Tortoise reports what is wrong with the file
        try:
            connection.execute("PRAGMA busy_timeout=0")
            connection.execute("PRAGMA query_only=1")
            wal = connection.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
        except sqlite3.Error:
            connection.close()
            return None
        if not wal:
            connection.close()
            self._reader_refused = True  # readers would wait for writers
            return None
        return connection

    async def close(self) -> None:
        thread, self._aside_thread = self._aside_thread, None
        if thread is not None:
            aside, self._aside = self._aside, None
            if aside is not None:
                await asyncio.wrap_future(thread.submit(aside.close))
            thread.shutdown(wait=True)
        reader, self._reader, self._reader_thread = self._reader, None, None
        try:
            if reader is not None:
                reader.close()
        except sqlite3.ProgrammingError:
            pass  # closed from another thread than its own: it goes with the process
        finally:
            await super().close()


client_class = ImmediateSqliteClient

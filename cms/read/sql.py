"""Running read SQL on the configured database, written once for SQLite and PostgreSQL.

Statements use ``?`` placeholders; PostgreSQL gets them numbered. Date-times go in as aware
UTC values and come out as aware datetimes on both databases.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from tortoise import connections

from cms.content.text import unstorable
from cms.read.pages import UserInputError
from cms.sqlite_engine import ImmediateSqliteClient

Row = Sequence[Any]

_PLACEHOLDER = re.compile(r"\?")


def dialect() -> str:
    """``"sqlite"`` or ``"postgres"``."""
    return str(connections.get("default").capabilities.dialect)


@lru_cache(maxsize=1024)
def _numbered(sql: str) -> str:
    counter = iter(range(1, 1_000_000))
    return _PLACEHOLDER.sub(lambda _: f"${next(counter)}", sql)


def _param(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if isinstance(value, str) and unstorable(value):
        # Nothing stored holds one (writes refuse them), and PostgreSQL cannot even take one
        # as a parameter: answer the same on both databases.
        raise UserInputError(
            "text arguments must be valid Unicode without NUL characters"
        ) from None
    return value


@dataclass(slots=True)
class _Reads:
    """Where one request reads: a replica's connection name (None: the primary), chosen once
    per request so that the content version and the data it stands for come from the same
    copy; and that connection, looked up on first use."""

    replica: str | None
    connection: Any = None
    wrote: bool = False


_reads: ContextVar[_Reads | None] = ContextVar("cms_reads", default=None)


@contextmanager
def request_reads(replicas: Sequence[str] = ()) -> Iterator[None]:
    """One request's read routing: one of ``replicas`` (connection names) until it writes, then
    the primary; the primary throughout when there are none. The tasks a request starts share
    it (they copy the context, which holds the same object)."""
    token = _reads.set(_Reads(random.choice(replicas) if replicas else None))
    try:
        yield
    finally:
        _reads.reset(token)


def read_from_primary() -> None:
    """Route the current request's reads to the primary from now on (read your writes)."""
    reads = _reads.get()
    if reads is not None:
        reads.replica = None
        reads.connection = None
        reads.wrote = True


def shareable_read_connection() -> Any:
    """The current request's read connection when a read on it may be shared with other
    requests: on PostgreSQL (on SQLite a read on the reader connection costs less than sharing
    it), in a request that has not written (a writer reads its own transaction's state)."""
    reads = _reads.get()
    if reads is None or reads.wrote:
        return None
    connection = _read_connection()
    if connection.capabilities.dialect != "postgres":
        return None
    return connection


def _read_connection() -> Any:
    reads = _reads.get()
    if reads is None:  # outside a request
        return connections.get("default")
    if reads.connection is None:
        reads.connection = connections.get(reads.replica or "default")
    return reads.connection


async def fetch(
    sql: str,
    params: Sequence[Any] = (),
    *,
    quick: bool = True,
    primary: bool = False,
    aside: bool = False,
) -> list[Row]:
    """Run one read statement; rows come back as sequences, in select-list order.

    A ``quick`` statement (a few rows through an index: not a search or a count) of a request
    that has not written runs on SQLite's reader connection, on this thread (see
    :mod:`cms.sqlite_engine`); an ``aside`` one (a long read meant to run alongside another)
    on SQLite's aside connection, in its own thread; everything else through Tortoise. A
    ``primary`` read never goes to a replica (the change log, read as it commits), and inside
    a transaction runs in it."""
    connection = connections.get("default") if primary else _read_connection()
    values = [_param(p) for p in params]
    if connection.capabilities.dialect == "postgres":
        sql = _numbered(sql)
    elif (quick or aside) and not primary and isinstance(connection, ImmediateSqliteClient):
        reads = _reads.get()
        if reads is not None and not reads.wrote:
            if quick:
                rows = connection.read(sql, values)
            else:
                rows = await connection.read_aside(sql, values)
            if rows is not None:
                return rows
    _, found = await connection.execute_query(sql, values)
    return list(found)


async def fetch_value(
    sql: str,
    params: Sequence[Any] = (),
    *,
    quick: bool = True,
    primary: bool = False,
    aside: bool = False,
) -> Any:
    """The value of a statement that selects one expression (a count, a version): of its first
    row, None when it gives no row. More than one expression is an error, not a guess."""
    rows = await fetch(sql, params, quick=quick, primary=primary, aside=aside)
    if not rows:
        return None
    (value,) = rows[0]
    return value


def as_datetime(value: Any) -> datetime | None:
    """A stored date-time (SQLite gives text, PostgreSQL a datetime) as an aware datetime."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def placeholders(count: int) -> str:
    """``?, ?, ?`` for an ``IN (...)`` list of ``count`` values."""
    return ", ".join("?" * count)


def binary_order(expression: str) -> str:
    """Order text by code point on every database (SQLite's default; PostgreSQL's "C")."""
    return f'{expression} COLLATE "C"' if dialect() == "postgres" else expression


def ordered_join() -> str:
    """A join that keeps the written table order as the loop order.

    SQLite's planner likes to drive relation lookups from the article table's visibility index
    and probe the link table per article (over 100 ms at 10,000 articles for a few tags);
    ``CROSS JOIN`` makes it start from the link table's index instead. PostgreSQL plans the
    plain join well.
    """
    return "JOIN" if dialect() == "postgres" else "CROSS JOIN"

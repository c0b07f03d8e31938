"""The content version, and what stays true until it changes.

Every write bumps one counter in its own transaction (migration 0004). Anything derived from
what anonymous callers see — a response, a count — stays true while the version is the same and
no scheduled article has come due, so it may be kept until then. A request reads the version
once (:func:`current_version`), however many things it looks up; on PostgreSQL, requests that
ask at the same time share reads too (:class:`SharedReads`).
"""

from __future__ import annotations

import asyncio
import contextvars
import weakref
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cms.models import ArticleStatus
from cms.read.sql import as_datetime, fetch_value, shareable_read_connection


@dataclass(frozen=True)
class Stamp:
    """A content version, and the time span in which what was derived under it is true."""

    version: int
    #: When it was taken.
    since: datetime
    #: The next scheduled publication after that (None: nothing scheduled).
    until: datetime | None

    def holds(self, version: int, now: datetime) -> bool:
        return (
            self.version == version
            and self.since <= now
            and (self.until is None or now < self.until)
        )


@dataclass
class _Request:
    database: str
    #: The version, once asked for (a future, so that concurrent resolvers share one read).
    version: asyncio.Future[int] | None = None


_request: ContextVar[_Request | None] = ContextVar("cms_request", default=None)


@contextmanager
def request_scope(database: str) -> Iterator[None]:
    """One request on ``database``: the version is read at most once inside the block."""
    request = _Request(database)
    token = _request.set(request)
    try:
        yield
    finally:
        _request.reset(token)
        # The version's task holds a context that holds ``request``: without this the cycle
        # (and whatever the task's result keeps) waits for a full collection.
        request.version = None


def current_database() -> str | None:
    """The database of the current request (None outside a request)."""
    request = _request.get()
    return None if request is None else request.database


async def content_version(*, primary: bool = False) -> int:
    """The content version where the request reads (a replica's may lag behind), or on the
    ``primary``: what the response cache syncs to, since it reads the change log there."""
    return int(await fetch_value(VERSION_SQL, primary=primary))


async def next_publication(now: datetime) -> datetime | None:
    return as_datetime(
        await fetch_value(
            "SELECT MIN(published_at) FROM article WHERE status = ? AND published_at > ?",
            [ArticleStatus.PUBLISHED.value, now],
        )
    )


class SharedReads:
    """Reads of one value that requests asking at the same time share, never one sent before a
    request asked: a read in flight may have started before a write committed that the asking
    request must see, so whoever asks while one is in flight waits for the next, sent as soon as
    that one returns, together with everyone else who asked meanwhile. Under load that is one
    read per round trip instead of one per request (a cached page on PostgreSQL otherwise costs
    the database as much CPU as it costs cms), and no request waits for more than two."""

    __slots__ = ("_next", "_read", "_sent", "_task")

    def __init__(self, read: Callable[[], Awaitable[int]]) -> None:
        self._read = read
        #: The read in flight, and the one that follows it (None: no one has asked yet).
        self._sent: asyncio.Future[int] | None = None
        self._next: asyncio.Future[int] | None = None
        self._task: asyncio.Task[None] | None = None

    def get(self) -> asyncio.Future[int]:
        """A future for a read sent after this call (await it through :func:`asyncio.shield`:
        other requests wait for it too)."""
        loop = asyncio.get_running_loop()
        if self._sent is not None and self._sent.get_loop() is not loop:
            self._sent = self._next = None  # a loop that ended with a read in flight
        if self._sent is None:
            self._sent = loop.create_future()
            # An empty context: the reading task must not keep the first caller's request.
            self._task = loop.create_task(self._run(), context=contextvars.Context())
            return self._sent
        if self._next is None:
            self._next = loop.create_future()
        return self._next

    async def _run(self) -> None:
        while (sent := self._sent) is not None:
            try:
                sent.set_result(await self._read())
            except Exception as exc:  # every waiter gets it, and the next read is tried anew
                sent.set_exception(exc)
                sent.add_done_callback(_retrieved)  # even if every waiter has gone
            self._sent, self._next = self._next, None
        self._task = None


def _retrieved(future: asyncio.Future[int]) -> None:
    future.exception()


#: Shared version reads per read connection (a pool, a replica's pool), for as long as it lives.
_shared: weakref.WeakKeyDictionary[Any, SharedReads] = weakref.WeakKeyDictionary()


def _shared_version(connection: Any) -> asyncio.Future[int]:
    shared = _shared.get(connection)
    if shared is None:
        shared = _shared[connection] = SharedReads(_version_reader(weakref.ref(connection)))
    return shared.get()


def _version_reader(connection: weakref.ref[Any]) -> Callable[[], Awaitable[int]]:
    async def read() -> int:
        client = connection()
        if client is None:
            raise RuntimeError("the database connection was closed")
        _, rows = await client.execute_query(VERSION_SQL)
        ((version,),) = rows  # one row of one column
        return int(version)

    return read


VERSION_SQL = "SELECT version FROM content_version WHERE id = 1"


async def current_version() -> int:
    """The content version, read once per request (resolvers that ask at the same time wait
    for the same read), and on PostgreSQL shared with the requests that ask at the same time
    while they have not written (:class:`SharedReads`)."""
    request = _request.get()
    if request is None:
        return await content_version()
    if request.version is None:
        connection = shareable_read_connection()
        if connection is not None:
            request.version = _shared_version(connection)
        else:
            request.version = asyncio.ensure_future(content_version())
    return await asyncio.shield(request.version)

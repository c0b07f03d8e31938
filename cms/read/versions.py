"""The content version, and what stays true until it changes.

Every write bumps one counter in its own transaction (migration 0004). Anything derived from
what anonymous callers see — a response, a count — stays true while the version is the same and
no scheduled article has come due, so it may be kept until then. A request reads the version
once (:func:`stamp`), however many things it looks up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from cms.models import ArticleStatus
from cms.read.sql import as_datetime, fetch_value


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
    #: The version, once asked for (a task, so that concurrent resolvers share one read).
    version: asyncio.Task[int] | None = None


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
    return int(
        await fetch_value("SELECT version FROM content_version WHERE id = 1", primary=primary)
    )


async def next_publication(now: datetime) -> datetime | None:
    return as_datetime(
        await fetch_value(
            "SELECT MIN(published_at) FROM article WHERE status = ? AND published_at > ?",
            [ArticleStatus.PUBLISHED.value, now],
        )
    )


async def current_version() -> int:
    """The content version, read once per request (resolvers that ask at the same time wait
    for the same read)."""
    request = _request.get()
    if request is None:
        return await content_version()
    if request.version is None:
        request.version = asyncio.ensure_future(content_version())
    return await asyncio.shield(request.version)

"""Counts kept per content version and next publication, instead of rescanned per request.

``totalCount`` and ``articleCount`` are the costly part of a list page on a large site (a scan
of every visible row). A count only changes when content changes (a new version) or when a
scheduled article comes due, so it is kept until either happens. The request time in the
visibility condition is left out of the key for that reason. :class:`Kept` keeps other
results of whole-table work the same way (search rankings, :mod:`cms.read.relevance`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from cms import caches
from cms.bounded import BoundedCache
from cms.read.versions import Stamp, current_database, current_version, next_publication

V = TypeVar("V")


def _weight(key: Hashable, value: object) -> int:
    """Estimated bytes of a kept entry: its key (conditions, parameters) and its value (a
    count per parent, or a ranking of (id, score) pairs)."""
    size = 256 + 2 * len(repr(key))
    if isinstance(value, dict | list):
        size += 120 * len(value)
    return size


class Kept(Generic[V]):
    """Values kept per key until the content version changes or the next scheduled article
    comes due, within ``share`` of the service's budget for kept results
    (``CMS_KEPT_RESULTS_BYTES``; the least recently used go first, and a flood of one-off keys
    cannot push out those asked for again).

    A ``Kept`` names a kind of result; the values themselves are kept with the caches of the
    service serving the request (:mod:`cms.caches`), so two services never see each other's.
    Outside a service's request nothing is kept."""

    def __init__(self, share: float) -> None:
        self.share = share

    def _entries(self) -> BoundedCache[Hashable, Any] | None:
        current = caches.current()
        return None if current is None else current.kept(self, self.share)

    async def lookup(self, key: Hashable, now: datetime) -> tuple[Stamp, V | None]:
        """The stamp values are kept under now, and the kept value for ``key`` if still true."""
        version = await current_version()
        current = caches.current()
        if current is not None:
            entry: tuple[Stamp, V] | None = current.kept(self, self.share).get(key)
            if entry is not None and entry[0].holds(version, now):
                current.kept_hits += 1
                return entry[0], entry[1]
            current.kept_misses += 1
        until = await _next_publication(version, now)
        return Stamp(version, now, until), None

    def keep(self, key: Hashable, stamp: Stamp, value: V) -> None:
        entries = self._entries()
        if entries is not None:
            entries.put(key, (stamp, value), _weight(key, value))


_counts: Kept[dict[Hashable, int]] = Kept(0.5)
lookup = _counts.lookup
keep = _counts.keep


def key_for(
    source: str,
    conditions: Sequence[str],
    params: Sequence[Any],
    as_of: datetime | None,
    parents: Sequence[Hashable] | None,
) -> Hashable | None:
    """The key a count is kept under, or None when it may not be kept (outside a request)."""
    database = current_database()
    if database is None:
        return None
    plain = tuple("<now>" if as_of is not None and p == as_of else p for p in params)
    return (database, source, tuple(conditions), plain, None if parents is None else tuple(parents))


#: Reads of the next publication in flight, by service caches, database, content version and
#: request time (so only one request's own reads share one).
_Flight = tuple[int, str | None, int, datetime]
_reading: dict[_Flight, asyncio.Future[datetime | None]] = {}


async def _next_publication(version: int, now: datetime) -> datetime | None:
    current = caches.current()
    if current is None:
        return await next_publication(now)
    known_until = current.publications
    key = (current_database(), version)
    known = known_until.get(key)
    if known is not None:
        taken, until = known
        if taken <= now and (until is None or now < until):
            return until
    # A search's count and ranking ask at once (cms.graphql.resolvers.search_): one read.
    flight: _Flight = (id(current), *key, now)
    reading = _reading.get(flight)
    if reading is None or reading.get_loop() is not asyncio.get_running_loop():
        reading = _reading[flight] = asyncio.ensure_future(next_publication(now))
        reading.add_done_callback(lambda done: _read(flight, done))
    until = await asyncio.shield(reading)
    if len(known_until) > 64:
        known_until.clear()
    known_until[key] = (now, until)
    return until


def _read(flight: _Flight, done: asyncio.Future[datetime | None]) -> None:
    if _reading.get(flight) is done:
        del _reading[flight]
    if not done.cancelled():
        done.exception()  # raised to those who wait; no warning if none is left to


def forget() -> None:
    """Drop every kept value of every service (tests that rewind the clock)."""
    caches.forget_kept()

"""Counts kept per content version and next publication, instead of rescanned per request.

``totalCount`` and ``articleCount`` are the costly part of a list page on a large site (a scan
of every visible row). A count only changes when content changes (a new version) or when a
scheduled article comes due, so it is kept until either happens. The request time in the
visibility condition is left out of the key for that reason. :class:`Kept` keeps other
results of whole-table work the same way (search rankings, :mod:`cms.read.search`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from cms.read.versions import Stamp, current_database, current_version, next_publication

#: Distinct counts kept per process.
MAX_ENTRIES = 4_096

V = TypeVar("V")

_until: dict[tuple[str | None, int], tuple[datetime, datetime | None]] = {}
_stores: list[Kept[Any]] = []


class Kept(Generic[V]):
    """Values kept per key until the content version changes or the next scheduled article
    comes due; the least recently used go first beyond ``max_entries``."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, tuple[Stamp, V]] = OrderedDict()
        _stores.append(self)

    async def lookup(self, key: Hashable, now: datetime) -> tuple[Stamp, V | None]:
        """The stamp values are kept under now, and the kept value for ``key`` if still true."""
        version = await current_version()
        entry = self._entries.get(key)
        if entry is not None and entry[0].holds(version, now):
            self._entries.move_to_end(key)
            return entry[0], entry[1]
        until = await _next_publication(version, now)
        return Stamp(version, now, until), None

    def keep(self, key: Hashable, stamp: Stamp, value: V) -> None:
        self._entries[key] = (stamp, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()


_counts: Kept[dict[Hashable, int]] = Kept(MAX_ENTRIES)
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


async def _next_publication(version: int, now: datetime) -> datetime | None:
    key = (current_database(), version)
    known = _until.get(key)
    if known is not None:
        taken, until = known
        if taken <= now and (until is None or now < until):
            return until
    until = await next_publication(now)
    if len(_until) > 64:
        _until.clear()
    _until[key] = (now, until)
    return until


def forget() -> None:
    """Drop every kept value (tests that rewind the clock)."""
    for store in _stores:
        store.clear()
    _until.clear()

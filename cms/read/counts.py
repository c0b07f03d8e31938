"""Counts kept per content version and next publication, instead of rescanned per request.

``totalCount`` and ``articleCount`` are the costly part of a list page on a large site (a scan
of every visible row). A count only changes when content changes (a new version) or when a
scheduled article comes due, so it is kept until either happens. The request time in the
visibility condition is left out of the key for that reason.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Sequence
from datetime import datetime
from typing import Any

from cms.read.versions import Stamp, current_database, current_version, next_publication

#: Distinct counts kept per process.
MAX_ENTRIES = 4_096

_entries: OrderedDict[Hashable, tuple[Stamp, dict[Hashable, int]]] = OrderedDict()
_until: dict[tuple[str | None, int], tuple[datetime, datetime | None]] = {}


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


async def lookup(key: Hashable, now: datetime) -> tuple[Stamp, dict[Hashable, int] | None]:
    """The stamp counts are kept under now, and the kept counts for ``key`` if still true."""
    version = await current_version()
    entry = _entries.get(key)
    if entry is not None and entry[0].holds(version, now):
        _entries.move_to_end(key)
        return entry[0], entry[1]
    until = await _next_publication(version, now)
    return Stamp(version, now, until), None


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


def keep(key: Hashable, stamp: Stamp, counts: dict[Hashable, int]) -> None:
    _entries[key] = (stamp, counts)
    _entries.move_to_end(key)
    while len(_entries) > MAX_ENTRIES:
        _entries.popitem(last=False)


def forget() -> None:
    """Drop every kept count (tests that rewind the clock)."""
    _entries.clear()
    _until.clear()

"""The response cache: what anonymous and ``read`` callers see, kept as the bytes sent.

An entry is keyed by the operation, its variables and the response media type, and carries
the cache keys of what it shows (:mod:`cms.graphql.cachetags`). It stays until a change makes
it stale: every write bumps one content version in its own transaction (migration 0004) and
appends change-log entries naming the keys it makes stale (:mod:`cms.changes.log`). A request
that reads a version the cache has not synced to first syncs it (:meth:`ResponseCache.sync`):
it reads the log after the position the cache got to and purges the entries carrying any of
those keys, so a write through any process, or a fixture load, purges what it made stale, and
only that, in every process on its next request. An entry never outlives the next scheduled
publication it could hide. Callers who may see drafts never read or fill it. Hits carry an
ETag; ``If-None-Match`` gets 304.

What a purge removed is never stored again from a stale read: an answer is kept only when the
request read a version at least as new as every write the cache has purged (a request reading
a lagging replica may be served, never stored).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from cms.bounded import BoundedCache
from cms.changes.log import CursorExpired, changes_after, head
from cms.graphql.cachetags import Keys
from cms.read.versions import content_version
from cms.settings import Settings


@dataclass(frozen=True)
class Entry:
    #: When the next scheduled article becomes visible (None: nothing scheduled).
    expires: datetime | None
    body: bytes
    etag: str
    media_type: str
    #: What the response shows: purged by any change carrying one of these keys.
    keys: Keys


#: Variables encoded longer than this make a response not worth caching.
MAX_VARIABLES_BYTES = 16 * 1024

#: Most change-log entries one sync purges by key; more (a big fixture load) clear the cache.
MAX_SYNC_CHANGES = 500


def cache_key(
    query: str, operation_name: str | None, variables: Any, media_type: str
) -> str | None:
    """The key of a response, or None when its variables are too long to be worth one (pass
    only the variables the operation declares)."""
    try:
        encoded = orjson.dumps(variables, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # a lone surrogate: the standard encoder escapes it
        encoded = json.dumps(variables, sort_keys=True, separators=(",", ":")).encode()
    if len(encoded) > MAX_VARIABLES_BYTES:
        return None
    digest = hashlib.sha256()
    for part in (
        query.encode(errors="surrogatepass"),
        (operation_name or "").encode(errors="surrogatepass"),
        media_type.encode(),
        encoded,
    ):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


class ResponseCache:
    """Response bodies within ``response_cache_bytes`` (:class:`cms.bounded.BoundedCache`:
    responses asked for again outlast a flood of one-off queries); a body over
    ``response_cache_entry_bytes`` is not kept. Entries are indexed by cache key, so a purge
    costs what it removes. Hits, misses and purges are counted (plain integers, read by
    ``/metrics`` and the benchmarks).

    Sync state: every write whose content version is at most :attr:`synced` has been purged
    (the cache read the log through :attr:`position`); every write purged so far has a version
    at most :attr:`floor`, so an answer read at a version below it may be stale and is not
    kept. None before the first request.
    """

    def __init__(self, settings: Settings) -> None:
        self.entries: BoundedCache[str, Entry] = BoundedCache(
            settings.response_cache_bytes,
            max_entry_bytes=settings.response_cache_entry_bytes,
        )
        #: Cache key -> cache keys of entries carrying it (entries evicted since are left in,
        #: and dropped when the index has grown to twice what it held at the last compaction).
        self._index: dict[str, set[str]] = {}
        self._indexed = 0
        self._compact_at = 4096
        self.synced: int | None = None
        self.floor: int | None = None
        self.position = 0
        self._syncing = asyncio.Lock()
        #: Lookups answered from the cache, and the bytes of the bodies they found.
        self.hits = 0
        self.hit_bytes = 0
        #: Lookups that found nothing current.
        self.misses = 0
        #: Entries removed because a change made them stale, and whole-cache clears.
        self.purged = 0
        self.clears = 0

    def get(self, key: str, now: datetime) -> Entry | None:
        entry = self.entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        if entry.expires is not None and now >= entry.expires:
            self.entries.pop(key)
            self.misses += 1
            return None
        self.hits += 1
        self.hit_bytes += len(entry.body)
        return entry

    def current(self, version: int) -> bool:
        """Whether every write up to ``version`` has been purged (else :meth:`sync` first)."""
        return self.synced is not None and version <= self.synced

    def fresh(self, version: int) -> bool:
        """Whether an answer read at ``version`` may be kept: it shows every write purged."""
        return self.floor is not None and version >= self.floor

    def put(self, key: str, entry: Entry) -> None:
        if not self.entries.put(key, entry, 512 + len(key) + len(entry.body)):
            return
        index = self._index
        names = entry.keys.names
        for name in names:
            found = index.get(name)
            if found is None:
                index[name] = {key}
            else:
                found.add(key)
        self._indexed += len(names)
        if self._indexed > self._compact_at:
            self._compact()

    def purge(self, names: set[str]) -> int:
        """Remove the entries carrying any of ``names``; how many went."""
        removed = 0
        entries = self.entries
        for name in names:
            members = self._index.pop(name, None)
            if members is None:
                continue
            self._indexed -= len(members)
            for key in members:
                if entries.pop(key) is not None:
                    removed += 1
        self.purged += removed
        return removed

    def clear(self) -> None:
        self.entries.clear()
        self._index.clear()
        self._indexed = 0
        self.clears += 1

    async def sync(self, version: int) -> None:
        """Purge what every write up to ``version`` (and perhaps later) made stale, reading the
        log from the primary; one sync at a time, and none when another did it meanwhile."""
        async with self._syncing:
            if self.current(version):
                return
            before = await content_version(primary=True)
            newest = await head()
            if self.synced is None:  # the first request: nothing kept yet
                self.position = newest
            else:
                await self._purge_after(newest)
            # Writes that committed during the reads above may have been purged too: their
            # versions are at most what is read now.
            self.floor = await content_version(primary=True)
            self.synced = before

    async def _purge_after(self, newest: int) -> None:
        if newest == self.position:
            # The version moved but nothing was logged (a write outside the write core):
            # nothing says what it made stale.
            self.clear()
            return
        try:
            changes, more = await changes_after(
                self.position, first=MAX_SYNC_CHANGES, preview=False
            )
        except CursorExpired:
            changes, more = [], True
        if more:
            self.clear()
        else:
            self.purge({name for change in changes for name in change.cache_tags})
        # Every entry up to ``newest`` committed before the log was read, so none was missed.
        self.position = max(newest, changes[-1].position if changes else 0)

    def _compact(self) -> None:
        """Drop index members whose entry was evicted or replaced (amortised: the index is
        compacted when it has doubled)."""
        entries = self.entries
        indexed = 0
        for name, members in list(self._index.items()):
            kept = {
                key
                for key in members
                if (entry := entries.peek(key)) is not None and name in entry.keys.names
            }
            if kept:
                self._index[name] = kept
                indexed += len(kept)
            else:
                del self._index[name]
        self._indexed = indexed
        self._compact_at = max(4096, 2 * indexed)

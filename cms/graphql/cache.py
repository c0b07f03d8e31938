"""The response cache: what anonymous and ``read`` callers see, kept as the bytes sent.

An entry is keyed by the operation, its variables and the response media type, and is valid
for one content version (a counter every write bumps in its own transaction, see migration
0004): a write through any process, or a fixture load, makes every process miss on its next
request. An entry never outlives the next scheduled publication it could hide. Callers who may
see drafts never read or fill it. Hits carry an ETag; ``If-None-Match`` gets 304.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from cms.bounded import BoundedCache
from cms.settings import Settings


@dataclass(frozen=True)
class Entry:
    version: int
    #: When the next scheduled article becomes visible (None: nothing scheduled).
    expires: datetime | None
    body: bytes
    etag: str
    media_type: str


#: Variables encoded longer than this make a response not worth caching.
MAX_VARIABLES_BYTES = 16 * 1024


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
    ``response_cache_entry_bytes`` is not kept. Hits and misses are counted (plain integers,
    read by ``/metrics``)."""

    def __init__(self, settings: Settings) -> None:
        self.entries: BoundedCache[str, Entry] = BoundedCache(
            settings.response_cache_bytes,
            max_entry_bytes=settings.response_cache_entry_bytes,
        )
        #: Lookups answered from the cache, and the bytes of the bodies they found.
        self.hits = 0
        self.hit_bytes = 0
        #: Lookups that found nothing current.
        self.misses = 0

    def get(self, key: str, version: int, now: datetime) -> Entry | None:
        entry = self.entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        if entry.version != version or (entry.expires is not None and now >= entry.expires):
            self.entries.pop(key)
            self.misses += 1
            return None
        self.hits += 1
        self.hit_bytes += len(entry.body)
        return entry

    def put(self, key: str, entry: Entry) -> None:
        self.entries.put(key, entry, 512 + len(key) + len(entry.body))

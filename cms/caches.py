"""The caches of one service, and which service's caches the current request uses.

Every cache cms keeps belongs to a :class:`cms.app.ContentService`, sized by its settings, so
two services in one host share nothing. Those of the GraphQL view (responses, persisted
queries, parsed and validated operations) live on the view and are registered here for their
sizes to be reported; the others live here: kept counts and search rankings
(:mod:`cms.read.counts`, within ``kept_results_bytes``) and rendered article bodies
(:mod:`cms.graphql.resolvers`, within ``render_cache_bytes``). The service makes its
:class:`Caches` current for each request it serves (:data:`active`); code that runs outside a
service's request (the CLI, fixture loads) keeps nothing.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeAlias

from cms.bounded import BoundedCache
from cms.settings import Settings

#: The names caches are reported under.
RESPONSES = "responses"
PERSISTED_QUERIES = "persisted_queries"
OPERATIONS = "operations"
KEPT_RESULTS = "kept_results"
RENDERED_BODIES = "rendered_bodies"


#: Returns a cache (None when it is turned off), and its hits and misses so far.
_Getter: TypeAlias = Callable[[], BoundedCache[Any, Any] | None]
_Counted: TypeAlias = Callable[[], tuple[int, int]]


@dataclass(frozen=True)
class CacheSize:
    """What one cache holds now, what it may hold, and how often it was asked."""

    name: str
    bytes: int
    entries: int
    budget: int
    #: Lookups it answered and could not answer (None: not counted).
    hits: int | None = None
    misses: int | None = None


class Caches:
    """The caches of one service."""

    def __init__(self, settings: Settings) -> None:
        #: Rendered bodies by format and Markdown text (:func:`cms.graphql.resolvers.article_body`).
        self.rendered: BoundedCache[Hashable, str] = BoundedCache(settings.render_cache_bytes)
        #: Bytes that every store of kept results (:class:`cms.read.counts.Kept`) share.
        self.kept_budget = settings.kept_results_bytes
        self._kept: dict[object, BoundedCache[Hashable, Any]] = {}
        #: The next scheduled publication per (database, content version), and when it was
        #: read (:mod:`cms.read.counts`).
        self.publications: dict[tuple[str | None, int], tuple[datetime, datetime | None]] = {}
        # Plain counters, read by /metrics: the request path only adds to them.
        self.rendered_hits = 0
        self.rendered_misses = 0
        self.kept_hits = 0
        self.kept_misses = 0
        self._others: dict[
            str,
            tuple[
                Callable[[], BoundedCache[Any, Any] | None], Callable[[], tuple[int, int]] | None
            ],
        ] = {}
        _every.add(self)

    def kept(self, owner: object, share: float) -> BoundedCache[Hashable, Any]:
        """The store of kept results ``owner`` uses here, within ``share`` of the budget."""
        store = self._kept.get(owner)
        if store is None:
            store = self._kept[owner] = BoundedCache(int(self.kept_budget * share))
        return store

    def register(
        self,
        name: str,
        cache: _Getter,
        counted: _Counted | None = None,
    ) -> None:
        """Report the sizes of another cache of this service under ``name``: ``cache``
        returns it (None when it is turned off), ``counted`` its hits and misses so far."""
        self._others[name] = (cache, counted)

    def forget_kept(self) -> None:
        """Drop every kept count and ranking (and the next publications read)."""
        for store in self._kept.values():
            store.clear()
        self.publications.clear()

    def sizes(self) -> Iterator[CacheSize]:
        """The size of every cache of the service, by name."""
        for name, (get, counted) in self._others.items():
            cache = get()
            if cache is not None:
                hits, misses = counted() if counted is not None else (None, None)
                yield CacheSize(name, cache.bytes, len(cache), cache.max_bytes, hits, misses)
        stores = list(self._kept.values())
        yield CacheSize(
            KEPT_RESULTS,
            sum(store.bytes for store in stores),
            sum(len(store) for store in stores),
            self.kept_budget,
            self.kept_hits,
            self.kept_misses,
        )
        rendered = self.rendered
        yield CacheSize(
            RENDERED_BODIES,
            rendered.bytes,
            len(rendered),
            rendered.max_bytes,
            self.rendered_hits,
            self.rendered_misses,
        )


#: The caches of the service serving the current request (None outside one).
active: ContextVar[Caches | None] = ContextVar("cms_caches", default=None)

#: Every set of caches alive, for :func:`forget_kept` (tests that rewind the clock).
_every: weakref.WeakSet[Caches] = weakref.WeakSet()


def current() -> Caches | None:
    """The caches of the service serving the current request, or None outside one."""
    return active.get()


def forget_kept() -> None:
    """Drop every kept count and ranking of every service in the process."""
    for caches in list(_every):
        caches.forget_kept()

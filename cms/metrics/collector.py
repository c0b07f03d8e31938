"""The service's metrics as Prometheus metric families, built when scraped.

The request path only adds to plain integers (:class:`cms.metrics.requests.RequestMetrics`,
the caches' hit and miss counters, the schema's fast-path fallbacks); :class:`ServiceCollector`
reads them, the caches' sizes and the database pools' use at each scrape, from sources the
service gives it (:func:`cms.app.ContentService` wires them): nothing here knows where they
come from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Protocol

from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from cms.metrics.requests import RequestMetrics


class CacheReport(Protocol):
    """One cache: its name, what it holds and may hold, its hits and misses (None: not
    counted)."""

    @property
    def name(self) -> str: ...
    @property
    def bytes(self) -> int: ...
    @property
    def entries(self) -> int: ...
    @property
    def budget(self) -> int: ...
    @property
    def hits(self) -> int | None: ...
    @property
    def misses(self) -> int | None: ...


class PoolReport(Protocol):
    """One database's connections: its name (``default``, ``replicaN``) and their use."""

    @property
    def name(self) -> str: ...
    @property
    def in_use(self) -> int: ...
    @property
    def idle(self) -> int: ...
    @property
    def max(self) -> int: ...


def fallbacks_of(schema: object) -> int | Mapping[str, int]:
    """The fast path's hand-backs on ``schema``: by reason when it counts them so, else in
    total (0 for a schema that does not count them)."""
    reasons = getattr(schema, "fallback_reasons", None)
    if isinstance(reasons, Mapping):
        return reasons
    total = getattr(schema, "fallbacks", 0)
    return total if isinstance(total, int) else 0


class ServiceCollector:
    """A Prometheus collector (``collect()``) of one service's metrics.

    ``requests`` counts requests (None: not recorded); ``caches`` reports every cache;
    ``response_hit_bytes`` the bytes the response cache answered with (None: no such cache);
    ``fallbacks`` the fast path's hand-backs, in total or by reason; ``pools`` the database
    connections (none while the database is closed)."""

    def __init__(
        self,
        *,
        requests: RequestMetrics | None,
        caches: Callable[[], Iterable[CacheReport]],
        response_hit_bytes: Callable[[], int] | None,
        fallbacks: Callable[[], int | Mapping[str, int]],
        pools: Callable[[], Iterable[PoolReport]],
        subscribers: Callable[[], int] | None = None,
        response_purges: Callable[[], tuple[int, int]] | None = None,
    ) -> None:
        self.requests = requests
        self.caches = caches
        self.response_hit_bytes = response_hit_bytes
        self.fallbacks = fallbacks
        self.pools = pools
        #: Live subscriptions served now (None: not counted).
        self.subscribers = subscribers
        #: Response cache entries purged by changes' keys, and whole-cache clears so far.
        self.response_purges = response_purges

    def collect(self) -> Iterator[Metric]:
        if self.requests is not None:
            yield from self._requests(self.requests)
        yield from self._caches(list(self.caches()))
        yield self._fallbacks(self.fallbacks())
        yield from self._pools(list(self.pools()))
        yield from self._events()

    def _events(self) -> Iterator[Metric]:
        if self.subscribers is not None:
            yield GaugeMetricFamily(
                "cms_live_subscribers",
                "Live subscriptions (WebSocket and SSE) this service serves now.",
                value=self.subscribers(),
            )
        if self.response_purges is not None:
            purged, clears = self.response_purges()
            yield CounterMetricFamily(
                "cms_response_cache_purged",
                "Response cache entries removed because a change's cache keys named them.",
                value=purged,
            )
            yield CounterMetricFamily(
                "cms_response_cache_clears",
                "Times the response cache was emptied (a change too large to purge by key).",
                value=clears,
            )

    def _requests(self, recorded: RequestMetrics) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "cms_http_requests",
            "HTTP requests answered, by route, method and status.",
            labels=["route", "method", "status"],
        )
        for (route, method, status), count in recorded.requests.copy().items():
            requests.add_metric([route, method, str(status)], count)
        yield requests
        latency = HistogramMetricFamily(
            "cms_http_request_duration_seconds",
            "Time from receiving an HTTP request to sending the last of its response, by route.",
            labels=["route"],
        )
        for route, histogram in recorded.latency.copy().items():
            latency.add_metric([route], histogram.cumulative(), histogram.sum)
        yield latency
        operations = CounterMetricFamily(
            "cms_graphql_requests",
            "GraphQL operations over HTTP, by operation name and outcome.",
            labels=["operation", "outcome"],
        )
        for (operation, outcome), count in recorded.operations.copy().items():
            operations.add_metric([operation, outcome], count)
        yield operations
        operation_latency = HistogramMetricFamily(
            "cms_graphql_request_duration_seconds",
            "Time to answer a GraphQL operation over HTTP, by operation name.",
            labels=["operation"],
        )
        for operation, histogram in recorded.operation_latency.copy().items():
            operation_latency.add_metric([operation], histogram.cumulative(), histogram.sum)
        yield operation_latency

    def _caches(self, caches: list[CacheReport]) -> Iterator[Metric]:
        held = GaugeMetricFamily(
            "cms_cache_bytes", "Estimated bytes a cache holds, by cache.", labels=["cache"]
        )
        entries = GaugeMetricFamily(
            "cms_cache_entries", "Entries a cache holds, by cache.", labels=["cache"]
        )
        budget = GaugeMetricFamily(
            "cms_cache_budget_bytes", "Most bytes a cache may hold, by cache.", labels=["cache"]
        )
        hits = CounterMetricFamily(
            "cms_cache_hits", "Lookups a cache answered, by cache.", labels=["cache"]
        )
        misses = CounterMetricFamily(
            "cms_cache_misses", "Lookups a cache could not answer, by cache.", labels=["cache"]
        )
        for cache in caches:
            held.add_metric([cache.name], cache.bytes)
            entries.add_metric([cache.name], cache.entries)
            budget.add_metric([cache.name], cache.budget)
            if cache.hits is not None and cache.misses is not None:
                hits.add_metric([cache.name], cache.hits)
                misses.add_metric([cache.name], cache.misses)
        yield from (held, entries, budget, hits, misses)
        if self.response_hit_bytes is not None:
            yield CounterMetricFamily(
                "cms_response_cache_hit_bytes",
                "Bytes of response bodies answered from the response cache.",
                value=self.response_hit_bytes(),
            )

    def _fallbacks(self, counted: int | Mapping[str, int]) -> Metric:
        """The hand-backs by reason, when they are counted so (else in total)."""
        help_text = "Operations the fast executor handed back to graphql-core."
        if not isinstance(counted, Mapping):
            return CounterMetricFamily("cms_fast_path_fallbacks", help_text, value=counted)
        family = CounterMetricFamily("cms_fast_path_fallbacks", help_text, labels=["reason"])
        for reason, count in counted.items():
            family.add_metric([reason], count)
        return family

    def _pools(self, pools: list[PoolReport]) -> Iterator[Metric]:
        if not pools:
            return
        connections = GaugeMetricFamily(
            "cms_db_connections",
            "Database connections open, by database (default, replicaN) and state.",
            labels=["database", "state"],
        )
        most = GaugeMetricFamily(
            "cms_db_connections_max",
            "Most connections a database's pool opens, by database.",
            labels=["database"],
        )
        for pool in pools:
            connections.add_metric([pool.name, "in_use"], pool.in_use)
            connections.add_metric([pool.name, "idle"], pool.idle)
            most.add_metric([pool.name], pool.max)
        yield from (connections, most)

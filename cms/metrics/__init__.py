"""Prometheus metrics of one service, served at ``GET /metrics``.

Each :class:`cms.app.ContentService` with metrics on has a ``CollectorRegistry`` of its own
(never the process-wide default one), so two services in one host neither share nor collide.
The request path adds to plain integers (:mod:`cms.metrics.requests`); the metric families are
built from them when scraped (:mod:`cms.metrics.collector`), from the sources the service wires
in (:class:`cms.app.ContentService`):

==========================================  =========  ======================================
``cms_http_requests_total``                 counter    by ``route``, ``method``, ``status``
``cms_http_request_duration_seconds``       histogram  by ``route``
``cms_graphql_requests_total``              counter    by ``operation``, ``outcome``
``cms_graphql_request_duration_seconds``    histogram  by ``operation``
``cms_cache_bytes``, ``cms_cache_entries``  gauges     by ``cache``
``cms_cache_budget_bytes``                  gauge      by ``cache``
``cms_cache_hits_total``                    counter    by ``cache``
``cms_cache_misses_total``                  counter    by ``cache``
``cms_response_cache_hit_bytes_total``      counter
``cms_fast_path_fallbacks_total``           counter
``cms_db_connections``                      gauge      by ``database``, ``state``
``cms_db_connections_max``                  gauge      by ``database``
==========================================  =========  ======================================

The endpoint needs no token: keep it off public networks (let only the scraper reach it).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

PATH = "/metrics"


def metrics_route(registry: CollectorRegistry) -> Route:
    """``GET /metrics``: what ``registry`` collects, in the Prometheus text format (or
    OpenMetrics, when the scraper asks for it)."""

    async def metrics(request: Request) -> Response:
        encode, media_type = choose_encoder(request.headers.get("accept", ""))
        return Response(
            encode(registry), headers={"Content-Type": media_type, "Cache-Control": "no-store"}
        )

    return Route(PATH, metrics, methods=["GET"], name="metrics")

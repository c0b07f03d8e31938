"""``GET /metrics``: served by the standalone app, by a mounted service only when the host asks,
in the Prometheus text format, with counts that follow the requests."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import SimpleNamespace

import httpx
import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.routing import Mount

from cms.app import ContentService, create_app
from cms.fixtures.service import load_files
from cms.metrics.collector import ServiceCollector, fallbacks_of
from cms.metrics.requests import MAX_OPERATIONS, name_in, outcome_of
from cms.settings import Settings
from tests.conftest import SEED_JSON, SEED_SLUG
from tests.databases import DIALECT

LIST = "query List { articles(first: 5) { totalCount edges { node { title } } } }"
ARTICLE = f'query ArticlePage {{ article(slug: "{SEED_SLUG}") {{ title body(format: HTML) }} }}'

#: One scrape: (metric family, sample name, labels) -> value.
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@asynccontextmanager
async def client_on(app: object) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@asynccontextmanager
async def service_on(
    settings: Settings, *, standalone: bool = False
) -> AsyncIterator[httpx.AsyncClient]:
    """A client on a service over ``settings``, its database open."""
    service = ContentService(settings, standalone=standalone)
    async with service.lifespan(), client_on(service.app) as http:
        yield http


async def scrape(http: httpx.AsyncClient, url: str = "/metrics") -> Samples:
    """Every sample ``url`` answers with, parsed as Prometheus parses it."""
    response = await http.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert response.headers["cache-control"] == "no-store"
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def names(samples: Samples) -> set[str]:
    return {name for name, _ in samples}


@pytest.fixture
async def metered(db_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client on a standalone service (metrics on) over the seeded database."""
    async with service_on(db_settings, standalone=True) as http:
        await load_files([SEED_JSON])
        yield http


async def test_the_standalone_app_serves_metrics_even_before_the_database_opens(
    db_settings: Settings,
) -> None:
    async with client_on(create_app(db_settings)) as http:
        samples = await scrape(http)
    assert "cms_cache_bytes" in names(samples)
    assert "process_resident_memory_bytes" in names(samples)  # the process is the service's
    assert "cms_db_connections" not in names(samples)  # nothing open to count


async def test_a_mounted_service_serves_no_metrics_unless_the_host_asks(
    db_settings: Settings,
) -> None:
    async with service_on(db_settings) as http:
        assert (await http.get("/metrics")).status_code == 404
    host_asks = dataclasses.replace(db_settings, metrics=True)
    service = ContentService(host_asks)
    host = Starlette(routes=[Mount("/content", app=service.app)])
    async with service.lifespan(), client_on(host) as http:
        await http.post("/content/graphql", json={"query": LIST})
        samples = await scrape(http, "/content/metrics")
    # Routes are named as the service knows them, wherever it is mounted.
    assert value(samples, "cms_http_requests_total", route="/graphql", method="POST", status="200")
    assert value(samples, "cms_graphql_requests_total", operation="List", outcome="ok") == 1
    assert "process_resident_memory_bytes" not in names(samples)  # the host's process
    # And the standalone app serves none when the settings turn them off.
    off = dataclasses.replace(db_settings, metrics=False)
    async with service_on(off, standalone=True) as http:
        assert (await http.get("/metrics")).status_code == 404


async def test_requests_are_counted_by_operation_and_outcome(
    metered: httpx.AsyncClient,
) -> None:
    for _ in range(2):  # a miss, then a hit
        assert (await metered.post("/graphql", json={"query": LIST})).status_code == 200
    await metered.get("/graphql", params={"query": LIST})  # the same entry
    await metered.post("/graphql", json={"query": "{ articles { nope } }"})
    await metered.post("/graphql", json={"query": "{ articles(first: 1) { totalCount } }"})
    await metered.post(
        "/graphql",
        json={"query": "{ __typename }"},
        headers={"Authorization": "Bearer not-a-token"},
    )
    await metered.post(
        "/graphql",
        json={"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "a" * 64}}},
    )
    await metered.get("/graphql", headers={"Accept": "text/html"})  # the GraphiQL page
    samples = await scrape(metered)

    def operations(operation: str, outcome: str) -> float:
        return value(samples, "cms_graphql_requests_total", operation=operation, outcome=outcome)

    assert operations("List", "ok") == 3
    assert operations("anonymous", "error") == 1
    assert operations("anonymous", "ok") == 1
    assert operations("anonymous", "refused") == 1
    assert operations("other", "persisted_query_not_found") == 1
    assert sum(v for (n, _), v in samples.items() if n == "cms_graphql_requests_total") == 7
    latency = "cms_graphql_request_duration_seconds"
    assert value(samples, f"{latency}_count", operation="List") == 3
    assert value(samples, f"{latency}_bucket", operation="List", le="+Inf") == 3
    gets = value(samples, "cms_http_requests_total", route="/graphql", method="GET", status="200")
    assert gets == 2
    assert value(samples, "cms_http_request_duration_seconds_count", route="/graphql") == 8
    # Looked up: List (a miss, then two hits) and the count; not invalid, refused or unknown.
    assert value(samples, "cms_cache_misses_total", cache="responses") == 2
    assert value(samples, "cms_cache_hits_total", cache="responses") == 2
    assert value(samples, "cms_response_cache_hit_bytes_total") > 0
    assert value(samples, "cms_cache_entries", cache="responses") == 2
    assert value(samples, "cms_cache_bytes", cache="responses") > 0


async def test_cache_sizes_and_budgets_are_the_services(db_settings: Settings) -> None:
    settings = dataclasses.replace(db_settings, metrics=True, render_cache_bytes=1_000_000)
    async with service_on(settings) as http:
        await load_files([SEED_JSON])
        empty = await scrape(http)
        for _ in range(2):
            await http.post("/graphql", json={"query": ARTICLE})
        await http.post("/graphql", json={"query": LIST})
        samples = await scrape(http)
    assert value(empty, "cms_cache_entries", cache="rendered_bodies") == 0
    assert value(samples, "cms_cache_entries", cache="rendered_bodies") == 1
    assert value(samples, "cms_cache_misses_total", cache="rendered_bodies") == 1
    assert value(samples, "cms_cache_budget_bytes", cache="rendered_bodies") == 1_000_000
    assert value(samples, "cms_cache_entries", cache="kept_results") == 1  # the total count
    assert value(samples, "cms_cache_entries", cache="operations") >= 2
    budgets = {
        "responses": settings.response_cache_bytes,
        "persisted_queries": settings.persisted_queries_bytes,
        "operations": settings.operation_cache_bytes,
        "kept_results": settings.kept_results_bytes,
    }
    for cache, budget in budgets.items():
        assert value(samples, "cms_cache_budget_bytes", cache=cache) == budget, cache


async def test_database_connections_are_reported(
    db_settings: Settings, metered: httpx.AsyncClient
) -> None:
    await metered.post("/graphql", json={"query": LIST})
    samples = await scrape(metered)
    most = value(samples, "cms_db_connections_max", database="default")
    in_use = value(samples, "cms_db_connections", database="default", state="in_use")
    idle = value(samples, "cms_db_connections", database="default", state="idle")
    assert most == (db_settings.db_pool_size if DIALECT == "postgres" else 2)
    assert in_use == 0  # the scrape itself runs no statement
    assert 1 <= idle <= most


async def test_fast_path_fallbacks_are_the_schemas(db_settings: Settings) -> None:
    service = ContentService(db_settings, standalone=True)
    schema = service.view.schema
    async with service.lifespan(), client_on(service.app) as http:
        assert sum(_fallbacks(await scrape(http)).values()) == 0
        await http.post("/graphql", json={"query": "{ articles(first: -1) { totalCount } }"})
        samples = await scrape(http)
    assert _fallbacks(samples) == getattr(schema, "fallback_reasons", {"": schema.fallbacks})


def _fallbacks(samples: Samples) -> dict[str, float]:
    return {
        dict(labels).get("reason", ""): count
        for (name, labels), count in samples.items()
        if name == "cms_fast_path_fallbacks_total"
    }


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        (
            SimpleNamespace(fallbacks=3, fallback_reasons={"null": 1, "internal": 2}),
            {"null": 1, "internal": 2},
        ),
        (SimpleNamespace(fallbacks=3), {"": 3}),
        (SimpleNamespace(), {"": 0}),  # a schema that does not count them
    ],
)
def test_fallbacks_are_read_however_the_schema_counts_them(
    schema: object, expected: dict[str, float]
) -> None:
    registry = CollectorRegistry()
    registry.register(
        ServiceCollector(
            requests=None,
            caches=list,
            response_hit_bytes=None,
            fallbacks=lambda: fallbacks_of(schema),
            pools=list,
        )
    )
    samples: Samples = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(generate_latest(registry).decode())
        for sample in family.samples
    }
    assert _fallbacks(samples) == expected


async def test_operation_names_are_capped(metered: httpx.AsyncClient) -> None:
    """Each of the first MAX_OPERATIONS names to succeed gets a label; later ones, and names
    that never succeeded, are counted as "other"."""
    await metered.post("/graphql", json={"query": "query Broken { nope }"})
    for number in range(MAX_OPERATIONS + 5):
        response = await metered.post(
            "/graphql", json={"query": f"query Op{number} {{ __typename }}"}
        )
        assert response.status_code == 200
    await metered.post(
        "/graphql", json={"query": "query Op0 { __typename }", "operationName": "Op0"}
    )
    samples = await scrape(metered)
    labels = {
        dict(labels)["operation"]
        for name, labels in samples
        if name == "cms_graphql_requests_total"
    }
    assert labels == {f"Op{number}" for number in range(MAX_OPERATIONS)} | {"other"}
    assert value(samples, "cms_graphql_requests_total", operation="other", outcome="ok") == 5
    assert value(samples, "cms_graphql_requests_total", operation="other", outcome="error") == 1
    assert value(samples, "cms_graphql_requests_total", operation="Op0", outcome="ok") == 2


async def test_a_host_can_collect_the_services_metrics_in_its_own_registry(
    db_settings: Settings,
) -> None:
    service = ContentService(dataclasses.replace(db_settings, metrics=True))
    assert service.metrics is not None
    host = CollectorRegistry(auto_describe=True)  # as prometheus_client's default one is
    host.register(service.metrics)
    async with service.lifespan(), client_on(service.app) as http:
        await http.post("/graphql", json={"query": LIST})
    text = generate_latest(host).decode()
    assert 'cms_graphql_requests_total{operation="List",outcome="ok"} 1.0' in text
    assert ContentService(db_settings).metrics is None  # mounted, not asked: nothing at all


async def test_openmetrics_when_the_scraper_asks(metered: httpx.AsyncClient) -> None:
    response = await metered.get(
        "/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"}
    )
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.endswith("# EOF\n")


async def test_scrapes_are_logged_at_debug_only(
    metered: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="cms.access"):
        await metered.get("/metrics")
        await metered.get("/healthz")
    assert [vars(r)["path"] for r in caplog.records if r.name == "cms.access"] == ["/healthz"]
    with caplog.at_level(logging.DEBUG, logger="cms.access"):
        await metered.get("/metrics")
    assert [vars(r)["path"] for r in caplog.records if r.name == "cms.access"][-1] == "/metrics"


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("query ArticlePage { a }", "ArticlePage"),
        ("  # a comment\n, query\n\tList($first: Int) { a }", "List"),
        ("mutation Save { a }", "Save"),
        ("subscription{ a }", None),
        ("query($x: Int) { a }", None),
        ("{ a }", None),
        ("fragment F on Article { a } query Page { ...F }", "Page"),
        ("fragment F on Article { a } { ...F }", None),
        ("queryX { a }", None),
        ("#" * 10_000 + "x", None),
    ],
)
def test_operation_names_are_read_from_the_text(query: str, name: str | None) -> None:
    assert name_in(query) == name


def _errors(code: str) -> bytes:
    return b'{"data":null,"errors":[{"message":"x","extensions":{"code":"%s"}}]}' % code.encode()


@pytest.mark.parametrize(
    ("status", "body", "outcome"),
    [
        (200, b'{"data":{"a":1}}', "ok"),
        (304, b"", "ok"),
        (200, b'{"data":{"errors":[1]}}', "ok"),  # an alias named errors
        (200, _errors("NOT_FOUND"), "error"),
        (400, _errors("GRAPHQL_PARSE_FAILED"), "error"),
        (401, _errors("UNAUTHENTICATED"), "refused"),
        (200, _errors("QUERY_TOO_COMPLEX"), "refused"),
        (413, _errors("PAYLOAD_TOO_LARGE"), "refused"),
        (200, _errors("PERSISTED_QUERY_NOT_FOUND"), "persisted_query_not_found"),
        (200, _errors("INTERNAL_SERVER_ERROR"), "internal"),
        (500, b"", "internal"),
        (400, b"not json", "error"),
    ],
)
def test_outcomes_are_read_from_the_response(status: int, body: bytes, outcome: str) -> None:
    assert outcome_of(status, body) == outcome


async def test_live_subscribers_and_purges_by_change_keys(db_settings: Settings) -> None:
    """What the change events add: the live subscriptions served now, and the response cache
    entries a change's keys purged (a title edit purges its article's page, not the list of
    another's)."""
    from cms.auth import create_token
    from cms.models import TokenScope

    settings = dataclasses.replace(db_settings, metrics=True)
    service = ContentService(settings)
    async with service.lifespan(), client_on(service.app) as http:
        await load_files([SEED_JSON])
        _, token = await create_token("metrics-writer", TokenScope.WRITE)
        other = "query Tags { tags(first: 3) { edges { node { name } } } }"
        for query in (ARTICLE, other):
            await http.post("/graphql", json={"query": query})
        before = await scrape(http)
        subscriber = service.view.live.join()
        found = await http.post(
            "/graphql", json={"query": f'{{ article(slug: "{SEED_SLUG}") {{ id }} }}'}
        )
        article_id = found.json()["data"]["article"]["id"]
        edit = (
            'mutation($id: ID!) { updateArticle(input: {id: $id, title: "Renamed"})'
            " { errors { code } } }"
        )
        done = await http.post(
            "/graphql",
            json={"query": edit, "variables": {"id": article_id}},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert done.json()["data"]["updateArticle"]["errors"] == []
        await http.post("/graphql", json={"query": other})  # syncs the cache: purges
        after = await scrape(http)
        service.view.live.leave(subscriber)
    assert value(before, "cms_live_subscribers") == 0
    assert value(after, "cms_live_subscribers") == 1
    assert value(before, "cms_response_cache_purged_total") == 0
    # The article's page and its id lookup went; the tag list (its tags unchanged) stayed.
    assert value(after, "cms_response_cache_purged_total") == 2
    assert value(after, "cms_response_cache_clears_total") == 0

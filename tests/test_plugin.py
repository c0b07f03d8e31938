"""The content service mounted as a plugin in host Starlette and FastAPI apps, under a prefix.

httpx's ASGITransport never runs an app's lifespan, so :func:`running` plays the server's part
of the ASGI lifespan protocol in a background task: requests then run in other tasks than the
lifespan, as they do under uvicorn, and reach the database only through the service's own
per-request context handling.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Scope
from tortoise.context import get_current_context

from cms.app import ContentService, create_app
from cms.fixtures.service import load_files
from cms.settings import Settings
from tests.conftest import SEED_JSON, SEED_SLUG
from tests.databases import FreshDatabases

#: The seed article's title (fixtures/seed.json).
SEED_TITLE = "Peruvian President Dina Boluarte Arrives in Beijing for Landmark State Visit"
ARTICLE_QUERY = f'{{ article(slug: "{SEED_SLUG}") {{ title }} }}'
HOST_HOME = "the host's own home page"
#: Seconds to wait for a lifespan step before calling the test a failure.
TIMEOUT = 10.0


async def _reply(task: asyncio.Task[None], outbox: asyncio.Queue[Message]) -> Message:
    """The app's next lifespan message; fail if the app ends or hangs instead of replying."""
    getter = asyncio.ensure_future(outbox.get())
    done, _ = await asyncio.wait(
        {getter, task}, timeout=TIMEOUT, return_when=asyncio.FIRST_COMPLETED
    )
    if getter in done:
        return getter.result()
    getter.cancel()
    if task in done:
        task.result()  # raises what the lifespan raised
        raise AssertionError("the app's lifespan returned without replying")
    raise AssertionError(f"the app's lifespan did not reply within {TIMEOUT} seconds")


@asynccontextmanager
async def running(app: ASGIApp) -> AsyncIterator[None]:
    """Run ``app``'s ASGI lifespan (startup, then shutdown) as a server does."""
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    outbox: asyncio.Queue[Message] = asyncio.Queue()
    scope: Scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}}

    async def serve() -> None:
        await app(scope, inbox.get, outbox.put)

    task = asyncio.create_task(serve())
    try:
        await inbox.put({"type": "lifespan.startup"})
        started = await _reply(task, outbox)
        assert started["type"] == "lifespan.startup.complete", started
        try:
            yield
        finally:
            await inbox.put({"type": "lifespan.shutdown"})
            stopped = await _reply(task, outbox)
            assert stopped["type"] == "lifespan.shutdown.complete", stopped
            await asyncio.wait_for(task, TIMEOUT)
    finally:
        if not task.done():
            task.cancel()
            await asyncio.wait({task})


@asynccontextmanager
async def http(app: ASGIApp) -> AsyncIterator[httpx.AsyncClient]:
    """A client on ``app`` that follows no redirects (a 307 shows as a 307)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://host", follow_redirects=False
    ) as client:
        yield client


async def seed(settings: Settings) -> None:
    """Load the bundled seed into the database of ``settings``, inside a service's lifespan."""
    async with ContentService(settings).lifespan():
        await load_files([SEED_JSON])
    # Requests made from this task must find the database through the mounted app alone.
    assert get_current_context() is None


async def graphql(client: httpx.AsyncClient, url: str, query: str) -> dict[str, Any]:
    """POST ``query`` to ``url``; the response must be a 200 without errors."""
    response = await client.post(url, json={"query": query})
    assert response.status_code == 200, (response.status_code, response.text)
    result: dict[str, Any] = response.json()
    assert "errors" not in result, result
    data: dict[str, Any] = result["data"]
    return data


async def check_mounted(client: httpx.AsyncClient, prefix: str) -> None:
    """The service answers GET and POST at ``{prefix}/graphql`` with the seed's data."""
    data = await graphql(client, f"{prefix}/graphql", ARTICLE_QUERY)
    assert data == {"article": {"title": SEED_TITLE}}

    response = await client.get(f"{prefix}/graphql", params={"query": "{ __typename }"})
    assert response.status_code == 200, (response.status_code, response.headers, response.text)
    assert response.json() == {"data": {"__typename": "Query"}}


async def check_closed(client: httpx.AsyncClient, url: str) -> None:
    """``url`` answers 503 with an error telling the host to enter the lifespan."""
    response = await client.post(url, json={"query": "{ __typename }"})
    assert response.status_code == 503, (response.status_code, response.text)
    assert response.headers["content-type"] == "application/json"
    errors = response.json()["errors"]
    assert len(errors) == 1, errors
    assert "ContentService.lifespan" in errors[0]["message"], errors
    assert "lifespan" in errors[0]["message"], errors


async def host_home(request: Request) -> PlainTextResponse:
    return PlainTextResponse(HOST_HOME)


async def test_starlette_host_runs_the_service_under_a_prefix(db_settings: Settings) -> None:
    await seed(db_settings)
    content = ContentService(db_settings)
    host = Starlette(
        routes=[Route("/", host_home), Mount("/content", app=content.app)],
        lifespan=content.lifespan,
    )
    async with http(host) as client:
        await check_closed(client, "/content/graphql")
        async with running(host):
            await check_mounted(client, "/content")
            response = await client.post("/content/graphql", json={"query": "{ __typename }"})
            assert response.status_code == 200, (response.status_code, response.headers)

            home = await client.get("/")
            assert home.status_code == 200
            assert home.text == HOST_HOME
            # The prefix is the service's: nothing answers at the host's /graphql.
            outside = await client.post("/graphql", json={"query": "{ __typename }"})
            assert outside.status_code == 404
        # The host's shutdown closed the database again.
        await check_closed(client, "/content/graphql")


async def test_fastapi_host_runs_the_service_under_a_prefix(db_settings: Settings) -> None:
    await seed(db_settings)
    content = ContentService(db_settings)
    host = FastAPI(lifespan=content.lifespan)

    @host.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    host.mount("/content", content.app)

    async with http(host) as client:
        await check_closed(client, "/content/graphql")
        async with running(host):
            await check_mounted(client, "/content")
            response = await client.post("/content/graphql", json={"query": "{ __typename }"})
            assert response.status_code == 200, (response.status_code, response.headers)

            home = await client.get("/health")
            assert home.status_code == 200
            assert home.json() == {"status": "ok"}
        await check_closed(client, "/content/graphql")


async def test_host_lifespan_enters_the_service_lifespan(db_settings: Settings) -> None:
    content = ContentService(db_settings)
    events: list[str] = []

    @asynccontextmanager
    async def host_lifespan(app: Starlette) -> AsyncIterator[None]:
        events.append("host startup")
        async with content.lifespan(app):
            # The database is open here: the host may prepare data before serving.
            await load_files([SEED_JSON])
            events.append("content open")
            yield
        events.append("host shutdown")

    host = Starlette(
        routes=[Route("/", host_home), Mount("/content", app=content.app)],
        lifespan=host_lifespan,
    )
    async with http(host) as client:
        async with running(host):
            assert events == ["host startup", "content open"]
            await check_mounted(client, "/content")
            home = await client.get("/")
            assert home.status_code == 200
            assert home.text == HOST_HOME
        assert events == ["host startup", "content open", "host shutdown"]
        await check_closed(client, "/content/graphql")


async def test_without_the_lifespan_the_service_answers_503(db_settings: Settings) -> None:
    await seed(db_settings)
    content = ContentService(db_settings)
    host = Starlette(routes=[Route("/", host_home), Mount("/content", app=content.app)])
    async with http(host) as client:
        await check_closed(client, "/content/graphql")
        response = await client.get("/content/graphql", params={"query": ARTICLE_QUERY})
        assert response.status_code == 503, (response.status_code, response.text)
        assert "ContentService.lifespan" in response.json()["errors"][0]["message"]
        # The host itself is unaffected.
        home = await client.get("/")
        assert home.status_code == 200
        assert home.text == HOST_HOME


def two_services(db_settings: Settings, databases: FreshDatabases) -> Starlette:
    """A host with one service on a seeded database at /a, one on an empty database at /b."""
    a = ContentService(db_settings)
    b = ContentService(databases.new())

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with a.lifespan(app), b.lifespan(app):
            yield

    return Starlette(
        routes=[Mount("/a", app=a.app), Mount("/b", app=b.app)],
        lifespan=lifespan,
    )


async def test_two_services_in_one_host_see_their_own_databases(
    db_settings: Settings, databases: FreshDatabases
) -> None:
    await seed(db_settings)
    host = two_services(db_settings, databases)
    async with http(host) as client, running(host):
        # Alternate between the two, so that neither can lean on the other's context.
        for _ in range(2):
            assert await graphql(client, "/a/graphql", ARTICLE_QUERY) == {
                "article": {"title": SEED_TITLE}
            }
            assert await graphql(client, "/b/graphql", ARTICLE_QUERY) == {"article": None}


async def test_concurrent_requests_to_two_services(
    db_settings: Settings, databases: FreshDatabases
) -> None:
    await seed(db_settings)
    host = two_services(db_settings, databases)
    async with http(host) as client, running(host):
        urls = ["/a/graphql", "/b/graphql"] * 4
        results = await asyncio.gather(
            *(client.post(url, json={"query": ARTICLE_QUERY}) for url in urls),
            return_exceptions=True,
        )
        bodies: list[Any] = []
        for result in results:
            if isinstance(result, BaseException):
                raise result
            bodies.append(result.json())
        assert (
            bodies
            == [
                {"data": {"article": {"title": SEED_TITLE}}},
                {"data": {"article": None}},
            ]
            * 4
        )


async def test_standalone_app_serves_at_graphql(db_settings: Settings) -> None:
    await seed(db_settings)
    app = create_app(db_settings)
    async with http(app) as client:
        await check_closed(client, "/graphql")
        async with running(app):
            await check_mounted(client, "")
        await check_closed(client, "/graphql")


async def test_two_services_in_one_host_keep_their_own_caches(db_settings: Settings) -> None:
    """Two services on one database share no cache: each renders, counts and caches for
    itself, within the budgets of its own settings, and its /metrics reports its own sizes."""
    await seed(db_settings)
    a = ContentService(dataclasses.replace(db_settings, metrics=True, render_cache_bytes=100_000))
    b = ContentService(dataclasses.replace(db_settings, metrics=True, kept_results_bytes=50_000))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with a.lifespan(app), b.lifespan(app):
            yield

    host = Starlette(routes=[Mount("/a", app=a.app), Mount("/b", app=b.app)], lifespan=lifespan)
    page = f'{{ article(slug: "{SEED_SLUG}") {{ body(format: HTML) }} }}'
    count = "{ articles { totalCount } }"
    async with http(host) as client, running(host):
        for _ in range(2):
            await graphql(client, "/a/graphql", page)
        await graphql(client, "/a/graphql", count)
        sizes = {name: await cache_sizes(client, f"/{name}/metrics") for name in ("a", "b")}
        assert sizes["a"]["responses"] == (2, 2, 1)  # entries, misses, hits
        assert sizes["a"]["rendered_bodies"][0] == sizes["a"]["kept_results"][0] == 1
        assert all(entries == 0 for entries, _, _ in sizes["b"].values()), sizes["b"]
        await graphql(client, "/b/graphql", page)  # rendered again: nothing of a's is seen
        sizes["b"] = await cache_sizes(client, "/b/metrics")
        assert sizes["b"]["responses"] == (1, 1, 0)
        assert sizes["b"]["rendered_bodies"] == (1, 1, 0)
    assert a.caches.rendered.max_bytes == 100_000
    assert b.caches.rendered.max_bytes == db_settings.render_cache_bytes
    budgets = {service: dict(budget_of(service)) for service in (a, b)}
    assert budgets[a]["kept_results"] == db_settings.kept_results_bytes
    assert budgets[b]["kept_results"] == 50_000


async def cache_sizes(client: httpx.AsyncClient, url: str) -> dict[str, tuple[float, ...]]:
    """Entries, misses and hits of each cache, as ``url`` (a service's /metrics) reports."""
    response = await client.get(url)
    assert response.status_code == 200, response.text
    found: dict[str, dict[str, float]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if "cache" in sample.labels:
                found.setdefault(sample.labels["cache"], {})[sample.name] = sample.value
    return {
        cache: tuple(
            values.get(name, 0.0)
            for name in ("cms_cache_entries", "cms_cache_misses_total", "cms_cache_hits_total")
        )
        for cache, values in found.items()
    }


def budget_of(service: ContentService) -> list[tuple[str, int]]:
    return [(size.name, size.budget) for size in service.caches.sizes()]

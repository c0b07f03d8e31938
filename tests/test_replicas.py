"""Several app processes on one database, and reads sent to replicas.

On PostgreSQL (``CMS_TEST_POSTGRES_URL``) these run the deployment's shape: two `cms serve`
processes on one database. On SQLite the same tests show that processes sharing one file neither
lock each other out nor lose writes.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from cms.app import ContentService
from cms.auth import create_token
from cms.fixtures.service import load_files
from cms.models import TokenScope
from cms.settings import Settings
from tests.conftest import SEED_JSON, SEED_SLUG, free_port, free_ports, running
from tests.databases import FreshDatabases

CREATE = """mutation($title: String!) { createArticle(input: {title: $title, body: "Body."}) {
  article { id version } errors { code } } }"""
UPDATE = """mutation($id: ID!, $title: String!) {
  updateArticle(input: {id: $id, title: $title, expectedVersion: 1}) {
    article { version title } errors { code } } }"""
READ = "query($slug: String!) { article(slug: $slug) { title version } }"


def write_token(settings: Settings) -> str:
    from tests.databases import _run

    async def make() -> str:
        from cms import db

        async with db.database(settings):
            await load_files([SEED_JSON])
            return (await create_token("replica-test", TokenScope.WRITE))[1]

    token: str = _run(make())
    return token


@pytest.fixture
def two_servers(databases: FreshDatabases) -> Iterator[tuple[list[str], str]]:
    """Two `cms serve` processes on one seeded database, and a write token."""
    settings = databases.new()
    token = write_token(settings)
    env = {**os.environ, "CMS_DATABASE_URL": settings.database_url}
    ports = free_ports(2)
    args = [[sys.executable, "-m", "cms", "serve", "--port", str(port)] for port in ports]
    urls = [f"http://127.0.0.1:{port}/graphql" for port in ports]
    with running(args[0], env, urls[0]), running(args[1], env, urls[1]):
        yield urls, token


async def post(
    client: httpx.AsyncClient, url: str, query: str, variables: dict[str, Any], token: str = ""
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post(
        url, json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


async def test_a_write_through_one_is_read_through_the_other(
    two_servers: tuple[list[str], str],
) -> None:
    (first, second), token = two_servers
    async with httpx.AsyncClient(timeout=30) as client:
        created = await post(client, first, CREATE, {"title": "Across Replicas"}, token)
        article_id = created["createArticle"]["article"]["id"]
        read = await post(client, second, READ, {"slug": "across-replicas"}, token)
        assert read["article"] == {"title": "Across Replicas", "version": 1}
        await post(client, second, UPDATE, {"id": article_id, "title": "Changed"}, token)
        read = await post(client, first, READ, {"slug": "across-replicas"}, token)
        assert read["article"] == {"title": "Changed", "version": 2}


async def test_concurrent_updates_through_two_processes_one_wins(
    two_servers: tuple[list[str], str],
) -> None:
    (first, second), token = two_servers
    async with httpx.AsyncClient(timeout=30) as client:
        for round_number in range(5):
            created = await post(client, first, CREATE, {"title": f"Race {round_number}"}, token)
            article_id = created["createArticle"]["article"]["id"]
            results = await asyncio.gather(
                post(client, first, UPDATE, {"id": article_id, "title": "From first"}, token),
                post(client, second, UPDATE, {"id": article_id, "title": "From second"}, token),
            )
            outcomes = sorted(
                "won"
                if not r["updateArticle"]["errors"]
                else r["updateArticle"]["errors"][0]["code"]
                for r in results
            )
            assert outcomes == ["CONFLICT", "won"]
            read = await post(client, second, READ, {"slug": f"race-{round_number}"}, token)
            assert read["article"]["version"] == 2


async def test_concurrent_writes_and_reads_on_two_workers(databases: FreshDatabases) -> None:
    """`cms serve --workers 2`: many writers and readers at once, no lock errors, no lost write."""
    settings = databases.new()
    token = write_token(settings)
    env = {**os.environ, "CMS_DATABASE_URL": settings.database_url}
    port = free_port()
    url = f"http://127.0.0.1:{port}/graphql"
    args = [sys.executable, "-m", "cms", "serve", "--port", str(port), "--workers", "2"]
    with running(args, env, url):
        async with httpx.AsyncClient(timeout=60) as client:
            writes = [
                post(client, url, CREATE, {"title": f"Concurrent {n}"}, token) for n in range(24)
            ]
            reads = [post(client, url, READ, {"slug": SEED_SLUG}) for _ in range(24)]
            results = await asyncio.gather(*writes, *reads)
            assert all(r["createArticle"]["errors"] == [] for r in results[:24])
            assert all(r["article"] is not None for r in results[24:])
            total = await post(client, url, "{ articles(first: 100) { totalCount } }", {}, token)
            assert total["articles"]["totalCount"] == 25


async def test_reads_go_to_the_replica_except_after_a_write(databases: FreshDatabases) -> None:
    """With a replica configured, reads use it; a request that writes reads the primary."""
    primary, replica = databases.new(), databases.new()  # the "replica" lags: it is empty
    token = write_token(primary)
    service = ContentService(
        Settings(database_url=primary.database_url, replica_urls=(replica.database_url,))
    )
    async with service.lifespan():
        transport = httpx.ASGITransport(app=service.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            url = "/graphql"
            read = await post(client, url, READ, {"slug": SEED_SLUG})
            assert read["article"] is None  # served by the (empty) replica
            created = await post(client, url, CREATE, {"title": "Fresh"}, token)
            # The payload was read in the request that wrote: from the primary.
            assert created["createArticle"]["article"]["version"] == 1
            read = await post(client, url, READ, {"slug": "fresh"}, token)
            assert read["article"] is None  # the next request reads the replica again

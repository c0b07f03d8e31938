"""SQLite's reader connection (cms.sqlite_engine): quick reads of a request run on a read-only
connection of their own, see only committed data, and step aside whenever they cannot help.

These tests make SQLite databases of their own, so they run the same on the PostgreSQL pass.
"""

from __future__ import annotations

import asyncio
import contextvars
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tortoise.connection import get_connection
from tortoise.transactions import in_transaction

from cms import db
from cms.app import ContentService
from cms.fixtures.service import load_files
from cms.models import Article
from cms.settings import Settings
from cms.sqlite_engine import ImmediateSqliteClient
from tests.conftest import SEED_JSON, SEED_SLUG
from tests.graphql.conftest import counting

TITLE = "{ article(slug: $slug) { title } }"
QUERY = f"query($slug: String!) {TITLE}"


async def _title(http: httpx.AsyncClient) -> Any:
    response = await http.post("/graphql", json={"query": QUERY, "variables": {"slug": SEED_SLUG}})
    assert response.status_code == 200, response.text
    return response.json()["data"]["article"]["title"]


@pytest.fixture
async def sqlite_settings(tmp_path: Path) -> Settings:
    settings = Settings(
        database_url=f"sqlite://{tmp_path / 'cms.sqlite3'}",
        response_cache=False,
        scheduler=False,
        webhook_delivery=False,
    )
    await db.migrate(settings)
    return settings


@pytest.fixture
async def http(sqlite_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    service = ContentService(sqlite_settings)
    async with service.lifespan():
        await load_files([SEED_JSON])
        transport = httpx.ASGITransport(app=service.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


def _client() -> ImmediateSqliteClient:
    client = get_connection("default")
    assert isinstance(client, ImmediateSqliteClient)
    return client


async def test_quick_reads_of_a_request_use_the_reader(http: httpx.AsyncClient) -> None:
    client = _client()
    original = client.execute_query
    through_tortoise: list[str] = []

    async def watched(sql: str, values: Any = None) -> Any:
        through_tortoise.append(sql)
        return await original(sql, values)

    client.execute_query = watched  # type: ignore[method-assign]
    with counting() as log:
        title = await _title(http)
    assert title.startswith("Peruvian President")
    assert log.statements, "the reader's statements are logged as Tortoise logs its own"
    assert through_tortoise == [] and client._reader is not None


def _elsewhere(http: httpx.AsyncClient, outside: contextvars.Context) -> asyncio.Task[Any]:
    """The request as another caller sends it: in a task of its own, outside the test's open
    transaction (httpx's ASGI transport would otherwise run it inside)."""
    return asyncio.get_running_loop().create_task(_title(http), context=outside.copy())


async def test_the_reader_never_sees_uncommitted_writes(http: httpx.AsyncClient) -> None:
    before = await _title(http)
    outside = contextvars.copy_context()
    async with in_transaction():
        await Article.filter(slug=SEED_SLUG).update(title="Not yet")
        # While the write is open, a request answers from what is committed, without waiting
        # for the writer (through Tortoise it would wait for the transaction to end).
        assert await asyncio.wait_for(_elsewhere(http, outside), timeout=5) == before
    assert await _title(http) == "Not yet"  # committed: seen by the very next request


async def test_a_rolled_back_write_is_never_served(http: httpx.AsyncClient) -> None:
    before = await _title(http)
    outside = contextvars.copy_context()
    with pytest.raises(RuntimeError, match="roll back"):
        async with in_transaction():
            await Article.filter(slug=SEED_SLUG).update(title="Never")
            assert await asyncio.wait_for(_elsewhere(http, outside), timeout=5) == before
            raise RuntimeError("roll back")
    assert await _title(http) == before


async def test_a_request_that_writes_reads_through_tortoise(
    http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cms.auth import create_token
    from cms.models import TokenScope

    _, token = await create_token("writer", TokenScope.WRITE)
    client = _client()
    monkeypatch.setattr(client, "read", lambda sql, params: pytest.fail("read after a write"))
    response = await http.post(
        "/graphql",
        json={
            "query": 'mutation { createTag(input: {name: "Lima", kind: PLACE}) '
            "{ tag { slug name } errors { message } } }"
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.json()["data"]["createTag"]["tag"] == {"slug": "lima", "name": "Lima"}


async def test_outside_a_request_reads_go_through_tortoise(sqlite_settings: Settings) -> None:
    from cms.read import articles
    from cms.read.visibility import Viewer
    from cms.timeutil import utcnow

    async with db.database(sqlite_settings):
        await load_files([SEED_JSON])
        found = await articles.by_slugs(Viewer(now=utcnow(), preview=False), [SEED_SLUG])
        assert SEED_SLUG in found and _client()._reader is None


async def test_the_reader_steps_aside_when_it_cannot_help(http: httpx.AsyncClient) -> None:
    client = _client()
    sql, params = "SELECT title FROM article WHERE slug = ?", [SEED_SLUG]
    rows = client.read(sql, params)
    assert rows is not None and rows[0][0].startswith("Peruvian President")
    # from another thread: that thread gets None (sqlite3 connections belong to one thread)
    seen: list[object] = []
    thread = threading.Thread(target=lambda: seen.append(client.read(sql, params)))
    thread.start()
    thread.join()
    assert seen == [None]
    # the reader is read-only: a write through it is refused by SQLite itself
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        client.read("UPDATE article SET title = 'x'", [])
    # a busy database: None rather than a wait on the event loop's thread
    client._reader = _Busy()  # type: ignore[assignment]
    assert client.read(sql, params) is None
    client._reader = None
    # and the requests still answer, through Tortoise
    assert (await _title(http)).startswith("Peruvian President")


async def test_no_reader_for_an_in_memory_database_or_another_journal_mode(
    tmp_path: Path,
) -> None:
    async with db.database(Settings(database_url="sqlite://:memory:")):
        client = _client()
        await client.execute_query("SELECT 1")
        assert client.read("SELECT 1", []) is None
    path = tmp_path / "rollback-journal.sqlite3"
    async with db.database(Settings(database_url=f"sqlite://{path}?journal_mode=DELETE")):
        client = _client()
        await client.execute_query("SELECT 1")
        assert client.read("SELECT 1", []) is None


class _Busy:
    def execute(self, *args: Any) -> Any:
        raise sqlite3.OperationalError("database is locked")


@pytest.mark.parametrize(
    "arguments",
    ['first: 5, filter: {tags: ["peru"]}', "first: 5, offset: 5000"],
)
async def test_lists_that_may_pass_over_many_rows_are_not_quick(
    http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, arguments: str
) -> None:
    """A filtered list may pass over many rows to find a few, a deep offset skips as many:
    those run through Tortoise's thread, never on the event loop's."""
    client = _client()
    original = client.read
    read: list[str] = []

    def watched(sql: str, params: Any) -> Any:
        read.append(sql)
        return original(sql, params)

    monkeypatch.setattr(client, "read", watched)
    for given, quick in (("first: 5", True), (arguments, False)):
        read.clear()
        query = f"{{ articles({given}) {{ edges {{ node {{ slug }} }} }} }}"
        response = await http.post("/graphql", json={"query": query})
        assert "errors" not in response.json(), response.text
        assert any("FROM article a WHERE" in sql for sql in read) is quick, (given, read)


SEARCH = '{ search(query: "Boluarte") { totalCount edges { node { slug } } } }'


async def test_a_search_counts_on_the_aside_connection_while_it_ranks(
    http: httpx.AsyncClient,
) -> None:
    """The count runs in the aside connection's own thread, the ranking through Tortoise's,
    at the same time; the aside connection is read-only and sees what is committed."""
    client = _client()
    original = client._run_aside
    threads: list[str] = []

    def watched(sql: str, params: list[Any]) -> Any:
        threads.append(threading.current_thread().name)
        return original(sql, params)

    client._run_aside = watched  # type: ignore[method-assign]
    response = await http.post("/graphql", json={"query": SEARCH})
    assert response.json()["data"]["search"]["totalCount"] == 1
    assert threads and all(name.startswith("cms-sqlite-aside") for name in threads)
    await Article.filter(slug=SEED_SLUG).update(title="Boluarte again")
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        await client.read_aside("UPDATE article SET title = 'x'", [])
    assert await client.read_aside("SELECT title FROM article", []) == [("Boluarte again",)]


async def test_the_aside_connection_steps_aside_when_it_cannot_help(
    http: httpx.AsyncClient,
) -> None:
    client = _client()
    client._aside = _Busy()  # type: ignore[assignment]
    assert await client.read_aside("SELECT 1", []) is None
    client._aside = None  # opened again on the next read
    response = await http.post("/graphql", json={"query": SEARCH})
    assert response.json()["data"]["search"]["totalCount"] == 1
    async with db.database(Settings(database_url="sqlite://:memory:")):
        client = _client()
        await client.execute_query("SELECT 1")
        assert await client.read_aside("SELECT 1", []) is None

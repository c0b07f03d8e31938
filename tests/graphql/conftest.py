"""A GraphQL client on the ASGI app, over the test's migrated database, with an SQL counter.

The services run queries on cms's fast executor or on graphql-core's as ``CMS_FAST_EXECUTOR``
says (CI runs these tests both ways); tests that compare the two build both explicitly."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from cms.app import ContentService
from cms.fixtures.service import load_files
from cms.settings import Settings, load_settings
from tests.conftest import SEED_JSON
from tests.databases import FreshDatabases

#: ``CMS_FAST_EXECUTOR``, for the services these tests make.
FAST_EXECUTOR = load_settings().fast_executor


class SQLCounter(logging.Handler):
    """Counts the statements Tortoise sends to the database (its db_client debug log)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.statements.append(record.getMessage())


@contextmanager
def counting() -> Iterator[SQLCounter]:
    """Count the SQL statements sent inside the block."""
    counter = SQLCounter()
    logger = logging.getLogger("tortoise.db_client")
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(previous)


@pytest.fixture
def sql() -> Iterator[SQLCounter]:
    with counting() as counter:
        yield counter


@dataclass
class GraphQLClient:
    http: httpx.AsyncClient
    headers: dict[str, str] = field(default_factory=dict)
    #: The service it sends to, when the test made it with the ``client`` fixture.
    service: ContentService | None = None

    async def post(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=self.headers
        )
        assert response.status_code in (200, 400), response.text
        result: dict[str, Any] = response.json()
        return result

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The data of a query that must succeed."""
        result = await self.post(query, variables)
        assert "errors" not in result, result["errors"]
        data: dict[str, Any] = result["data"]
        return data

    async def error(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The first error of a query that must fail."""
        result = await self.post(query, variables)
        assert result.get("errors"), result
        error: dict[str, Any] = result["errors"][0]
        return error


@pytest.fixture
def db_settings(databases: FreshDatabases) -> Settings:
    """A fresh, migrated database of this test's own, served with the executor
    ``CMS_FAST_EXECUTOR`` picks."""
    return dataclasses.replace(databases.new(), fast_executor=FAST_EXECUTOR)


@pytest.fixture
async def service(
    db_settings: Settings, request: pytest.FixtureRequest
) -> AsyncIterator[ContentService]:
    """The app on the test's database. Tests that count SQL statements (they ask for `sql`)
    count what resolvers cost, so the response cache is off for them; for every other test it
    is on, as in production, so they also show that writes are never answered from stale
    cache entries."""
    settings = db_settings
    if "sql" in request.fixturenames:
        settings = dataclasses.replace(db_settings, response_cache=False)
    content = ContentService(settings)
    async with content.lifespan():
        yield content


@pytest.fixture
async def client(service: ContentService) -> AsyncIterator[GraphQLClient]:
    transport = httpx.ASGITransport(app=service.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield GraphQLClient(http, service=service)


@pytest.fixture
async def seeded(client: GraphQLClient) -> GraphQLClient:
    await load_files([SEED_JSON])
    return client


def _article(
    title: str,
    status: str,
    published: str | None,
    tags: list[str],
    credits: list[dict[str, Any]] | None = None,
    body: str | None = None,
) -> dict[str, Any]:
    return {
        "title": title,
        "body": body or f"{title} body text.\n\nSecond paragraph about {title.lower()}.",
        "summary": f"About {title}.",
        "status": status,
        "publishedAt": published,
        "createdAt": "2022-01-01T00:00:00Z",
        "updatedAt": (published or "2022-06-01T00:00:00Z"),
        "version": 1,
        "tags": tags,
        "imageCredits": credits or [],
    }


#: A small newsroom: anonymous callers see alpha, bravo, charlie and golf.
NEWSROOM: dict[str, Any] = {
    "tags": [
        {"slug": "peru", "name": "Peru", "kind": "PLACE", "description": None},
        {"slug": "china", "name": "China", "kind": "PLACE", "description": None},
        {"slug": "trade", "name": "trade", "kind": "TOPIC", "description": None},
        {"slug": "xi-jinping", "name": "Xi Jinping", "kind": "PERSON", "description": None},
    ],
    "articles": [
        _article(
            "Alpha",
            "PUBLISHED",
            "2024-01-01T00:00:00Z",
            ["peru", "trade"],
            [{"text": "Reuters/Jane Roe"}],
        ),
        _article(
            "Bravo",
            "PUBLISHED",
            "2024-02-01T00:00:00Z",
            ["peru"],
            [{"text": "Reuters/Jane Roe and John Doe"}],
        ),
        _article("Charlie", "PUBLISHED", "2024-02-01T00:00:00Z", ["china", "trade"]),
        _article(
            "Delta",
            "DRAFT",
            None,
            ["peru"],
            [{"text": "Photo: AP/Secret Person", "contributors": ["Secret Person"]}],
        ),
        _article("Echo", "PUBLISHED", "2099-01-01T00:00:00Z", ["peru"]),
        _article("Foxtrot", "ARCHIVED", "2023-06-01T00:00:00Z", ["peru"]),
        _article("Golf", "PUBLISHED", "2023-01-01T00:00:00Z", []),
    ],
}


@pytest.fixture
async def newsroom(client: GraphQLClient, tmp_path: Any) -> GraphQLClient:
    import json

    path = tmp_path / "newsroom.json"
    path.write_text(json.dumps(NEWSROOM), encoding="utf-8")
    await load_files([path])
    return client


@pytest.fixture
async def tokens(client: GraphQLClient) -> dict[str, str]:
    """A live token of each scope, plus a revoked one, by scope name (and "revoked")."""
    from cms.auth import create_token, revoke_token
    from cms.models import TokenScope

    made = {
        scope.value: (await create_token(f"{scope.value}-token", scope))[1] for scope in TokenScope
    }
    made["revoked"] = (await create_token("old", TokenScope.WRITE))[1]
    await revoke_token("old")
    return made


@pytest.fixture
async def writer(client: GraphQLClient, tokens: dict[str, str]) -> GraphQLClient:
    """The same app, as a caller with a `write` token."""
    return as_caller(client, tokens["write"])


def as_caller(client: GraphQLClient, token: str | None) -> GraphQLClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return GraphQLClient(client.http, headers, client.service)

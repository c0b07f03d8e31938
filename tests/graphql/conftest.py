"""A GraphQL client on the ASGI app, over the test's migrated database, with an SQL counter."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from cms.app import ContentService
from cms.fixtures.service import load_files
from cms.settings import Settings
from tests.conftest import SEED_JSON


class SQLCounter(logging.Handler):
    """Counts the statements Tortoise sends to the database (its db_client debug log)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.statements.append(record.getMessage())


@pytest.fixture
def sql() -> Iterator[SQLCounter]:
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


@dataclass
class GraphQLClient:
    http: httpx.AsyncClient
    headers: dict[str, str] = field(default_factory=dict)

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
async def service(db_settings: Settings) -> AsyncIterator[ContentService]:
    content = ContentService(db_settings)
    async with content.lifespan():
        yield content


@pytest.fixture
async def client(service: ContentService) -> AsyncIterator[GraphQLClient]:
    transport = httpx.ASGITransport(app=service.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield GraphQLClient(http)


@pytest.fixture
async def seeded(client: GraphQLClient) -> GraphQLClient:
    await load_files([SEED_JSON])
    return client

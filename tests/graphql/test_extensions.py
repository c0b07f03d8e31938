"""A host's own Strawberry schema extensions (``ContentService(extensions=...)``) run on every
request: the short path and the response cache, which would skip them, step aside."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from strawberry.extensions import SchemaExtension

from cms.app import ContentService
from cms.fixtures.service import load_files
from cms.settings import Settings
from tests.conftest import SEED_JSON

LIST = "query List($first: Int) { articles(first: $first) { totalCount edges { node { slug } } } }"


def counting(seen: list[str]) -> Callable[[], SchemaExtension]:
    """An extension that notes each operation it sees and each execution."""

    class Counting(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            seen.append(f"operation {self.execution_context.operation_name}")
            yield

        def on_execute(self) -> Iterator[None]:
            seen.append("execute")
            yield

    return Counting


@pytest.fixture
async def services(
    db_settings: Settings,
) -> AsyncIterator[tuple[list[str], ContentService, httpx.AsyncClient, httpx.AsyncClient]]:
    """The host's service with a counting extension, and a plain one, over the seed (both with
    the fast executor and the response cache on)."""
    settings = dataclasses.replace(db_settings, fast_executor=True, response_cache=True)
    seen: list[str] = []
    hosted = ContentService(settings, extensions=[counting(seen)])
    plain = ContentService(settings)
    async with hosted.lifespan(), plain.lifespan():
        await load_files([SEED_JSON])
        async with (
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=hosted.app), base_url="http://t"
            ) as a,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=plain.app), base_url="http://t"
            ) as b,
        ):
            yield seen, hosted, a, b


async def test_a_hosts_extension_sees_every_request_and_the_data_is_right(
    services: tuple[list[str], ContentService, httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    seen, hosted, mine, theirs = services
    assert hosted.view.short_path is False and hosted.view.cache is None
    plain: dict[str, Any] = {"query": LIST, "variables": {"first": 2}, "operationName": "List"}
    requests: list[tuple[str, dict[str, Any]]] = [
        ("POST", {"json": plain}),
        ("POST", {"json": plain}),  # a plain query again: cached and short without extensions
        ("POST", {"json": plain}),
        ("GET", {"params": {**plain, "variables": json.dumps(plain["variables"])}}),
        ("POST", {"json": {"query": "{ tags(first: 1) { totalCount } }"}}),
    ]
    for method, arguments in requests:
        got = await mine.request(method, "/graphql", **arguments)
        expected = await theirs.request(method, "/graphql", **arguments)
        assert got.status_code == expected.status_code == 200
        assert got.json() == expected.json()
        assert "errors" not in got.json() and got.json()["data"]
    assert seen == ["operation List", "execute"] * 4 + ["operation None", "execute"]

"""Persisted queries: Apollo's APQ protocol, and the allow-list mode."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from cms.app import ContentService
from cms.bundled import operations
from cms.fixtures.service import load_files
from cms.settings import Settings
from tests.conftest import SEED_JSON, SEED_SLUG
from tests.graphql.test_schema import example_variables

QUERY = "query Count { articles { totalCount } }"


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def persisted(text: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest(text)}}


async def client_for(settings: Settings, mode: str) -> AsyncIterator[httpx.AsyncClient]:
    service = ContentService(Settings(database_url=settings.database_url, persisted_queries=mode))
    async with service.lifespan():
        await load_files([SEED_JSON])
        transport = httpx.ASGITransport(app=service.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


@pytest.fixture
async def apq(db_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async for client in client_for(db_settings, "apq"):
        yield client


@pytest.fixture
async def allowlist(db_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async for client in client_for(db_settings, "allowlist"):
        yield client


async def test_apq_round_trip(apq: httpx.AsyncClient) -> None:
    first = await apq.post("/graphql", json={"extensions": persisted(QUERY)})
    assert first.status_code == 200
    assert first.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert first.json()["errors"][0]["message"] == "PersistedQueryNotFound"

    registered = await apq.post("/graphql", json={"query": QUERY, "extensions": persisted(QUERY)})
    assert registered.json() == {"data": {"articles": {"totalCount": 1}}}

    by_hash = await apq.post("/graphql", json={"extensions": persisted(QUERY)})
    assert by_hash.json() == {"data": {"articles": {"totalCount": 1}}}
    over_get = await apq.get("/graphql", params={"extensions": json.dumps(persisted(QUERY))})
    assert over_get.status_code == 200
    assert over_get.json() == {"data": {"articles": {"totalCount": 1}}}


async def test_apq_refuses_a_hash_that_does_not_match(apq: httpx.AsyncClient) -> None:
    wrong = {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}
    response = await apq.post("/graphql", json={"query": QUERY, "extensions": wrong})
    assert response.status_code == 400
    assert "does not match" in response.json()["errors"][0]["message"]
    malformed = {"persistedQuery": {"version": 2, "sha256Hash": "abc"}}
    response = await apq.post("/graphql", json={"query": QUERY, "extensions": malformed})
    assert response.status_code == 400


async def test_registered_operations_run_by_hash(apq: httpx.AsyncClient) -> None:
    text = operations()["ArticlePage"]
    response = await apq.post(
        "/graphql", json={"extensions": persisted(text), "variables": example_variables(text)}
    )
    assert response.json()["data"]["article"]["slug"] == SEED_SLUG


async def test_allowlist_runs_only_registered_operations(allowlist: httpx.AsyncClient) -> None:
    refused = await allowlist.post("/graphql", json={"query": QUERY})
    assert refused.json()["errors"][0]["extensions"]["code"] == "OPERATION_NOT_ALLOWED"
    registering = await allowlist.post(
        "/graphql", json={"query": QUERY, "extensions": persisted(QUERY)}
    )
    assert registering.json()["errors"][0]["extensions"]["code"] == "OPERATION_NOT_ALLOWED"
    text = operations()["ListPage"]
    by_text = await allowlist.post("/graphql", json={"query": text})
    assert by_text.json()["data"]["articles"]["totalCount"] == 1
    by_hash = await allowlist.post("/graphql", json={"extensions": persisted(text)})
    assert by_hash.json()["data"]["articles"]["totalCount"] == 1


async def test_allowlist_from_a_file(db_settings: Settings, tmp_path: Any) -> None:
    path = tmp_path / "operations.json"
    path.write_text(json.dumps([QUERY]), encoding="utf-8")
    settings = Settings(
        database_url=db_settings.database_url,
        persisted_queries="allowlist",
        persisted_queries_file=str(path),
    )
    service = ContentService(settings)
    async with service.lifespan():
        transport = httpx.ASGITransport(app=service.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            ok = await client.post("/graphql", json={"query": QUERY})
            assert ok.json() == {"data": {"articles": {"totalCount": 0}}}
            other = await client.post("/graphql", json={"query": operations()["ListPage"]})
            assert other.json()["errors"][0]["extensions"]["code"] == "OPERATION_NOT_ALLOWED"


async def test_persisted_queries_off(db_settings: Settings) -> None:
    async for client in client_for(db_settings, "off"):
        response = await client.post("/graphql", json={"extensions": persisted(QUERY)})
        code = response.json()["errors"][0]["extensions"]["code"]
        assert code == "PERSISTED_QUERY_NOT_SUPPORTED"
        plain = await client.post("/graphql", json={"query": QUERY})
        assert plain.json() == {"data": {"articles": {"totalCount": 1}}}

"""CORS for configured origins only, and safe default headers on every response."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from cms.app import ContentService
from cms.settings import Settings


@pytest.fixture
async def cors(db_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=db_settings.database_url, cors_origins=("https://news.example",)
    )
    service = ContentService(settings)
    async with service.lifespan():
        transport = httpx.ASGITransport(app=service.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def test_allowed_origin_gets_cors_headers(cors: httpx.AsyncClient) -> None:
    preflight = await cors.options(
        "/graphql",
        headers={
            "Origin": "https://news.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://news.example"
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    response = await cors.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Origin": "https://news.example"}
    )
    assert response.headers["access-control-allow-origin"] == "https://news.example"
    assert "X-Request-ID" in response.headers["access-control-expose-headers"]


async def test_other_origins_get_none(cors: httpx.AsyncClient) -> None:
    response = await cors.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in response.headers
    preflight = await cors.options(
        "/graphql",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 400


async def test_no_cors_by_default_and_safe_headers(db_settings: Settings) -> None:
    service = ContentService(db_settings)
    async with service.lifespan():
        transport = httpx.ASGITransport(app=service.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.post(
                "/graphql",
                json={"query": "{ __typename }"},
                headers={"Origin": "https://x.example"},
            )
            assert "access-control-allow-origin" not in response.headers
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["x-frame-options"] == "DENY"
            page = await client.get("/graphql", headers={"Accept": "text/html"})
            assert "script-src 'self'" in page.headers["content-security-policy"]
            assert page.headers["referrer-policy"] == "no-referrer"


def test_cors_origins_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from cms.settings import load_settings

    monkeypatch.setenv("CMS_CORS_ORIGINS", "https://a.example, https://b.example")
    assert load_settings().cors_origins == ("https://a.example", "https://b.example")

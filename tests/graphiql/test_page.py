"""The GraphiQL page: served by the app, scripts as files under a strict CSP, mount-aware."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from cms.app import ContentService
from cms.graphiql import vendor
from cms.graphiql.page import CONTENT_SECURITY_POLICY
from cms.settings import Settings

HTML = {"Accept": "text/html"}


@pytest.fixture
async def host(db_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The service mounted under /content in a host app."""
    content = ContentService(db_settings)
    app = Starlette(routes=[Mount("/content", app=content.app)])
    async with content.lifespan(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def test_page_is_served_with_a_strict_policy(host: httpx.AsyncClient) -> None:
    response = await host.get("/content/graphql", headers=HTML)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self';" in CONTENT_SECURITY_POLICY
    page = response.text
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    assert len(scripts) == 5
    assert all('src="' in attrs and body.strip() == "" for attrs, body in scripts), scripts
    assert "http://" not in page.replace("http://test", "") and "https://" not in page
    assert "SeedArticle" in page and "peruvian-president-dina-boluarte" in page


async def test_every_asset_resolves_under_the_mount(host: httpx.AsyncClient) -> None:
    page = (await host.get("/content/graphql", headers=HTML)).text
    urls = re.findall(r'(?:src|href)="([^"]+)"', page)
    assets = [url for url in urls if not url.startswith("data:")]
    assert len(assets) == 8
    for url in assets:
        # Relative URLs resolve against the page's own path, whatever the mount prefix.
        response = await host.get(str(httpx.URL("http://test/content/graphql").join(url)))
        assert response.status_code == 200, url
        assert len(response.content) > 100, url
    endpoint = re.search(r'data-endpoint="([^"]+)"', page)
    assert endpoint and httpx.URL("http://test/content/graphql").join(endpoint[1]).path == (
        "/content/graphql"
    )


async def test_graphiql_can_be_turned_off(db_settings: Settings) -> None:
    content = ContentService(Settings(database_url=db_settings.database_url, graphiql=False))
    async with content.lifespan():
        transport = httpx.ASGITransport(app=content.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            page = await client.get("/graphql", headers=HTML)
            assert page.status_code == 404
            assert "GraphiQL" not in page.text
            asset = await client.get("/graphql/assets/graphiql.min.js")
            assert asset.status_code == 404
            api = await client.get("/graphql", params={"query": "{__typename}"})
            assert api.json() == {"data": {"__typename": "Query"}}


def test_graphiql_setting_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from cms.settings import load_settings

    monkeypatch.setenv("CMS_GRAPHIQL", "false")
    assert load_settings().graphiql is False
    monkeypatch.setenv("CMS_GRAPHIQL", "maybe")
    with pytest.raises(ValueError, match="CMS_GRAPHIQL"):
        load_settings()


def test_vendored_assets_match_their_manifest() -> None:
    assert vendor.check() == []
    manifest = vendor.MANIFEST.read_text(encoding="utf-8")
    for package in vendor.PACKAGES:
        assert f'"{package.name}"' in manifest and package.version in manifest
    licences = {path.name for path in (vendor.ASSETS / "licenses").iterdir()}
    assert {"react.LICENSE.txt", "graphiql.LICENSE.txt", "react-dom.LICENSE.txt"} <= licences

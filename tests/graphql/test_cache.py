"""The response cache: hits, ETags, and never a stale answer after a write anywhere."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from cms.app import ContentService
from cms.auth import create_token
from cms.fixtures.service import load_files
from cms.models import TokenScope
from cms.settings import Settings
from tests.conftest import SEED_JSON, SEED_SLUG
from tests.graphql.conftest import NEWSROOM, counting

LIST = {"query": "{ articles { totalCount edges { node { slug title } } } }"}


@dataclasses.dataclass
class App:
    service: ContentService
    http: httpx.AsyncClient

    async def post(self, body: dict[str, Any], **headers: str) -> httpx.Response:
        return await self.http.post("/graphql", json=body, headers=headers)


async def open_app(settings: Settings) -> AsyncIterator[App]:
    service = ContentService(settings)
    async with service.lifespan():
        transport = httpx.ASGITransport(app=service.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield App(service, http)


@pytest.fixture
async def app(db_settings: Settings, tmp_path: Path) -> AsyncIterator[App]:
    async for opened in open_app(db_settings):
        await load_files([SEED_JSON])
        path = tmp_path / "newsroom.json"
        path.write_text(json.dumps(NEWSROOM), encoding="utf-8")
        await load_files([path])
        yield opened


async def test_a_repeat_is_served_from_the_cache(app: App) -> None:
    first = await app.post(LIST)
    with counting() as sql:
        second = await app.post(LIST)
    assert second.content == first.content
    assert len(sql.statements) == 1 and "content_version" in sql.statements[0]
    assert second.headers["etag"] == first.headers["etag"]
    assert second.headers["cache-control"] == "no-cache"


async def test_if_none_match_gets_304(app: App) -> None:
    first = await app.http.get("/graphql", params=LIST)
    etag = first.headers["etag"]
    again = await app.http.get("/graphql", params=LIST, headers={"If-None-Match": etag})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    other = await app.http.get("/graphql", params=LIST, headers={"If-None-Match": '"else"'})
    assert other.status_code == 200 and other.content == first.content
    posted = await app.post(LIST)
    assert posted.headers["etag"] == etag  # the same answer over POST, the same ETag


async def test_a_mutation_invalidates(app: App) -> None:
    await app.post(LIST)
    _, token = await create_token("writer", TokenScope.WRITE)
    created = await app.post(
        {
            "query": 'mutation { createArticle(input: {title: "Fresh", body: "b",'
            " status: PUBLISHED}) { errors { code } } }"
        },
        Authorization=f"Bearer {token}",
    )
    assert created.json()["data"]["createArticle"]["errors"] == []
    after = (await app.post(LIST)).json()["data"]["articles"]
    assert after["totalCount"] == 6
    assert after["edges"][0]["node"]["slug"] == "fresh"


async def test_a_write_through_another_process_invalidates(
    app: App, db_settings: Settings, tmp_path: Path
) -> None:
    """Two services on one database stand for two replicas: each has its own cache."""
    before = (await app.post(LIST)).json()["data"]["articles"]["totalCount"]
    async for other in open_app(db_settings):
        await other.post(LIST)  # the other replica caches too
        document = json.loads(SEED_JSON.read_text(encoding="utf-8"))
        document["articles"][0]["title"] = "Retitled Elsewhere"
        scratch = tmp_path / "edit.json"
        scratch.write_text(json.dumps(document), encoding="utf-8")
        await load_files([scratch])  # a fixture load is a write too
    titles = [
        e["node"]["title"] for e in (await app.post(LIST)).json()["data"]["articles"]["edges"]
    ]
    assert "Retitled Elsewhere" in titles
    assert (await app.post(LIST)).json()["data"]["articles"]["totalCount"] == before


async def test_drafts_never_enter_the_public_cache(app: App) -> None:
    public = (await app.post(LIST)).json()["data"]["articles"]["totalCount"]
    _, token = await create_token("previewer", TokenScope.PREVIEW)
    preview = await app.post(LIST, Authorization=f"Bearer {token}")
    assert preview.json()["data"]["articles"]["totalCount"] == public + 3
    assert preview.headers["cache-control"] == "private, no-store"
    assert "etag" not in preview.headers
    again = await app.post(LIST)
    assert again.json()["data"]["articles"]["totalCount"] == public
    _, reader = await create_token("reader", TokenScope.READ)
    read = await app.post(LIST, Authorization=f"Bearer {reader}")
    assert read.content == again.content  # read tokens see what anonymous callers see


async def test_an_entry_never_outlives_the_next_scheduled_publication(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cms.graphql import view

    first = (await app.post(LIST)).json()["data"]["articles"]
    assert "echo" not in [e["node"]["slug"] for e in first["edges"]]  # scheduled for 2099
    monkeypatch.setattr(view, "utcnow", lambda: datetime(2099, 1, 1, 0, 0, 1, tzinfo=UTC))
    later = (await app.post(LIST)).json()["data"]["articles"]
    assert later["edges"][0]["node"]["slug"] == "echo"
    assert later["totalCount"] == first["totalCount"] + 1


async def test_errors_are_not_cached(app: App) -> None:
    bad = {"query": "{ articles(first: 101) { totalCount } }"}
    first = await app.post(bad)
    assert first.json()["errors"] and "etag" not in first.headers


async def test_max_age_is_opt_in(db_settings: Settings) -> None:
    async for opened in open_app(dataclasses.replace(db_settings, cache_max_age=60)):
        response = await opened.post(LIST)
        assert response.headers["cache-control"] == "public, max-age=60"


async def test_the_cache_can_be_turned_off(db_settings: Settings) -> None:
    async for opened in open_app(dataclasses.replace(db_settings, response_cache=False)):
        await load_files([SEED_JSON])
        await opened.post(LIST)
        with counting() as sql:
            await opened.post(LIST)
        assert len(sql.statements) > 1
        article = await opened.post(
            {
                "query": "query($s: String!) { article(slug: $s) { slug } }",
                "variables": {"s": SEED_SLUG},
            }
        )
        assert article.json()["data"]["article"]["slug"] == SEED_SLUG


async def test_kept_counts_follow_writes_and_the_clock(
    db_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the response cache off, totalCount still comes from counts kept per content
    version: a write, or a scheduled article coming due, must change it at once."""
    from cms.graphql import view

    async for opened in open_app(dataclasses.replace(db_settings, response_cache=False)):
        path = tmp_path / "newsroom.json"
        path.write_text(json.dumps(NEWSROOM), encoding="utf-8")
        await load_files([path])
        count = {"query": '{ articles { totalCount } tag(slug: "peru") { articleCount } }'}

        async def counts(app: App = opened, body: dict[str, Any] = count) -> tuple[int, int]:
            data = (await app.post(body)).json()["data"]
            return data["articles"]["totalCount"], data["tag"]["articleCount"]

        assert await counts() == (4, 2)
        with counting() as sql:
            assert await counts() == (4, 2)
        assert not any("COUNT(" in s for s in sql.statements)  # kept, not rescanned
        _, token = await create_token("writer", TokenScope.WRITE)
        mutation = (
            'mutation { createArticle(input: {title: "New", body: "b", status: PUBLISHED,'
            ' tags: ["peru"]}) { errors { code } } }'
        )
        await opened.post({"query": mutation}, Authorization=f"Bearer {token}")
        assert await counts() == (5, 3)
        monkeypatch.setattr(view, "utcnow", lambda: datetime(2099, 1, 1, 0, 0, 1, tzinfo=UTC))
        assert await counts() == (6, 4)  # "echo", scheduled for 2099 in peru, came due


async def test_a_malformed_request_is_not_answered_from_the_cache(app: App) -> None:
    await app.post(LIST)
    for bad in ("extensions", "variables"):
        response = await app.post({**LIST, bad: "not an object"})
        assert response.status_code == 400, (bad, response.text)


async def test_conditional_requests_follow_http(app: App) -> None:
    first = await app.http.get("/graphql", params=LIST)
    etag = first.headers["etag"]
    assert first.headers["vary"] == "Accept, Authorization"
    weak = await app.http.get("/graphql", params=LIST, headers={"If-None-Match": f"W/{etag}"})
    assert weak.status_code == 304
    listed = await app.http.get(
        "/graphql", params=LIST, headers={"If-None-Match": f'"other", {etag}'}
    )
    assert listed.status_code == 304
    # A POST is not a conditional read: it always gets the body.
    posted = await app.post(LIST, **{"If-None-Match": etag})
    assert posted.status_code == 200 and posted.content == first.content


async def test_kept_search_rankings_follow_writes_and_the_clock(
    db_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Search rankings are kept per content version like counts (cache off): a write, or a
    scheduled article coming due, must change what a search finds at once."""
    from cms.graphql import view

    async for opened in open_app(dataclasses.replace(db_settings, response_cache=False)):
        path = tmp_path / "newsroom.json"
        path.write_text(json.dumps(NEWSROOM), encoding="utf-8")
        await load_files([path])
        query = {"query": '{ search(query: "echo") { edges { node { title } } } }'}

        async def found(app: App = opened, body: dict[str, Any] = query) -> list[str]:
            data = (await app.post(body)).json()["data"]
            return [edge["node"]["title"] for edge in data["search"]["edges"]]

        assert await found() == []  # "Echo" is scheduled for 2099
        with counting() as sql:
            assert await found() == []
        assert not any("bm25" in s or "ts_rank" in s for s in sql.statements)  # kept
        _, token = await create_token("writer", TokenScope.WRITE)
        mutation = (
            'mutation { createArticle(input: {title: "Echo chamber", body: "b",'
            " status: PUBLISHED}) { errors { code } } }"
        )
        await opened.post({"query": mutation}, Authorization=f"Bearer {token}")
        assert await found() == ["Echo chamber"]
        monkeypatch.setattr(view, "utcnow", lambda: datetime(2099, 1, 1, 0, 0, 1, tzinfo=UTC))
        assert sorted(await found()) == ["Echo", "Echo chamber"]

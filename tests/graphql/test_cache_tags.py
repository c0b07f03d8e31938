"""Cache tags: what each response names in ``Cache-Tag``/``Surrogate-Key``, the bound, and the
response cache purged by the keys each change logs (exactly what it made stale)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from time import monotonic
from typing import Any

import httpx
import pytest
from tortoise import connections

from cms.app import ContentService
from cms.auth import create_token
from cms.changes.keys import ARTICLES, CONTRIBUTORS, TAGS, article_key, tag_key
from cms.changes.log import changes_after, head
from cms.content.globalid import global_id
from cms.fixtures.service import load_files
from cms.graphql.cache import MAX_SYNC_CHANGES, Entry, ResponseCache
from cms.graphql.cachetags import CacheTags, Keys
from cms.models import ChangeEntry, ChangeKind, ContentType, TokenScope
from cms.settings import Settings
from cms.timeutil import utcnow
from tests.graphql.conftest import NEWSROOM

ARTICLE = """query($s: String!) { article(slug: $s) { id title tags { slug name }
  imageCredits { text contributors { name } } } }"""
TAG = """query($s: String!) { tag(slug: $s) { id name articleCount
  articles { edges { node { slug title } } } } }"""
LIST = "{ articles(first: 50) { totalCount edges { node { id slug title tags { name } } } } }"
TAGS_LIST = "{ tags { edges { node { id slug name articleCount } } } }"
SEARCH = '{ search(query: "paragraph") { edges { node { slug title } } } }'
CONTRIBUTORS_LIST = """{ contributors { edges { node { name
  imageCredits { edges { node { text article { slug } } } } } } } }"""

#: What anonymous callers ask, by name: the probes each change is checked against.
PROBES: dict[str, tuple[str, dict[str, Any]]] = {
    "list": (LIST, {}),
    "tags": (TAGS_LIST, {}),
    "search": (SEARCH, {}),
    "contributors": (CONTRIBUTORS_LIST, {}),
    **{f"article {s}": (ARTICLE, {"s": s}) for s in ("alpha", "bravo", "charlie", "delta")},
    **{f"article {s}": (ARTICLE, {"s": s}) for s in ("golf", "fresh")},
    **{f"tag {s}": (TAG, {"s": s}) for s in ("peru", "china", "trade", "xi-jinping", "new")},
}


@dataclasses.dataclass
class App:
    service: ContentService
    http: httpx.AsyncClient
    token: str = ""

    async def get(self, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
        params = {"query": query}
        if variables:
            params["variables"] = json.dumps(variables)
        return await self.http.get("/graphql", params=params)

    async def write(self, query: str, **variables: Any) -> dict[str, Any]:
        response = await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body
        payload = next(iter(body["data"].values()))
        assert payload.get("errors", []) == [], payload
        return body["data"]  # type: ignore[no-any-return]

    @property
    def cache(self) -> ResponseCache:
        cache = self.service.view.cache
        assert cache is not None
        return cache


@dataclasses.dataclass
class Apps:
    cached: App
    #: The same database with the response cache off: what is true now.
    truth: App


async def _open(settings: Settings) -> AsyncIterator[App]:
    service = ContentService(settings)
    async with service.lifespan():
        transport = httpx.ASGITransport(app=service.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield App(service, http)


@pytest.fixture
async def apps(db_settings: Settings, tmp_path: Path) -> AsyncIterator[Apps]:
    async for cached in _open(db_settings):
        async for truth in _open(dataclasses.replace(db_settings, response_cache=False)):
            path = tmp_path / "newsroom.json"
            path.write_text(json.dumps(NEWSROOM), encoding="utf-8")
            await load_files([path])
            _, token = await create_token("writer", TokenScope.WRITE)
            cached.token = truth.token = token
            yield Apps(cached, truth)


def keys_of(response: httpx.Response) -> set[str]:
    """The keys of a response, checking that both headers name the same ones."""
    tag = response.headers.get("cache-tag")
    surrogate = response.headers.get("surrogate-key")
    if tag is None:
        assert surrogate is None
        return set()
    names = tag.split(",")
    assert names == surrogate.split(" ")
    assert len(names) == len(set(names)) and all(names)
    return set(names)


def article_id(pk: int) -> str:
    return global_id("Article", pk)


async def pk_of(app: App, slug: str, kind: str = "article") -> int:
    rows = await connections.get("default").execute_query_dict(
        f"SELECT id FROM {kind} WHERE slug = ?"
        if "sqlite" in app.service.settings.database_url
        else f"SELECT id FROM {kind} WHERE slug = $1",
        [slug],
    )
    return int(rows[0]["id"])


# -- headers ---------------------------------------------------------------------------------


async def test_a_list_names_each_article_and_tag_it_shows(apps: Apps) -> None:
    app = apps.cached
    response = await app.get(LIST)
    edges = response.json()["data"]["articles"]["edges"]
    shown = {article_key(await pk_of(app, e["node"]["slug"])) for e in edges}
    tags = {tag_key(await pk_of(app, s, "tag")) for s in ("peru", "trade", "china")}
    assert keys_of(response) == {ARTICLES, *shown, *tags}
    assert len(shown) == 4


async def test_an_article_page_names_the_article_its_tags_and_contributors(apps: Apps) -> None:
    app = apps.cached
    response = await app.get(ARTICLE, {"s": "alpha"})
    alpha = await pk_of(app, "alpha")
    tags = {tag_key(await pk_of(app, s, "tag")) for s in ("peru", "trade")}
    assert keys_of(response) == {article_key(alpha), *tags, CONTRIBUTORS}
    bare = await app.get("query($s: String!) { article(slug: $s) { title } }", {"s": "alpha"})
    assert keys_of(bare) == {article_key(alpha)}


async def test_lookups_that_find_nothing_name_their_list(apps: Apps) -> None:
    app = apps.cached
    assert keys_of(await app.get(ARTICLE, {"s": "delta"})) == {ARTICLES}  # a draft
    missing_tag = await app.get(TAG, {"s": "xi-jinping"})  # no visible article carries it
    assert missing_tag.json()["data"]["tag"] is None
    assert keys_of(missing_tag) == {TAGS}
    node = "query($id: ID!) { node(id: $id) { id } }"
    delta = await pk_of(app, "delta")
    assert keys_of(await app.get(node, {"id": article_id(delta)})) == {ARTICLES}
    assert keys_of(await app.get(node, {"id": "bm90IG91cnM="})) == set()  # never anything


async def test_tag_pages_search_nodes_and_contributors(apps: Apps) -> None:
    app = apps.cached
    peru = await pk_of(app, "peru", "tag")
    alpha, bravo = await pk_of(app, "alpha"), await pk_of(app, "bravo")
    tag_page = await app.get(TAG, {"s": "peru"})
    assert keys_of(tag_page) == {tag_key(peru), article_key(alpha), article_key(bravo)}
    search = await app.get(SEARCH)
    found = [e["node"]["slug"] for e in search.json()["data"]["search"]["edges"]]
    assert found and keys_of(search) == {
        ARTICLES,
        *[article_key(await pk_of(app, s)) for s in found],
    }
    node = "query($id: ID!) { node(id: $id) { ... on Article { title } } }"
    assert keys_of(await app.get(node, {"id": article_id(alpha)})) == {article_key(alpha)}
    people = await app.get(CONTRIBUTORS_LIST)
    assert CONTRIBUTORS in keys_of(people)
    assert {article_key(alpha), article_key(bravo)} <= keys_of(people)  # credits' articles
    assert keys_of(await app.get(TAGS_LIST)) >= {TAGS, tag_key(peru)}


async def test_hits_and_304s_carry_the_keys(apps: Apps) -> None:
    app = apps.cached
    first = await app.get(LIST)
    hits = app.cache.hits
    again = await app.get(LIST)
    assert app.cache.hits == hits + 1
    assert again.headers["cache-tag"] == first.headers["cache-tag"]
    assert again.headers["surrogate-key"] == first.headers["surrogate-key"]
    etag = first.headers["etag"]
    params = {"query": LIST}
    not_modified = await app.http.get("/graphql", params=params, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert keys_of(not_modified) == keys_of(first)
    other = await app.http.get(
        "/graphql", params={"query": TAGS_LIST}, headers={"If-None-Match": "*"}
    )
    assert other.status_code == 304 and TAGS in keys_of(other)  # a 304 on the fill, too


async def test_without_the_response_cache_responses_still_carry_them(apps: Apps) -> None:
    response = await apps.truth.get(LIST)
    assert ARTICLES in keys_of(response) and "etag" not in response.headers


async def test_what_is_not_cacheable_carries_no_keys(apps: Apps) -> None:
    app = apps.cached
    _, preview = await create_token("preview", TokenScope.PREVIEW)
    private = await app.http.get(
        "/graphql", params={"query": LIST}, headers={"Authorization": f"Bearer {preview}"}
    )
    assert keys_of(private) == set() and private.headers["cache-control"] == "private, no-store"
    error = await app.get("{ articles(first: 101) { totalCount } }")
    assert error.json()["errors"] and keys_of(error) == set()
    created = await app.http.post(
        "/graphql",
        json={"query": 'mutation { createTag(input: {name: "New"}) { errors { code } } }'},
        headers={"Authorization": f"Bearer {app.token}"},
    )
    assert created.json()["data"]["createTag"]["errors"] == [] and keys_of(created) == set()


@pytest.mark.parametrize(
    "query",
    [
        "{ changesHead articles { totalCount } }",
        "{ changes(first: 5) { edges { cursor } } }",
        "query { ...Head } fragment Head on Query { changesHead }",
        "{ ... on Query { changesHead } }",
    ],
)
async def test_the_change_log_is_never_cached(apps: Apps, query: str) -> None:
    app = apps.cached
    first = await app.get(query)
    assert "errors" not in first.json(), first.json()
    assert first.headers["cache-control"] == "no-store"
    assert "etag" not in first.headers and keys_of(first) == set()
    await app.get(query)
    assert app.cache.hits == 0 and len(app.cache.entries) == 0


# -- the bound -------------------------------------------------------------------------------


async def test_over_the_bound_articles_then_tags_fall_back_to_their_list_key(
    db_settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "newsroom.json"
    path.write_text(json.dumps(NEWSROOM), encoding="utf-8")
    full: set[str] = set()
    for bound in (4096, 120, 40):
        async for app in _open(dataclasses.replace(db_settings, cache_tag_max_bytes=bound)):
            if bound == 4096:
                await load_files([path])
            response = await app.get(LIST)
            names = keys_of(response)
            assert len(response.headers["cache-tag"]) <= bound
            if bound == 4096:
                full = names
                assert any(n.startswith("article:") for n in names)
            elif bound == 120:  # the article keys do not fit; the tag keys do
                assert names == {n for n in full if not n.startswith("article:")}
            else:
                assert names == {ARTICLES, TAGS}


def test_the_fallback_never_truncates() -> None:
    seen = CacheTags()
    seen.add_list(CONTRIBUTORS)
    seen.add_articles(range(1, 200))
    seen.add_tags(range(1, 5))
    keys = seen.keys(1000)
    assert ARTICLES in keys.names and CONTRIBUTORS in keys.names
    assert not any(n.startswith("article:") for n in keys.names)
    assert {tag_key(pk) for pk in range(1, 5)} <= set(keys.names)
    assert keys.cache_tag == ",".join(keys.names) and len(keys.cache_tag) <= 1000
    assert CacheTags().keys(10).raw_headers == ()


# -- the purge -------------------------------------------------------------------------------


def test_the_index_costs_what_a_purge_removes() -> None:
    cache = ResponseCache(Settings(response_cache_bytes=64 * 1024))

    def entry(*names: str) -> Entry:
        return Entry(None, b"x" * 100, '"e"', "application/json", Keys(names, ",".join(names), ()))

    cache.put("a", entry("article:1", ARTICLES))
    cache.put("b", entry("article:2"))
    assert cache.purge({"article:1"}) == 1
    assert "a" not in cache.entries and "b" in cache.entries
    # Evicted entries leave index members behind; compaction drops them.
    for n in range(20_000):
        cache.put(f"k{n}", entry(f"article:{n}", ARTICLES))
    assert len(cache.entries) < 20_000
    kept = len(cache.entries)
    assert cache._indexed <= 2 * kept * 2 + 4096
    assert cache.purge({ARTICLES}) == kept - ("b" in cache.entries)


async def _insert_change(cache_tags: list[str], *, public: bool = True) -> None:
    """A change-log entry written directly, with the version bump a write makes."""
    position = await head() + 1
    await ChangeEntry.create(
        position=position,
        type=ContentType.ARTICLE,
        content_id=1,
        at=utcnow(),
        kind=ChangeKind.UPDATED,
        slug="x",
        public_kind=ChangeKind.UPDATED if public else None,
        public_slug="x" if public else None,
        cache_tags=cache_tags,
        tags=[],
    )
    await connections.get("default").execute_script(
        "UPDATE content_version SET version = version + 1 WHERE id = 1"
    )


async def _warm(app: App, *names: str) -> None:
    for name in names:
        query, variables = PROBES[name]
        await app.get(query, variables)


async def _hit(app: App, name: str) -> bool:
    query, variables = PROBES[name]
    hits = app.cache.hits
    await app.get(query, variables)
    return app.cache.hits == hits + 1


async def test_logged_keys_purge_only_their_entries(apps: Apps) -> None:
    app = apps.cached
    await _warm(app, "article alpha", "article golf", "list", "tag china")
    alpha = await pk_of(app, "alpha")
    await _insert_change([article_key(alpha)])
    assert not await _hit(app, "article alpha") and not await _hit(app, "list")
    assert await _hit(app, "article golf") and await _hit(app, "tag china")
    await _insert_change([ARTICLES])
    assert not await _hit(app, "list") and await _hit(app, "article golf")
    clears = app.cache.clears
    await _insert_change([ARTICLES], public=False)  # what anonymous callers cannot see
    assert await _hit(app, "article golf") and app.cache.clears == clears


async def test_a_write_that_logs_nothing_or_too_much_clears_everything(apps: Apps) -> None:
    app = apps.cached
    await _warm(app, "article golf")
    await connections.get("default").execute_script(
        "UPDATE content_version SET version = version + 1 WHERE id = 1"
    )
    assert not await _hit(app, "article golf")
    await _warm(app, "article golf")
    for _ in range(MAX_SYNC_CHANGES + 1):
        await _insert_change(["article:unrelated"])
    clears = app.cache.clears
    assert not await _hit(app, "article golf") and app.cache.clears == clears + 1


async def test_a_purge_through_one_service_reaches_another(
    apps: Apps, db_settings: Settings
) -> None:
    """Two services on one database stand for two processes: each purges its own cache."""
    async for other in _open(db_settings):
        other.token = apps.cached.token
        for app in (apps.cached, other):
            await _warm(app, "article alpha", "article golf")
        alpha = await pk_of(other, "alpha")
        await other.write(
            'mutation($id: ID!) { updateArticle(input: {id: $id, title: "Elsewhere"})'
            " { errors { code } } }",
            id=article_id(alpha),
        )
        for app in (apps.cached, other):
            assert not await _hit(app, "article alpha")
            assert await _hit(app, "article golf")
            query, variables = PROBES["article alpha"]
            title = (await app.get(query, variables)).json()["data"]["article"]["title"]
            assert title == "Elsewhere"


async def test_a_lagging_replica_is_served_but_never_stored(
    db_settings: Settings, databases: Any, tmp_path: Path
) -> None:
    """A request that reads a replica behind what the cache purged may be answered, but its
    answer is not kept: a later request could be served content older than a purge."""
    replica = databases.new()  # an empty database: a replica far behind
    settings = dataclasses.replace(db_settings, replica_urls=(replica.database_url,))
    async for app in _open(settings):
        path = tmp_path / "newsroom.json"
        path.write_text(json.dumps(NEWSROOM), encoding="utf-8")
        await load_files([path])
        response = await app.get(LIST)
        assert response.json()["data"]["articles"]["totalCount"] == 0  # the replica's answer
        assert ARTICLES in keys_of(response)
        assert len(app.cache.entries) == 0


# -- each kind of change purges what it made stale -------------------------------------------

Write = Callable[[Apps], Awaitable[None]]


async def _id(app: App, slug: str, kind: str = "article") -> str:
    return global_id("Article" if kind == "article" else "Tag", await pk_of(app, slug, kind))


async def create_draft(apps: Apps) -> None:
    await apps.truth.write(
        'mutation { createArticle(input: {title: "Fresh", body: "A paragraph.", tags: ["peru"]})'
        " { errors { code } } }"
    )


async def create_published(apps: Apps) -> None:
    await apps.truth.write(
        'mutation { createArticle(input: {title: "Fresh", body: "A paragraph.",'
        ' status: PUBLISHED, tags: ["xi-jinping"]}) { errors { code } } }'
    )


async def publish(apps: Apps) -> None:
    await apps.truth.write(
        "mutation($id: ID!) { publishArticle(input: {id: $id}) { errors { code } } }",
        id=await _id(apps.truth, "delta"),
    )


async def edit_title(apps: Apps) -> None:
    await apps.truth.write(
        'mutation($id: ID!) { updateArticle(input: {id: $id, title: "Alpha Two"})'
        " { errors { code } } }",
        id=await _id(apps.truth, "alpha"),
    )


async def edit_tags(apps: Apps) -> None:
    await apps.truth.write(
        'mutation($id: ID!) { updateArticle(input: {id: $id, tags: ["china", "new"]})'
        " { errors { code } } }",
        id=await _id(apps.truth, "alpha"),
    )


async def unpublish(apps: Apps) -> None:
    await apps.truth.write(
        "mutation($id: ID!) { unpublishArticle(input: {id: $id}) { errors { code } } }",
        id=await _id(apps.truth, "bravo"),
    )


async def delete(apps: Apps) -> None:
    await apps.truth.write(
        "mutation($id: ID!) { deleteArticle(input: {id: $id}) { errors { code } } }",
        id=await _id(apps.truth, "charlie"),
    )


async def rename_tag(apps: Apps) -> None:
    await apps.truth.write(
        'mutation($id: ID!) { updateTag(input: {id: $id, name: "PRC"}) { errors { code } } }',
        id=await _id(apps.truth, "china", "tag"),
    )


async def delete_tag(apps: Apps) -> None:
    await apps.truth.write(
        "mutation($id: ID!) { deleteTag(input: {id: $id}) { errors { code } } }",
        id=await _id(apps.truth, "trade", "tag"),
    )


#: Each change, and a page it leaves alone (which must stay a hit).
CHANGES: dict[str, tuple[Write, str]] = {
    "create draft": (create_draft, "article golf"),
    "create published": (create_published, "article golf"),
    "publish": (publish, "article charlie"),
    "edit title": (edit_title, "article golf"),
    "edit tags": (edit_tags, "article golf"),
    "unpublish": (unpublish, "article charlie"),
    "delete": (delete, "article golf"),
    "tag rename": (rename_tag, "article bravo"),
    "tag delete": (delete_tag, "article bravo"),
}


@pytest.mark.parametrize("change", list(CHANGES))
async def test_a_change_purges_exactly_what_it_made_stale(apps: Apps, change: str) -> None:
    """Every probe whose answer the change altered carried one of the change's cacheTags (so
    a CDN purging them drops it), our cache serves the new answer, and the unrelated page is
    still a hit."""
    write, unrelated = CHANGES[change]
    app = apps.cached
    before: dict[str, tuple[bytes, set[str]]] = {}
    for name, (query, variables) in PROBES.items():
        response = await app.get(query, variables)
        before[name] = response.content, keys_of(response)
        await app.get(query, variables)  # asked for again: kept for sure
    position = await head()
    await write(apps)
    changes, more = await changes_after(position, first=100, preview=False)
    assert not more
    purged = {name for c in changes for name in c.cache_tags}
    assert await _hit(app, unrelated), (change, purged)
    missing = []
    for name, (query, variables) in PROBES.items():
        now = await apps.truth.get(query, variables)
        served = await app.get(query, variables)
        assert served.content == now.content, (change, name)  # never stale
        body, keys = before[name]
        if now.content != body and not keys & purged:
            missing.append((name, sorted(keys)))
    assert not missing, f"{change}: cacheTags {sorted(purged)} miss {missing}"


async def test_a_scheduled_publication_expires_entries_and_logs_what_it_made_stale(
    apps: Apps,
) -> None:
    """Entries filled while a publication is scheduled expire when it comes due (nothing is
    written then, so no version moves); its log entry, appended by the scheduler, names every
    response it made stale."""
    from cms.write.schedule import publish_due

    app = apps.cached
    when = utcnow() + timedelta(seconds=2)
    await apps.truth.write(
        "mutation($id: ID!, $at: DateTime!) { publishArticle(input: {id: $id, publishedAt: $at})"
        " { errors { code } } }",
        id=await _id(apps.truth, "delta"),
        at=when.isoformat(),
    )
    before: dict[str, tuple[bytes, set[str]]] = {}
    for name, (query, variables) in PROBES.items():
        response = await app.get(query, variables)
        before[name] = response.content, keys_of(response)
    position = await head()
    query, variables = PROBES["article delta"]
    deadline = monotonic() + 30
    while (await apps.truth.get(query, variables)).json()["data"]["article"] is None:
        assert monotonic() < deadline, "the scheduled article never became visible"
        await asyncio.sleep(0.05)
    await publish_due()  # the scheduler's tick (it may have run already: then it finds none)
    changes, _ = await changes_after(position, first=100, preview=False)
    assert [c.kind for c in changes if c.type is ContentType.ARTICLE] == [ChangeKind.PUBLISHED]
    purged = {name for c in changes for name in c.cache_tags}
    missing = []
    for name, (query, variables) in PROBES.items():
        now = await apps.truth.get(query, variables)
        assert (await app.get(query, variables)).content == now.content, name
        body, keys = before[name]
        if now.content != body and not keys & purged:
            missing.append((name, sorted(keys)))
    assert not missing, f"cacheTags {sorted(purged)} miss {missing}"

"""The benchmark floor (bench/floor.py) answers the example operations byte for byte as cms does.

Every test runs on SQLite, and on PostgreSQL too when ``CMS_TEST_POSTGRES_URL`` is set: the
module builds one database per dialect (a SQLite file of its own; a fresh PostgreSQL database
from the suite's template, dropped afterwards), migrated, with 60 generated articles (drafts,
archived and scheduled ones among them) and the seed. Each request goes to cms (response cache
off) and to the floor in-process, and the two response bodies must be the same bytes.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.floor import Floor, create_floor_app, operation_texts
from cms.app import ContentService
from cms.generate import generate
from cms.settings import Settings
from tests.conftest import SEED_JSON, SEED_SLUG
from tests.databases import POSTGRES_URL, Databases
from tests.graphql.conftest import counting

OPERATIONS: dict[str, str] = operation_texts()
#: A query with many hits in generated content (the Search file's own finds only the seed).
BROAD_QUERY = "minister reform"
#: The databases the floor is checked on: SQLite always, PostgreSQL when the suite has one.
DIALECTS = ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]
#: SQL for "now" and "an hour from now" in :func:`_one`'s queries, per dialect (SQLite stores
#: date-times as text, which compares with these as text).
TIMES = {
    "sqlite": {
        "now": "strftime('%Y-%m-%d %H:%M:%S', 'now')",
        "in_an_hour": "strftime('%Y-%m-%d %H:%M:%S', 'now', '+1 hour')",
    },
    "postgres": {"now": "now()", "in_an_hour": "now() + interval '1 hour'"},
}
#: SQL statements per example operation, on either database: cms's (once warm) and the floor's.
STATEMENTS = {"ListPage": 5, "ArticlePage": 4, "TagPage": 4, "Search": 2}


def example_variables(name: str) -> dict[str, Any]:
    """The variables in the operation file's ``# variables:`` comment line."""
    for line in OPERATIONS[name].splitlines():
        if line.startswith("# variables:"):
            variables: dict[str, Any] = json.loads(line.removeprefix("# variables:"))
            return variables
    raise AssertionError(f"{name}.graphql has no `# variables:` line")


def _cms(url: str, *args: str) -> None:
    """Run a cms command on the database at ``url``, in a process of its own."""
    env = {**os.environ, "CMS_DATABASE_URL": url}
    done = subprocess.run([sys.executable, "-m", "cms", *args], env=env, capture_output=True)
    assert done.returncode == 0, f"cms {' '.join(args)}: {done.stderr.decode()}"


def _build(url: str, work: Path) -> None:
    """Migrate, then load 60 generated articles and the seed (after: one load may not define a
    tag twice). Through the CLI, not in-process: Tortoise keeps each model's INSERT statement
    per connection name whatever the database, so writing this module's SQLite database here
    would hand SQLite's SQL to later PostgreSQL writes in the same process (and back)."""
    generated = work / "generated.json"
    generated.write_text(json.dumps(generate(60, seed=3)), encoding="utf-8")
    _cms(url, "migrate")  # nothing to do on PostgreSQL: the suite's template is migrated
    _cms(url, "fixtures", "load", str(generated))
    _cms(url, "fixtures", "load", str(SEED_JSON))


@pytest.fixture(scope="module", params=DIALECTS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated database with generated content and the seed, shared by this module: a
    SQLite file of its own, or a fresh PostgreSQL database made (and dropped) by the suite's
    :class:`~tests.databases.Databases`."""
    work = tmp_path_factory.mktemp(f"floor_{request.param}")
    if request.param == "sqlite":
        url = f"sqlite://{work / 'content.sqlite3'}"
        _build(url, work)
        yield url
        return
    databases: Databases = request.getfixturevalue("session_databases")
    settings = databases.new()
    try:
        _build(settings.database_url, work)
        yield settings.database_url
    finally:
        databases.drop(settings)


@dataclass
class Pair:
    cms: httpx.AsyncClient
    floor: httpx.AsyncClient
    #: The floor behind ``floor`` (for its statement counter).
    floor_state: Floor

    async def post(self, name: str, variables: dict[str, Any]) -> tuple[bytes, bytes]:
        payload = {"query": OPERATIONS[name], "variables": variables}
        ours = await self.cms.post("/graphql", json=payload)
        floor = await self.floor.post("/graphql", json=payload)
        assert ours.status_code == 200, ours.text
        assert floor.status_code == 200, floor.text
        assert "errors" not in ours.json(), ours.text
        return ours.content, floor.content

    async def same(self, name: str, variables: dict[str, Any]) -> dict[str, Any]:
        """Post to both, assert the bodies are identical bytes; return the decoded data."""
        ours, floor = await self.post(name, variables)
        assert floor == ours, _first_difference(ours, floor)
        data: dict[str, Any] = json.loads(ours)["data"]
        return data


def _first_difference(ours: bytes, floor: bytes) -> str:
    at = next((i for i, (a, b) in enumerate(zip(ours, floor, strict=False)) if a != b), None)
    at = min(len(ours), len(floor)) if at is None else at
    around = slice(max(0, at - 60), at + 60)
    return f"bodies differ at byte {at}: cms {ours[around]!r}, floor {floor[around]!r}"


@pytest.fixture
async def pair(database_url: str) -> AsyncIterator[Pair]:
    service = ContentService(
        Settings(
            database_url=database_url, response_cache=False, scheduler=False, webhook_delivery=False
        )
    )
    floor_app = create_floor_app(database_url)
    async with service.lifespan(), floor_app.router.lifespan_context(floor_app):
        cms_transport = httpx.ASGITransport(app=service.app)
        floor_transport = httpx.ASGITransport(app=floor_app)
        async with (
            httpx.AsyncClient(transport=cms_transport, base_url="http://cms.test") as cms,
            httpx.AsyncClient(transport=floor_transport, base_url="http://floor.test") as floor,
        ):
            yield Pair(cms, floor, floor_app.state.floor)


def _dialect(database_url: str) -> str:
    return "sqlite" if database_url.startswith("sqlite://") else "postgres"


def _one(database_url: str, sql: str) -> Any:
    """The first value of a query on the test database, outside both apps; ``{now}`` and
    ``{in_an_hour}`` in ``sql`` become that dialect's expressions for them."""
    dialect = _dialect(database_url)
    sql = sql.format(**TIMES[dialect])
    if dialect == "postgres":
        rows = Databases.rows(Settings(database_url=database_url), sql)
        row = rows[0] if rows else None
    else:
        with sqlite3.connect(database_url.removeprefix("sqlite://")) as conn:
            row = conn.execute(sql).fetchone()
    assert row is not None, sql
    return row[0]


async def test_list_page_first_20_then_next_page(pair: Pair, database_url: str) -> None:
    first = await pair.same("ListPage", example_variables("ListPage"))
    articles = first["articles"]
    assert len(articles["edges"]) == 20 and articles["pageInfo"]["hasNextPage"]
    visible = _one(
        database_url,
        "SELECT COUNT(*) FROM article WHERE status = 'PUBLISHED' AND published_at <= {now}",
    )
    assert articles["totalCount"] == visible
    # Not every article is visible: drafts, archived and scheduled ones are left out.
    assert visible < _one(database_url, "SELECT COUNT(*) FROM article")
    assert any(edge["node"]["imageCredits"] for edge in articles["edges"])
    second = await pair.same("ListPage", {"first": 20, "after": articles["pageInfo"]["endCursor"]})
    assert second["articles"]["edges"][0]["cursor"] != articles["edges"][0]["cursor"]


async def test_list_page_first_100_reaches_the_end(pair: Pair) -> None:
    data = await pair.same("ListPage", {"first": 100})
    edges = data["articles"]["edges"]
    assert len(edges) == data["articles"]["totalCount"]  # 100 is more than this database holds
    assert data["articles"]["pageInfo"]["hasNextPage"] is False
    last = await pair.same("ListPage", {"first": 5, "after": edges[-1]["cursor"]})
    assert last["articles"]["edges"] == []


async def test_list_page_with_offset(pair: Pair) -> None:
    data = await pair.same("ListPage", {"first": 7, "offset": 5})
    assert len(data["articles"]["edges"]) == 7


async def test_article_page(pair: Pair) -> None:
    variables = example_variables("ArticlePage")
    assert variables == {"slug": SEED_SLUG}
    data = await pair.same("ArticlePage", variables)
    article = data["article"]
    assert article["body"].startswith("<p>") and article["tags"] and article["imageCredits"]


async def test_article_page_for_generated_and_hidden_articles(
    pair: Pair, database_url: str
) -> None:
    credited = _one(
        database_url,
        "SELECT a.slug FROM article a JOIN image_credit ic ON ic.article_id = a.id"
        " JOIN credit_contributor cc ON cc.credit_id = ic.id WHERE a.status = 'PUBLISHED'"
        " GROUP BY a.id HAVING COUNT(*) > 1 ORDER BY a.id LIMIT 1",
    )
    data = await pair.same("ArticlePage", {"slug": credited})
    assert data["article"]["imageCredits"]
    draft = _one(database_url, "SELECT slug FROM article WHERE status = 'DRAFT' LIMIT 1")
    assert (await pair.same("ArticlePage", {"slug": draft}))["article"] is None
    scheduled = _one(
        database_url,
        "SELECT slug FROM article WHERE status = 'PUBLISHED'"
        " AND published_at > {in_an_hour} LIMIT 1",
    )
    assert (await pair.same("ArticlePage", {"slug": scheduled}))["article"] is None
    assert (await pair.same("ArticlePage", {"slug": "no-such-article"}))["article"] is None


async def test_tag_page(pair: Pair) -> None:
    data = await pair.same("TagPage", example_variables("TagPage"))
    assert data["tag"]["articleCount"] >= 1 and data["tag"]["articles"]["edges"]
    assert (await pair.same("TagPage", {"slug": "no-such-tag"}))["tag"] is None


async def test_tag_page_pages(pair: Pair, database_url: str) -> None:
    busiest = _one(
        database_url,
        "SELECT t.slug FROM tag t JOIN article_tag at ON at.tag_id = t.id"
        " GROUP BY t.id ORDER BY COUNT(*) DESC, t.id LIMIT 1",
    )
    data = await pair.same("TagPage", {"slug": busiest})
    assert data["tag"]["articleCount"] >= 3
    page = await pair.same("TagPage", {"slug": busiest, "first": 2})
    assert page["tag"]["articles"]["pageInfo"]["hasNextPage"]
    cursor = page["tag"]["articles"]["pageInfo"]["endCursor"]
    second = await pair.same("TagPage", {"slug": busiest, "first": 2, "after": cursor})
    assert second["tag"]["articles"]["edges"][0] not in page["tag"]["articles"]["edges"]


async def test_search(pair: Pair) -> None:
    data = await pair.same("Search", example_variables("Search"))
    assert data["search"]["totalCount"] >= 1
    assert "<mark>" in data["search"]["edges"][0]["snippet"]


async def test_search_with_many_hits_and_pages(pair: Pair) -> None:
    data = await pair.same("Search", {"query": BROAD_QUERY})
    search = data["search"]
    assert len(search["edges"]) == 10 and search["totalCount"] > 10
    cursor = search["pageInfo"]["endCursor"]
    after = await pair.same("Search", {"query": BROAD_QUERY, "first": 5, "after": cursor})
    assert after["search"]["edges"][0]["cursor"] != cursor
    # An explicit null `first` is the default page size (20), not the operation's default (10).
    null_first = await pair.same("Search", {"query": BROAD_QUERY, "first": None})
    assert len(null_first["search"]["edges"]) == min(20, search["totalCount"]) > 10
    # Punctuation only: no words, no hits.
    empty = await pair.same("Search", {"query": "?! -- ::"})
    assert empty["search"] == {
        "totalCount": 0,
        "edges": [],
        "pageInfo": {"hasNextPage": False, "endCursor": None},
    }


async def test_floor_counts_statements_and_refuses_other_operations(database_url: str) -> None:
    floor_app = create_floor_app(database_url)
    async with floor_app.router.lifespan_context(floor_app):
        transport = httpx.ASGITransport(app=floor_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://floor.test") as http:
            floor = floor_app.state.floor
            before = floor.statements
            response = await http.post(
                "/graphql", json={"query": OPERATIONS["ListPage"], "variables": {"first": 20}}
            )
            assert response.status_code == 200
            # The page, the total, tags, credits, contributors: as cms's DataLoaders.
            assert floor.statements - before == 5
            other = await http.post("/graphql", json={"query": "{ __typename }"})
            assert other.status_code == 400 and "errors" in other.json()


async def test_floor_runs_as_many_statements_as_cms(pair: Pair) -> None:
    for name, expected in STATEMENTS.items():
        variables = example_variables(name)
        await pair.same(name, variables)  # cms's first request may read what it then keeps
        before = pair.floor_state.statements
        with counting() as log:  # the floor's statements do not go through Tortoise
            await pair.same(name, variables)
        counted = pair.floor_state.statements - before
        assert (name, len(log.statements), counted) == (name, expected, expected)

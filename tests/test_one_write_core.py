"""Mutations and fixture loads are one write core (issue 14): the same articles, written once
through ``createArticle``/``updateArticle`` into one database and once through two fixture
loads into another, leave equal rows.

Hypothesis generates an article and a later edit of it, over a newsroom both databases start
with (tags and contributors whose names and slugs differ, so that resolving an entry by slug,
by stored name or by the slug it makes all get exercised), with every form an input key can
take: left out, ``null``, or a value. Credits leave ``organization``, ``role`` and
``contributors`` out (parsed from the text), give them, or give ``null``/``[]`` (none). A few
values are invalid, and then both paths must refuse, naming the same fields, and write nothing.

Compared, row by row and by slug (ids and bookkeeping times differ by construction): articles
with every stored and derived column, revisions, tags, tag links, contributors, credits and
credit contributors. Publication times a write set to "now" are compared as "now".
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cms.app import ContentService
from cms.auth import create_token
from cms.fixtures.documents import parse_json
from cms.fixtures.records import FixtureError
from cms.fixtures.service import load_batch
from cms.models import TokenScope
from cms.settings import Settings
from tests.databases import DIALECT, FreshDatabases

T = TypeVar("T")

#: What both databases hold before each example: names that are not what their slugs make.
NEWSROOM: dict[str, Any] = {
    "tags": [
        {"slug": "peru", "name": "Peru", "kind": "PLACE"},
        {"slug": "xi", "name": "Xi Jinping", "kind": "PERSON"},
        {"slug": "trade-talks", "name": "Trade", "kind": "TOPIC"},
    ],
    "contributors": [
        {"slug": "mark-s", "name": "Mark Schiefelbein"},
        {"slug": "jane-roe", "name": "Jane Roe"},
    ],
    "articles": [],
}

TAG_ENTRIES = [
    "peru",
    "Peru",
    "Xi Jinping",
    "xi",
    "xi-jinping",
    "Trade",
    "trade talks",
    "New Topic",
    "new topic",
    "  Lima  ",
    "Día de Campaña",
]
NAMES = ["Mark Schiefelbein", "mark-s", "Jane Roe", "jane roe", "New Person", "Cai Jingxuan"]
CREDIT_TEXTS = [
    "AP Photo/Mark Schiefelbein",
    "Reuters/Jane Roe and John Doe",
    "Photo: Xinhua",
    "Courtesy of Jane Roe",
    "Xinhua/Cai Jingxuan",
]
WORDS = ["Peru", "president", "arrives", "in", "Beijing", "state", "visit", "Lima", "año"]
BODIES = [
    "Lima, Peru: the president arrived.\n\nA second paragraph.",
    "# Heading\n\nSome *emphasis* and a [link](https://example.com).",
    "One line.",
]
TIMES = ["2020-05-01T10:00:00Z", "2099-01-01T00:00:00+08:00", "2024-02-29T12:30:00Z"]

#: A key left out of an input.
OUT = object()


def _maybe(values: st.SearchStrategy[Any], *, null: bool = True) -> st.SearchStrategy[Any]:
    """A key left out, given as null (when ``null``), or one of ``values``."""
    choices = [st.just(OUT), values]
    if null:
        choices.insert(1, st.none())
    return st.one_of(*choices)


_credit = st.fixed_dictionaries(
    {"text": st.sampled_from(CREDIT_TEXTS)},
    optional={
        "organization": st.one_of(st.none(), st.sampled_from(["AP", "Reuters", "Xinhua"])),
        "role": st.one_of(st.none(), st.just("Photo")),
        "contributors": st.one_of(
            st.none(), st.lists(st.sampled_from(NAMES), max_size=3), st.just(["   "])
        ),
        "imageUrl": st.one_of(
            st.none(), st.just("https://img.example/a.jpg"), st.just("ftp://img.example/a.jpg")
        ),
        "caption": st.one_of(st.none(), st.just("The president in Beijing.")),
        "altText": st.one_of(st.none(), st.just("A man at a podium")),
    },
)


def _fields(*, status: bool) -> st.SearchStrategy[dict[str, Any]]:
    """Article input keys besides slug/title/body, each left out, null or given."""
    keys: dict[str, st.SearchStrategy[Any]] = {
        "summary": _maybe(st.sampled_from(["A visit.", "Another summary."])),
        "publishedAt": _maybe(st.sampled_from(TIMES)),
        "tags": _maybe(st.lists(st.sampled_from(TAG_ENTRIES), max_size=4)),
        "imageCredits": _maybe(st.lists(_credit, max_size=3)),
    }
    if status:
        keys["status"] = _maybe(st.sampled_from(["DRAFT", "PUBLISHED", "ARCHIVED"]), null=False)
    return st.fixed_dictionaries(keys).map(
        lambda given: {key: value for key, value in given.items() if value is not OUT}
    )


_title = st.lists(st.sampled_from(WORDS), min_size=1, max_size=5).map(" ".join)
_first = st.tuples(
    _maybe(st.just("state-visit"), null=False),
    _title,
    st.sampled_from(BODIES),
    _fields(status=True),
).map(
    lambda parts: {
        **({} if parts[0] is OUT else {"slug": parts[0]}),
        "title": parts[1],
        "body": parts[2],
        **parts[3],
    }
)
_edit = st.tuples(_title, st.sampled_from(BODIES), _fields(status=True)).map(
    lambda parts: {"title": parts[0], "body": parts[1], **parts[2]}
)

CREATE = """mutation($input: CreateArticleInput!) {
  createArticle(input: $input) { article { slug } errors { field code } } }"""
UPDATE = """mutation($input: UpdateArticleInput!) {
  updateArticle(input: $input) { article { slug } errors { field code } } }"""


async def _through_mutations(
    http: httpx.AsyncClient, first: dict[str, Any], edit: dict[str, Any]
) -> tuple[str | None, list[list[str]]]:
    """Create then edit; the slug (None if refused) and each step's error fields."""
    steps: list[list[str]] = []
    answer = await http.post("/graphql", json={"query": CREATE, "variables": {"input": first}})
    payload = answer.json()["data"]["createArticle"]
    steps.append(sorted((e["field"] or "") for e in payload["errors"]))
    if payload["article"] is None:
        return None, steps
    slug: str = payload["article"]["slug"]
    found = await http.post(
        "/graphql",
        json={"query": "query($s: String!) { article(slug: $s) { id } }", "variables": {"s": slug}},
    )
    article_id = found.json()["data"]["article"]["id"]
    answer = await http.post(
        "/graphql", json={"query": UPDATE, "variables": {"input": {"id": article_id, **edit}}}
    )
    payload = answer.json()["data"]["updateArticle"]
    steps.append(sorted((e["field"] or "") for e in payload["errors"]))
    return slug, steps


async def _through_fixtures(
    first: dict[str, Any], edit: dict[str, Any], slug: str | None
) -> list[list[str]]:
    """Load the article, then the edit as a record for the same slug; each load's error fields."""
    steps: list[list[str]] = []
    for record in (first, None if slug is None else {"slug": slug, **edit}):
        if record is None:
            break
        try:
            batch = parse_json(json.dumps({"articles": [record]}), "example.json")
            await load_batch(batch)
        except FixtureError as refused:
            steps.append(sorted((p.field or "") for p in refused.problems))
            break
        steps.append([])
    return steps


#: Each table as compared: rows by natural keys, without ids and bookkeeping times.
QUERIES = {
    "articles": "SELECT slug, title, summary, body, body_text, word_count, status, published_at,"
    " version FROM article ORDER BY slug",
    "revisions": "SELECT a.slug, r.version, r.changed_fields, r.slug, r.title, r.summary, r.body,"
    " r.status, r.published_at, r.tags FROM article_revision r JOIN article a"
    " ON a.id = r.article_id ORDER BY a.slug, r.version",
    "tags": "SELECT slug, name, kind, description FROM tag ORDER BY slug",
    "tag links": "SELECT a.slug, t.slug, l.position FROM article_tag l JOIN article a"
    " ON a.id = l.article_id JOIN tag t ON t.id = l.tag_id ORDER BY a.slug, l.position",
    "contributors": "SELECT slug, name FROM contributor ORDER BY slug",
    "credits": "SELECT a.slug, c.position, c.text, c.organization, c.role, c.image_url,"
    " c.caption, c.alt_text FROM image_credit c JOIN article a ON a.id = c.article_id"
    " ORDER BY a.slug, c.position",
    "credit contributors": "SELECT a.slug, c.position, p.slug, x.position"
    " FROM credit_contributor x JOIN image_credit c ON c.id = x.credit_id"
    " JOIN article a ON a.id = c.article_id JOIN contributor p ON p.id = x.contributor_id"
    " ORDER BY a.slug, c.position, x.position",
}


def _normal(value: Any, since: datetime) -> Any:
    """A value as compared: times as aware datetimes, those a write set to now as "now"."""
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] in " T":
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        return "now" if value >= since else value.astimezone(UTC)
    if isinstance(value, str) and value[:1] == "[":
        return json.loads(value)
    return value


def _stored(databases: FreshDatabases, db: Settings, since: datetime) -> dict[str, Any]:
    return {
        name: [tuple(_normal(v, since) for v in row) for row in databases.rows(db, sql)]
        for name, sql in QUERIES.items()
    }


class _Loop:
    """Runs coroutines on the test's event loop from Hypothesis's worker thread."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()


async def _example(
    databases: FreshDatabases, first: dict[str, Any], edit: dict[str, Any]
) -> list[list[str]]:
    """Write ``first`` then ``edit`` both ways, compare, and return each step's error fields."""
    newsroom = parse_json(json.dumps(NEWSROOM), "newsroom.json")
    by_mutation, by_fixture = databases.new(), databases.new()
    mutations = ContentService(replace(by_mutation, response_cache=False))
    fixtures = ContentService(by_fixture)
    async with mutations.lifespan():
        await load_batch(newsroom)
        _, secret = await create_token("writer", TokenScope.WRITE)
    async with fixtures.lifespan():
        await load_batch(newsroom)
    since = datetime.now(UTC)
    async with mutations.lifespan():
        transport = httpx.ASGITransport(app=mutations.app)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://test",
            headers={"Authorization": f"Bearer {secret}"},
        ) as http:
            slug, mutation_errors = await _through_mutations(http, first, edit)
    async with fixtures.lifespan():
        fixture_errors = await _through_fixtures(first, edit, slug)
    assert mutation_errors == fixture_errors, (first, edit)
    assert _stored(databases, by_mutation, since) == _stored(databases, by_fixture, since), (
        first,
        edit,
    )
    return mutation_errors


async def test_mutations_and_fixture_loads_store_the_same_rows(databases: FreshDatabases) -> None:
    loop = _Loop()

    @settings(
        max_examples=25 if DIALECT == "sqlite" else 15,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        database=None,
    )
    @given(first=_first, edit=_edit)
    def same_rows(first: dict[str, Any], edit: dict[str, Any]) -> None:
        steps = loop.run(_example(databases, first, edit))
        event(f"steps written: {sum(1 for step in steps if not step)} of 2")

    await asyncio.to_thread(same_rows)


@pytest.mark.parametrize(
    ("first", "edit"),
    [
        # A credit that names its contributors as null: none, in both (not parsed from text).
        (
            {
                "title": "Null people",
                "body": "x",
                "imageCredits": [{"text": "AP Photo/Mark Schiefelbein", "contributors": None}],
            },
            {"title": "Null people", "body": "x"},
        ),
        # Names resolve by slug, then stored name, then the slug they make, in both.
        (
            {
                "title": "Stored names",
                "body": "x",
                "tags": ["Xi Jinping", "trade talks", "Peru"],
                "imageCredits": [
                    {"text": "AP Photo", "contributors": ["Mark Schiefelbein", "jane-roe"]}
                ],
            },
            {"title": "Stored names", "body": "y", "status": "PUBLISHED"},
        ),
    ],
)
async def test_examples_the_two_engines_once_answered_differently(
    databases: FreshDatabases, first: dict[str, Any], edit: dict[str, Any]
) -> None:
    await _example(databases, first, edit)

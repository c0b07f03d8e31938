"""Tags of hidden articles are hidden: anonymous and `read` callers see a tag only while an
article they may see carries it, everywhere a tag is reached; `preview` and `write` see all.

The content is the newsroom (where "xi-jinping" is carried by no article) plus three tags made
by writes, as an editor makes them: one for a draft, one for a scheduled article and one for an
archived article.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cms.graphql.ids import to_global_id
from cms.models import Tag
from tests.graphql.conftest import GraphQLClient, SQLCounter, as_caller, counting
from tests.graphql.test_execution import both

#: When the scheduled article below comes due.
DUE = "2099-06-01T00:00:00Z"
#: Tags no article visible to anonymous callers carries (on the newsroom and ``embargo``).
HIDDEN = ["embargoed-topic", "future-topic", "archived-topic", "xi-jinping"]
#: Tags anonymous callers see, by name (the tags list's order).
PUBLIC = ["china", "peru", "trade"]

CREATE = """
mutation($input: CreateArticleInput!) {
  createArticle(input: $input) { article { id slug } errors { field message code } }
}
"""
PUBLISH = """
mutation($id: ID!) { publishArticle(input: {id: $id}) { errors { code } } }
"""
UNPUBLISH = """
mutation($id: ID!) { unpublishArticle(input: {id: $id}) { errors { code } } }
"""
TAGS = "{ tags(first: 50) { totalCount edges { node { slug articleCount } } } }"
TAG = "query($slug: String!) { tag(slug: $slug) { slug articleCount } }"
NODE = "query($id: ID!) { node(id: $id) { id ... on Tag { slug } } }"


async def create(writer: GraphQLClient, **fields: Any) -> dict[str, Any]:
    data = await writer.data(CREATE, {"input": {"body": "Body text.", **fields}})
    assert data["createArticle"]["errors"] == [], data
    article: dict[str, Any] = data["createArticle"]["article"]
    return article


@pytest.fixture
async def embargo(newsroom: GraphQLClient, writer: GraphQLClient) -> dict[str, str]:
    """Three articles written with new tag names; their ids by what they are."""
    draft = await create(
        writer, title="Embargoed visit", status="DRAFT", tags=["Embargoed Topic", "peru"]
    )
    scheduled = await create(
        writer,
        title="Future visit",
        status="PUBLISHED",
        publishedAt=DUE,
        tags=["Future Topic"],
    )
    archived = await create(
        writer,
        title="Archived visit",
        status="ARCHIVED",
        publishedAt="2024-03-01T00:00:00Z",
        tags=["Archived Topic"],
    )
    return {"draft": draft["id"], "scheduled": scheduled["id"], "archived": archived["id"]}


async def tag_id(slug: str) -> str:
    return to_global_id("Tag", (await Tag.get(slug=slug)).id)


def slugs(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["slug"] for edge in connection["edges"]]


def callers(client: GraphQLClient, tokens: dict[str, str], scope: str) -> GraphQLClient:
    return as_caller(client, None if scope == "anonymous" else tokens[scope])


@pytest.mark.parametrize("scope", ["anonymous", "read"])
async def test_hidden_tags_are_not_listed_found_or_counted(
    newsroom: GraphQLClient, embargo: dict[str, str], tokens: dict[str, str], scope: str
) -> None:
    caller = callers(newsroom, tokens, scope)
    listed = (await caller.data(TAGS))["tags"]
    assert slugs(listed) == PUBLIC
    assert listed["totalCount"] == len(PUBLIC)
    # every tag listed is carried by an article the caller sees
    assert all(edge["node"]["articleCount"] > 0 for edge in listed["edges"])
    topics = await caller.data("{ tags(kind: TOPIC) { totalCount edges { node { slug } } } }")
    assert topics["tags"] == {"totalCount": 1, "edges": [{"node": {"slug": "trade"}}]}
    for slug in HIDDEN:
        assert (await caller.data(TAG, {"slug": slug}))["tag"] is None, slug
        assert (await caller.data(NODE, {"id": await tag_id(slug)}))["node"] is None, slug
    # visible ones are found both ways
    assert (await caller.data(TAG, {"slug": "peru"}))["tag"] == {"slug": "peru", "articleCount": 2}
    peru = await tag_id("peru")
    assert (await caller.data(NODE, {"id": peru}))["node"] == {"id": peru, "slug": "peru"}


@pytest.mark.parametrize("scope", ["anonymous", "read"])
async def test_paging_through_tags_skips_hidden_ones(
    newsroom: GraphQLClient, embargo: dict[str, str], tokens: dict[str, str], scope: str
) -> None:
    caller = callers(newsroom, tokens, scope)
    query = """query($after: String, $first: Int, $last: Int) {
      tags(first: $first, after: $after, last: $last) { totalCount edges { node { slug } }
        pageInfo { hasNextPage hasPreviousPage endCursor } } }"""
    seen: list[str] = []
    after = None
    while True:
        page = (await caller.data(query, {"first": 1, "after": after}))["tags"]
        assert page["totalCount"] == len(PUBLIC)
        seen.extend(slugs(page))
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == PUBLIC
    backwards = (await caller.data(query, {"last": 2}))["tags"]
    assert slugs(backwards) == PUBLIC[-2:]
    assert backwards["pageInfo"]["hasPreviousPage"] is True


@pytest.mark.parametrize("scope", ["preview", "write"])
async def test_preview_and_write_callers_see_every_tag(
    newsroom: GraphQLClient, embargo: dict[str, str], tokens: dict[str, str], scope: str
) -> None:
    caller = callers(newsroom, tokens, scope)
    listed = (await caller.data(TAGS))["tags"]
    assert sorted(slugs(listed)) == sorted([*PUBLIC, *HIDDEN])
    assert listed["totalCount"] == len(PUBLIC) + len(HIDDEN)
    counts = {edge["node"]["slug"]: edge["node"]["articleCount"] for edge in listed["edges"]}
    assert counts["embargoed-topic"] == counts["future-topic"] == counts["archived-topic"] == 1
    assert counts["xi-jinping"] == 0
    for slug in HIDDEN:
        found = (await caller.data(TAG, {"slug": slug}))["tag"]
        assert found is not None and found["slug"] == slug
        node = (await caller.data(NODE, {"id": await tag_id(slug)}))["node"]
        assert node is not None and node["slug"] == slug
    articles = await caller.data(
        '{ tag(slug: "embargoed-topic") { articles { edges { node { slug } } } } }'
    )
    assert slugs(articles["tag"]["articles"]) == ["embargoed-visit"]


@pytest.mark.parametrize("scope", ["anonymous", "read"])
async def test_a_hidden_tag_filters_as_an_unknown_one_does(
    newsroom: GraphQLClient, embargo: dict[str, str], tokens: dict[str, str], scope: str
) -> None:
    caller = callers(newsroom, tokens, scope)
    query = """query($tags: [String!]) {
      articles(filter: {tags: $tags}) { totalCount edges { node { slug } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor } }
      search(query: "body", filter: {tags: $tags}) { totalCount edges { node { slug } } } }"""
    unknown = await caller.post(query, {"tags": ["no-such-tag"]})
    assert unknown["data"]["articles"]["totalCount"] == 0
    for slug in HIDDEN:
        assert await caller.post(query, {"tags": [slug]}) == unknown, slug
        assert await caller.post(query, {"tags": ["peru", slug]}) == unknown, slug
    # the hidden tag does filter for callers who may see its article
    preview = as_caller(caller, tokens["preview"])
    found = await preview.data(query, {"tags": ["embargoed-topic"]})
    assert slugs(found["articles"]) == ["embargoed-visit"]


async def test_publishing_shows_a_tag_and_unpublishing_hides_it_through_the_cache(
    newsroom: GraphQLClient, embargo: dict[str, str], writer: GraphQLClient
) -> None:
    """The response cache is on (this test does not ask for `sql`): answers are kept per
    content version, and publishing or unpublishing is a new version."""
    query = '{ tags { totalCount edges { node { slug } } } tag(slug: "embargoed-topic") { slug } }'

    async def seen() -> tuple[list[str], int, dict[str, Any] | None]:
        response = await newsroom.http.post("/graphql", json={"query": query})
        assert "etag" in response.headers  # answered through the response cache
        data = response.json()["data"]
        return slugs(data["tags"]), data["tags"]["totalCount"], data["tag"]

    assert await seen() == (PUBLIC, 3, None)
    with counting() as sql:
        assert await seen() == (PUBLIC, 3, None)
    assert len(sql.statements) == 1  # a cache hit: only the content version is read
    published = await writer.data(PUBLISH, {"id": embargo["draft"]})
    assert published["publishArticle"]["errors"] == []
    assert await seen() == (
        ["china", "embargoed-topic", "peru", "trade"],
        4,
        {"slug": "embargoed-topic"},
    )
    unpublished = await writer.data(UNPUBLISH, {"id": embargo["draft"]})
    assert unpublished["unpublishArticle"]["errors"] == []
    assert await seen() == (PUBLIC, 3, None)


async def test_a_scheduled_articles_tag_appears_when_it_comes_due(
    newsroom: GraphQLClient, embargo: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache is on; an entry never outlives the next scheduled publication."""
    from cms.graphql import view

    query = """query($id: ID!) { tags { totalCount edges { node { slug articleCount } } }
      tag(slug: "future-topic") { slug articleCount } node(id: $id) { id } }"""
    variables = {"id": await tag_id("future-topic")}
    before = await newsroom.data(query, variables)
    assert slugs(before["tags"]) == PUBLIC
    assert (before["tag"], before["node"]) == (None, None)
    monkeypatch.setattr(view, "utcnow", lambda: datetime(2099, 6, 1, 0, 0, 1, tzinfo=UTC))
    after = await newsroom.data(query, variables)
    assert slugs(after["tags"]) == ["china", "future-topic", "peru", "trade"]
    assert after["tags"]["totalCount"] == 4
    assert after["tag"] == {"slug": "future-topic", "articleCount": 1}
    assert after["node"] == variables


async def test_kept_tag_counts_follow_writes_and_the_clock(
    newsroom: GraphQLClient,
    embargo: dict[str, str],
    writer: GraphQLClient,
    sql: SQLCounter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the response cache off (this test asks for `sql`), `tags.totalCount` is kept per
    content version like every count, and still changes at once after a write or when a
    scheduled article comes due."""
    from cms.graphql import view

    query = "{ tags { totalCount } }"
    assert (await newsroom.data(query))["tags"]["totalCount"] == 3
    sql.statements.clear()
    assert (await newsroom.data(query))["tags"]["totalCount"] == 3
    assert not any("COUNT(" in statement for statement in sql.statements)  # kept
    await writer.data(PUBLISH, {"id": embargo["draft"]})
    assert (await newsroom.data(query))["tags"]["totalCount"] == 4
    monkeypatch.setattr(view, "utcnow", lambda: datetime(2099, 6, 1, 0, 0, 1, tzinfo=UTC))
    assert (await newsroom.data(query))["tags"]["totalCount"] == 5


TAG_PAGE = (
    "query($slug: String!) { tag(slug: $slug) { id slug name kind description articleCount"
    " articles(first: 20) { edges { node { slug title summary publishedAt"
    " tags { slug name } } } pageInfo { hasNextPage endCursor } } } }"
)


@pytest.mark.parametrize(
    ("query", "variables", "expected"),
    [
        # the tag (visibility in the same statement), content version (counts are kept),
        # the tag's articles, their tags: as before tags were hidden
        (TAG_PAGE, {"slug": "peru"}, 4),
        # a hidden tag: the one statement finds nothing
        (TAG_PAGE, {"slug": "embargoed-topic"}, 1),
        # the page of tags (visibility in the same statement), content version (the total
        # and the per-tag counts are kept)
        ("{ tags { totalCount edges { node { slug articleCount } } } }", {}, 2),
    ],
)
async def test_hiding_tags_costs_no_statement(
    newsroom: GraphQLClient,
    embargo: dict[str, str],
    sql: SQLCounter,
    query: str,
    variables: dict[str, Any],
    expected: int,
) -> None:
    await newsroom.data(query, variables)
    sql.statements.clear()
    await newsroom.data(query, variables)
    assert len(sql.statements) == expected, sql.statements
    tag_reads = [s for s in sql.statements if "FROM tag t" in s]
    assert tag_reads and all("EXISTS (SELECT 1 FROM article_tag" in s for s in tag_reads)


@pytest.mark.parametrize("scope", ["anonymous", "preview"])
async def test_both_executors_agree_on_tags(
    newsroom: GraphQLClient,
    embargo: dict[str, str],
    tokens: dict[str, str],
    sql: SQLCounter,
    scope: str,
) -> None:
    caller = callers(newsroom, tokens, scope)
    ids = {slug: await tag_id(slug) for slug in ["peru", "embargoed-topic", "xi-jinping"]}
    query = f"""{{ tags(first: 10) {{ totalCount edges {{ node {{ slug kind articleCount
        articles(first: 2) {{ totalCount edges {{ node {{ slug tags {{ slug }} }} }} }} }} }} }}
      hidden: tag(slug: "embargoed-topic") {{ slug articleCount }}
      shown: tag(slug: "peru") {{ slug articleCount }}
      a: node(id: "{ids["peru"]}") {{ id ... on Tag {{ slug }} }}
      b: node(id: "{ids["embargoed-topic"]}") {{ id ... on Tag {{ slug }} }}
      c: node(id: "{ids["xi-jinping"]}") {{ id ... on Tag {{ slug }} }}
      articles(filter: {{tags: ["embargoed-topic"]}}) {{
        totalCount edges {{ node {{ slug }} }} }} }}"""
    result, fast, slow = await both(caller, sql, query)
    assert "errors" not in result
    assert fast <= slow
    data = result["data"]
    if scope == "anonymous":
        assert (data["hidden"], data["b"], data["c"]) == (None, None, None)
        assert data["tags"]["totalCount"] == 3
    else:
        assert data["hidden"] == {"slug": "embargoed-topic", "articleCount": 1}
        assert data["tags"]["totalCount"] == 7
    assert data["shown"]["slug"] == "peru"

"""The sync API (``changes``, ``changesHead``) and the errors ``contentChanged`` gives before it
streams, through the ASGI app.

Entries are inserted as rows, each with both views (preview's and anonymous), so every test
knows exactly what the log holds after the position it starts from, whatever the fixture loads
appended before it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from cms.app import ContentService
from cms.changes import log
from cms.changes.live import Hub, TooManySubscribers
from cms.graphql.ids import to_global_id
from cms.models import Article, ChangeEntry, ChangeKind, ChangeLogState, ContentType, Tag
from cms.settings import Settings
from cms.timeutil import utcnow
from tests.graphql.conftest import GraphQLClient, SQLCounter, as_caller

PAGE = """query($after: String, $first: Int, $types: [ContentType!]) {
  changes(after: $after, first: $first, types: $types) {
    edges { cursor node { cursor kind type id slug at cacheTags
      article { slug title } tag { slug name } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""

PUBLISHED, UPDATED, REMOVED = ChangeKind.PUBLISHED, ChangeKind.UPDATED, ChangeKind.REMOVED


async def article_pk(slug: str) -> int:
    pk: int = (await Article.get(slug=slug)).pk
    return pk


async def tag_pk(slug: str) -> int:
    pk: int = (await Tag.get(slug=slug)).pk
    return pk


async def entry(
    type_: ContentType,
    pk: int,
    slug: str,
    kind: ChangeKind | None,
    public_kind: ChangeKind | None,
    tags: list[str] | None = None,
) -> ChangeEntry:
    return await ChangeEntry.create(
        type=type_,
        content_id=pk,
        at=utcnow(),
        kind=kind,
        slug=slug,
        public_kind=public_kind,
        public_slug=slug if public_kind else None,
        cache_tags=[f"{type_.value.lower()}:{pk}"] if public_kind else [],
        tags=tags or [],
    )


async def page(client: GraphQLClient, **variables: Any) -> dict[str, Any]:
    data = await client.data(PAGE, variables)
    changes: dict[str, Any] = data["changes"]
    return changes


@pytest.fixture
async def start(newsroom: GraphQLClient) -> str:
    """The head before the test's own entries."""
    return log.encode_cursor(await log.head())


async def test_anonymous_callers_see_only_what_they_could_see(
    newsroom: GraphQLClient, tokens: dict[str, str], start: str
) -> None:
    alpha, delta, echo = [await article_pk(s) for s in ("alpha", "delta", "echo")]
    peru = await tag_pk("peru")
    await entry(ContentType.ARTICLE, alpha, "alpha", PUBLISHED, PUBLISHED, ["peru"])
    await entry(ContentType.ARTICLE, delta, "delta", UPDATED, None)  # a draft edited
    await entry(ContentType.ARTICLE, echo, "echo", UPDATED, REMOVED)  # rescheduled
    await entry(ContentType.TAG, peru, "peru", UPDATED, UPDATED, ["peru"])

    anonymous = await page(newsroom, after=start)
    nodes = [edge["node"] for edge in anonymous["edges"]]
    assert [(n["kind"], n["type"], n["slug"]) for n in nodes] == [
        ("PUBLISHED", "ARTICLE", "alpha"),
        ("REMOVED", "ARTICLE", "echo"),
        ("UPDATED", "TAG", "peru"),
    ]
    assert nodes[0]["id"] == to_global_id("Article", alpha)
    assert nodes[0]["article"] == {"slug": "alpha", "title": "Alpha"}
    assert nodes[0]["tag"] is None
    assert nodes[1]["article"] is None  # not visible to them now
    assert nodes[2]["tag"] == {"slug": "peru", "name": "Peru"}
    assert nodes[2]["id"] == to_global_id("Tag", peru)
    assert all(edge["cursor"] == edge["node"]["cursor"] for edge in anonymous["edges"])
    assert "delta" not in json.dumps(anonymous)

    read = await page(as_caller(newsroom, tokens["read"]), after=start)
    assert read == anonymous

    preview = await page(as_caller(newsroom, tokens["preview"]), after=start)
    nodes = [edge["node"] for edge in preview["edges"]]
    assert [(n["kind"], n["slug"]) for n in nodes] == [
        ("PUBLISHED", "alpha"),
        ("UPDATED", "delta"),
        ("UPDATED", "echo"),
        ("UPDATED", "peru"),
    ]
    assert nodes[1]["article"] == {"slug": "delta", "title": "Delta"}
    assert nodes[2]["article"] == {"slug": "echo", "title": "Echo"}


async def test_pages_follow_on_without_gap_or_repeat(newsroom: GraphQLClient, start: str) -> None:
    alpha = await article_pk("alpha")
    made = [await entry(ContentType.ARTICLE, alpha, "alpha", UPDATED, UPDATED) for _ in range(25)]
    first = await page(newsroom, after=start)
    assert len(first["edges"]) == 20  # settings.default_page_size
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["startCursor"] == log.encode_cursor(made[0].position)
    rest = await page(newsroom, after=first["pageInfo"]["endCursor"], first=10)
    assert rest["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": False,
        "startCursor": log.encode_cursor(made[20].position),
        "endCursor": log.encode_cursor(made[24].position),
    }
    cursors = [edge["cursor"] for edge in first["edges"] + rest["edges"]]
    assert cursors == [log.encode_cursor(e.position) for e in made]

    empty = await page(newsroom, after=rest["pageInfo"]["endCursor"])
    assert empty["edges"] == [] and empty["pageInfo"]["hasNextPage"] is False

    head = await newsroom.data("{ changesHead }")
    assert head["changesHead"] == log.encode_cursor(made[-1].position)


async def test_without_after_the_page_starts_at_the_oldest_entry_kept(
    newsroom: GraphQLClient, start: str
) -> None:
    alpha = await article_pk("alpha")
    await entry(ContentType.ARTICLE, alpha, "alpha", UPDATED, UPDATED)
    everything = await page(newsroom, first=100)
    from_zero = await page(newsroom, first=100, after=log.encode_cursor(0))
    assert everything == from_zero
    assert everything["edges"][-1]["node"]["slug"] == "alpha"


async def test_types_filter(newsroom: GraphQLClient, start: str) -> None:
    alpha, peru = await article_pk("alpha"), await tag_pk("peru")
    await entry(ContentType.ARTICLE, alpha, "alpha", UPDATED, UPDATED)
    await entry(ContentType.TAG, peru, "peru", UPDATED, UPDATED)
    tags = await page(newsroom, after=start, types=["TAG"])
    assert [edge["node"]["type"] for edge in tags["edges"]] == ["TAG"]
    both = await page(newsroom, after=start, types=["TAG", "ARTICLE"])
    assert len(both["edges"]) == 2
    assert (await page(newsroom, after=start, types=[]))["edges"] == []


async def test_first_is_capped_like_every_connection(newsroom: GraphQLClient) -> None:
    error = await newsroom.error(PAGE, {"first": 101})
    articles = await newsroom.error("{ articles(first: 101) { totalCount } }")
    assert error["extensions"]["code"] == articles["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"] == articles["message"]
    negative = await newsroom.error(PAGE, {"first": -1})
    assert negative["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    "after",
    ["nope", "YXJ0aWNsZTox", log.encode_cursor(1).rstrip("="), "Y2hhbmdlOi0x"],
)
async def test_a_malformed_cursor_is_the_callers_input(newsroom: GraphQLClient, after: str) -> None:
    error = await newsroom.error(PAGE, {"after": after})
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert error["path"] == ["changes"]


async def test_an_expired_cursor_says_so(newsroom: GraphQLClient, start: str) -> None:
    pruned = log.decode_cursor(start)
    assert pruned is not None and pruned > 2
    await ChangeLogState.update_or_create(id=1, defaults={"pruned_through": pruned})
    error = await newsroom.error(PAGE, {"after": log.encode_cursor(pruned - 1)})
    assert error["extensions"]["code"] == "CURSOR_EXPIRED", error
    assert "changesHead" in error["message"]
    assert (await newsroom.error(PAGE))["extensions"]["code"] == "CURSOR_EXPIRED"
    # From the head on, it reads again.
    assert (await page(newsroom, after=start))["edges"] == []


async def test_a_page_costs_the_same_statements_whatever_its_size(
    newsroom: GraphQLClient, sql: SQLCounter, start: str
) -> None:
    pks = [await article_pk(s) for s in ("alpha", "bravo", "charlie", "golf")]
    tags = [await tag_pk(s) for s in ("peru", "china", "trade")]
    for n in range(100):
        if n % 3:
            await entry(ContentType.ARTICLE, pks[n % 4], "x", UPDATED, UPDATED)
        else:
            await entry(ContentType.TAG, tags[n % 3], "y", UPDATED, UPDATED)
    query = PAGE.replace("article { slug title }", "article { slug title tags { slug } }")

    async def statements(first: int) -> int:
        sql.statements.clear()
        data = await newsroom.data(query, {"after": start, "first": first})
        assert len(data["changes"]["edges"]) == first
        return len(sql.statements)

    small, large = await statements(5), await statements(100)
    assert small == large, sql.statements


async def sse(
    client: GraphQLClient, query: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    """A subscription over SSE that ends at once (refused, or failed before streaming)."""
    return await client.http.post(
        "/graphql",
        json={"query": query},
        headers={"Accept": "text/event-stream", **(headers or {})},
    )


def events(response: httpx.Response) -> list[tuple[str, Any]]:
    found = []
    for block in response.text.split("\r\n\r\n"):
        fields = dict(line.split(": ", 1) for line in block.split("\r\n") if line and ": " in line)
        if "event" in fields:
            data = fields.get("data", "")
            found.append((fields["event"], json.loads(data) if data else None))
    return found


async def test_subscription_errors_before_streaming(newsroom: GraphQLClient, start: str) -> None:
    bad = await sse(newsroom, 'subscription { contentChanged(after: "nope") { kind } }')
    assert bad.headers["content-type"].startswith("text/event-stream")
    (kind, payload), complete = events(bad)
    assert kind == "next" and complete[0] == "complete"
    assert payload["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    pruned = log.decode_cursor(start)
    assert pruned
    await ChangeLogState.update_or_create(id=1, defaults={"pruned_through": pruned})
    old = log.encode_cursor(pruned - 1)
    expired = await sse(newsroom, f'subscription {{ contentChanged(after: "{old}") {{ kind }} }}')
    assert events(expired)[0][1]["errors"][0]["extensions"]["code"] == "CURSOR_EXPIRED"


async def test_an_operation_name_that_names_nothing_is_the_callers_mistake(
    newsroom: GraphQLClient,
) -> None:
    response = await newsroom.http.post(
        "/graphql",
        json={"query": "subscription Live { contentChanged { kind } }", "operationName": "Other"},
        headers={"Accept": "text/event-stream"},
    )
    (kind, payload), _ = events(response)
    assert kind == "next"
    assert payload["errors"][0]["extensions"]["code"] == "OPERATION_RESOLUTION_FAILURE"
    assert "Other" in payload["errors"][0]["message"]


async def test_refused_credentials_get_401_before_any_stream(newsroom: GraphQLClient) -> None:
    response = await sse(
        newsroom,
        "subscription { contentChanged { kind } }",
        {"Authorization": "Bearer cms_nope_nope"},
    )
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_subscription_over_plain_http_is_refused(newsroom: GraphQLClient) -> None:
    error = await newsroom.error("subscription { contentChanged { kind } }")
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "text/event-stream" in error["message"]
    response = await newsroom.http.post(
        "/graphql",
        json={"query": "subscription { contentChanged { kind } }"},
        headers={"Accept": "application/graphql-response+json"},
    )
    assert response.status_code == 400


async def test_one_subscriber_over_the_limit_is_refused(
    db_settings: Settings, newsroom: GraphQLClient
) -> None:
    full = ContentService(dataclasses.replace(db_settings, max_subscribers=0))
    async with full.lifespan():
        transport = httpx.ASGITransport(app=full.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            response = await sse(GraphQLClient(http), "subscription { contentChanged { kind } }")
    ((_, payload), _) = events(response)
    error = payload["errors"][0]
    assert error["extensions"] == {"code": "TOO_MANY_SUBSCRIBERS", "limit": 0}
    assert "limit of 0 live subscriptions" in error["message"]


async def until(condition: Callable[[], bool], seconds: float = 5) -> None:
    """Wait (yielding to the loop) until ``condition`` holds, failing after ``seconds``."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition never held"
        await asyncio.sleep(0.005)


async def test_the_hub_frees_a_place_when_a_subscription_ends(database: Settings) -> None:
    hub = Hub(dataclasses.replace(database, max_subscribers=1, changes_poll_ms=10))
    head = await log.head()

    async def follower() -> asyncio.Task[Any]:
        stream = hub.follow(head, preview=False)
        task = asyncio.ensure_future(anext(stream))
        await until(lambda: hub.subscribers == 1)
        return task

    first = await follower()
    with pytest.raises(TooManySubscribers):
        await anext(hub.follow(head, preview=False))
    assert hub.subscribers == 1
    first.cancel()  # the consumer goes away: its generator ends, and leaves
    with contextlib.suppress(asyncio.CancelledError):
        await first
    assert hub.subscribers == 0
    second = await follower()  # the place is free again
    await hub.close()  # the service stops: its subscriptions end
    with pytest.raises(StopAsyncIteration):
        await second
    assert hub.subscribers == 0

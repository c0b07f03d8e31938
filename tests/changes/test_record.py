"""Every write appends its change-log entries in its own transaction, each with the view
preview callers get and the one anonymous callers get (issue 15, the events addendum)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cms.changes.keys import ARTICLES, CONTRIBUTORS, TAGS, article_key, tag_key
from cms.changes.log import Change, changes_after, head
from cms.fixtures.records import FixtureError
from cms.fixtures.service import load_files
from cms.graphql.ids import from_global_id
from cms.models import ChangeEntry, ContentType, ScheduledPublication, Tag
from tests.graphql.conftest import GraphQLClient

CREATE = """mutation($input: CreateArticleInput!) {
  createArticle(input: $input) { article { id version } errors { field code } } }"""
UPDATE = """mutation($input: UpdateArticleInput!) {
  updateArticle(input: $input) { article { id version } errors { field code } } }"""
PUBLISH = """mutation($input: PublishArticleInput!) {
  publishArticle(input: $input) { article { id version } errors { field code } } }"""
UNPUBLISH = """mutation($input: UnpublishArticleInput!) {
  unpublishArticle(input: $input) { article { id version } errors { field code } } }"""
DELETE = """mutation($input: DeleteArticleInput!) {
  deleteArticle(input: $input) { errors { field code } } }"""
UPDATE_TAG = """mutation($input: UpdateTagInput!) {
  updateTag(input: $input) { tag { id } errors { field code } } }"""
CREATE_TAG = """mutation($input: CreateTagInput!) {
  createTag(input: $input) { tag { id } errors { field code } } }"""
DELETE_TAG = """mutation($input: DeleteTagInput!) {
  deleteTag(input: $input) { errors { field code } } }"""


async def _write(writer: GraphQLClient, query: str, values: dict[str, Any]) -> dict[str, Any]:
    data = await writer.data(query, {"input": values})
    (payload,) = data.values()
    assert payload["errors"] == [], payload["errors"]
    return payload  # type: ignore[no-any-return]


async def _create(writer: GraphQLClient, **values: Any) -> tuple[str, int]:
    article = (await _write(writer, CREATE, {"body": "Body.", **values}))["article"]
    found = from_global_id(article["id"])
    assert found is not None
    return article["id"], found[1]


async def _seen(after: int, *, preview: bool) -> list[tuple[str, str, str]]:
    found, more = await changes_after(after, first=100, preview=preview)
    assert not more
    return [(c.type.value, c.kind.value, c.slug) for c in found]


async def _all(after: int, *, preview: bool) -> list[Change]:
    return (await changes_after(after, first=100, preview=preview))[0]


async def test_an_article_s_life_as_each_caller_sees_it(writer: GraphQLClient) -> None:
    start = await head()
    gid, pk = await _create(writer, title="Peru Visit", tags=["Peru"])
    await _write(writer, UPDATE, {"id": gid, "title": "Draft edit"})
    # The draft is invisible to anonymous callers; preview callers saw it appear and change.
    assert await _seen(start, preview=False) == []
    assert await _seen(start, preview=True) == [
        ("TAG", "PUBLISHED", "peru"),
        ("ARTICLE", "PUBLISHED", "peru-visit"),
        ("ARTICLE", "UPDATED", "peru-visit"),
    ]
    published = await head()
    await _write(writer, PUBLISH, {"id": gid})
    await _write(writer, UPDATE, {"id": gid, "slug": "peru-state-visit"})
    await _write(writer, UNPUBLISH, {"id": gid})
    await _write(writer, DELETE, {"id": gid})
    assert await _seen(published, preview=False) == [
        ("ARTICLE", "PUBLISHED", "peru-visit"),
        ("TAG", "PUBLISHED", "peru"),  # the tag became visible with it
        ("ARTICLE", "UPDATED", "peru-state-visit"),
        ("ARTICLE", "REMOVED", "peru-state-visit"),  # the last slug they could see
        ("TAG", "REMOVED", "peru"),
    ]
    assert await _seen(published, preview=True) == [
        ("ARTICLE", "UPDATED", "peru-visit"),
        ("ARTICLE", "UPDATED", "peru-state-visit"),
        ("ARTICLE", "UPDATED", "peru-state-visit"),
        ("ARTICLE", "REMOVED", "peru-state-visit"),
    ]
    changes = await _all(published, preview=False)
    tag = await Tag.get(slug="peru")
    assert changes[0].cache_tags == (article_key(pk), ARTICLES, tag_key(tag.id))
    assert changes[1].cache_tags == (tag_key(tag.id), TAGS)
    # A slug change shows the same tags in the same place: their pages are not stale.
    assert changes[2].cache_tags == (article_key(pk), ARTICLES)
    assert all(c.content_id == pk for c in changes if c.type is ContentType.ARTICLE)
    assert changes[0].tags == ("peru",)


async def test_a_change_in_the_future_removes_and_the_scheduler_publishes(
    writer: GraphQLClient,
) -> None:
    gid, pk = await _create(
        writer, title="Soon", status="PUBLISHED", publishedAt="2020-01-01T00:00:00Z"
    )
    start = await head()
    await _write(writer, PUBLISH, {"id": gid, "publishedAt": "2099-01-01T00:00:00Z"})
    assert await _seen(start, preview=False) == [("ARTICLE", "REMOVED", "soon")]
    row = await ScheduledPublication.get(article_id=pk)
    assert row.published_at.year == 2099
    # Edits while scheduled are invisible to anonymous callers, and keep one row.
    await _write(writer, UPDATE, {"id": gid, "title": "Soon, edited"})
    assert await _seen(start, preview=False) == [("ARTICLE", "REMOVED", "soon")]
    assert await ScheduledPublication.filter(article_id=pk).count() == 1
    # Unscheduled: the row goes.
    await _write(writer, UNPUBLISH, {"id": gid})
    assert not await ScheduledPublication.filter(article_id=pk).exists()


async def test_a_write_that_fails_appends_nothing(writer: GraphQLClient) -> None:
    gid, _ = await _create(writer, title="Kept")
    before = await ChangeEntry.all().count()
    data = await writer.data(UPDATE, {"input": {"id": gid, "title": "x", "expectedVersion": 9}})
    assert data["updateArticle"]["errors"][0]["code"] == "CONFLICT"
    data = await writer.data(CREATE, {"input": {"title": "Kept", "body": "Again."}})
    assert data["createArticle"]["errors"][0]["code"] == "DUPLICATE"
    data = await writer.data(UPDATE, {"input": {"id": gid, "title": "Kept"}})  # no change
    assert data["updateArticle"]["errors"] == []
    assert await ChangeEntry.all().count() == before


async def test_tag_writes_are_logged_as_their_visibility_says(writer: GraphQLClient) -> None:
    start = await head()
    made = (await _write(writer, CREATE_TAG, {"name": "Lima"}))["tag"]
    await _write(writer, UPDATE_TAG, {"id": made["id"], "description": "The capital."})
    # Nobody anonymous sees a tag no visible article carries.
    assert await _seen(start, preview=False) == []
    await _create(writer, title="In Lima", tags=["lima"], status="PUBLISHED")
    middle = await head()
    await _write(writer, UPDATE_TAG, {"id": made["id"], "name": "Lima, Peru"})
    await _write(writer, DELETE_TAG, {"id": made["id"]})
    assert await _seen(middle, preview=False) == [
        ("TAG", "UPDATED", "lima"),
        ("TAG", "REMOVED", "lima"),
    ]
    assert await _seen(start, preview=True) == [
        ("TAG", "PUBLISHED", "lima"),
        ("TAG", "UPDATED", "lima"),
        ("ARTICLE", "PUBLISHED", "in-lima"),
        ("TAG", "UPDATED", "lima"),
        ("TAG", "REMOVED", "lima"),
    ]
    removed = (await _all(middle, preview=False))[-1]
    pk = from_global_id(made["id"])
    assert pk is not None
    assert removed.cache_tags == (tag_key(pk[1]), TAGS)


def _fixture(tmp_path: Path, name: str, articles: list[dict[str, Any]], **more: Any) -> Path:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps({"articles": articles, **more}), encoding="utf-8")
    return path


async def test_a_fixture_load_logs_what_it_changed_and_a_failed_one_nothing(
    client: GraphQLClient, tmp_path: Path
) -> None:
    published = {"status": "PUBLISHED", "publishedAt": "2024-01-01T00:00:00Z"}
    first = _fixture(
        tmp_path,
        "first",
        [
            {"title": "One", "body": "One.", **published, "imageCredits": [{"text": "AP/Ann"}]},
            {"title": "Two", "body": "Two.", "status": "DRAFT"},
        ],
    )
    start = await head()
    await load_files([first])
    assert await _seen(start, preview=False) == [("ARTICLE", "PUBLISHED", "one")]
    one = (await _all(start, preview=False))[0]
    assert CONTRIBUTORS in one.cache_tags
    assert len(await _seen(start, preview=True)) == 2
    again = await head()
    await load_files([first])  # the same content: nothing changed, nothing logged
    assert await head() == again
    broken = _fixture(tmp_path, "broken", [{"title": "Three", "body": "Three."}, {"title": ""}])
    try:
        await load_files([broken])
    except FixtureError:
        pass
    else:
        raise AssertionError("the broken fixture loaded")
    assert await head() == again
    renamed = _fixture(tmp_path, "renamed", [], contributors=[{"slug": "ann", "name": "Ann Lee"}])
    await load_files([renamed])
    assert await _seen(again, preview=False) == [("ARTICLE", "UPDATED", "one")]
    assert (await _all(again, preview=False))[0].cache_tags == (
        article_key(one.content_id),
        CONTRIBUTORS,
    )

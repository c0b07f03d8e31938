"""Each rule the two engines once answered differently, through both edges: an article written
by ``createArticle``/``updateArticle`` and one loaded from a fixture with the same fields are
stored the same (tags, credits, contributors, publication time, bookkeeping)."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from cms.content.state import ArticleState
from cms.fixtures.documents import parse_json
from cms.fixtures.records import FixtureError
from cms.fixtures.service import load_batch
from cms.models import Contributor, Tag, TagKind
from cms.write.stored import StoredArticle, load_articles
from tests.graphql.conftest import GraphQLClient

CREATE = """
mutation($input: CreateArticleInput!) {
  createArticle(input: $input) { article { id } errors { field message code } }
}
"""
UPDATE = """
mutation($input: UpdateArticleInput!) {
  updateArticle(input: $input) { article { id } errors { field message code } }
}
"""
UNPUBLISH = """
mutation($input: UnpublishArticleInput!) {
  unpublishArticle(input: $input) { article { id } errors { field message code } }
}
"""


async def _mutate(writer: GraphQLClient, query: str, fields: dict[str, Any]) -> str:
    data = await writer.data(query, {"input": fields})
    (payload,) = data.values()
    assert payload["errors"] == [], payload["errors"]
    article_id: str = payload["article"]["id"]
    return article_id


async def _load(articles: list[dict[str, Any]], now: datetime | None = None) -> None:
    document = json.dumps({"articles": articles})
    await load_batch(parse_json(document, "rules.json"), now=now)


async def _stored(slug: str) -> StoredArticle:
    return (await load_articles([slug]))[slug]


def _content(stored: StoredArticle) -> ArticleState:
    """The stored content, slug aside (the two edges write two articles)."""
    return dataclasses.replace(stored.state, slug="-")


async def _both(writer: GraphQLClient, fields: dict[str, Any]) -> tuple[ArticleState, ArticleState]:
    """Create ``fields`` once by mutation (slug m) and once by a fixture load (slug f)."""
    await _mutate(writer, CREATE, {**fields, "slug": "m"})
    await _load([{**fields, "slug": "f"}])
    return _content(await _stored("m")), _content(await _stored("f"))


@pytest.fixture
async def people_and_tags(writer: GraphQLClient) -> None:
    await Tag.create(slug="peru", name="Peru", kind=TagKind.PLACE)
    await Tag.create(slug="cn", name="China", kind=TagKind.PLACE)
    # "Beijing" is this tag's name and another tag's slug made from it: the name wins.
    await Tag.create(slug="beijing-city", name="Beijing", kind=TagKind.PLACE)
    await Tag.create(slug="beijing", name="Beijing (old)", kind=TagKind.PLACE)
    await Contributor.create(slug="jr", name="Jane Roe")
    await Contributor.create(slug="mark-lee", name="Mark Lee")
    await Contributor.create(slug="ann-lee", name="Somebody Else")


async def test_credit_fields_left_out_are_parsed_and_null_means_none(
    writer: GraphQLClient,
) -> None:
    credits = [
        {"text": "AP Photo/Mark Schiefelbein"},
        {"text": "AP Photo/Ann Lee", "organization": None, "role": None, "contributors": None},
        {"text": "Reuters/Jane Roe", "contributors": []},
        {"text": "Getty Images", "role": "Photo", "contributors": ["New Person"]},
    ]
    by_mutation, by_load = await _both(
        writer, {"title": "Credits", "body": "B", "imageCredits": credits}
    )
    assert by_mutation == by_load
    parsed, nulls, empty, given = by_load.image_credits
    assert (parsed.organization, parsed.role, parsed.contributors) == (
        "AP",
        "Photo",
        ("mark-schiefelbein",),
    )
    assert (nulls.organization, nulls.role, nulls.contributors) == (None, None, ())
    assert (empty.organization, empty.contributors) == ("Reuters", ())
    assert (given.organization, given.role, given.contributors) == (
        "Getty Images",
        "Photo",
        ("new-person",),
    )


@pytest.mark.usefixtures("people_and_tags")
async def test_names_resolve_by_slug_then_name_then_made_slug_then_new(
    writer: GraphQLClient,
) -> None:
    fields = {
        "title": "Names",
        "body": "B",
        "tags": ["China", "peru", "Beijing", " Brand New Thing ", "cn", "PERU"],
        "imageCredits": [
            {"text": "Photos", "contributors": ["Jane Roe", "jr", "Mark Lee", "ann-lee", "Zoe Q"]}
        ],
    }
    by_mutation, by_load = await _both(writer, fields)
    assert by_mutation == by_load
    assert by_load.tags == ("cn", "peru", "beijing-city", "brand-new-thing")
    assert by_load.image_credits[0].contributors == ("jr", "mark-lee", "ann-lee", "zoe-q")
    created = await Tag.get(slug="brand-new-thing")
    assert (created.name, created.kind) == ("Brand New Thing", TagKind.TOPIC)
    assert (await Contributor.get(slug="zoe-q")).name == "Zoe Q"


async def test_a_fixture_s_own_records_come_before_stored_rows_by_name(
    writer: GraphQLClient,
) -> None:
    await Tag.create(slug="stored-ocean", name="Ocean", kind=TagKind.TOPIC)
    document = {
        "tags": [{"slug": "fixture-ocean", "name": "Ocean"}],
        "contributors": [{"slug": "the-jr", "name": "Jane Roe"}],
        "articles": [
            {
                "slug": "f",
                "title": "T",
                "body": "B",
                "tags": ["Ocean"],
                "imageCredits": [{"text": "X", "contributors": ["Jane Roe"]}],
            }
        ],
    }
    await load_batch(parse_json(json.dumps(document), "own.json"))
    stored = await _stored("f")
    assert stored.state.tags == ("fixture-ocean",)
    assert stored.state.image_credits[0].contributors == ("the-jr",)
    # A mutation sees both tags stored now: the oldest of that name wins.
    await _mutate(writer, CREATE, {"slug": "m", "title": "T", "body": "B", "tags": ["Ocean"]})
    assert (await _stored("m")).state.tags == ("stored-ocean",)


async def test_publication_time_set_once_kept_then_cleared(writer: GraphQLClient) -> None:
    now = datetime(2026, 1, 2, tzinfo=UTC)
    fields = {"title": "Pub", "body": "B", "status": "PUBLISHED"}
    pk = await _mutate(writer, CREATE, {**fields, "slug": "m"})
    await _load([{**fields, "slug": "f"}], now=now)
    first_m, first_f = await _stored("m"), await _stored("f")
    assert first_m.state.published_at == first_m.meta.created_at
    assert first_f.state.published_at == now
    # A later change keeps it, in both engines.
    await _mutate(writer, UPDATE, {"id": pk, "title": "Pub 2", "publishedAt": None})
    await _load([{**fields, "slug": "f", "title": "Pub 2", "publishedAt": None}])
    assert (await _stored("m")).state.published_at == first_m.state.published_at
    assert (await _stored("f")).state.published_at == now
    # Unpublishing clears it (a fixture says so with a draft without a publication time).
    await _mutate(writer, UNPUBLISH, {"id": pk})
    await _load([{**fields, "slug": "f", "title": "Pub 2", "status": "DRAFT", "publishedAt": None}])
    unpublished_m, unpublished_f = await _stored("m"), await _stored("f")
    assert (unpublished_m.state.published_at, unpublished_m.meta.version) == (None, 3)
    assert unpublished_f.state.published_at is None and unpublished_f.meta.version == 3
    assert _content(unpublished_m) == _content(unpublished_f)


async def test_null_lists_clear_and_left_out_lists_stay(writer: GraphQLClient) -> None:
    fields = {"title": "L", "body": "B", "tags": ["a"], "imageCredits": [{"text": "AP"}]}
    pk = await _mutate(writer, CREATE, {**fields, "slug": "m"})
    await _load([{**fields, "slug": "f"}])
    await _mutate(writer, UPDATE, {"id": pk, "summary": "S"})
    await _load([{"slug": "f", "title": "L", "body": "B", "summary": "S"}])
    kept_m, kept_f = _content(await _stored("m")), _content(await _stored("f"))
    assert kept_m == kept_f and kept_f.tags == ("a",) and len(kept_f.image_credits) == 1
    await _mutate(writer, UPDATE, {"id": pk, "tags": None, "imageCredits": None})
    await _load([{"slug": "f", "title": "L", "body": "B", "tags": None, "imageCredits": None}])
    cleared_m, cleared_f = _content(await _stored("m")), _content(await _stored("f"))
    assert cleared_m == cleared_f and (cleared_f.tags, cleared_f.image_credits) == ((), ())


async def test_the_same_bad_input_gets_the_same_field_and_message(writer: GraphQLClient) -> None:
    bad = {"title": "T", "body": "B", "imageCredits": [{"text": "A", "altText": "\x00"}]}
    data = await writer.data(CREATE, {"input": bad})
    (error,) = data["createArticle"]["errors"]
    with pytest.raises(FixtureError) as refused:
        await _load([bad])
    (problem,) = refused.value.problems
    assert (problem.field, problem.message) == (error["field"], error["message"])
    assert problem.field == "imageCredits.0.altText"


async def test_a_batch_resolves_as_the_same_mutations_one_after_another(
    writer: GraphQLClient,
) -> None:
    # A stored tag whose name looks like the slug an earlier entry of the batch makes.
    await Tag.create(slug="named-like-a-slug", name="foo-bar", kind=TagKind.TOPIC)
    first = {"title": "One", "body": "B", "tags": ["Foo Bar"]}
    second = {"title": "Two", "body": "B", "tags": ["foo-bar", "Foo Bar"]}
    await _load([{**first, "slug": "f1"}, {**second, "slug": "f2"}])
    by_load = [(await _stored(slug)).state.tags for slug in ("f1", "f2")]
    await Tag.filter(slug="foo-bar").delete()
    await _mutate(writer, CREATE, {**first, "slug": "m1"})
    await _mutate(writer, CREATE, {**second, "slug": "m2"})
    by_mutation = [(await _stored(slug)).state.tags for slug in ("m1", "m2")]
    assert by_load == by_mutation == [("foo-bar",), ("foo-bar",)]

"""Every mutation: the happy path, each error code, and refusals that write nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cms.graphql.ids import to_global_id
from cms.models import (
    Article,
    ArticleRevision,
    ArticleTag,
    Contributor,
    CreditContributor,
    ImageCredit,
    Tag,
)
from tests.graphql.conftest import GraphQLClient

ARTICLE_FIELDS = """
  id slug title summary body status publishedAt createdAt updatedAt version wordCount
  tags { slug name kind }
  imageCredits { text organization role imageUrl caption altText contributors { slug name } }
"""
CREATE = f"""
mutation($input: CreateArticleInput!) {{
  createArticle(input: $input) {{ article {{ {ARTICLE_FIELDS} }} errors {{ field message code }} }}
}}
"""
UPDATE = f"""
mutation($input: UpdateArticleInput!) {{
  updateArticle(input: $input) {{ article {{ {ARTICLE_FIELDS} }} errors {{ field message code }} }}
}}
"""
PUBLISH = """
mutation($input: PublishArticleInput!) {
  publishArticle(input: $input) { article { status publishedAt version } errors { field code } }
}
"""
UNPUBLISH = """
mutation($input: UnpublishArticleInput!) {
  unpublishArticle(input: $input) { article { status publishedAt version } errors { field code } }
}
"""
RESTORE = """
mutation($input: RestoreArticleRevisionInput!) {
  restoreArticleRevision(input: $input) {
    article { title version tags { slug } } errors { field message code }
  }
}
"""
DELETE = """
mutation($input: DeleteArticleInput!) {
  deleteArticle(input: $input) { deletedId errors { field code } }
}
"""
REVISIONS = """
query($slug: String!) { article(slug: $slug) { version revisions {
  totalCount edges { node { version createdAt changedFields title status publishedAt tags
  body(format: TEXT) } } } } }
"""


async def snapshot() -> dict[str, int]:
    models = (
        Article,
        ArticleTag,
        Tag,
        ImageCredit,
        CreditContributor,
        Contributor,
        ArticleRevision,
    )
    return {model.__name__: await model.all().count() for model in models}


async def create(writer: GraphQLClient, **fields: Any) -> dict[str, Any]:
    data = await writer.data(CREATE, {"input": {"title": "First Story", "body": "Body.", **fields}})
    payload: dict[str, Any] = data["createArticle"]
    assert payload["errors"] == [], payload["errors"]
    article: dict[str, Any] = payload["article"]
    return article


async def test_create_article_with_everything(writer: GraphQLClient) -> None:
    await writer.data(
        'mutation { createTag(input: {name: "Peru", kind: PLACE}) { errors { code } } }'
    )
    await Contributor.create(slug="jane-roe", name="Jane Roe")
    article = await create(
        writer,
        summary="A summary.",
        body="Para *one*.\n\nPara two has <b>four</b> words.",
        status="PUBLISHED",
        tags=["peru", "Climate Change", "Peru"],
        imageCredits=[
            {"text": "Reuters/Jane Roe", "imageUrl": "https://img.example/a.jpg", "altText": "A"},
            {"text": "Getty Images", "role": "Photo", "contributors": ["New Person"]},
        ],
    )
    assert article["slug"] == "first-story"
    assert (article["status"], article["version"]) == ("PUBLISHED", 1)
    assert article["publishedAt"] is not None and article["createdAt"] == article["updatedAt"]
    assert article["tags"] == [
        {"slug": "peru", "name": "Peru", "kind": "PLACE"},
        {"slug": "climate-change", "name": "Climate Change", "kind": "TOPIC"},
    ]
    first, second = article["imageCredits"]
    assert (first["organization"], first["role"], first["imageUrl"]) == (
        "Reuters",
        None,
        "https://img.example/a.jpg",
    )
    assert first["contributors"] == [{"slug": "jane-roe", "name": "Jane Roe"}]
    assert (second["organization"], second["role"]) == ("Getty Images", "Photo")
    assert second["contributors"] == [{"slug": "new-person", "name": "New Person"}]
    assert await Contributor.all().count() == 2  # Jane Roe reused by slug
    assert article["wordCount"] == 7


async def test_create_defaults_to_draft_and_makes_the_slug(writer: GraphQLClient) -> None:
    article = await create(writer, title="Boluarte’s Visit: Day 2!")
    assert (article["slug"], article["status"], article["publishedAt"]) == (
        "boluartes-visit-day-2",
        "DRAFT",
        None,
    )


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"title": ""}, "title", "INVALID"),
        ({"title": "   "}, "title", "INVALID"),
        ({"title": "x" * 301}, "title", "INVALID"),
        ({"slug": "Bad Slug"}, "slug", "INVALID"),
        ({"slug": "taken"}, "slug", "DUPLICATE"),
        ({"body": "x" * 1_000_001}, "body", "INVALID"),
        ({"tags": [f"t{i}" for i in range(51)]}, "tags", "INVALID"),
        ({"tags": ["ok", " "]}, "tags.1", "INVALID"),
        ({"imageCredits": [{"text": "A"}] * 51}, "imageCredits", "INVALID"),
        ({"imageCredits": [{"text": ""}]}, "imageCredits.0.text", "INVALID"),
        (
            {"imageCredits": [{"text": "A", "imageUrl": "javascript:alert(1)"}]},
            "imageCredits.0.imageUrl",
            "INVALID",
        ),
        (
            {"imageCredits": [{"text": "A", "imageUrl": "ftp://x.example/a.jpg"}]},
            "imageCredits.0.imageUrl",
            "INVALID",
        ),
        ({"summary": "s" * 2001}, "summary", "INVALID"),
    ],
)
async def test_create_refusals_write_nothing(
    writer: GraphQLClient, fields: dict[str, Any], field: str, code: str
) -> None:
    await create(writer, title="Taken", tags=["existing"])
    before = await snapshot()
    data = await writer.data(
        CREATE, {"input": {"title": "New", "body": "b", "tags": ["brand-new-tag"], **fields}}
    )
    payload = data["createArticle"]
    assert payload["article"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, code)]
    assert payload["errors"][0]["message"]
    assert await snapshot() == before
    assert not await Tag.filter(slug="brand-new-tag").exists()


async def test_update_changes_only_what_is_given(writer: GraphQLClient) -> None:
    article = await create(writer, summary="Keep me.", tags=["a", "b"])
    data = await writer.data(UPDATE, {"input": {"id": article["id"], "title": "New Title"}})
    updated = data["updateArticle"]["article"]
    assert data["updateArticle"]["errors"] == []
    assert (updated["title"], updated["summary"], updated["slug"]) == (
        "New Title",
        "Keep me.",
        "first-story",
    )
    assert [t["slug"] for t in updated["tags"]] == ["a", "b"]
    assert updated["version"] == 2
    assert updated["updatedAt"] > article["updatedAt"]
    assert updated["createdAt"] == article["createdAt"]

    data = await writer.data(
        UPDATE,
        {"input": {"id": article["id"], "tags": ["c"], "summary": None, "expectedVersion": 2}},
    )
    updated = data["updateArticle"]["article"]
    assert ([t["slug"] for t in updated["tags"]], updated["summary"], updated["version"]) == (
        ["c"],
        None,
        3,
    )


async def test_an_update_that_changes_nothing_keeps_the_version(writer: GraphQLClient) -> None:
    article = await create(writer)
    data = await writer.data(UPDATE, {"input": {"id": article["id"], "title": "First Story"}})
    assert data["updateArticle"]["article"]["version"] == 1
    assert await ArticleRevision.all().count() == 0


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"expectedVersion": 7, "title": "X"}, "expectedVersion", "CONFLICT"),
        ({"title": None}, "title", "INVALID"),
        # What cannot be empty cannot be cleared either (left out, it stays).
        ({"slug": None}, "slug", "INVALID"),
        ({"body": None}, "body", "INVALID"),
        ({"status": None}, "status", "INVALID"),
        ({"title": ""}, "title", "INVALID"),
        ({"slug": "other-story"}, "slug", "DUPLICATE"),
        (
            {"imageCredits": [{"text": "A", "imageUrl": "data:x"}]},
            "imageCredits.0.imageUrl",
            "INVALID",
        ),
    ],
)
async def test_update_refusals_write_nothing(
    writer: GraphQLClient, fields: dict[str, Any], field: str, code: str
) -> None:
    article = await create(writer)
    await create(writer, title="Other Story")
    before = await snapshot()
    data = await writer.data(UPDATE, {"input": {"id": article["id"], "tags": ["zzz"], **fields}})
    payload = data["updateArticle"]
    assert payload["article"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, code)]
    assert await snapshot() == before
    assert (await Article.get(slug="first-story")).version == 1


@pytest.mark.parametrize(
    "bad_id", [to_global_id("Article", 999), to_global_id("Tag", 1), "garbage", ""]
)
async def test_unknown_ids_are_not_found(writer: GraphQLClient, bad_id: str) -> None:
    await create(writer)
    for mutation, name in [
        (UPDATE, "updateArticle"),
        (PUBLISH, "publishArticle"),
        (UNPUBLISH, "unpublishArticle"),
        (DELETE, "deleteArticle"),
    ]:
        data = await writer.data(mutation, {"input": {"id": bad_id}})
        assert [(e["field"], e["code"]) for e in data[name]["errors"]] == [("id", "NOT_FOUND")]
    data = await writer.data(RESTORE, {"input": {"id": bad_id, "version": 1}})
    assert data["restoreArticleRevision"]["errors"][0]["code"] == "NOT_FOUND"


async def test_publish_schedule_and_unpublish(
    writer: GraphQLClient, client: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    article = await create(writer)
    later = datetime.now(UTC) + timedelta(days=3)
    data = await writer.data(
        PUBLISH,
        {"input": {"id": article["id"], "publishedAt": later.isoformat(), "expectedVersion": 1}},
    )
    assert data["publishArticle"]["article"]["status"] == "PUBLISHED"
    assert data["publishArticle"]["article"]["version"] == 2
    anonymous = '{ article(slug: "first-story") { slug } articles { totalCount } }'
    assert await client.data(anonymous) == {"article": None, "articles": {"totalCount": 0}}

    # At the scheduled time it is visible, with no job to run and no restart.
    from cms.graphql import view

    monkeypatch.setattr(view, "utcnow", lambda: later + timedelta(seconds=1))
    assert await client.data(anonymous) == {
        "article": {"slug": "first-story"},
        "articles": {"totalCount": 1},
    }
    monkeypatch.undo()

    data = await writer.data(UNPUBLISH, {"input": {"id": article["id"]}})
    assert data["unpublishArticle"]["article"] == {
        "status": "DRAFT",
        "publishedAt": None,
        "version": 3,
    }
    data = await writer.data(PUBLISH, {"input": {"id": article["id"]}})
    published = data["publishArticle"]["article"]
    assert published["status"] == "PUBLISHED"
    assert datetime.fromisoformat(published["publishedAt"]) <= datetime.now(UTC)
    assert (await client.data(anonymous))["article"] == {"slug": "first-story"}


async def test_publish_conflict_writes_nothing(writer: GraphQLClient) -> None:
    article = await create(writer)
    data = await writer.data(PUBLISH, {"input": {"id": article["id"], "expectedVersion": 2}})
    assert data["publishArticle"] == {
        "article": None,
        "errors": [{"field": "expectedVersion", "code": "CONFLICT"}],
    }
    assert (await Article.get(slug="first-story")).status == "DRAFT"


async def test_revisions_and_restore(writer: GraphQLClient, client: GraphQLClient) -> None:
    article = await create(writer, tags=["one"], body="Original body.")
    await writer.data(
        UPDATE, {"input": {"id": article["id"], "title": "Second Title", "tags": ["two"]}}
    )
    await writer.data(UPDATE, {"input": {"id": article["id"], "body": "New body."}})
    data = await writer.data(REVISIONS, {"slug": "first-story"})
    revisions = data["article"]["revisions"]
    assert data["article"]["version"] == 3
    assert revisions["totalCount"] == 2
    newest, oldest = (edge["node"] for edge in revisions["edges"])
    assert (newest["version"], newest["changedFields"], newest["title"]) == (
        2,
        ["body"],
        "Second Title",
    )
    assert newest["body"] == "Original body."
    assert (oldest["version"], oldest["changedFields"], oldest["tags"]) == (
        1,
        ["title", "tags"],
        ["one"],
    )
    assert (await client.data(REVISIONS, {"slug": "first-story"}))["article"] is None  # draft

    data = await writer.data(
        RESTORE, {"input": {"id": article["id"], "version": 1, "expectedVersion": 3}}
    )
    restored = data["restoreArticleRevision"]
    assert restored["errors"] == []
    assert restored["article"] == {"title": "First Story", "version": 4, "tags": [{"slug": "one"}]}
    body = await writer.data('{ article(slug: "first-story") { body } }')
    assert body["article"]["body"] == "Original body."

    data = await writer.data(RESTORE, {"input": {"id": article["id"], "version": 42}})
    assert [(e["field"], e["code"]) for e in data["restoreArticleRevision"]["errors"]] == [
        ("version", "NOT_FOUND")
    ]
    data = await writer.data(
        RESTORE, {"input": {"id": article["id"], "version": 1, "expectedVersion": 1}}
    )
    assert data["restoreArticleRevision"]["errors"][0]["code"] == "CONFLICT"


async def test_delete_article(writer: GraphQLClient) -> None:
    article = await create(writer, imageCredits=[{"text": "Reuters/Jane Roe"}], tags=["x"])
    data = await writer.data(DELETE, {"input": {"id": article["id"], "expectedVersion": 5}})
    assert data["deleteArticle"] == {
        "deletedId": None,
        "errors": [{"field": "expectedVersion", "code": "CONFLICT"}],
    }
    assert await Article.all().count() == 1
    data = await writer.data(DELETE, {"input": {"id": article["id"], "expectedVersion": 1}})
    assert data["deleteArticle"] == {"deletedId": article["id"], "errors": []}
    assert await Article.all().count() == 0 and await ImageCredit.all().count() == 0
    node = await writer.data("query($id: ID!) { node(id: $id) { id } }", {"id": article["id"]})
    assert node == {"node": None}


async def test_tag_mutations(writer: GraphQLClient) -> None:
    create_tag = """mutation($input: CreateTagInput!) { createTag(input: $input) {
        tag { id slug name kind description articleCount } errors { field code } } }"""
    data = await writer.data(
        create_tag, {"input": {"name": "Nanshan Museum", "kind": "ORGANIZATION"}}
    )
    tag = data["createTag"]["tag"]
    assert (tag["slug"], tag["kind"], tag["articleCount"]) == ("nanshan-museum", "ORGANIZATION", 0)
    data = await writer.data(create_tag, {"input": {"name": "Nanshan museum"}})
    assert data["createTag"] == {"tag": None, "errors": [{"field": "slug", "code": "DUPLICATE"}]}
    data = await writer.data(create_tag, {"input": {"name": ""}})
    assert data["createTag"]["errors"] == [{"field": "name", "code": "INVALID"}]

    update_tag = """mutation($input: UpdateTagInput!) { updateTag(input: $input) {
        tag { slug name kind description } errors { field code } } }"""
    data = await writer.data(
        update_tag, {"input": {"id": tag["id"], "description": "In Shenzhen."}}
    )
    assert data["updateTag"]["tag"] == {
        "slug": "nanshan-museum",
        "name": "Nanshan Museum",
        "kind": "ORGANIZATION",
        "description": "In Shenzhen.",
    }
    await writer.data(create_tag, {"input": {"name": "Other"}})
    data = await writer.data(update_tag, {"input": {"id": tag["id"], "slug": "other"}})
    assert data["updateTag"] == {"tag": None, "errors": [{"field": "slug", "code": "DUPLICATE"}]}
    data = await writer.data(update_tag, {"input": {"id": to_global_id("Tag", 99), "name": "X"}})
    assert data["updateTag"]["errors"] == [{"field": "id", "code": "NOT_FOUND"}]

    await create(writer, tags=["nanshan-museum"])
    delete_tag = """mutation($input: DeleteTagInput!) { deleteTag(input: $input) {
        deletedId errors { field code } } }"""
    data = await writer.data(delete_tag, {"input": {"id": tag["id"]}})
    assert data["deleteTag"] == {"deletedId": tag["id"], "errors": []}
    assert await ArticleTag.all().count() == 0
    data = await writer.data(delete_tag, {"input": {"id": tag["id"]}})
    assert data["deleteTag"]["errors"] == [{"field": "id", "code": "NOT_FOUND"}]


async def test_two_concurrent_updates_with_the_same_version_one_wins(writer: GraphQLClient) -> None:
    article = await create(writer)
    results = await asyncio.gather(
        *(
            writer.data(
                UPDATE,
                {"input": {"id": article["id"], "title": f"Title {n}", "expectedVersion": 1}},
            )
            for n in range(2)
        )
    )
    outcomes = sorted(
        "won" if r["updateArticle"]["errors"] == [] else r["updateArticle"]["errors"][0]["code"]
        for r in results
    )
    assert outcomes == ["CONFLICT", "won"]
    stored = await Article.get(id=(await Article.first()).id)  # type: ignore[union-attr]
    assert stored.version == 2
    assert await ArticleRevision.all().count() == 1


async def test_writes_are_seen_by_the_rest_of_the_same_request(writer: GraphQLClient) -> None:
    """Loader caches and the search index follow each write, within one operation."""
    article = await create(writer, body="Nothing special.")
    data = await writer.data(
        """mutation($id: ID!) {
          a: updateArticle(input: {id: $id, body: "Zanzibar appears.", expectedVersion: 1}) {
            article { version body } }
          b: updateArticle(input: {id: $id, title: "Renamed", expectedVersion: 2}) {
            article { version title body } errors { code } }
        }""",
        {"id": article["id"]},
    )
    assert data["a"]["article"] == {"version": 2, "body": "Zanzibar appears."}
    assert data["b"]["article"] == {"version": 3, "title": "Renamed", "body": "Zanzibar appears."}
    found = await writer.data(
        '{ search(query: "zanzibar") { totalCount edges { node { title } } } }'
    )
    assert found["search"]["edges"] == [{"node": {"title": "Renamed"}}]


async def test_null_lists_clear_and_null_credit_parts_mean_none(writer: GraphQLClient) -> None:
    article = await create(
        writer, tags=["a"], imageCredits=[{"text": "AP Photo/Mark Schiefelbein"}]
    )
    assert article["imageCredits"][0]["contributors"] == [
        {"slug": "mark-schiefelbein", "name": "Mark Schiefelbein"}
    ]
    credit = {"text": "AP Photo/Mark Schiefelbein", "role": None, "contributors": None}
    data = await writer.data(UPDATE, {"input": {"id": article["id"], "imageCredits": [credit]}})
    (updated,) = data["updateArticle"]["article"]["imageCredits"]
    assert (updated["organization"], updated["role"], updated["contributors"]) == ("AP", None, [])
    data = await writer.data(
        UPDATE, {"input": {"id": article["id"], "tags": None, "imageCredits": None}}
    )
    cleared = data["updateArticle"]["article"]
    assert (cleared["tags"], cleared["imageCredits"], cleared["version"]) == ([], [], 3)

"""The read layer's row declarations against the migrated schema: every row attribute holds
what the ORM reads by the model field of that name (``pk``: ``id``), on SQLite and on
PostgreSQL.

Each stored row gets a different value in every column, so a declaration that named the wrong
column, or a constructor that read another position than the select list put it at, fails here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from tortoise.models import Model

from cms.models import (
    Article,
    ArticleRevision,
    ArticleStatus,
    ArticleTag,
    Contributor,
    CreditContributor,
    ImageCredit,
    Tag,
    TagKind,
)
from cms.read.columns import Selection, Table
from cms.read.revisions import REVISION, REVISIONS
from cms.read.rows import (
    ARTICLES,
    CONTRIBUTOR,
    CONTRIBUTORS,
    CREDIT,
    CREDITS,
    FULL_ARTICLE,
    LISTED_ARTICLE,
    TAG,
    TAGS,
)
from cms.read.sql import fetch

pytestmark = pytest.mark.usefixtures("database")

ARTICLE_ID, TAG_ID, CONTRIBUTOR_ID, CREDIT_ID, REVISION_ID = 41, 52, 63, 74, 85


def at(day: int) -> datetime:
    return datetime(2024, 3, day, 12, 30, tzinfo=UTC)


async def store() -> None:
    article = await Article.create(
        id=ARTICLE_ID,
        slug="the-slug",
        title="The title",
        summary="The summary",
        body="The body",
        body_text="The body text",
        word_count=7,
        status=ArticleStatus.PUBLISHED,
        published_at=at(3),
        created_at=at(1),
        updated_at=at(2),
        version=3,
    )
    tag = await Tag.create(
        id=TAG_ID, slug="tag-slug", name="Tag name", kind=TagKind.PLACE, description="About"
    )
    await ArticleTag.create(article=article, tag=tag, position=0)
    contributor = await Contributor.create(id=CONTRIBUTOR_ID, slug="jane-roe", name="Jane Roe")
    credit = await ImageCredit.create(
        id=CREDIT_ID,
        article=article,
        position=2,
        text="Reuters/Jane Roe",
        organization="Reuters",
        role="Photographer",
        image_url="https://example.com/a.jpg",
        caption="A caption",
        alt_text="Alt text",
    )
    await CreditContributor.create(credit=credit, contributor=contributor, position=0)
    await ArticleRevision.create(
        id=REVISION_ID,
        article=article,
        version=2,
        created_at=at(4),
        changed_fields=["title", "tags"],
        slug="old-slug",
        title="Old title",
        summary="Old summary",
        body="Old body",
        status=ArticleStatus.DRAFT,
        published_at=at(5),
        tags=["old-tag"],
    )


async def read(table: Table[Any], selection: Selection[Any], pk: int) -> Any:
    (row,) = await fetch(
        f"SELECT {selection.sql} FROM {table.name} {table.alias} WHERE {table.alias}.id = ?",
        [pk],
    )
    return selection.make(row)


def field(attribute: str) -> str:
    """The model field a row attribute stands for."""
    return "id" if attribute == "pk" else attribute


async def stored(model: type[Model], table: Table[Any], pk: int) -> dict[str, Any]:
    """The stored row as the ORM reads it, by row attribute."""
    attributes = [column.attribute for column in table.columns]
    (values,) = await model.filter(id=pk).values(*map(field, attributes))
    distinct = [repr(v) for v in values.values()]
    assert len(set(distinct)) == len(distinct), f"give every column another value: {values}"
    return {attribute: values[field(attribute)] for attribute in attributes}


CASES = [
    (Article, ARTICLES, FULL_ARTICLE, ARTICLE_ID),
    (Tag, TAGS, TAG, TAG_ID),
    (Contributor, CONTRIBUTORS, CONTRIBUTOR, CONTRIBUTOR_ID),
    (ImageCredit, CREDITS, CREDIT, CREDIT_ID),
    (ArticleRevision, REVISIONS, REVISION, REVISION_ID),
]


@pytest.mark.parametrize(
    ("model", "table", "selection", "pk"), CASES, ids=[case[0].__name__ for case in CASES]
)
async def test_each_attribute_reads_its_own_column(
    model: type[Model], table: Table[Any], selection: Selection[Any], pk: int
) -> None:
    await store()
    values = await stored(model, table, pk)
    row = await read(table, selection, pk)
    assert {attribute: getattr(row, attribute) for attribute in values} == values
    assert set(values) == set(row.__slots__)


async def test_converted_values_have_their_types() -> None:
    await store()
    article = await read(ARTICLES, FULL_ARTICLE, ARTICLE_ID)
    assert article.status is ArticleStatus.PUBLISHED
    assert article.published_at == at(3) and article.published_at.tzinfo is not None
    tag = await read(TAGS, TAG, TAG_ID)
    assert tag.kind is TagKind.PLACE
    revision = await read(REVISIONS, REVISION, REVISION_ID)
    assert revision.status is ArticleStatus.DRAFT
    assert (revision.changed_fields, revision.tags) == (["title", "tags"], ["old-tag"])


async def test_a_listed_article_is_the_article_without_its_body() -> None:
    await store()
    full = await read(ARTICLES, FULL_ARTICLE, ARTICLE_ID)
    listed = await read(ARTICLES, LISTED_ARTICLE, ARTICLE_ID)
    assert "body" not in LISTED_ARTICLE.names
    assert listed.body is None
    full.body = None
    assert listed == full


async def test_relations_read_the_parent_key_by_name() -> None:
    """The per-parent lookups select the parent key next to the row's columns."""
    from cms.read import contributors, credits, tags

    await store()
    (tag,) = (await tags.by_articles([ARTICLE_ID]))[ARTICLE_ID]
    assert tag == await read(TAGS, TAG, TAG_ID)
    (credit,) = (await credits.by_articles([ARTICLE_ID]))[ARTICLE_ID]
    assert credit == await read(CREDITS, CREDIT, CREDIT_ID)
    (contributor,) = (await contributors.by_credits([CREDIT_ID]))[CREDIT_ID]
    assert contributor == await read(CONTRIBUTORS, CONTRIBUTOR, CONTRIBUTOR_ID)

"""The tag links' copy of their articles' visibility (migration 0011) stays in step with the
articles through every write: created tagged, retagged, published, unpublished, rescheduled,
deleted, loaded from fixtures (new and changed), and plain SQL, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tortoise import connections

from cms.content.state import ArticleFields
from cms.fixtures.service import load_files
from cms.models import Article, ArticleStatus
from cms.read.sql import fetch
from cms.write.articles import (
    create_article,
    delete_article,
    publish_article,
    unpublish_article,
    update_article,
)
from cms.write.commands import (
    CreateArticle,
    DeleteArticle,
    PublishArticle,
    UnpublishArticle,
    UpdateArticle,
)
from tests.conftest import SEED_JSON, SEED_SLUG

pytestmark = pytest.mark.usefixtures("database")

NOW = datetime(2026, 3, 1, 9, tzinfo=UTC)
LATER = NOW + timedelta(days=10)


async def out_of_step() -> list[Any]:
    """Links whose copy differs from their article (or was never made)."""
    rows = await fetch(
        "SELECT l.id, l.status, l.published_at, a.status, a.published_at FROM article_tag l"
        " JOIN article a ON a.id = l.article_id"
        " WHERE l.status IS NULL"
        " OR l.status IS DISTINCT FROM a.status"
        " OR l.published_at IS DISTINCT FROM a.published_at"
    )
    return [tuple(row) for row in rows]


async def links(article_id: int) -> list[tuple[Any, ...]]:
    rows = await fetch(
        "SELECT l.status, l.published_at FROM article_tag l WHERE l.article_id = ?"
        " ORDER BY l.position",
        [article_id],
    )
    return [tuple(row) for row in rows]


async def test_the_write_core_keeps_the_copy_in_step() -> None:
    created = await create_article(
        CreateArticle(ArticleFields(title="One", body="Body.", tags=("peru", "china"))), NOW
    )
    pk = created.article_id
    assert pk is not None and not created.errors
    other = await create_article(
        CreateArticle(
            ArticleFields(
                title="Two",
                body="Body.",
                tags=("peru",),
                status=ArticleStatus.PUBLISHED,
                published_at=LATER,
            )
        ),
        NOW,
    )
    assert other.article_id is not None
    assert [status for status, _ in await links(pk)] == ["DRAFT", "DRAFT"]
    assert await out_of_step() == []

    steps = [
        publish_article(PublishArticle(pk), NOW),
        update_article(UpdateArticle(pk, ArticleFields(tags=("china", "trade", "peru"))), NOW),
        update_article(UpdateArticle(pk, ArticleFields(published_at=LATER)), NOW),
        update_article(UpdateArticle(pk, ArticleFields(title="Retitled")), NOW),
        update_article(UpdateArticle(pk, ArticleFields(tags=("trade",))), NOW),
        unpublish_article(UnpublishArticle(pk), NOW),
        update_article(
            UpdateArticle(pk, ArticleFields(status=ArticleStatus.ARCHIVED, tags=("a", "b"))), NOW
        ),
        publish_article(PublishArticle(pk, published_at=NOW - timedelta(days=1)), NOW),
    ]
    for step in steps:
        outcome = await step
        assert not outcome.errors
        assert await out_of_step() == []
    stored = await Article.get(id=pk)
    assert len(await links(pk)) == 2
    assert {status for status, _ in await links(pk)} == {stored.status.value}
    assert stored.published_at == NOW - timedelta(days=1)

    deleted = await delete_article(DeleteArticle(pk), NOW)
    assert not deleted.errors
    assert await links(pk) == []
    assert await out_of_step() == []
    # The other article's links were not touched by this one's changes.
    assert [status for status, _ in await links(other.article_id)] == ["PUBLISHED"]


def seed_as(tmp_path: Path, name: str, **changes: Any) -> Path:
    """The seed fixture with its article's fields changed (a later version of it)."""
    document = json.loads(SEED_JSON.read_text(encoding="utf-8"))
    (article,) = document["articles"]
    article.update(changes, version=article["version"] + len(name))
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


async def test_fixture_loads_keep_the_copy_in_step(tmp_path: Path) -> None:
    await load_files([SEED_JSON], now=NOW)
    seed = (await Article.get(slug=SEED_SLUG)).id
    assert len(await links(seed)) > 1
    assert await out_of_step() == []
    # Loaded again as a draft, then published at another time: the existing links follow.
    await load_files([seed_as(tmp_path, "d", status="DRAFT", publishedAt=None)], now=NOW)
    assert {status for status, _ in await links(seed)} == {"DRAFT"}
    assert await out_of_step() == []
    later = seed_as(tmp_path, "later", publishedAt="2027-01-01T00:00:00Z", tags=["peru"])
    await load_files([later], now=NOW)
    assert [status for status, _ in await links(seed)] == ["PUBLISHED"]
    assert await out_of_step() == []


async def test_plain_sql_keeps_the_copy_in_step() -> None:
    """The triggers, not the write core, keep the copy: a statement from elsewhere too."""
    await load_files([SEED_JSON], now=NOW)
    connection = connections.get("default")
    await connection.execute_query("UPDATE article SET status = 'ARCHIVED', published_at = NULL")
    assert await out_of_step() == []
    await connection.execute_query("UPDATE article SET published_at = updated_at")
    assert await out_of_step() == []
    await connection.execute_query(
        "INSERT INTO article_tag (article_id, tag_id, position)"
        " SELECT a.id, t.id, 99 FROM article a, tag t"
        " WHERE NOT EXISTS (SELECT 1 FROM article_tag l WHERE l.article_id = a.id"
        " AND l.tag_id = t.id) AND t.id = (SELECT MIN(id) FROM tag)"
    )
    assert await out_of_step() == []

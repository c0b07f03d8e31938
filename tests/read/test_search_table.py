"""The search index follows every write to an article, whoever makes it (its triggers, not the
write core, keep it): text changed, visibility changed, article deleted. PostgreSQL's narrow
``article_search`` table (migration 0012) is compared with vectors made afresh from the article;
on both databases a search sees each change."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from tortoise import connections

from cms.fixtures.service import load_files
from cms.read import search
from cms.read.sql import fetch
from cms.read.visibility import Viewer
from tests.conftest import SEED_JSON
from tests.databases import DIALECT

pytestmark = pytest.mark.usefixtures("database")

NOW = datetime(2026, 3, 1, 9, tzinfo=UTC)
_HEAD = (
    "setweight(to_tsvector('cms_search', coalesce(a.title, '')), 'A')"
    " || setweight(to_tsvector('cms_search', coalesce(a.summary, '')), 'B')"
)
_BODY = "setweight(to_tsvector('cms_search', coalesce(a.body_text, '')), 'C')"


async def out_of_step() -> list[Any]:
    """PostgreSQL: articles whose search row is missing or differs from one made afresh, and
    search rows without an article. SQLite: none (its index is checked through searches)."""
    if DIALECT != "postgres":
        return []
    rows = await fetch(
        "SELECT a.id FROM article a LEFT JOIN article_search s ON s.id = a.id"
        " WHERE s.id IS NULL OR s.status IS DISTINCT FROM a.status"
        " OR s.published_at IS DISTINCT FROM a.published_at"
        f" OR s.search_head <> ({_HEAD}) OR s.search_vector <> ({_HEAD} || {_BODY})"
        " UNION ALL SELECT s.id FROM article_search s"
        " WHERE NOT EXISTS (SELECT 1 FROM article a WHERE a.id = s.id)"
    )
    return [tuple(row) for row in rows]


async def found(word: str, preview: bool = False) -> int:
    return await search.count(Viewer(NOW, preview=preview), word, None)


async def test_plain_sql_writes_reach_the_search_index() -> None:
    await load_files([SEED_JSON], now=NOW)
    assert await out_of_step() == []
    assert await found("Boluarte") == 1
    connection = connections.get("default")

    await connection.execute_query("UPDATE article SET title = 'Zeppelinfield opens'")
    assert await out_of_step() == []
    assert await found("zeppelinfield") == 1
    await connection.execute_query("UPDATE article SET body_text = 'Only quokkas now.'")
    assert await out_of_step() == []
    assert await found("quokkas") == 1 and await found("Boluarte") == 0

    await connection.execute_query("UPDATE article SET status = 'DRAFT'")
    assert await out_of_step() == []
    assert await found("quokkas") == 0 and await found("quokkas", preview=True) == 1

    await connection.execute_query("DELETE FROM article")
    assert await out_of_step() == []
    assert await found("quokkas", preview=True) == 0

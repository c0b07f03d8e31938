"""Per-parent pages that rank ids first and join the article rows after (``joined_after``)
are the pages the one-step window query reads, and one parent's page (ORDER BY ... LIMIT, not a
window) is that parent's page among several: same rows, order, cursors and flags, for every
ordering, direction, offset and cursor, for anonymous and preview viewers, on SQLite and on
PostgreSQL. On SQLite the ranking also reads through the visibility index (``INDEXED BY``),
as the tag page does at scale.

The tag page's newest- and oldest-first pages and its counts are ranked from the tag links'
copy of their articles' visibility (:class:`cms.read.listing.Ranking`, migration 0011): the
same pages again, and the same counts, with articles changed after they were tagged."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cms.models import Article, ArticleStatus, ArticleTag, Tag, TagKind
from cms.read import articles
from cms.read.listing import Listing, count, fetch_pages
from cms.read.pages import Page, Window
from cms.read.rows import ArticleRow
from cms.read.sql import dialect, ordered_join
from cms.read.visibility import Viewer

pytestmark = pytest.mark.usefixtures("database")

NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)
STATUSES = [ArticleStatus.PUBLISHED] * 4 + [ArticleStatus.DRAFT, ArticleStatus.ARCHIVED]


async def store() -> list[int]:
    """Three tags over 40 articles with long bodies, shared publication times (ties), some
    unpublished, scheduled or without a publication time."""
    tags = [
        await Tag.create(slug=f"tag-{n}", name=f"Tag {n}", kind=TagKind.TOPIC) for n in range(3)
    ]
    for n in range(40):
        published = None if n % 11 == 0 else NOW - timedelta(days=n // 3 - 2)
        article = await Article.create(
            slug=f"article-{n}",
            title=f"Title {(n * 7) % 13}",
            summary="s",
            body="word " * 3000,
            body_text="word " * 3000,
            status=STATUSES[n % len(STATUSES)],
            published_at=published,
            updated_at=NOW - timedelta(hours=(n * 5) % 17),
        )
        for position, tag in enumerate(t for i, t in enumerate(tags) if n % (i + 1) == 0):
            await ArticleTag.create(article=article, tag=tag, position=position)
    # Changed after they were tagged: the links' copies must follow (published, unpublished,
    # scheduled, moved to a time shared with others, and unchanged values written again).
    for n in range(0, 40, 7):
        await Article.filter(slug=f"article-{n}").update(
            status=STATUSES[(n + 1) % len(STATUSES)],
            published_at=None if n % 2 else NOW - timedelta(days=(n % 5) - 1),
        )
    await Article.filter(slug="article-3").update(status=ArticleStatus.PUBLISHED)
    return [tag.id for tag in tags]


def reference(listing: Listing[ArticleRow]) -> Listing[ArticleRow]:
    """Whole rows numbered by one window over the join: no ranking first, no copies read."""
    return dataclasses.replace(
        listing,
        source=f"article_tag at {ordered_join()} article a ON a.id = at.article_id",
        joined_after=None,
        ranking=None,
    )


def joined(listing: Listing[ArticleRow]) -> Listing[ArticleRow]:
    """Ids ranked through the article table's visibility index, rows joined after."""
    indexed = " INDEXED BY article_visibility_idx" if dialect() == "sqlite" else ""
    return dataclasses.replace(
        listing,
        source=f"article_tag at {ordered_join()} article a{indexed} ON a.id = at.article_id",
        joined_after=("article a", "a.id"),
        ranking=None,
    )


def plain(pages: dict[Any, Page[ArticleRow]]) -> dict[Any, Any]:
    return {
        parent: (
            [dataclasses.astuple(row) for row in page.rows],
            page.cursors,
            page.has_next,
            page.has_previous,
        )
        for parent, page in pages.items()
    }


async def test_joined_after_reads_the_same_pages_as_one_window() -> None:
    tag_ids = await store()
    compared = ranked = 0
    for viewer in (Viewer(NOW), Viewer(NOW, preview=True)):
        listing = articles.by_tag(viewer)
        assert listing.ranking is not None
        reads = (reference(listing), joined(listing), listing)
        for field in articles.SortField:
            for descending in (True, False):
                ordering = articles.ordering(field, descending)
                ranked += listing.ranking.serves(ordering)
                for backward in (False, True):
                    first = Window(limit=4, backward=backward)
                    pages = await fetch_pages(listing, ordering, first, tag_ids)
                    windows = [first, Window(limit=3, backward=backward, offset=5)]
                    # Continue from a cursor in the middle of each parent's first page.
                    for page in pages.values():
                        if len(page.rows) > 1:
                            cursor = ordering_values(ordering, page.rows[1])
                            windows.append(Window(limit=5, backward=backward, cursor=cursor))
                    for window in windows:
                        # Several parents: a window query; one parent: ORDER BY ... LIMIT.
                        expected = plain(
                            await fetch_pages(reference(listing), ordering, window, tag_ids)
                        )
                        for read in reads[1:]:
                            found = await fetch_pages(read, ordering, window, tag_ids)
                            assert plain(found) == expected
                        for tag_id in tag_ids:
                            for read in reads:
                                one = await fetch_pages(read, ordering, window, [tag_id])
                                assert plain(one) == {tag_id: expected[tag_id]}
                            compared += len(expected[tag_id][0])
    assert compared > 500  # the pages compared were not empty
    assert ranked == 4  # newest and oldest first, for both viewers, read the links' copies


async def test_the_links_count_what_the_articles_count() -> None:
    tag_ids = await store()
    for now in (NOW - timedelta(days=3), NOW, NOW + timedelta(days=30)):
        for viewer in (Viewer(now), Viewer(now, preview=True)):
            listing = articles.by_tag(viewer)
            expected = await count(reference(listing), tag_ids)
            assert await count(listing, tag_ids) == expected
            for tag_id in tag_ids:
                assert await count(listing, [tag_id]) == {tag_id: expected[tag_id]}
    assert len(set((await count(articles.by_tag(Viewer(NOW)), tag_ids)).values())) > 1


def ordering_values(ordering: Any, row: ArticleRow) -> tuple[Any, ...]:
    by_expression = {
        "a.published_at": row.published_at,
        "a.updated_at": row.updated_at,
        "a.id": row.pk,
    }
    values = [by_expression.get(key.expression, row.title) for key in ordering.keys]
    return tuple(v.isoformat() if isinstance(v, datetime) else v for v in values)

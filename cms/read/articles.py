"""Article queries: the filtered, ordered list, per-tag lists, and lookups by id or slug."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from cms.models import ArticleStatus
from cms.read.listing import Key, Listing, Ordering, Ranking
from cms.read.pages import UserInputError
from cms.read.rows import ARTICLES, FULL_ARTICLE, LISTED_ARTICLE, ArticleRow
from cms.read.sql import binary_order, dialect, fetch, ordered_join, placeholders
from cms.read.visibility import Viewer

#: Most tags one `filter.tags` may require.
MAX_FILTER_TAGS = 50


class SortField(StrEnum):
    PUBLISHED_AT = "PUBLISHED_AT"
    UPDATED_AT = "UPDATED_AT"
    TITLE = "TITLE"


@dataclass(frozen=True)
class ArticleFilter:
    status: ArticleStatus | None = None
    #: Tag slugs; an article matches when it carries all of them.
    tags: tuple[str, ...] = ()
    #: A contributor's slug: articles with an image credited to them.
    contributor: str | None = None
    #: Inclusive lower bound on publishedAt.
    published_after: datetime | None = None
    #: Exclusive upper bound on publishedAt.
    published_before: datetime | None = None

    def conditions(self) -> tuple[list[str], list[Any]]:
        if len(self.tags) > MAX_FILTER_TAGS:
            raise UserInputError(
                f"`filter.tags` takes at most {MAX_FILTER_TAGS} tags (got {len(self.tags)})"
            )
        conditions: list[str] = []
        params: list[Any] = []
        if self.status is not None:
            conditions.append("a.status = ?")
            params.append(self.status.value)
        # Tags need no visibility check of their own: a matching article is one the viewer may
        # see, and a tag it carries is visible to them by that alone (see Viewer.tags). A
        # hidden tag thus matches nothing, exactly as an unknown one does.
        for slug in self.tags:
            conditions.append(
                "EXISTS (SELECT 1 FROM article_tag ft JOIN tag t ON t.id = ft.tag_id"
                " WHERE ft.article_id = a.id AND t.slug = ?)"
            )
            params.append(slug)
        if self.contributor is not None:
            conditions.append(
                "EXISTS (SELECT 1 FROM image_credit fic"
                " JOIN credit_contributor fcc ON fcc.credit_id = fic.id"
                " JOIN contributor fc ON fc.id = fcc.contributor_id"
                " WHERE fic.article_id = a.id AND fc.slug = ?)"
            )
            params.append(self.contributor)
        if self.published_after is not None:
            conditions.append("a.published_at >= ?")
            params.append(self.published_after)
        if self.published_before is not None:
            conditions.append("a.published_at < ?")
            params.append(self.published_before)
        return conditions, params


def ordering(field: SortField = SortField.PUBLISHED_AT, descending: bool = True) -> Ordering:
    """Articles by ``field`` (nulls last), then by id in the same direction."""
    direction = "desc" if descending else "asc"
    first = {
        SortField.PUBLISHED_AT: Key("a.published_at", descending, nullable=True, is_datetime=True),
        SortField.UPDATED_AT: Key("a.updated_at", descending, is_datetime=True),
        SortField.TITLE: Key(binary_order("a.title"), descending),
    }[field]
    return Ordering(f"articles:{field.value}:{direction}", (first, Key("a.id", descending)))


def listing(viewer: Viewer, article_filter: ArticleFilter | None = None) -> Listing[ArticleRow]:
    """The articles ``viewer`` may see that match the filter."""
    visible, params = viewer.articles()
    conditions, filter_params = (article_filter or ArticleFilter()).conditions()
    return Listing(
        selection=LISTED_ARTICLE,
        source="article a",
        conditions=(visible, *conditions),
        params=(*params, *filter_params),
        as_of=viewer.now,
        quick=not conditions,
    )


#: SQLite: a tag's articles are ranked through the visibility index (id, status, published_at),
#: which holds what the visibility rule and the default order read; the article's own row keeps
#: those columns behind the body's overflow pages.
_BY_ID_VISIBLE = {"sqlite": " INDEXED BY article_visibility_idx", "postgres": ""}
#: SQLite: a tag's links are read through their visibility copy's index (migration 0011).
_LINK_VISIBLE = {"sqlite": " INDEXED BY article_tag_visible_idx", "postgres": ""}


def by_tag(viewer: Viewer) -> Listing[ArticleRow]:
    """Per tag (partition ``at.tag_id``): the articles carrying it that ``viewer`` may see,
    ranked by ids and sort keys, their rows read after for the page shown.

    Newest first or oldest first, pages and counts are chosen from the tag links alone: each
    link holds a copy of its article's status and publication time (migration 0011), so the
    visibility rule reads the same columns there and the index (tag, status, published_at,
    article) holds a page in order. Other orderings rank through the article table."""
    visible, params = viewer.articles()
    linked, linked_params = viewer.articles("at")
    return Listing(
        selection=LISTED_ARTICLE,
        source=f"article_tag at {ordered_join()} article a{_BY_ID_VISIBLE[dialect()]}"
        " ON a.id = at.article_id",
        conditions=(visible,),
        params=tuple(params),
        partition="at.tag_id",
        as_of=viewer.now,
        joined_after=("article a", "a.id"),
        ranking=Ranking(
            source=f"article_tag at{_LINK_VISIBLE[dialect()]}",
            conditions=(linked,),
            params=tuple(linked_params),
            partition="at.tag_id",
            pk="at.article_id",
            keys=(("a.published_at", "at.published_at"), ("a.id", "at.article_id")),
        ),
    )


async def by_ids(viewer: Viewer, ids: Sequence[int]) -> dict[int, ArticleRow]:
    visible, params = viewer.articles()
    rows = await fetch(
        f"SELECT {FULL_ARTICLE.sql} FROM article a"
        f" WHERE a.id IN ({placeholders(len(ids))}) AND {visible}",
        [*ids, *params],
    )
    return {row.pk: row for row in map(FULL_ARTICLE.make, rows)}


async def by_slugs(viewer: Viewer, slugs: Sequence[str]) -> dict[str, ArticleRow]:
    visible, params = viewer.articles()
    rows = await fetch(
        f"SELECT {FULL_ARTICLE.sql} FROM article a"
        f" WHERE a.slug IN ({placeholders(len(slugs))}) AND {visible}",
        [*slugs, *params],
    )
    return {row.slug: row for row in map(FULL_ARTICLE.make, rows)}


#: An article's id and body, for bodies left out of a list.
_BODY = ARTICLES.pick("pk", "body")
_BODY_PK, _BODY_TEXT = _BODY.at("pk"), _BODY.at("body")


async def bodies(ids: Sequence[int]) -> dict[int, str]:
    """Bodies of articles read by a list (already checked for visibility there)."""
    rows = await fetch(
        f"SELECT {_BODY.sql} FROM article a WHERE a.id IN ({placeholders(len(ids))})", ids
    )
    return {row[_BODY_PK]: row[_BODY_TEXT] for row in rows}

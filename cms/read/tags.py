"""Tag queries: an article's tags in order, the tag list by name, lookups, per-tag counts.

For viewers without preview rights a tag exists only through a visible article (see
:meth:`cms.read.visibility.Viewer.tags`): one carried only by drafts, archived or scheduled
articles is not listed, counted or found, by slug or by id.
"""

from __future__ import annotations

from collections.abc import Sequence

from cms.models import TagKind
from cms.read.listing import Key, Listing, Ordering
from cms.read.rows import TAG, TAGS, TagRow
from cms.read.sql import binary_order, fetch, placeholders
from cms.read.visibility import Viewer


def ordering() -> Ordering:
    """Tags by name, then id."""
    return Ordering("tags:name", (Key(binary_order("t.name"), False), Key("t.id", False)))


def listing(viewer: Viewer, kind: TagKind | None = None) -> Listing[TagRow]:
    """The tags ``viewer`` may see, optionally of one kind."""
    visible, params = viewer.tags()
    conditions, values = [visible], list(params)
    if kind is not None:
        conditions.append("t.kind = ?")
        values.append(kind.value)
    return Listing(TAG, "tag t", tuple(conditions), tuple(values), as_of=viewer.now)


#: A tag with the article carrying it.
_OF_ARTICLE = TAGS.select(before=[("article_id", "at.article_id")])
_ARTICLE_ID = _OF_ARTICLE.at("article_id")


async def by_articles(article_ids: Sequence[int]) -> dict[int, list[TagRow]]:
    """Each article's tags, in the order they were given (the article is already visible, so
    its tags are too)."""
    rows = await fetch(
        f"SELECT {_OF_ARTICLE.sql} FROM article_tag at"
        " JOIN tag t ON t.id = at.tag_id"
        f" WHERE at.article_id IN ({placeholders(len(article_ids))})"
        " ORDER BY at.article_id, at.position",
        article_ids,
    )
    result: dict[int, list[TagRow]] = {article_id: [] for article_id in article_ids}
    make = _OF_ARTICLE.make
    for row in rows:
        result[row[_ARTICLE_ID]].append(make(row))
    return result


async def by_ids(viewer: Viewer, ids: Sequence[int]) -> dict[int, TagRow]:
    """Tags by id, only those ``viewer`` may see."""
    visible, params = viewer.tags()
    rows = await fetch(
        f"SELECT {TAG.sql} FROM tag t WHERE t.id IN ({placeholders(len(ids))}) AND {visible}",
        [*ids, *params],
    )
    return {row.pk: row for row in map(TAG.make, rows)}


async def by_slugs(viewer: Viewer, slugs: Sequence[str]) -> dict[str, TagRow]:
    """Tags by slug, only those ``viewer`` may see."""
    visible, params = viewer.tags()
    rows = await fetch(
        f"SELECT {TAG.sql} FROM tag t WHERE t.slug IN ({placeholders(len(slugs))}) AND {visible}",
        [*slugs, *params],
    )
    return {row.slug: row for row in map(TAG.make, rows)}

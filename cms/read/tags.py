"""Tag queries: an article's tags in order, the tag list by name, lookups, per-tag counts."""

from __future__ import annotations

from collections.abc import Sequence

from cms.models import TagKind
from cms.read.listing import Key, Listing, Ordering
from cms.read.rows import TAG_COLUMNS, TagRow, tag_row
from cms.read.sql import binary_order, fetch, placeholders


def ordering() -> Ordering:
    """Tags by name, then id."""
    return Ordering("tags:name", (Key(binary_order("t.name"), False), Key("t.id", False)))


def listing(kind: TagKind | None = None) -> Listing[TagRow]:
    """Every tag (tags themselves are public), optionally of one kind."""
    if kind is None:
        return Listing(TAG_COLUMNS, tag_row, "tag t")
    return Listing(TAG_COLUMNS, tag_row, "tag t", ("t.kind = ?",), (kind.value,))


async def by_articles(article_ids: Sequence[int]) -> dict[int, list[TagRow]]:
    """Each article's tags, in the order they were given."""
    rows = await fetch(
        f"SELECT at.article_id, {TAG_COLUMNS} FROM article_tag at"
        " JOIN tag t ON t.id = at.tag_id"
        f" WHERE at.article_id IN ({placeholders(len(article_ids))})"
        " ORDER BY at.article_id, at.position",
        article_ids,
    )
    result: dict[int, list[TagRow]] = {article_id: [] for article_id in article_ids}
    for row in rows:
        result[row[0]].append(tag_row(row[1:]))
    return result


async def by_ids(ids: Sequence[int]) -> dict[int, TagRow]:
    rows = await fetch(
        f"SELECT {TAG_COLUMNS} FROM tag t WHERE t.id IN ({placeholders(len(ids))})", ids
    )
    return {row.pk: row for row in map(tag_row, rows)}


async def by_slugs(slugs: Sequence[str]) -> dict[str, TagRow]:
    rows = await fetch(
        f"SELECT {TAG_COLUMNS} FROM tag t WHERE t.slug IN ({placeholders(len(slugs))})", slugs
    )
    return {row.slug: row for row in map(tag_row, rows)}

"""Image credit queries: an article's credits in order, a contributor's credits newest first."""

from __future__ import annotations

from collections.abc import Sequence

from cms.read.listing import Key, Listing, Ordering
from cms.read.rows import CREDIT, CreditRow
from cms.read.sql import fetch, ordered_join, placeholders
from cms.read.visibility import Viewer


async def by_articles(article_ids: Sequence[int]) -> dict[int, list[CreditRow]]:
    """Each article's credits in the order they were given (the article is already visible)."""
    rows = await fetch(
        f"SELECT {CREDIT.sql} FROM image_credit ic"
        f" WHERE ic.article_id IN ({placeholders(len(article_ids))})"
        " ORDER BY ic.article_id, ic.position",
        article_ids,
    )
    result: dict[int, list[CreditRow]] = {article_id: [] for article_id in article_ids}
    for row in map(CREDIT.make, rows):
        result[row.article_id].append(row)
    return result


async def by_ids(viewer: Viewer, ids: Sequence[int]) -> dict[int, CreditRow]:
    """Credits by id, only those on articles ``viewer`` may see."""
    visible, params = viewer.articles()
    rows = await fetch(
        f"SELECT {CREDIT.sql} FROM image_credit ic JOIN article a ON a.id = ic.article_id"
        f" WHERE ic.id IN ({placeholders(len(ids))}) AND {visible}",
        [*ids, *params],
    )
    return {row.pk: row for row in map(CREDIT.make, rows)}


def ordering() -> Ordering:
    """Newest article first (nulls last), then credit id, descending."""
    return Ordering(
        "credits:newest",
        (Key("a.published_at", True, nullable=True, is_datetime=True), Key("ic.id", True)),
    )


def by_contributor(viewer: Viewer) -> Listing[CreditRow]:
    """Per contributor (partition ``cc.contributor_id``): their credits on visible articles."""
    visible, params = viewer.articles()
    return Listing(
        selection=CREDIT,
        source=f"credit_contributor cc {ordered_join()} image_credit ic ON ic.id = cc.credit_id"
        f" {ordered_join()} article a ON a.id = ic.article_id",
        conditions=(visible,),
        params=tuple(params),
        partition="cc.contributor_id",
        as_of=viewer.now,
    )

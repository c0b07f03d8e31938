"""Contributor queries: a credit's people in order, the list by name, lookups.

For viewers without preview rights a contributor exists only through a visible article: one
credited only on drafts is not listed, counted or found.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cms.read.listing import Key, Listing, Ordering
from cms.read.rows import CONTRIBUTOR, CONTRIBUTORS, ContributorRow
from cms.read.sql import binary_order, fetch, placeholders
from cms.read.visibility import Viewer


def _visible(viewer: Viewer) -> tuple[str, list[Any]]:
    if viewer.preview:
        return "1 = 1", []
    visible, params = viewer.articles("va")
    return (
        "EXISTS (SELECT 1 FROM credit_contributor vcc"
        " JOIN image_credit vic ON vic.id = vcc.credit_id"
        " JOIN article va ON va.id = vic.article_id"
        f" WHERE vcc.contributor_id = c.id AND {visible})",
        params,
    )


def ordering() -> Ordering:
    """Contributors by name, then id."""
    return Ordering("contributors:name", (Key(binary_order("c.name"), False), Key("c.id", False)))


def listing(viewer: Viewer) -> Listing[ContributorRow]:
    visible, params = _visible(viewer)
    return Listing(CONTRIBUTOR, "contributor c", (visible,), tuple(params), as_of=viewer.now)


#: A contributor with the credit naming them.
_OF_CREDIT = CONTRIBUTORS.select(before=[("credit_id", "cc.credit_id")])
_CREDIT_ID = _OF_CREDIT.at("credit_id")


async def by_credits(credit_ids: Sequence[int]) -> dict[int, list[ContributorRow]]:
    """Each credit's contributors, in the order they were given."""
    rows = await fetch(
        f"SELECT {_OF_CREDIT.sql} FROM credit_contributor cc"
        " JOIN contributor c ON c.id = cc.contributor_id"
        f" WHERE cc.credit_id IN ({placeholders(len(credit_ids))})"
        " ORDER BY cc.credit_id, cc.position",
        credit_ids,
    )
    result: dict[int, list[ContributorRow]] = {credit_id: [] for credit_id in credit_ids}
    make = _OF_CREDIT.make
    for row in rows:
        result[row[_CREDIT_ID]].append(make(row))
    return result


async def by_ids(viewer: Viewer, ids: Sequence[int]) -> dict[int, ContributorRow]:
    visible, params = _visible(viewer)
    rows = await fetch(
        f"SELECT {CONTRIBUTOR.sql} FROM contributor c"
        f" WHERE c.id IN ({placeholders(len(ids))}) AND {visible}",
        [*ids, *params],
    )
    return {row.pk: row for row in map(CONTRIBUTOR.make, rows)}


async def by_slugs(viewer: Viewer, slugs: Sequence[str]) -> dict[str, ContributorRow]:
    visible, params = _visible(viewer)
    rows = await fetch(
        f"SELECT {CONTRIBUTOR.sql} FROM contributor c"
        f" WHERE c.slug IN ({placeholders(len(slugs))}) AND {visible}",
        [*slugs, *params],
    )
    return {row.slug: row for row in map(CONTRIBUTOR.make, rows)}

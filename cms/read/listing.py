"""Keyset-paged listings, for one list or for many parents' lists in one statement.

A :class:`Listing` says what to select from where and under which conditions; an
:class:`Ordering` says how rows sort (nulls last in either direction, with the id as the final
tie-break). :func:`fetch_pages` then reads a page of every parent's list at once with
``ROW_NUMBER() OVER (PARTITION BY ...)``, which is how nested connections avoid N+1.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Generic, TypeVar

from cms.read import counts
from cms.read.columns import Selection, SelectList
from cms.read.pages import Page, UserInputError, Window, encode_cursor
from cms.read.sql import Row, as_datetime, fetch, fetch_value, ordered_join, placeholders

R = TypeVar("R")

#: The parent key of a top-level (not per-parent) listing.
TOP = None
#: Pages that start further in than this skip as many rows first: not a quick read.
QUICK_OFFSET = 1_000


@dataclass(frozen=True)
class Key:
    """One sort key: an SQL expression, its direction, and whether it may be NULL."""

    expression: str
    descending: bool
    nullable: bool = False
    is_datetime: bool = False


@dataclass(frozen=True)
class Ordering:
    #: Written into cursors, so a cursor only works with the ordering that made it.
    name: str
    keys: tuple[Key, ...]

    def sql(self, backward: bool) -> str:
        parts = []
        for key in self.keys:
            descending = key.descending != backward
            direction = "DESC" if descending else "ASC"
            if key.nullable:
                # Nulls last in the ordering itself; first when reading it backwards.
                direction += " NULLS FIRST" if backward else " NULLS LAST"
            parts.append(f"{key.expression} {direction}")
        return ", ".join(parts)

    def after(self, values: tuple[Any, ...], backward: bool) -> tuple[str, list[Any]]:
        """A condition true for rows strictly after ``values`` in reading order."""
        if len(values) != len(self.keys):
            raise UserInputError("the cursor does not fit this ordering")
        alternatives: list[str] = []
        params: list[Any] = []
        equal: list[str] = []
        equal_params: list[Any] = []
        for key, raw in zip(self.keys, values, strict=True):
            value = _cursor_value(key, raw)
            descending = key.descending != backward
            nulls_last = not backward
            if value is None:
                later = "" if nulls_last else f"{key.expression} IS NOT NULL"
                later_params: list[Any] = []
            else:
                compare = "<" if descending else ">"
                later = f"{key.expression} {compare} ?"
                later_params = [value]
                if key.nullable and nulls_last:
                    later = f"({later} OR {key.expression} IS NULL)"
            if later:
                alternatives.append(" AND ".join([*equal, later]))
                params.extend([*equal_params, *later_params])
            if value is None:
                equal.append(f"{key.expression} IS NULL")
            else:
                equal.append(f"{key.expression} = ?")
                equal_params.append(value)
        if not alternatives:
            return "1 = 0", []
        return "(" + " OR ".join(f"({a})" for a in alternatives) + ")", params

    def renamed(self, names: dict[str, str]) -> Ordering:
        """The same ordering over other names for its keys (``names`` maps each expression)."""
        keys = tuple(replace(key, expression=names[key.expression]) for key in self.keys)
        return Ordering(self.name, keys)


def _cursor_value(key: Key, raw: Any) -> Any:
    if raw is None:
        return None
    if key.is_datetime:
        try:
            parsed = datetime.fromisoformat(raw) if isinstance(raw, str) else None
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            raise UserInputError("the cursor does not fit this ordering")
        return parsed
    if not isinstance(raw, (int, str)) or isinstance(raw, bool):
        raise UserInputError("the cursor does not fit this ordering")
    return raw


@dataclass(frozen=True)
class Ranking:
    """A narrower table to choose per-parent pages (and count them) in: one that holds, for
    every row of a :class:`Listing`, its parent, its id, what the listing's conditions read and
    some of its sort keys (copies kept in step by triggers). A page's ids are then ranked from
    an index of that table alone, and the rows joined after (:attr:`Listing.joined_after`).

    E.g. a tag's articles: ``article_tag`` holds each link's tag, article id, and the article's
    status and publication time (migration 0011), enough to rank a tag's visible articles
    newest first without reading the article table."""

    source: str
    #: The listing's conditions, written over ``source``, and their parameters.
    conditions: tuple[str, ...]
    params: tuple[Any, ...]
    #: The parent key in ``source``.
    partition: str
    #: The id of the joined table's row in ``source`` (``joined_after``'s id, copied).
    pk: str
    #: The sort keys ``source`` holds: each ordering expression, and its name in ``source``.
    keys: tuple[tuple[str, str], ...]

    def serves(self, ordering: Ordering) -> bool:
        held = dict(self.keys)
        return all(key.expression in held for key in ordering.keys)

    def where(self, parents: Sequence[Hashable]) -> tuple[list[str], list[Any]]:
        conditions = [*self.conditions, f"{self.partition} IN ({placeholders(len(parents))})"]
        return conditions, [*self.params, *parents]


@dataclass(frozen=True)
class Listing(Generic[R]):
    """Rows of one kind: ``SELECT selection FROM source WHERE conditions``, per ``partition``."""

    #: What to select and how to make a row of it (see :mod:`cms.read.columns`).
    selection: Selection[R]
    source: str
    conditions: tuple[str, ...] = ()
    params: tuple[Any, ...] = ()
    #: The parent-key expression for per-parent listings (e.g. ``at.tag_id``).
    partition: str | None = None
    #: The request time among ``params`` (the visibility rule's), if any: counts are kept
    #: across requests, so it is left out of their key (see :mod:`cms.read.counts`).
    as_of: datetime | None = None
    #: Whether a page reads a few rows through an index (not so with filters that may pass
    #: over many rows to find a few): see ``quick`` in :func:`cms.read.sql.fetch`.
    quick: bool = True
    #: Per-parent pages: the table (with its alias, as the selection names it) whose rows are
    #: read only for the rows a page shows, and the expression of its id there, e.g.
    #: ``("article a", "a.id")``. The window then ranks ids and sort keys alone, which an index
    #: can hold, and the wide rows are joined after (SQLite stores an article's later columns
    #: behind its body's overflow pages: ranking whole rows walks them for every article of
    #: the parent, not only for the page). The ordering's keys must be of that table.
    joined_after: tuple[str, str] | None = None
    #: Per-parent pages and counts: where to rank and count instead of ``source``, for the
    #: orderings it serves (see :class:`Ranking`); needs ``joined_after``.
    ranking: Ranking | None = None

    def __post_init__(self) -> None:
        if self.ranking is not None and self.joined_after is None:
            raise ValueError("a ranking chooses rows to join after: set joined_after")

    def _ranking(self, ordering: Ordering | None, parents: object) -> Ranking | None:
        """The ranking to read per-parent pages (of ``ordering``) or counts from, if any."""
        ranking = self.ranking
        if ranking is None or parents is None or self.partition is None:
            return None
        return ranking if ordering is None or ranking.serves(ordering) else None

    def _where(self, parents: Sequence[Hashable] | None) -> tuple[list[str], list[Any]]:
        conditions, params = list(self.conditions), list(self.params)
        if parents is not None and self.partition is not None:
            conditions.append(f"{self.partition} IN ({placeholders(len(parents))})")
            params.extend(parents)
        return conditions, params


def _key_values(ordering: Ordering, row: Row, start: int) -> tuple[Any, ...]:
    """The sort-key values of ``row``, selected from position ``start`` on in key order."""
    values = []
    for offset, key in enumerate(ordering.keys):
        value = row[start + offset]
        values.append(as_datetime(value) if key.is_datetime else value)
    return tuple(values)


@dataclass(frozen=True)
class _Ranked:
    """Where a joined-after page's ids are ranked: the listing's own source, or its
    :class:`Ranking` (with the ordering renamed to the ranking's keys)."""

    source: str
    pk: str
    partition: str | None
    ordering: Ordering


async def fetch_pages(
    listing: Listing[R],
    ordering: Ordering,
    window: Window,
    parents: Sequence[Hashable] | None = None,
) -> dict[Hashable, Page[R]]:
    """A page of the listing per parent (or the one page, under :data:`TOP`)."""
    ranking = listing._ranking(ordering, parents)
    if ranking is not None and parents is not None:
        conditions, params = ranking.where(parents)
        ranked = _Ranked(
            ranking.source, ranking.pk, ranking.partition, ordering.renamed(dict(ranking.keys))
        )
    else:
        conditions, params = listing._where(parents)
        pk = listing.joined_after[1] if listing.joined_after else ""
        ranked = _Ranked(listing.source, pk, listing.partition, ordering)
    if window.cursor is not None:
        condition, cursor_params = ranked.ordering.after(window.cursor, window.backward)
        conditions.append(condition)
        params.extend(cursor_params)
    where = " AND ".join(conditions) or "1 = 1"
    keys = ", ".join(key.expression for key in ordering.keys)
    order = ordering.sql(window.backward)
    # The select list: the row's columns, then the sort keys, then (per parent) the parent key.
    selection = listing.selection
    keys_at = selection.width
    parent_at = keys_at + len(ordering.keys)
    rows_by_parent: dict[Hashable, list[Row]] = {}
    quick = listing.quick and window.offset <= QUICK_OFFSET
    one_parent = listing.partition is not None and parents is not None and len(parents) == 1
    if listing.partition is None or parents is None or one_parent:
        # One list (a top-level one, or one parent's): ORDER BY ... LIMIT keeps only a page's
        # rows while it sorts, where a window would number every row of the parent.
        sql = _limited(listing, ranked, where, keys, order, window.backward, joined=one_parent)
        found = await fetch(sql, [*params, window.limit + 1, window.offset], quick=quick)
        rows_by_parent[parents[0] if one_parent and parents else TOP] = found
    else:
        sql = _windowed(listing, ranked, where, keys, window.backward)
        limit = window.offset + window.limit + 1
        for row in await fetch(sql, [*params, window.offset, limit], quick=quick):
            rows_by_parent.setdefault(row[parent_at], []).append(row)
    pages: dict[Hashable, Page[R]] = {}
    make = selection.make
    for parent in [TOP] if parents is None else parents:
        rows = rows_by_parent.get(parent, [])
        more = len(rows) > window.limit
        rows = rows[: window.limit]
        if window.backward:
            rows.reverse()
        pages[parent] = Page(
            rows=[make(row) for row in rows],
            cursors=[
                encode_cursor(ordering.name, _key_values(ordering, row, keys_at)) for row in rows
            ],
            has_next=window.cursor is not None if window.backward else more,
            has_previous=more
            if window.backward
            else (window.cursor is not None or window.offset > 0),
        )
    return pages


def _limited(
    listing: Listing[Any],
    ranked: _Ranked,
    where: str,
    keys: str,
    order: str,
    backward: bool,
    *,
    joined: bool,
) -> str:
    """One list's page: the select list and the sort keys, bounded by two parameters (LIMIT,
    OFFSET); with ``joined`` and :attr:`Listing.joined_after`, ids are ordered first."""
    if not joined or listing.joined_after is None:
        return (
            f"SELECT {listing.selection.sql}, {keys} FROM {listing.source} WHERE {where} "
            f"ORDER BY {order} LIMIT ? OFFSET ?"
        )
    table, pk = listing.joined_after
    return (
        f"SELECT {listing.selection.sql}, {keys} FROM"
        f" (SELECT {ranked.pk} AS p_id FROM {ranked.source} WHERE {where}"
        f" ORDER BY {ranked.ordering.sql(backward)} LIMIT ? OFFSET ?) AS ranked"
        f" {ordered_join()} {table} ON {pk} = ranked.p_id ORDER BY {order}"
    )


def _windowed(listing: Listing[Any], ranked: _Ranked, where: str, keys: str, backward: bool) -> str:
    """Per-parent pages in one statement: the select list, the sort keys, then ``p_key`` (the
    parent) and ``p_row`` (the place in its list), bounded by two parameters."""
    partition = ranked.partition
    numbered = (
        f"ROW_NUMBER() OVER (PARTITION BY {partition} ORDER BY {ranked.ordering.sql(backward)})"
        " AS p_row"
    )
    if listing.joined_after is None:
        return (
            f"SELECT * FROM (SELECT {listing.selection.sql}, {keys}, {partition} AS p_key, "
            f"{numbered} FROM {listing.source} WHERE {where}) AS ranked "
            "WHERE p_row > ? AND p_row <= ? ORDER BY p_key, p_row"
        )
    table, pk = listing.joined_after
    # The ranked ids drive the join (CROSS JOIN keeps that order on SQLite): one row lookup
    # per id a page shows.
    return (
        f"SELECT {listing.selection.sql}, {keys}, ranked.p_key, ranked.p_row FROM"
        f" (SELECT {ranked.pk} AS p_id, {partition} AS p_key, {numbered}"
        f" FROM {ranked.source} WHERE {where}) AS ranked"
        f" {ordered_join()} {table} ON {pk} = ranked.p_id"
        " WHERE ranked.p_row > ? AND ranked.p_row <= ? ORDER BY ranked.p_key, ranked.p_row"
    )


async def count(
    listing: Listing[Any], parents: Sequence[Hashable] | None = None
) -> dict[Hashable, int]:
    """How many rows the listing holds, per parent (or under :data:`TOP`); kept per content
    version and next publication when counted for a request."""
    ranking = listing._ranking(None, parents)
    partition: str | None
    if ranking is not None and parents is not None:
        source, partition = ranking.source, ranking.partition
        conditions, params = ranking.where(parents)
    else:
        source, partition = listing.source, listing.partition
        conditions, params = listing._where(parents)
    key = counts.key_for(source, conditions, params, listing.as_of, parents)
    if key is None or listing.as_of is None:
        return await _count(source, partition, conditions, params, parents)
    stamp, kept = await counts.lookup(key, listing.as_of)
    if kept is not None:
        return kept
    result = await _count(source, partition, conditions, params, parents)
    counts.keep(key, stamp, result)
    return result


async def _count(
    source: str,
    partition: str | None,
    conditions: list[str],
    params: list[Any],
    parents: Sequence[Hashable] | None,
) -> dict[Hashable, int]:
    where = " AND ".join(conditions) or "1 = 1"
    if partition is None or parents is None:
        total = await fetch_value(
            f"SELECT COUNT(*) FROM {source} WHERE {where}", params, quick=False
        )
        return {TOP: int(total)}
    counted_by = SelectList.labelled([("parent", partition), ("total", "COUNT(*)")])
    parent_at, total_at = counted_by.at("parent"), counted_by.at("total")
    sql = f"SELECT {counted_by.sql} FROM {source} WHERE {where} GROUP BY {partition}"
    counted = {row[parent_at]: int(row[total_at]) for row in await fetch(sql, params, quick=False)}
    return {parent: counted.get(parent, 0) for parent in parents}

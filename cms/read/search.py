"""Full-text search: a page of hits, best match first, each with an HTML-safe snippet around
the matches, and how many there are.

What is looked for is :mod:`cms.read.search_terms`; how matches rank, :mod:`cms.read.relevance`.
Snippets: SQLite's FTS5 ``snippet``, PostgreSQL's ``ts_headline``.
"""

from __future__ import annotations

import html
import secrets
from dataclasses import dataclass

from cms.read import counts, relevance, search_terms
from cms.read.articles import ArticleFilter
from cms.read.pages import Page, UserInputError, Window, encode_cursor
from cms.read.rows import ARTICLES, ArticleRow
from cms.read.sql import Row, dialect, fetch, fetch_value, placeholders
from cms.read.visibility import Viewer

#: How many tokens a snippet shows around the matches.
SNIPPET_TOKENS = 24
ORDERING = "search"
#: The largest hit index a cursor may hold (far beyond any real result, within SQLite's range).
_MAX_INDEX = 2**53


@dataclass(slots=True)
class Hit:
    article: ArticleRow
    snippet: str
    score: float


def _headline_options(markers: tuple[str, str]) -> str:
    opening, closing = markers
    return (
        f'StartSel="{opening}", StopSel="{closing}", MaxWords={SNIPPET_TOKENS + 11}, '
        'MinWords=15, MaxFragments=2, FragmentDelimiter=" … "'
    )


def _markers() -> tuple[str, str]:
    """Match markers for one query. The text itself may hold any character (private-use ones
    included), so the markers carry a random nonce that the text cannot know in advance."""
    nonce = secrets.token_hex(8)
    return f"\ue000{nonce}\ue001", f"\ue001{nonce}\ue000"


#: Stand-ins for "<" and ">" in text given to PostgreSQL's ts_headline.
_ANGLES = "\ue002\ue003"

#: A hit's article as lists read it, and its snippet. PostgreSQL: angle brackets would read as
#: markup to the headline parser, which drops tags: stand-ins keep them as text until the
#: snippet is escaped.
_HIT = {
    "postgres": ARTICLES.select(
        omit={"body"},
        after=[
            (
                "snippet",
                "ts_headline('cms_search', translate(concat_ws(' … ',"
                " a.title, a.summary, a.body_text), '<>', ?), q.query, ?)",
            )
        ],
    ),
    "sqlite": ARTICLES.select(omit={"body"}, after=[("snippet", "snippets.snippet")]),
}


def _snippet(raw: str | None, markers: tuple[str, str]) -> str:
    # html.escape leaves the markers alone: they hold no "&", "<" or ">".
    text = (raw or "").replace(_ANGLES[0], "<").replace(_ANGLES[1], ">")
    escaped = html.escape(text, quote=False)
    opening, closing = markers
    return escaped.replace(opening, "<mark>").replace(closing, "</mark>")


def window_offset(window: Window) -> int:
    """Search pages by position: the cursor holds the index of the hit it belongs to."""
    if window.cursor is None:
        return window.offset
    if len(window.cursor) != 1:
        raise _bad_cursor()
    (index,) = window.cursor
    # JSON gives bool, float and str too; only a whole, in-range index is one of ours.
    if type(index) is not int or not 0 <= index < _MAX_INDEX:
        raise _bad_cursor()
    return index + 1


def _bad_cursor() -> UserInputError:
    return UserInputError(
        "`after` is not a valid cursor; use a cursor from this connection's edges or pageInfo"
    )


async def search(
    viewer: Viewer, query: str, article_filter: ArticleFilter | None, window: Window
) -> tuple[Page[Hit], int | None]:
    """A page of hits, and the offset it starts at (None when the query has no words)."""
    match = search_terms.match_expression(query)
    if match is None:
        return Page([], [], False, False), None
    start = window_offset(window)
    chosen = await relevance.ranking(viewer, query, article_filter, start, window.limit + 1)
    more = len(chosen) > window.limit
    chosen = chosen[: window.limit]
    markers = _markers()
    found = await _hit_rows(viewer, query, match, article_filter, [pk for pk, _ in chosen], markers)
    # Read after the ranking: an article deleted, hidden or changed since is left out, and the
    # others keep their places (a cursor is a position in the ranking).
    hits: list[Hit] = []
    cursors: list[str] = []
    selection = _HIT[dialect()]
    snippet_at = selection.at("snippet")
    for position, (pk, score) in enumerate(chosen, start):
        if pk in found:
            row = found[pk]
            hits.append(Hit(selection.make(row), _snippet(row[snippet_at], markers), score))
            cursors.append(encode_cursor(ORDERING, (position,)))
    page = Page(
        rows=hits,
        cursors=cursors,
        has_next=more,
        has_previous=start > 0,
    )
    return page, start


async def _hit_rows(
    viewer: Viewer,
    query: str,
    match: str,
    article_filter: ArticleFilter | None,
    ids: list[int],
    markers: tuple[str, str],
) -> dict[int, Row]:
    """The listed columns and a snippet of each of these articles that still match and may
    still be seen (the ranking may be older than this statement), by id."""
    if not ids:
        return {}
    chosen = f"a.id IN ({placeholders(len(ids))})"
    selection = _HIT[dialect()]
    if dialect() == "postgres":
        where, params = relevance.where(viewer, article_filter, "s.search_vector @@ q.query")
        rows = await fetch(
            f"SELECT {selection.sql} FROM article a JOIN article_search s ON s.id = a.id"
            " CROSS JOIN plainto_tsquery('cms_search', ?) AS q(query)"
            f" WHERE {chosen} AND {where}",
            [
                _ANGLES,
                _headline_options(markers),
                " ".join(search_terms.words(query)),
                *ids,
                *params,
            ],
        )
    else:
        where, params = relevance.where(viewer, article_filter, "1 = 1")
        rows = await fetch(
            f"SELECT {selection.sql} FROM article a JOIN (SELECT rowid AS id,"
            f" snippet(article_fts, -1, ?, ?, '…', {SNIPPET_TOKENS}) AS snippet"
            " FROM article_fts WHERE article_fts MATCH ?"
            f" AND rowid IN ({placeholders(len(ids))})) AS snippets ON snippets.id = a.id"
            f" WHERE {where}",
            [*markers, match, *ids, *params],
        )
    pk_at = selection.at("pk")
    return {int(row[pk_at]): row for row in rows}


#: Whether a search's count gains by running alongside its ranking: on PostgreSQL each takes
#: its own pooled connection; on SQLite the count takes the aside connection (its own thread).
COUNT_ALONGSIDE = {"postgres": True, "sqlite": True}


async def count(viewer: Viewer, query: str, article_filter: ArticleFilter | None) -> int:
    """How many articles match, kept per content version like every other count."""
    match = search_terms.match_expression(query)
    if match is None:
        return 0
    if dialect() == "postgres":
        # The narrow table: the visibility of each match is read from a small row (0012).
        where, params = relevance.where(viewer, article_filter, "a.search_vector @@ q.query")
        sql = f"SELECT COUNT(*) FROM article_search a, {search_terms.TSQUERY} WHERE {where}"
        arguments = [" ".join(search_terms.words(query)), *params]
    else:
        where, params = relevance.where(viewer, article_filter, "article_fts MATCH ?")
        sql = (
            f"SELECT COUNT(*) FROM article_fts {relevance.VISIBILITY_JOIN}"
            f" ON a.id = article_fts.rowid WHERE {where}"
        )
        arguments = [match, *params]
    key = counts.key_for("search", [sql], arguments, viewer.now, None)
    if key is None:
        return int(await fetch_value(sql, arguments, quick=False, aside=True))
    stamp, kept = await counts.lookup(key, viewer.now)
    if kept is not None:
        return kept[None]
    total = int(await fetch_value(sql, arguments, quick=False, aside=True))
    counts.keep(key, stamp, {None: total})
    return total

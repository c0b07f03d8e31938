"""Full-text search: best match first, with an HTML-safe snippet around the matches.

The user's text is words, never engine syntax: it is split into word tokens, so quotes, ``-``,
``:``, ``*``, ``NEAR`` and ``AND`` are searched as plain text (or dropped when they are
punctuation). All words must match; English stems match ("visits" finds "visit") and accents
do not matter.

SQLite: an FTS5 table (each word a quoted FTS5 string); FTS5's bm25 is lower-is-better, so
``score`` is its negation. PostgreSQL: a weighted ``tsvector`` column queried with
``plainto_tsquery`` (which takes plain words only), ranked with ``ts_rank``, snippets from
``ts_headline``. Title matches outweigh summary matches, which outweigh body matches, on both.
"""

from __future__ import annotations

import html
import re
import secrets
from dataclasses import dataclass
from typing import Any

from cms.read import counts
from cms.read.articles import ArticleFilter
from cms.read.columns import SelectList
from cms.read.pages import Page, UserInputError, Window, encode_cursor
from cms.read.rows import ARTICLES, ArticleRow
from cms.read.sql import Row, dialect, fetch, fetch_value, placeholders
from cms.read.visibility import Viewer

#: Words beyond this many are ignored (a pasted paragraph is not a useful query).
MAX_QUERY_WORDS = 32
#: How many tokens a snippet shows around the matches.
SNIPPET_TOKENS = 24
#: Column weights for title, summary and body.
WEIGHTS = (10.0, 5.0, 1.0)

_WORD = re.compile(r"\w+", re.UNICODE)
ORDERING = "search"
#: SQLite: the search index drives the join (else the planner starts from the article table and
#: runs the MATCH once per article), and the visibility check reads only the covering index.
_VISIBILITY_JOIN = "CROSS JOIN article a INDEXED BY article_visibility_idx"
#: The largest hit index a cursor may hold (far beyond any real result, within SQLite's range).
_MAX_INDEX = 2**53


@dataclass(slots=True)
class Hit:
    article: ArticleRow
    snippet: str
    score: float


def words(query: str) -> list[str]:
    """The words of ``query`` (letters, digits, underscores), at most :data:`MAX_QUERY_WORDS`."""
    return _WORD.findall(query)[:MAX_QUERY_WORDS]


def match_expression(query: str) -> str | None:
    """The FTS5 MATCH text for ``query``: its words, each a quoted string; None if no words."""
    found = words(query)
    if not found:
        return None
    return " ".join('"' + word.replace('"', '""') + '"' for word in found)


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

#: A hit's id and score, best first (``score`` is what the ranking orders by).
_RANKED = {
    "postgres": SelectList.labelled(
        [("pk", "a.id"), ("score", "ts_rank(a.search_vector, q.query)")]
    ),
    "sqlite": SelectList.labelled(
        [("pk", "a.id"), ("score", f"-bm25(article_fts, {', '.join(str(w) for w in WEIGHTS)})")]
    ),
}
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


def _where(
    viewer: Viewer, article_filter: ArticleFilter | None, match: str
) -> tuple[str, list[Any]]:
    visible, params = viewer.articles()
    conditions, filter_params = (article_filter or ArticleFilter()).conditions()
    return " AND ".join([match, visible, *conditions]), [*params, *filter_params]


async def search(
    viewer: Viewer, query: str, article_filter: ArticleFilter | None, window: Window
) -> tuple[Page[Hit], int | None]:
    """A page of hits, and the offset it starts at (None when the query has no words)."""
    match = match_expression(query)
    if match is None:
        return Page([], [], False, False), None
    start = window_offset(window)
    chosen = await _ranking(viewer, query, match, article_filter, start, window.limit + 1)
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


#: Hits kept per search, best first: the first ten pages of twenty.
RANKS_KEPT = 200
_rankings: counts.Kept[list[tuple[int, float]]] = counts.Kept(0.5)


async def _ranking(
    viewer: Viewer,
    query: str,
    match: str,
    article_filter: ArticleFilter | None,
    start: int,
    count: int,
) -> list[tuple[int, float]]:
    """The ids and scores of hits ``start`` to ``start + count`` (best first).

    Ranking scores every match (a common word matches most articles: about 0.1 s at 100,000),
    so the best :data:`RANKS_KEPT` are kept per content version and next publication, as
    counts are; pages past them are ranked on every request."""
    ranked = _RANKED[dialect()]
    pk_at, score_at = ranked.at("pk"), ranked.at("score")
    if dialect() == "postgres":
        where, params = _where(viewer, article_filter, "a.search_vector @@ q.query")
        sql = (
            f"SELECT {ranked.sql} FROM article a, plainto_tsquery('cms_search', ?) AS q(query)"
            f" WHERE {where} ORDER BY score DESC, a.id DESC LIMIT ? OFFSET ?"
        )
        arguments: list[Any] = [" ".join(words(query)), *params]
    else:
        where, params = _where(viewer, article_filter, "article_fts MATCH ?")
        sql = (
            f"SELECT {ranked.sql} FROM article_fts {_VISIBILITY_JOIN} ON a.id = article_fts.rowid"
            f" WHERE {where} ORDER BY score DESC, a.id DESC LIMIT ? OFFSET ?"
        )
        arguments = [match, *params]
    key = counts.key_for("search ranking", [sql], arguments, viewer.now, None)
    if key is None or start + count > RANKS_KEPT:
        rows = await fetch(sql, [*arguments, count, start], quick=False)
        return [(int(row[pk_at]), float(row[score_at])) for row in rows]
    stamp, kept = await _rankings.lookup(key, viewer.now)
    if kept is None:
        rows = await fetch(sql, [*arguments, RANKS_KEPT, 0], quick=False)
        kept = [(int(row[pk_at]), float(row[score_at])) for row in rows]
        _rankings.keep(key, stamp, kept)
    return kept[start : start + count]


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
        where, params = _where(viewer, article_filter, "a.search_vector @@ q.query")
        rows = await fetch(
            f"SELECT {selection.sql}"
            " FROM article a CROSS JOIN plainto_tsquery('cms_search', ?) AS q(query)"
            f" WHERE {chosen} AND {where}",
            [_ANGLES, _headline_options(markers), " ".join(words(query)), *ids, *params],
        )
    else:
        where, params = _where(viewer, article_filter, "1 = 1")
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


async def count(viewer: Viewer, query: str, article_filter: ArticleFilter | None) -> int:
    """How many articles match, kept per content version like every other count."""
    match = match_expression(query)
    if match is None:
        return 0
    if dialect() == "postgres":
        where, params = _where(viewer, article_filter, "a.search_vector @@ q.query")
        sql = (
            "SELECT COUNT(*) FROM article a, plainto_tsquery('cms_search', ?) AS q(query)"
            f" WHERE {where}"
        )
        arguments = [" ".join(words(query)), *params]
    else:
        where, params = _where(viewer, article_filter, "article_fts MATCH ?")
        sql = (
            f"SELECT COUNT(*) FROM article_fts {_VISIBILITY_JOIN} ON a.id = article_fts.rowid"
            f" WHERE {where}"
        )
        arguments = [match, *params]
    key = counts.key_for("search", [sql], arguments, viewer.now, None)
    if key is None:
        return int(await fetch_value(sql, arguments, quick=False))
    stamp, kept = await counts.lookup(key, viewer.now)
    if kept is not None:
        return kept[None]
    total = int(await fetch_value(sql, arguments, quick=False))
    counts.keep(key, stamp, {None: total})
    return total

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
from cms.read.pages import Page, UserInputError, Window, encode_cursor
from cms.read.rows import LIST_COLUMNS, ArticleRow, article_row
from cms.read.sql import dialect, fetch
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
    markers = _markers()
    if dialect() == "postgres":
        where, params = _where(viewer, article_filter, "a.search_vector @@ q.query")
        terms = " ".join(words(query))
        rows = await fetch(
            f"SELECT {LIST_COLUMNS}, ranked.score,"
            # Angle brackets would read as markup to the headline parser, which drops tags:
            # stand-ins keep them as text until the snippet is escaped.
            " ts_headline('cms_search', translate(concat_ws(' … ', a.title, a.summary,"
            " a.body_text), '<>', ?), q.query, ?)"
            " FROM (SELECT a.id, ts_rank(a.search_vector, q.query) AS score"
            " FROM article a, plainto_tsquery('cms_search', ?) AS q(query)"
            f" WHERE {where} ORDER BY score DESC, a.id DESC LIMIT ? OFFSET ?) AS ranked"
            " JOIN article a ON a.id = ranked.id"
            " CROSS JOIN plainto_tsquery('cms_search', ?) AS q(query)"
            " ORDER BY ranked.score DESC, a.id DESC",
            [_ANGLES, _headline_options(markers), terms, *params, window.limit + 1, start, terms],
            quick=False,
        )
    else:
        where, params = _where(viewer, article_filter, "article_fts MATCH ?")
        weights = ", ".join(str(w) for w in WEIGHTS)
        rows = await fetch(
            # Rank first, over the search index and the covering visibility index only (reading
            # article rows, bodies and all, for every match was most of the time); then read
            # the page's articles and make snippets for those rows alone.
            "WITH ranked AS MATERIALIZED ("
            f" SELECT a.id AS id, -bm25(article_fts, {weights}) AS score"
            f" FROM article_fts {_VISIBILITY_JOIN} ON a.id = article_fts.rowid"
            f" WHERE {where} ORDER BY score DESC, a.id DESC LIMIT ? OFFSET ?)"
            f" SELECT {LIST_COLUMNS}, ranked.score, snippets.snippet"
            " FROM ranked JOIN article a ON a.id = ranked.id"
            " JOIN (SELECT rowid AS id,"
            f" snippet(article_fts, -1, ?, ?, '…', {SNIPPET_TOKENS}) AS snippet"
            " FROM article_fts WHERE article_fts MATCH ?"
            " AND rowid IN (SELECT id FROM ranked)) AS snippets ON snippets.id = ranked.id"
            " ORDER BY ranked.score DESC, a.id DESC",
            [match, *params, window.limit + 1, start, *markers, match],
            quick=False,
        )
    more = len(rows) > window.limit
    hits = [
        Hit(article_row(row[:11]), _snippet(row[12], markers), float(row[11]))
        for row in rows[: window.limit]
    ]
    page = Page(
        rows=hits,
        cursors=[encode_cursor(ORDERING, (start + i,)) for i in range(len(hits))],
        has_next=more,
        has_previous=start > 0,
    )
    return page, start


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
        return int((await fetch(sql, arguments, quick=False))[0][0])
    stamp, kept = await counts.lookup(key, viewer.now)
    if kept is not None:
        return kept[None]
    total = int((await fetch(sql, arguments, quick=False))[0][0])
    counts.keep(key, stamp, {None: total})
    return total

"""Full-text search: best match first, with an HTML-safe snippet around the matches.

The user's text is words, never engine syntax: it is split into word tokens, each quoted as an
FTS5 string, so quotes, ``-``, ``:``, ``*``, ``NEAR`` and ``AND`` are searched as plain text
(or dropped when they are punctuation). All words must match. FTS5's bm25 is lower-is-better;
``score`` is its negation, so higher is better.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from cms.read.articles import ArticleFilter
from cms.read.pages import Page, Window, encode_cursor
from cms.read.rows import ARTICLE_COLUMNS, ArticleRow, article_row
from cms.read.sql import fetch
from cms.read.visibility import Viewer

#: Words beyond this many are ignored (a pasted paragraph is not a useful query).
MAX_QUERY_WORDS = 32
#: How many tokens a snippet shows around the matches.
SNIPPET_TOKENS = 24
#: Column weights for title, summary and body.
WEIGHTS = (10.0, 5.0, 1.0)

_WORD = re.compile(r"\w+", re.UNICODE)
_OPEN, _CLOSE = "\ue000", "\ue001"
ORDERING = "search"


@dataclass(slots=True)
class Hit:
    article: ArticleRow
    snippet: str
    score: float


def match_expression(query: str) -> str | None:
    """The FTS5 MATCH text for ``query``: its words, each a quoted string; None if no words."""
    words = _WORD.findall(query)[:MAX_QUERY_WORDS]
    if not words:
        return None
    return " ".join('"' + word.replace('"', '""') + '"' for word in words)


def _snippet(raw: str | None) -> str:
    escaped = html.escape(raw or "", quote=False)
    return escaped.replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")


def window_offset(window: Window) -> int:
    """Search pages by position: the cursor holds the index of the hit it belongs to."""
    if window.cursor is None:
        return window.offset
    (index,) = window.cursor
    return int(index) + 1


async def search(
    viewer: Viewer, query: str, article_filter: ArticleFilter | None, window: Window
) -> tuple[Page[Hit], int | None]:
    """A page of hits, and the offset it starts at (None when the query has no words)."""
    match = match_expression(query)
    if match is None:
        return Page([], [], False, False), None
    visible, params = viewer.articles()
    conditions, filter_params = (article_filter or ArticleFilter()).conditions()
    where = " AND ".join(["article_fts MATCH ?", visible, *conditions])
    start = window_offset(window)
    weights = ", ".join(str(w) for w in WEIGHTS)
    rows = await fetch(
        f"SELECT {ARTICLE_COLUMNS}, -bm25(article_fts, {weights}) AS score,"
        f" snippet(article_fts, -1, ?, ?, '…', {SNIPPET_TOKENS})"
        " FROM article_fts JOIN article a ON a.id = article_fts.rowid"
        f" WHERE {where} ORDER BY score DESC, a.id DESC LIMIT ? OFFSET ?",
        [_OPEN, _CLOSE, match, *params, *filter_params, window.limit + 1, start],
    )
    more = len(rows) > window.limit
    hits = [
        Hit(article_row(row[:11]), _snippet(row[12]), float(row[11]))
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
    match = match_expression(query)
    if match is None:
        return 0
    visible, params = viewer.articles()
    conditions, filter_params = (article_filter or ArticleFilter()).conditions()
    where = " AND ".join(["article_fts MATCH ?", visible, *conditions])
    rows = await fetch(
        "SELECT COUNT(*) FROM article_fts JOIN article a ON a.id = article_fts.rowid"
        f" WHERE {where}",
        [match, *params, *filter_params],
    )
    return int(rows[0][0])

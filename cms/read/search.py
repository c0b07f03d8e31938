"""Full-text search: best match first, with an HTML-safe snippet around the matches.

The user's text is words, never engine syntax: it is split into word tokens, so quotes, ``-``,
``:``, ``*``, ``NEAR`` and ``AND`` are searched as plain text (or dropped when they are
punctuation). All words must match; English stems match ("visits" finds "visit") and accents
do not matter. Best first by the weighted sum over the words of how well each one matches
(where and how often it occurs): how close the words are to one another does not count.

SQLite: an FTS5 table (each word a quoted FTS5 string); FTS5's bm25 is lower-is-better, so
``score`` is its negation. PostgreSQL: a weighted ``tsvector`` column matched with
``plainto_tsquery`` (which takes plain words only, all of which must match), ranked with
``ts_rank`` over the same words joined by OR (which scores each word apart and averages: see
:data:`_HEAD_FIRST`), snippets from ``ts_headline``. Title matches outweigh summary matches,
which outweigh body matches, on both.

A common word matches most articles, so a ranking first scores a bounded set of matches that
are provably the best (:func:`_ranked`), and scores every match only when too few of those may
be shown (or, on PostgreSQL, they do not score high enough to prove it); the hits, their scores
and their order are the same either way.
"""

from __future__ import annotations

import html
import re
import secrets
from dataclasses import dataclass, field
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

#: How well an article matches (higher is better).
_SCORE = {
    "postgres": "ts_rank(a.search_vector, q.ranking)",
    "sqlite": f"-bm25(article_fts, {', '.join(str(w) for w in WEIGHTS)})",
}
#: A hit's id and score, best first (``score`` is what the ranking orders by).
_RANKED = {
    name: SelectList.labelled([("pk", "a.id"), ("score", score)]) for name, score in _SCORE.items()
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
#: The bounded first try ranks this many matches per hit needed, plus :data:`CANDIDATES_EXTRA`:
#: about one match in seven is hidden (drafts, archived, scheduled) on a generated site, so
#: twice the need leaves room for filters too before the full ranking is needed.
CANDIDATES_PER_HIT = 2
CANDIDATES_EXTRA = 50
#: Pages needing more hits than this are ranked in full at once (the bounded try would return
#: as many rows as it saves).
CANDIDATES_MAX_NEEDED = 1000


@dataclass(frozen=True, slots=True)
class _Statements:
    """How one search ranks.

    ``full`` ranks every visible match; ``{gate}`` in its WHERE clause takes one more condition
    (empty, or `` AND`` and a condition); its arguments are ``arguments``, then the gate's, LIMIT
    and OFFSET. ``best``, when there is one for the dialect and query, is a bounded set of the
    best matches (id, score, whether it may be shown), best first; its arguments are
    ``best_arguments`` with its LIMIT in place of None. With ``covers_all``, fewer rows than its
    LIMIT were all the matches."""

    full: str
    arguments: list[Any]
    best: str | None = None
    best_arguments: list[Any | None] = field(default_factory=list)
    covers_all: bool = False
    #: Set when only the bounded set's hits scoring at least this are known to outrank every
    #: match outside it.
    floor: float | None = None


#: PostgreSQL: the query behind OFFSET 0. Seeing the words, the planner knows a common word
#: matches most articles and reads the whole table, each article's search_vector out of TOAST
#: (1.2 s at 100,000); not seeing them, it goes through the GIN index and reads only matches,
#: and a count reads no vector at all (the index answers plain words without a recheck).
_TSQUERY = "(SELECT plainto_tsquery('cms_search', ?) AS query OFFSET 0) AS q"
#: PostgreSQL: the same words' lexemes joined by OR, for ranking (``ranking``; ``query``, all
#: words, still decides what matches). The lexemes are those plainto_tsquery finds (both parse
#: the text with the same configuration), each quoted as tsquery input requires (quotes and
#: backslashes doubled), so no text is ever read as tsquery syntax; NULL when there are none
#: (then nothing matches either).
_OR_LEXEMES = (
    "(SELECT string_agg('''' || replace(replace(lexeme, '\\', '\\\\'), '''', '''''') || '''',"
    " ' | ')::tsquery FROM unnest(tsvector_to_array(to_tsvector('cms_search', ?))) AS lexeme)"
)
_RANKING_TSQUERY = (
    f"(SELECT plainto_tsquery('cms_search', ?) AS query, {_OR_LEXEMES} AS ranking OFFSET 0) AS q"
)


#: PostgreSQL: why the matches with a word in a title or a summary come first.
#: ``ts_rank`` of a query whose top operator is not AND (or a phrase), such as our OR of
#: lexemes, is PostgreSQL's tsrank.c calc_rank_or: the average, over the query's distinct
#: lexemes, of each one's ``(w[m] + sum(w[j] / (j + 1)**2) - w[m] / (m + 1)**2) / 1.6449``
#: over its positions j (0, 1, ...) in the article, m being the first of its heaviest
#: positions, which so counts whole (a lexeme the article lacks adds 0). The weights are 1.0
#: (title, A), 0.4 (summary, B) and 0.2 (body, C), and search_vector lists the title's
#: positions first, then the summary's, then the body's (tsvector concatenation shifts the
#: right side's positions past the left's). So a lexeme in the title or the summary adds at
#: least 0.4 / 1.6449 = 0.243, and a lexeme in the body only adds
#: 0.2 * (1 + 1/4 + ... + 1/n**2) / 1.6449 < 0.2 (the first of its n <= 256 positions counts
#: whole either way). An article with none of the words in its title or summary
#: (``search_head``, GIN-indexed) therefore scores less than :data:`_OUTSIDE_HEAD` (0.2);
#: when enough of the best matches with a word there may be shown and score at least that,
#: they are the best hits of all, in the same order. One word in the title or summary always
#: scores more; with several words, one word there may not (the average with the others).
_HEAD_FIRST = "search_head"
#: Every match with none of the words in its title or summary scores less than this.
_OUTSIDE_HEAD = 0.2


def _statements(
    viewer: Viewer, query: str, match: str, article_filter: ArticleFilter | None
) -> _Statements:
    ranked = _RANKED[dialect()]
    score = _SCORE[dialect()]
    if dialect() == "postgres":
        where, params = _where(viewer, article_filter, "a.search_vector @@ q.query")
        shown, shown_params = _where(viewer, article_filter, "1 = 1")
        text = " ".join(words(query))
        # One lexeme in the title or summary is in search_vector too: reading the GIN index of
        # search_vector as well would cost a common word more than it saves. (One word may
        # still be several lexemes, "e_mail" say: numnode tells.)
        every_word = "a.search_vector @@ q.query"
        if len(words(query)) == 1:
            every_word = f"(numnode(q.query) = 1 OR {every_word})"
        return _Statements(
            f"SELECT {ranked.sql} FROM article a, {_RANKING_TSQUERY}"
            f" WHERE {where}{{gate}} ORDER BY score DESC, a.id DESC LIMIT ? OFFSET ?",
            [text, text, *params],
            # The matches with a word in the title or summary: see _HEAD_FIRST.
            f"SELECT a.id, {score} AS score, {shown} AS shown FROM article a, {_RANKING_TSQUERY}"
            f" WHERE a.{_HEAD_FIRST} @@ q.ranking AND {every_word}"
            f" ORDER BY {score} DESC, a.id DESC LIMIT ?",
            [*shown_params, text, text, None],
            floor=_OUTSIDE_HEAD,
        )
    where, params = _where(viewer, article_filter, "article_fts MATCH ?")
    shown, shown_params = _where(viewer, article_filter, "a.id = c.id")
    return _Statements(
        f"SELECT {ranked.sql} FROM article_fts {_VISIBILITY_JOIN} ON a.id = article_fts.rowid"
        f" WHERE {where}{{gate}} ORDER BY score DESC, a.id DESC LIMIT ? OFFSET ?",
        [match, *params],
        # The search index alone ranks (FTS5's bm25 does not depend on the join), then each
        # of the best is checked against the covering visibility index.
        f"SELECT c.id, c.score, EXISTS (SELECT 1 FROM article a INDEXED BY article_visibility_idx"
        f" WHERE {shown}) AS shown FROM (SELECT rowid AS id, {score} AS score FROM article_fts"
        " WHERE article_fts MATCH ? ORDER BY score DESC, id DESC LIMIT ?) AS c",
        [*shown_params, match, None],
        covers_all=True,
    )


async def _ranking(
    viewer: Viewer,
    query: str,
    match: str,
    article_filter: ArticleFilter | None,
    start: int,
    count: int,
) -> list[tuple[int, float]]:
    """The ids and scores of hits ``start`` to ``start + count`` (best first).

    Ranking may score every match (a common word matches most articles), so the best
    :data:`RANKS_KEPT` are kept per content version and next publication, as counts are;
    pages past them are ranked on every request."""
    statements = _statements(viewer, query, match, article_filter)
    key = counts.key_for(
        "search ranking", [statements.full], statements.arguments, viewer.now, None
    )
    if key is None or start + count > RANKS_KEPT:
        return await _ranked(statements, start, count)
    stamp, kept = await _rankings.lookup(key, viewer.now)
    if kept is None:
        kept = await _ranked(statements, 0, RANKS_KEPT)
        _rankings.keep(key, stamp, kept)
    return kept[start : start + count]


def _tiers(true: str) -> tuple[SelectList, SelectList]:
    """The two parts of a bounded ranking's rows: the bounded set's (tier 0) and, when it was
    not enough, the full ranking's (tier 1)."""
    return (
        SelectList.labelled(
            [("tier", "0"), ("pk", "best.id"), ("score", "best.score"), ("shown", "best.shown")]
        ),
        SelectList.labelled(
            [("tier", "1"), ("pk", "ranked.pk"), ("score", "ranked.score"), ("shown", true)]
        ),
    )


_TIERS = {"postgres": _tiers("TRUE"), "sqlite": _tiers("1")}


async def _ranked(statements: _Statements, start: int, count: int) -> list[tuple[int, float]]:
    """Hits ``start`` to ``start + count`` of the full ranking, in one statement.

    The bounded set gives exactly those when enough of it may be shown: its matches are the
    best of all (the best matches on SQLite; on PostgreSQL, the matches with a word in the
    title or summary, of which those scoring at least the statements' ``floor`` outrank all
    others), visibility and filters only remove matches, and it is ordered as the full ranking
    is (score, then id), so its best shown ones are the best shown ones of all. Only when too
    few are shown (and more matches may exist) does the same statement rank in full:
    its gate is a condition on the bounded set alone, which both databases test once, before
    reading any match."""
    needed = start + count
    full = statements.full
    if statements.best is None or needed > CANDIDATES_MAX_NEEDED:
        rows = await fetch(
            full.replace("{gate}", ""), [*statements.arguments, count, start], quick=False
        )
        pk_at, score_at = _RANKED[dialect()].at("pk"), _RANKED[dialect()].at("score")
        return [(int(row[pk_at]), float(row[score_at])) for row in rows]
    limit = CANDIDATES_PER_HIT * needed + CANDIDATES_EXTRA
    # Fewer than ``needed`` shown (scoring at least the floor, on PostgreSQL), or, on SQLite,
    # the set as large as its LIMIT. (The set is best first: its needed-th shown hit scores at
    # least the floor exactly when ``needed`` shown ones do.)
    floor = "" if statements.floor is None else " AND best.score >= ?"
    gate = f" AND NOT EXISTS (SELECT 1 FROM best WHERE best.shown{floor} LIMIT 1 OFFSET ?)"
    gate_params: list[Any] = [] if statements.floor is None else [statements.floor]
    gate_params.append(needed - 1)
    if statements.covers_all:
        gate += " AND EXISTS (SELECT 1 FROM best LIMIT 1 OFFSET ?)"
        gate_params.append(limit - 1)
    bounded, fallback = _TIERS[dialect()]
    gated = full.replace("{gate}", gate)
    sql = (
        f"WITH best AS MATERIALIZED ({statements.best}) SELECT {bounded.sql} FROM best"
        f" UNION ALL SELECT {fallback.sql} FROM ({gated}) AS ranked"
    )
    best_arguments = [limit if value is None else value for value in statements.best_arguments]
    arguments = [*best_arguments, *statements.arguments, *gate_params, count, start]
    rows = await fetch(sql, arguments, quick=False)
    tier_at, pk_at, score_at = bounded.at("tier"), bounded.at("pk"), bounded.at("score")
    shown_at = bounded.at("shown")
    ranked = [
        (row[tier_at], int(row[pk_at]), float(row[score_at])) for row in rows if row[shown_at]
    ]
    if any(tier == 1 for tier, _, _ in ranked):
        # Too few of the bounded set were shown: the rows ranked in full are the answer. (When
        # the full ranking runs and finds none, there are at most ``start`` hits, and so at most
        # ``start`` shown ones in the bounded set too: the slice below is empty as well.)
        ranked = [hit for hit in ranked if hit[0] == 1]
        start, needed = 0, count
    hits = sorted(((pk, score) for _, pk, score in ranked), key=_order)
    return hits[start:needed]


def _order(hit: tuple[int, float]) -> tuple[float, int]:
    """The ranking's order (score, then id, both descending): rows of a union come unordered."""
    pk, score = hit
    return -score, -pk


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


#: Whether a search's count gains by running alongside its ranking: on PostgreSQL each takes
#: its own pooled connection; SQLite runs them on one connection, one after the other.
COUNT_ALONGSIDE = {"postgres": True, "sqlite": False}


async def count(viewer: Viewer, query: str, article_filter: ArticleFilter | None) -> int:
    """How many articles match, kept per content version like every other count."""
    match = match_expression(query)
    if match is None:
        return 0
    if dialect() == "postgres":
        where, params = _where(viewer, article_filter, "a.search_vector @@ q.query")
        sql = f"SELECT COUNT(*) FROM article a, {_TSQUERY} WHERE {where}"
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

"""How a search ranks its matches: best first, in two tiers.

1. **Head matches**: the articles with at least one of the words in the title or summary,
   ranked by how well the title and summary match (title over summary; more occurrences,
   and a word rarer there, count more). Their ``score`` is ``1 + h / (1 + h)``, in (1, 2).
2. **Body matches**: the others (every word is in the body), ranked by how well the body
   matches (more occurrences count more). Their ``score`` is ``b / (1 + b)``, in (0, 1).

Ties go to the newer article (higher id). All words must match in either tier.

SQLite: ``h`` and ``b`` are FTS5's bm25 (negated: it is lower-is-better) of each tier's own
MATCH expression (:mod:`cms.read.search_terms`), columns weighted 10 (title), 5 (summary)
and 0 or 1 (body). PostgreSQL: ``h`` is ``ts_rank`` of the title-and-summary vector
(``search_head``), ``b`` of the whole one (``search_vector``), both against the words joined
by OR (ts_rank then scores each word apart and averages), in ``article_search`` (0012).

Why tiers: a common word matches most articles, and ranking every match reads every match's
positions (a body's are most of them). Head matches are few next to all matches and their
head is small; the body tier is ranked only when the head tier holds fewer hits than the page
needs, which a word common enough to be costly seldom does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cms.read import counts, search_terms
from cms.read.articles import ArticleFilter
from cms.read.sql import dialect, fetch
from cms.read.visibility import Viewer

#: Column weights for title, summary and body.
WEIGHTS = (10.0, 5.0, 1.0)
#: The head tier ranks by title and summary alone.
HEAD_WEIGHTS = (10.0, 5.0, 0.0)
#: Hits kept per search, best first: the first ten pages of twenty.
RANKS_KEPT = 200
HEAD, BODY = 1, 0

#: SQLite: the search index drives the join (else the planner starts from the article table and
#: runs the MATCH once per article), and the visibility check reads only the covering index.
VISIBILITY_JOIN = "CROSS JOIN article a INDEXED BY article_visibility_idx"

_rankings: counts.Kept[list[tuple[int, float]]] = counts.Kept(0.5)


def score(tier: int, relevance: float) -> float:
    """The score a hit shows: its tier's range, and its relevance within it (higher is
    better; every head match outscores every body match)."""
    return tier + relevance / (1.0 + relevance)


def where(
    viewer: Viewer, article_filter: ArticleFilter | None, match: str
) -> tuple[str, list[Any]]:
    """``match`` and the viewer's and the filter's conditions on ``a``, and their parameters."""
    visible, params = viewer.articles()
    conditions, filter_params = (article_filter or ArticleFilter()).conditions()
    return " AND ".join([match, visible, *conditions]), [*params, *filter_params]


def _bm25(weights: tuple[float, ...]) -> str:
    return f"-bm25(article_fts, {', '.join(str(w) for w in weights)})"


@dataclass(frozen=True, slots=True)
class Tier:
    """One tier's statement: its matches' ids and relevance (``pk``, ``relevance``), visible
    ones only; ``ORDER BY`` and ``LIMIT`` are the caller's. Its arguments are ``arguments``."""

    sql: str
    arguments: list[Any]


def tiers(viewer: Viewer, query: str, article_filter: ArticleFilter | None) -> dict[int, Tier]:
    """The statements of both tiers of ``query`` (which has words)."""
    if dialect() == "postgres":
        text = " ".join(search_terms.words(query))
        # One word that is one lexeme: a match in the head is a match (reading search_vector's
        # index as well would cost a common word more than it saves). numnode tells a word
        # the parser splits ("e_mail").
        every_word = "a.search_vector @@ q.query"
        if len(search_terms.words(query)) == 1:
            every_word = f"(numnode(q.query) = 1 OR {every_word})"
        head, head_params = where(
            viewer, article_filter, f"a.search_head @@ q.ranking AND {every_word}"
        )
        body, body_params = where(
            viewer, article_filter, "a.search_vector @@ q.query AND NOT a.search_head @@ q.ranking"
        )
        source = f"FROM article_search a, {search_terms.RANKING_TSQUERY}"
        return {
            HEAD: Tier(
                f"SELECT a.id AS pk, ts_rank(a.search_head, q.ranking)::float8 AS relevance"
                f" {source} WHERE {head}",
                [text, text, *head_params],
            ),
            BODY: Tier(
                f"SELECT a.id AS pk, ts_rank(a.search_vector, q.ranking)::float8 AS relevance"
                f" {source} WHERE {body}",
                [text, text, *body_params],
            ),
        }
    source = f"FROM article_fts {VISIBILITY_JOIN} ON a.id = article_fts.rowid"
    made = {}
    for tier, expression, weights in (
        (HEAD, search_terms.head_match_expression(query), HEAD_WEIGHTS),
        (BODY, search_terms.body_match_expression(query), WEIGHTS),
    ):
        condition, params = where(viewer, article_filter, "article_fts MATCH ?")
        made[tier] = Tier(
            f"SELECT a.id AS pk, {_bm25(weights)} AS relevance {source} WHERE {condition}",
            [expression, *params],
        )
    return made


async def ranking(
    viewer: Viewer, query: str, article_filter: ArticleFilter | None, start: int, count: int
) -> list[tuple[int, float]]:
    """The ids and scores of hits ``start`` to ``start + count`` (best first).

    The best :data:`RANKS_KEPT` are kept per content version and next publication, as counts
    are; pages past them are ranked on every request."""
    made = tiers(viewer, query, article_filter)
    key = counts.key_for(
        "search ranking",
        [made[HEAD].sql, made[BODY].sql],
        [*made[HEAD].arguments, *made[BODY].arguments],
        viewer.now,
        None,
    )
    if key is None or start + count > RANKS_KEPT:
        return await ranked(made, start, count)
    stamp, kept = await _rankings.lookup(key, viewer.now)
    if kept is None:
        kept = await ranked(made, 0, RANKS_KEPT)
        _rankings.keep(key, stamp, kept)
    return kept[start : start + count]


_ORDER_BY = "ORDER BY relevance DESC, pk DESC"
_ORDER = f"{_ORDER_BY} LIMIT ?"


async def ranked(made: dict[int, Tier], start: int, count: int) -> list[tuple[int, float]]:
    """Hits ``start`` to ``start + count``, in one statement: the head tier's best
    ``start + count``, and the body tier's only when the head tier had fewer: its LIMIT is 0
    otherwise, which both databases test before reading any match (a condition in WHERE would
    not stop SQLite from loading the words' index entries first)."""
    needed = start + count
    head, body = made[HEAD], made[BODY]
    sql = (
        f"WITH head AS MATERIALIZED ({head.sql} {_ORDER})"
        f" SELECT {HEAD} AS tier, pk, relevance FROM head"
        f" UNION ALL SELECT {BODY} AS tier, pk, relevance FROM ({body.sql} {_ORDER_BY}"
        " LIMIT (CASE WHEN EXISTS (SELECT 1 FROM head LIMIT 1 OFFSET ?) THEN 0 ELSE ? END))"
        " AS body"
    )
    rows = await fetch(
        sql, [*head.arguments, needed, *body.arguments, needed - 1, needed], quick=False
    )
    hits = [(int(tier), int(pk), float(value)) for tier, pk, value in rows]
    # Rows of a union come unordered: the tier, then relevance, then id, all descending.
    hits.sort(key=_order)
    return [(pk, score(tier, value)) for tier, pk, value in hits[start:needed]]


def _order(hit: tuple[int, int, float]) -> tuple[int, float, int]:
    tier, pk, value = hit
    return -tier, -value, -pk

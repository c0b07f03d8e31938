"""A search ranks a bounded set of matches first (cms.read.search._ranked): the hits, their
scores and their order must be those of ranking every match, whether the bounded set was enough
or the full ranking ran, for every viewer and filter."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cms.fixtures.service import load_files
from cms.generate import generate
from cms.models import ArticleStatus
from cms.read import search as searching
from cms.read.articles import ArticleFilter
from cms.read.sql import fetch
from cms.read.visibility import Viewer
from tests.databases import DIALECT
from tests.graphql.conftest import GraphQLClient
from tests.graphql.test_search import write_fixture

NOW = datetime(2025, 1, 1, tzinfo=UTC)

#: A word common in titles and summaries ("said", "officials": one lexeme each), two words,
#: a word that is only in some bodies, one that is nowhere, and "oil": in many summaries. Then
#: several words, whose matches with a word in a title or summary may score less than a
#: body-only match could (cms.read.search._OUTSIDE_HEAD: on PostgreSQL, "climate talks" falls
#: back to the full ranking for that reason), one word twice, a word the parser splits in two,
#: and words with no match together.
PHRASES = [
    "said",
    "officials",
    "government said",
    "climate talks",
    "logistics",
    "zeppelin",
    "oil",
    "said next year people",
    "officials next year week",
    "said said minister",
    "minister_said",
    "oil zeppelin",
]
FILTERS = [
    None,
    ArticleFilter(tags=("oil-and-gas",)),
    ArticleFilter(status=ArticleStatus.DRAFT),
    ArticleFilter(published_after=datetime(2024, 6, 1, tzinfo=UTC)),
]
VIEWERS = [Viewer(NOW), Viewer(NOW, preview=True)]
#: (start, count): a page, the first hit alone, a page further on, more than there are hits.
WINDOWS = [(0, 10), (0, 1), (7, 5), (0, 500)]

Ranked = list[tuple[int, float]]


@pytest.fixture
async def generated(client: GraphQLClient, tmp_path: Path) -> GraphQLClient:
    # Drafts, archived and scheduled articles (published after NOW) among them.
    await load_files([write_fixture(tmp_path, generate(400, 7, NOW))])
    return client


async def full_ranking(
    viewer: Viewer, query: str, article_filter: ArticleFilter | None, start: int, count: int
) -> Ranked:
    """Every visible match ranked, as the search ranked before it had a bounded set."""
    match = searching.match_expression(query)
    assert match is not None
    statements = searching._statements(viewer, query, match, article_filter)
    rows = await fetch(
        statements.full.replace("{gate}", ""), [*statements.arguments, count, start], quick=False
    )
    return [(int(row[0]), float(row[1])) for row in rows]


def spy(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records, for each ranking statement, whether the bounded set was enough ("bounded"),
    the full ranking ran ("full") or there was no bounded set ("plain")."""
    paths: list[str] = []

    async def recording(sql: str, params: Any = (), **options: Any) -> Any:
        rows = await fetch(sql, params, **options)
        if sql.startswith("WITH best AS"):
            paths.append("full" if any(row[0] == 1 for row in rows) else "bounded")
        else:
            paths.append("plain")
        return rows

    monkeypatch.setattr(searching, "fetch", recording)
    return paths


async def ranking(
    viewer: Viewer, query: str, article_filter: ArticleFilter | None, start: int, count: int
) -> Ranked:
    match = searching.match_expression(query)
    assert match is not None
    return await searching._ranking(viewer, query, match, article_filter, start, count)


@pytest.mark.parametrize("query", PHRASES)
async def test_the_bounded_ranking_is_the_full_ranking(
    generated: GraphQLClient, monkeypatch: pytest.MonkeyPatch, query: str
) -> None:
    paths = spy(monkeypatch)
    for viewer in VIEWERS:
        for article_filter in FILTERS:
            for start, count in WINDOWS:
                expected = await full_ranking(viewer, query, article_filter, start, count)
                found = await ranking(viewer, query, article_filter, start, count)
                assert found == expected, (viewer, article_filter, start, count)
    assert paths, "no ranking statement ran"


async def test_a_floor_no_hit_reaches_ranks_in_full(
    generated: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL proves the bounded set enough only when its needed-th shown hit scores at
    least what any match outside it could: when none does, the full ranking answers."""
    monkeypatch.setattr(searching, "_OUTSIDE_HEAD", 2.0)
    paths = spy(monkeypatch)
    for query in ("said", "government said", "said next year people"):
        for start, count in WINDOWS[:3]:
            expected = await full_ranking(Viewer(NOW), query, None, start, count)
            assert await ranking(Viewer(NOW), query, None, start, count) == expected
    assert set(paths) == ({"full"} if DIALECT == "postgres" else {"bounded"}), paths


@pytest.mark.parametrize("extra", [0, 3, 50])
async def test_both_paths_are_taken_and_agree(
    generated: GraphQLClient, monkeypatch: pytest.MonkeyPatch, extra: int
) -> None:
    """With a small bounded set, some searches are answered by it and some fall back to the
    full ranking in the same statement; both give the full ranking's hits."""
    monkeypatch.setattr(searching, "CANDIDATES_EXTRA", extra)
    paths = spy(monkeypatch)
    for query in ("said", "officials", "oil", "government said"):
        for viewer in VIEWERS:
            for article_filter in FILTERS:
                for start, count in WINDOWS[:3]:
                    expected = await full_ranking(viewer, query, article_filter, start, count)
                    found = await ranking(viewer, query, article_filter, start, count)
                    assert found == expected, (query, viewer, article_filter, start, count)
    assert "bounded" in paths and "full" in paths, paths


async def test_deep_pages_rank_in_full(
    generated: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(searching, "CANDIDATES_MAX_NEEDED", 5)
    paths = spy(monkeypatch)
    expected = await full_ranking(Viewer(NOW), "said", None, 3, 10)
    assert await ranking(Viewer(NOW), "said", None, 3, 10) == expected
    assert paths == ["plain"]


@pytest.mark.parametrize(
    "query",
    ["said", "officials", "oil", "minister", "logistics", *PHRASES[2:4], *PHRASES[7:11]],
)
async def test_what_the_bounded_set_rests_on_holds(generated: GraphQLClient, query: str) -> None:
    """PostgreSQL: see :func:`title_or_summary_matches_outrank_body_only_matches`. SQLite: the
    bounded set ranks from the search index alone, so FTS5's bm25 there must be the score the
    full ranking (joined to the articles) gives every match."""
    if DIALECT == "postgres":
        await title_or_summary_matches_outrank_body_only_matches(query)
        return
    match = searching.match_expression(query)
    alone = await fetch(
        f"SELECT rowid, {searching._SCORE['sqlite']} FROM article_fts WHERE article_fts MATCH ?",
        [match],
        quick=False,
    )
    preview = Viewer(NOW, preview=True)
    joined = await full_ranking(preview, query, None, 0, 1_000_000)
    assert joined or query == "minister_said"  # one word (\w takes "_"), found nowhere
    assert {int(pk): float(score) for pk, score in alone} == dict(joined)


async def title_or_summary_matches_outrank_body_only_matches(query: str) -> None:
    """The bound the bounded set rests on (cms.read.search._HEAD_FIRST), on data: each word
    in a title or summary adds at least 0.4 / 1.64493 to the average over the words, each
    other one less than 0.2, so a match with none of its words there scores less than 0.2."""
    rows = await fetch(
        "SELECT a.search_head @@ q.ranking, ts_rank(a.search_vector, q.ranking), array("
        " SELECT ts_rank(a.search_vector, lexeme::tsquery) FROM"
        " unnest(tsvector_to_array(to_tsvector('cms_search', ?))) AS w(lexeme)"
        " WHERE a.search_head @@ lexeme::tsquery),"
        " cardinality(tsvector_to_array(to_tsvector('cms_search', ?)))"
        f" FROM article a, {searching._RANKING_TSQUERY}"
        " WHERE a.search_vector @@ q.query",
        [query, query, query, query],
        quick=False,
    )
    assert rows
    for in_head, score, head_words, lexemes in rows:
        assert in_head == bool(head_words)
        assert all(word >= 0.4 / 1.64493406685 - 1e-6 for word in head_words), head_words
        if in_head:
            assert score >= sum(head_words) / lexemes - 1e-6, (score, head_words)
        else:
            assert score < 0.2, score


async def test_the_ranking_query_reads_words_never_syntax(generated: GraphQLClient) -> None:
    """PostgreSQL: see :func:`ranking_query_is_the_words_joined_by_or`. SQLite: the MATCH
    text is the words, each a quoted FTS5 string, so operators in the text are words."""
    if DIALECT == "postgres":
        await ranking_query_is_the_words_joined_by_or()
        return
    match = searching.match_expression('it\'s "back\\slash" a OR b NEAR(c d) e:* -f AND')
    assert match == ('"it" "s" "back" "slash" "a" "OR" "b" "NEAR" "c" "d" "e" "f" "AND"')
    # FTS5 takes it (an operator read as syntax would fail or change the statement's meaning).
    await fetch("SELECT count(*) FROM article_fts WHERE article_fts MATCH ?", [match])


async def ranking_query_is_the_words_joined_by_or() -> None:
    """The ranking query has the lexemes of the matching query, each one an operand: quotes,
    backslashes, spaces and operators in a lexeme are never read as tsquery syntax."""
    text = "The officials' e_mail, said"
    ((ranking_text, matching),) = await fetch(
        f"SELECT q.ranking::text, querytree(q.query) FROM {searching._RANKING_TSQUERY}",
        [text, text],
        quick=False,
    )
    assert sorted(ranking_text.split(" | ")) == sorted(set(matching.split(" & ")))
    lexemes = ["it's", "back\\slash", "a | b", "c&d", "e:*", "x'|'y", "f''"]
    joined = searching._OR_LEXEMES.replace(
        "tsvector_to_array(to_tsvector('cms_search', ?))", "CAST(? AS text[])"
    )
    ((nodes, each, other),) = await fetch(
        "SELECT numnode(r.q), array(SELECT array_to_tsvector(ARRAY[l]) @@ r.q"
        " FROM unnest(CAST(? AS text[])) AS l),"
        " array_to_tsvector(ARRAY['it', 's', 'back', 'slash', 'a', 'b', 'c', 'd', 'e', 'x',"
        " 'y', 'f']) @@ r.q"
        f" FROM (SELECT {joined} AS q) AS r",
        [lexemes, lexemes],
        quick=False,
    )
    assert nodes == 2 * len(lexemes) - 1
    assert all(each) and not other

"""A search ranks in two tiers (cms.read.relevance): matches with a word in the title or
summary, then the others. One statement ranks the first tier and the second only when the
first is short: the hits, their scores and their order must be those of ranking every match
of both tiers, for every viewer, filter and window."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cms.fixtures.service import load_files
from cms.generate import generate
from cms.models import ArticleStatus
from cms.read import relevance, search_terms
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
#: several words, one word twice, a word the parser splits in two, and words with no match
#: together.
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


async def every_match(
    viewer: Viewer, query: str, article_filter: ArticleFilter | None
) -> list[tuple[int, int, float]]:
    """Every visible match as (tier, id, relevance), ranked: both tiers read whole."""
    made = relevance.tiers(viewer, query, article_filter)
    found: list[tuple[int, int, float]] = []
    for tier, statement in made.items():
        rows = await fetch(statement.sql, statement.arguments, quick=False)
        found += [(tier, int(pk), float(value)) for pk, value in rows]
    return sorted(found, key=lambda hit: (-hit[0], -hit[2], -hit[1]))


async def full_ranking(
    viewer: Viewer, query: str, article_filter: ArticleFilter | None, start: int, count: int
) -> Ranked:
    ranked = await every_match(viewer, query, article_filter)
    return [(pk, relevance.score(tier, value)) for tier, pk, value in ranked[start : start + count]]


def spy(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records, for each ranking statement, whether the head tier was enough ("head") or the
    body tier's rows were read too ("body")."""
    paths: list[str] = []

    async def recording(sql: str, params: Any = (), **options: Any) -> Any:
        rows = await fetch(sql, params, **options)
        assert sql.startswith("WITH head AS")
        paths.append("body" if any(row[0] == relevance.BODY for row in rows) else "head")
        return rows

    monkeypatch.setattr(relevance, "fetch", recording)
    return paths


async def ranking(
    viewer: Viewer, query: str, article_filter: ArticleFilter | None, start: int, count: int
) -> Ranked:
    return await relevance.ranked(relevance.tiers(viewer, query, article_filter), start, count)


@pytest.mark.parametrize("query", PHRASES)
async def test_the_ranking_is_both_tiers_ranked_in_full(
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


async def test_both_paths_are_taken_and_agree(
    generated: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small windows of common words are answered by the head tier alone; windows reaching
    past it read the body tier too: both give the full ranking's hits."""
    paths = spy(monkeypatch)
    for query in ("said", "officials", "oil", "government said"):
        head = [hit for hit in await every_match(Viewer(NOW), query, None) if hit[0] == 1]
        for start, count in [(0, 5), (len(head) - 2, 4), (len(head), 3), (0, len(head) + 7)]:
            expected = await full_ranking(Viewer(NOW), query, None, start, count)
            assert await ranking(Viewer(NOW), query, None, start, count) == expected
    assert "head" in paths and "body" in paths, paths


@pytest.mark.parametrize("query", ["said", "officials", "oil", "minister", *PHRASES[2:4]])
async def test_the_tiers_split_the_matches(generated: GraphQLClient, query: str) -> None:
    """Every match is in exactly one tier; head matches score in (1, 2), body ones in (0, 1);
    a head match has one of the words in its title or summary, a body match none."""
    preview = Viewer(NOW, preview=True)
    ranked = await every_match(preview, query, None)
    ids = [pk for _, pk, _ in ranked]
    assert len(ids) == len(set(ids)) == await searching.count(preview, query, None)
    tiers = {pk: tier for tier, pk, _ in ranked}
    assert set(tiers.values()) == {0, 1}, query  # both tiers are tried by these phrases
    for tier, _, value in ranked:
        assert tier < relevance.score(tier, value) < tier + 1 and value > 0
    words = search_terms.words(query)
    if DIALECT == "postgres":
        rows = await fetch(
            "SELECT a.id, a.search_head @@ q.ranking FROM article_search a,"
            f" {search_terms.RANKING_TSQUERY}",
            [query, query],
            quick=False,
        )
        in_head = {int(pk) for pk, found in rows if found}
    else:
        in_head = set()
        for word in words:  # each word alone, in the title or summary
            rows = await fetch(
                "SELECT rowid FROM article_fts WHERE article_fts MATCH ?",
                ['{title summary}: "' + word + '"'],
                quick=False,
            )
            in_head |= {int(pk) for (pk,) in rows}
    assert {pk for pk, tier in tiers.items() if tier == 1} == in_head & set(tiers)


async def test_the_ranking_query_reads_words_never_syntax(generated: GraphQLClient) -> None:
    """PostgreSQL: see :func:`ranking_query_is_the_words_joined_by_or`. SQLite: the MATCH
    text is the words, each a quoted FTS5 string, so operators in the text are words."""
    if DIALECT == "postgres":
        await ranking_query_is_the_words_joined_by_or()
        return
    match = search_terms.match_expression('it\'s "back\\slash" a OR b NEAR(c d) e:* -f AND')
    assert match == ('"it" "s" "back" "slash" "a" "OR" "b" "NEAR" "c" "d" "e" "f" "AND"')
    # FTS5 takes it (an operator read as syntax would fail or change the statement's meaning).
    await fetch("SELECT count(*) FROM article_fts WHERE article_fts MATCH ?", [match])


async def ranking_query_is_the_words_joined_by_or() -> None:
    """The ranking query has the lexemes of the matching query, each one an operand: quotes,
    backslashes, spaces and operators in a lexeme are never read as tsquery syntax."""
    text = "The officials' e_mail, said"
    ((ranking_text, matching),) = await fetch(
        f"SELECT q.ranking::text, querytree(q.query) FROM {search_terms.RANKING_TSQUERY}",
        [text, text],
        quick=False,
    )
    assert sorted(ranking_text.split(" | ")) == sorted(set(matching.split(" & ")))
    lexemes = ["it's", "back\\slash", "a | b", "c&d", "e:*", "x'|'y", "f''"]
    joined = search_terms.OR_LEXEMES.replace(
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

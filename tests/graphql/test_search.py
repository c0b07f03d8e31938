"""Full-text search through GraphQL: matching, ranking, safe syntax and snippets, visibility,
filters, paging, index upkeep and the number of SQL statements a search costs."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cms.fixtures.service import load_files
from cms.generate import generate
from cms.graphql import resolvers
from cms.graphql.connections import Started
from cms.read import relevance
from cms.read import search as searching
from cms.read.pages import encode_cursor
from tests.conftest import SEED_JSON, SEED_SLUG
from tests.databases import DIALECT
from tests.graphql.conftest import GraphQLClient, SQLCounter

SEARCH = """
query Search($query: String!, $first: Int, $after: String, $filter: ArticleFilter) {
  search(query: $query, first: $first, after: $after, filter: $filter) {
    totalCount
    edges { cursor snippet score node { slug } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

PAST = "2024-01-01T00:00:00Z"
FUTURE = "2999-01-01T00:00:00Z"


def article(slug: str, body: str, *, title: str | None = None, **fields: Any) -> dict[str, Any]:
    """A published article record (fields override the defaults)."""
    record: dict[str, Any] = {
        "slug": slug,
        "title": title or "Daily report",
        "body": body,
        "status": "PUBLISHED",
        "publishedAt": PAST,
    }
    record.update(fields)
    return record


def write_fixture(directory: Path, document: dict[str, Any]) -> Path:
    """Write ``document`` as a new JSON fixture file in ``directory``."""
    path = directory / f"fixture-{len(list(directory.glob('fixture-*.json')))}.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


async def load(tmp_path: Path, *articles: dict[str, Any], **document: Any) -> None:
    """Write the articles (and any other top-level keys) as one JSON fixture and load it."""
    content = {"format": "cms-fixture/1", **document, "articles": list(articles)}
    await load_files([write_fixture(tmp_path, content)])


async def search(client: GraphQLClient, query: str, **variables: Any) -> dict[str, Any]:
    data = await client.data(SEARCH, {"query": query, **variables})
    result: dict[str, Any] = data["search"]
    return result


def slugs(result: dict[str, Any]) -> list[str]:
    return [edge["node"]["slug"] for edge in result["edges"]]


# -- Matching ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "Huawei",  # body only
        "Nanshan Museum",  # body only, two words
        "Boluarte",  # title and body
        "Landmark",  # title only
        "arriving",  # stem of the title's "Arrives" (and the body's "arrived")
        "Boluarte's",  # ASCII apostrophe; the body has "Boluarte’s"
        "HUAWEI",
        "huawei",
        "hUaWeI",
        "Huawéi",
        "BOLUÁRTE",
        "nánshan MUSÉUM",
    ],
)
async def test_seed_is_found_by_its_words_in_any_case_and_accent(
    seeded: GraphQLClient, query: str
) -> None:
    result = await search(seeded, query)
    assert result["totalCount"] == 1
    assert slugs(result) == [SEED_SLUG]


@pytest.mark.parametrize("query", ["Kinshasa", "Nanshan Kinshasa", "huaweis museums kinshasa"])
async def test_words_the_seed_lacks_find_nothing(seeded: GraphQLClient, query: str) -> None:
    result = await search(seeded, query)
    assert result["totalCount"] == 0
    assert result["edges"] == []
    assert result["pageInfo"] == {"hasNextPage": False, "endCursor": None}


async def test_a_stem_variant_finds_the_word(client: GraphQLClient, tmp_path: Path) -> None:
    await load(
        tmp_path,
        article("one-visit", "The minister paid a visit to the harbour.", title="Harbour news"),
        article("no-match", "The minister stayed at home."),
    )
    for query in ("visits", "visiting", "visited", "VISIT"):
        result = await search(client, query)
        assert slugs(result) == ["one-visit"], query
        assert "<mark>visit</mark>" in result["edges"][0]["snippet"]


async def test_accented_text_is_found_without_accents(
    client: GraphQLClient, tmp_path: Path
) -> None:
    await load(tmp_path, article("cafe", "They met at the Café Müller in São Paulo."))
    for query in ("cafe muller", "CAFÉ", "sao paulo", "São Pãulo"):
        assert slugs(await search(client, query)) == ["cafe"], query


# -- Ranking ----------------------------------------------------------------------------------


async def test_best_match_first_title_outranks_summary_outranks_body(
    client: GraphQLClient, tmp_path: Path
) -> None:
    filler = "The committee met again on Tuesday to discuss the budget for next year."
    # Loaded body-first so that the id tie-break (id DESC) would put them the other way round.
    await load(
        tmp_path,
        article("in-title", filler, title="Zeppelin returns to the city"),
        article("in-summary", filler, title="A return", summary="A zeppelin was seen."),
        article("in-body", f"{filler} A zeppelin was seen.", title="Another return"),
        article("elsewhere", filler, title="Nothing to see"),
    )
    result = await search(client, "zeppelin")
    assert result["totalCount"] == 3
    assert slugs(result) == ["in-title", "in-summary", "in-body"]
    scores = [edge["score"] for edge in result["edges"]]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] > scores[1] > scores[2]


async def test_more_occurrences_rank_higher_and_score_is_higher_is_better(
    client: GraphQLClient, tmp_path: Path
) -> None:
    await load(
        tmp_path,
        article("many", "Walrus here, walrus there, a walrus everywhere on the ice."),
        article("once", "A walrus was seen once, far out on the ice near the coast."),
    )
    result = await search(client, "walrus")
    assert slugs(result) == ["many", "once"]
    first, second = (edge["score"] for edge in result["edges"])
    assert first > second > 0


# -- Words, not syntax ------------------------------------------------------------------------


async def test_all_words_must_match(seeded: GraphQLClient, tmp_path: Path) -> None:
    await load(tmp_path, article("zeppelin", "A zeppelin over Shenzhen."))
    assert slugs(await search(seeded, "Huawei Boluarte")) == [SEED_SLUG]
    assert slugs(await search(seeded, "Shenzhen Huawei")) == [SEED_SLUG]
    assert slugs(await search(seeded, "zeppelin Shenzhen")) == ["zeppelin"]
    result = await search(seeded, "Huawei zeppelin")
    assert result["totalCount"] == 0
    assert result["edges"] == []
    # Both match "Shenzhen" alone.
    assert (await search(seeded, "Shenzhen"))["totalCount"] == 2


@pytest.mark.parametrize("query", ["", " ", "\t\n", "!!!", "— … ·", "🙂🎉", "\x00", "?.,;"])
async def test_a_query_without_words_finds_nothing_without_error(
    seeded: GraphQLClient, sql: SQLCounter, query: str
) -> None:
    sql.statements.clear()
    result = await search(seeded, query)
    assert result == {
        "totalCount": 0,
        "edges": [],
        "pageInfo": {"hasNextPage": False, "endCursor": None},
    }
    # Nothing to look for: the database is not asked.
    assert sql.statements == []


TITLE_HUAWEI = "title-word"
HUAWEIPHONES = "huaweiphones"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"', set()),
        ('"unbalanced', set()),
        ('"huawei', {SEED_SLUG, TITLE_HUAWEI}),
        ('huawei"', {SEED_SLUG, TITLE_HUAWEI}),
        ('"Nanshan Museum"', {SEED_SLUG}),
        ("-", set()),
        ("-huawei", {SEED_SLUG, TITLE_HUAWEI}),  # not an exclusion
        ("a:b", set()),
        # As FTS syntax this would look for "huawei" in the title column (the seed has it only
        # in its body); as words, both must appear anywhere: only in the title-word article.
        ("title:huawei", {TITLE_HUAWEI}),
        ("body_text:huawei", set()),
        ("*", set()),
        # As a prefix query this would also find "huaweiphones".
        ("huawei*", {SEED_SLUG, TITLE_HUAWEI}),
        ("NEAR(a b)", set()),
        # "NEAR" is a word to find, not an operator: the seed has no "near"... except that
        # PostgreSQL's English stemmer reads its "nearly" as "near" (SQLite's porter does not).
        ("NEAR(huawei museum)", {SEED_SLUG} if DIALECT == "postgres" else set()),
        ("huawei AND", {SEED_SLUG, TITLE_HUAWEI}),  # "and" is a word of both
        ("huawei AND museum", {SEED_SLUG}),
        ("OR", set()),
        ("huawei OR zeppelin", set()),
        ("NOT huawei", set()),
        ("^huawei", {SEED_SLUG, TITLE_HUAWEI}),
        ("(", set()),
        (")", set()),
        ("(huawei)", {SEED_SLUG, TITLE_HUAWEI}),
        ("{}", set()),
        ("{title} : huawei", {TITLE_HUAWEI}),
        ("'", set()),
        ("huawei'", {SEED_SLUG, TITLE_HUAWEI}),
        ("\\", set()),
        ("huawei\\", {SEED_SLUG, TITLE_HUAWEI}),
        ("_", set()),
        ("🙂", set()),
        ("huawei 🙂", {SEED_SLUG, TITLE_HUAWEI}),
        ("huawei " * 715, {SEED_SLUG, TITLE_HUAWEI}),  # 5,005 characters
        ("x" * 5000, set()),
        ("huawei\x00", {SEED_SLUG, TITLE_HUAWEI}),
        ("\x00huawei\x00museum", {SEED_SLUG}),
    ],
)
async def test_user_text_is_never_search_syntax(
    seeded: GraphQLClient, tmp_path: Path, query: str, expected: set[str]
) -> None:
    await load(
        tmp_path,
        article(TITLE_HUAWEI, "The title of the Huawei report and its summary."),
        article(HUAWEIPHONES, "Huaweiphones and zeppelins."),
    )
    result = await seeded.post(SEARCH, {"query": query})
    assert "errors" not in result, result["errors"]
    found = result["data"]["search"]
    assert set(slugs(found)) == expected
    assert found["totalCount"] == len(expected)


# -- Snippets ---------------------------------------------------------------------------------


async def test_snippet_is_escaped_text_with_marks(client: GraphQLClient, tmp_path: Path) -> None:
    body = 'The Huawei page said `<script>alert(1)</script>` & "quotes" &lt;b&gt; there.'
    await load(tmp_path, article("escaped", body))
    (edge,) = (await search(client, "huawei"))["edges"]
    snippet = edge["snippet"]
    assert "<mark>Huawei</mark>" in snippet
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in snippet
    assert "&amp;" in snippet
    assert "&lt;b&gt;" in snippet
    assert "<script" not in snippet
    unmarked = snippet.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in unmarked and ">" not in unmarked
    assert re.sub(r"&(?!amp;|lt;|gt;|quot;|#x27;)", "", unmarked) == unmarked


async def test_snippet_marks_every_match_and_nothing_else(
    client: GraphQLClient, tmp_path: Path
) -> None:
    # U+E000 and U+E001 are private-use characters; text may contain them, and they must not
    # turn into marks.
    body = "Huawei and zeppelin \ue000 not a match \ue001 then Huawei again."
    await load(tmp_path, article("marks", body, title="Plain title"))
    (edge,) = (await search(client, "huawei zeppelin"))["edges"]
    snippet = edge["snippet"]
    assert snippet.count("<mark>") == 3
    assert snippet.count("</mark>") == 3
    assert re.findall(r"<mark>(.*?)</mark>", snippet) == ["Huawei", "zeppelin", "Huawei"]
    assert "\ue000 not a match \ue001" in snippet


async def test_seed_snippet_shows_its_body_around_the_match(seeded: GraphQLClient) -> None:
    (edge,) = (await search(seeded, "Nanshan"))["edges"]
    assert "<mark>Nanshan</mark> Museum" in edge["snippet"]
    assert len(edge["snippet"]) < 400


# -- Visibility -------------------------------------------------------------------------------


async def test_drafts_archived_and_scheduled_are_never_found_by_anonymous_callers(
    client: GraphQLClient, tmp_path: Path
) -> None:
    await load(
        tmp_path,
        article("published", "A quokka smiles."),
        article("draft", "A quokka smiles.", status="DRAFT", publishedAt=None),
        article("draft-dated", "A quokka smiles.", status="DRAFT"),
        article("archived", "A quokka smiles.", status="ARCHIVED"),
        article("scheduled", "A quokka smiles.", publishedAt=FUTURE),
    )
    result = await search(client, "quokka")
    assert slugs(result) == ["published"]
    assert result["totalCount"] == 1
    for status in ("DRAFT", "ARCHIVED"):
        hidden = await search(client, "quokka", filter={"status": status})
        assert hidden["totalCount"] == 0
        assert hidden["edges"] == []
    later = await search(client, "quokka", filter={"publishedAfter": "2500-01-01T00:00:00Z"})
    assert later["totalCount"] == 0
    assert later["edges"] == []


# -- Filters ----------------------------------------------------------------------------------


async def test_filters_combine_with_search(client: GraphQLClient, tmp_path: Path) -> None:
    credit = {"text": "Photo: Ann Lee", "contributors": ["Ann Lee"]}
    await load(
        tmp_path,
        article("arctic-ice", "Walrus on ice.", tags=["arctic", "ice"], publishedAt=PAST),
        article(
            "arctic",
            "Walrus in the arctic.",
            tags=["arctic"],
            publishedAt="2024-03-01T00:00:00Z",
            imageCredits=[credit],
        ),
        article("ice", "Walrus again.", tags=["ice"], publishedAt="2024-06-01T00:00:00Z"),
        # Matches every filter below but not the words.
        article(
            "no-walrus",
            "Seals on ice.",
            tags=["arctic", "ice"],
            publishedAt="2024-03-01T00:00:00Z",
            imageCredits=[credit],
        ),
        tags=[{"slug": "arctic", "name": "Arctic"}, {"slug": "ice", "name": "Ice"}],
        contributors=[{"slug": "ann-lee", "name": "Ann Lee"}],
    )

    async def found(filter: dict[str, Any]) -> set[str]:
        result = await search(client, "walrus", filter=filter)
        assert result["totalCount"] == len(result["edges"])
        return set(slugs(result))

    assert await found({}) == {"arctic-ice", "arctic", "ice"}
    assert await found({"status": "PUBLISHED"}) == {"arctic-ice", "arctic", "ice"}
    assert await found({"tags": ["arctic"]}) == {"arctic-ice", "arctic"}
    assert await found({"tags": ["arctic", "ice"]}) == {"arctic-ice"}
    assert await found({"tags": ["ice", "arctic"]}) == {"arctic-ice"}
    assert await found({"tags": ["unknown"]}) == set()
    assert await found({"contributor": "ann-lee"}) == {"arctic"}
    assert await found({"contributor": "nobody"}) == set()
    # publishedAfter is inclusive, publishedBefore exclusive.
    assert await found({"publishedAfter": "2024-03-01T00:00:00Z"}) == {"arctic", "ice"}
    assert await found({"publishedBefore": "2024-03-01T00:00:00Z"}) == {"arctic-ice"}
    assert await found(
        {"publishedAfter": "2024-02-01T00:00:00Z", "publishedBefore": "2024-05-01T00:00:00Z"}
    ) == {"arctic"}
    assert await found({"tags": ["ice"], "publishedAfter": "2024-03-01T00:00:00Z"}) == {"ice"}


# -- Paging -----------------------------------------------------------------------------------


async def test_pages_continue_after_the_end_cursor_without_overlap(
    client: GraphQLClient, tmp_path: Path
) -> None:
    await load(
        tmp_path,
        *(article(f"otter-{i}", "An otter. " * (i + 1) + "Then the river.") for i in range(5)),
        article("no-otter", "Only the river."),
    )
    everything = await search(client, "otter", first=100)
    order = slugs(everything)
    assert len(order) == 5
    assert everything["pageInfo"]["hasNextPage"] is False

    seen: list[str] = []
    after = None
    pages = []
    while True:
        page = await search(client, "otter", first=2, after=after)
        assert page["totalCount"] == 5
        pages.append(slugs(page))
        seen.extend(slugs(page))
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert pages == [order[0:2], order[2:4], order[4:5]]
    assert seen == order

    # An edge's own cursor continues right after that edge.
    first_page = await search(client, "otter", first=2)
    after_first = await search(client, "otter", first=2, after=first_page["edges"][0]["cursor"])
    assert slugs(after_first) == order[1:3]

    # Past the end: nothing more, no error.
    end = await search(client, "otter", first=2, after=everything["pageInfo"]["endCursor"])
    assert end["edges"] == []
    assert end["pageInfo"]["hasNextPage"] is False


async def test_default_page_size_is_20(client: GraphQLClient, tmp_path: Path) -> None:
    await load(tmp_path, *(article(f"lynx-{i}", "A lynx.") for i in range(21)))
    result = await search(client, "lynx")
    assert len(result["edges"]) == 20
    assert result["totalCount"] == 21
    assert result["pageInfo"]["hasNextPage"] is True


@pytest.mark.parametrize(("first", "mentions"), [(101, "100"), (1000, "100"), (-1, "negative")])
async def test_first_out_of_range_is_an_error(
    seeded: GraphQLClient, first: int, mentions: str
) -> None:
    error = await seeded.error(SEARCH, {"query": "huawei", "first": first})
    assert mentions in error["message"]
    assert "first" in error["message"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_first_100_and_0_are_allowed(seeded: GraphQLClient) -> None:
    assert slugs(await search(seeded, "huawei", first=100)) == [SEED_SLUG]
    none = await search(seeded, "huawei", first=0)
    assert none["edges"] == []
    assert none["totalCount"] == 1
    assert none["pageInfo"]["hasNextPage"] is True


@pytest.mark.parametrize(
    "after",
    [
        "not a cursor",
        encode_cursor("articles:PUBLISHED_AT:desc", ("2024-01-01T00:00:00+00:00", 1)),
        encode_cursor("search", ()),
        encode_cursor("search", ("x",)),
        encode_cursor("search", ("3",)),
        encode_cursor("search", (1.5,)),
        encode_cursor("search", (True,)),
        encode_cursor("search", (None,)),
        encode_cursor("search", (-2,)),
        encode_cursor("search", (10**30,)),
        encode_cursor("search", (0, 1)),
    ],
)
async def test_a_bad_cursor_is_a_user_error(seeded: GraphQLClient, after: str) -> None:
    error = await seeded.error(SEARCH, {"query": "huawei", "after": after})
    assert "after" in error["message"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


# -- Index upkeep -----------------------------------------------------------------------------


async def test_the_index_follows_fixture_reloads(client: GraphQLClient, tmp_path: Path) -> None:
    await load(tmp_path, article("changing", "An old narwhal story.", title="First title"))
    assert slugs(await search(client, "narwhal")) == ["changing"]
    assert slugs(await search(client, "first")) == ["changing"]

    await load(tmp_path, article("changing", "A new platypus story.", title="Second title"))
    for gone in ("narwhal", "first"):
        result = await search(client, gone)
        assert result["totalCount"] == 0, gone
        assert result["edges"] == [], gone
    for present in ("platypus", "second", "story"):
        assert slugs(await search(client, present)) == ["changing"], present
    (edge,) = (await search(client, "platypus"))["edges"]
    assert "<mark>platypus</mark>" in edge["snippet"]
    assert "narwhal" not in edge["snippet"]

    await load(tmp_path, article("changing", "A new platypus story.", summary="Kiwi summary."))
    assert slugs(await search(client, "kiwi")) == ["changing"]

    await load(tmp_path, article("changing", "A new platypus story.", status="DRAFT"))
    assert (await search(client, "platypus"))["totalCount"] == 0


async def test_seed_reload_unchanged_keeps_one_hit(seeded: GraphQLClient) -> None:
    await load_files([SEED_JSON])
    result = await search(seeded, "huawei")
    assert slugs(result) == [SEED_SLUG]
    assert result["totalCount"] == 1


# -- Cost -------------------------------------------------------------------------------------

#: A search page with its totalCount: one statement for the page's articles and snippets, one
#: for the content version (the ranking and the total are kept per version).
SEARCH_STATEMENTS = 2


async def test_a_search_costs_two_statements_whatever_the_page_size(
    seeded: GraphQLClient, tmp_path: Path, sql: SQLCounter
) -> None:
    document = generate(80, 3, datetime(2025, 1, 1, tzinfo=UTC))
    await load_files([write_fixture(tmp_path, document)])

    # The total is kept per content version: the first search after a change also reads the
    # next publication time and counts; from then on a page and the version read remain.
    await search(seeded, "officials said", first=1)
    for first in (1, 20, 100):
        sql.statements.clear()
        result = await search(seeded, "officials said", first=first)
        assert len(result["edges"]) == min(first, result["totalCount"])
        assert result["totalCount"] > 20
        assert len(sql.statements) == SEARCH_STATEMENTS, sql.statements

    filtered = {"tags": ["markets"], "status": "PUBLISHED"}
    await search(seeded, "officials", first=5, filter=filtered)
    sql.statements.clear()
    await search(seeded, "officials", first=5, filter=filtered)
    assert len(sql.statements) == SEARCH_STATEMENTS, sql.statements

    # Without totalCount, no count: the first time, the version, the ranking and the page;
    # then the version and the page.
    query = '{ search(query: "officials", first: 50) { edges { node { slug } } } }'
    for expected in (3, 2):
        sql.statements.clear()
        await seeded.data(query)
        assert len(sql.statements) == expected, sql.statements
        assert not any("COUNT(" in statement for statement in sql.statements)


@pytest.mark.parametrize(
    ("selection", "variables", "counted"),
    [
        ("totalCount", {}, True),
        ("...Total", {}, True),
        ("... on SearchConnection { totalCount }", {}, True),
        ("totalCount @include(if: $flag)", {"flag": True}, True),
        ("totalCount @include(if: $flag)", {"flag": False}, False),
        ("totalCount @skip(if: true)", {}, False),
        ("... @skip(if: $flag) { totalCount }", {"flag": True}, False),
        ("...Total @include(if: $flag)", {"flag": False}, False),
        ("edges { node { slug } }", {}, False),
    ],
)
async def test_a_search_counts_only_when_totalcount_is_selected(
    seeded: GraphQLClient,
    tmp_path: Path,
    sql: SQLCounter,
    monkeypatch: pytest.MonkeyPatch,
    selection: str,
    variables: dict[str, Any],
    counted: bool,
) -> None:
    """The count may start alongside the ranking (cms.graphql.connections.selects): only when
    the response will show it, however the selection asks for it, and it is the same count."""
    await load_files([write_fixture(tmp_path, generate(60, 3, datetime(2025, 1, 1, tzinfo=UTC)))])
    declared = "($flag: Boolean!)" if "$flag" in selection else ""
    document = (
        f'query Q{declared} {{ search(query: "officials said", first: 3) {{ {selection}'
        " pageInfo { hasNextPage } } }"
        " fragment Total on SearchConnection { totalCount }"
    )
    if "...Total" not in selection:
        document = document.replace(" fragment Total on SearchConnection { totalCount }", "")
    started: list[Started] = []

    class Recorded(Started):
        def __init__(self, count: Awaitable[int]) -> None:
            super().__init__(count)
            started.append(self)

    monkeypatch.setattr(resolvers, "Started", Recorded)
    sql.statements.clear()
    data = await seeded.data(document, variables)
    assert any("COUNT(" in statement for statement in sql.statements) == counted
    # The ranking and the count, at once or not, read the next publication time once.
    assert sum("MIN(published_at)" in statement for statement in sql.statements) == 1
    # Started with the ranking where that gains (PostgreSQL), else run when totalCount asks.
    assert len(started) == (counted and searching.COUNT_ALONGSIDE[DIALECT])
    assert ("totalCount" in data["search"]) == counted
    if counted:
        assert (
            data["search"]["totalCount"] == (await search(seeded, "officials said"))["totalCount"]
        )


async def test_pages_past_the_kept_ranking_follow_on_exactly(
    seeded: GraphQLClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The best hits of a search are kept (cms.read.relevance.RANKS_KEPT); pages past them are
    ranked anew, and paging through both gives every hit once, in one order."""
    from cms.read import counts

    document = generate(60, 4, datetime(2025, 1, 1, tzinfo=UTC))
    await load_files([write_fixture(tmp_path, document)])

    async def walk() -> list[tuple[str, float]]:
        seen: list[tuple[str, float]] = []
        after = None
        while True:
            page = await search(seeded, "said", first=7, after=after)
            seen += [(edge["node"]["slug"], edge["score"]) for edge in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                return seen
            after = page["pageInfo"]["endCursor"]

    everything = await walk()
    assert len(everything) > 20 and len({slug for slug, _ in everything}) == len(everything)
    counts.forget()
    monkeypatch.setattr(relevance, "RANKS_KEPT", 10)
    assert await walk() == everything


async def test_a_kept_ranking_never_shows_what_became_hidden(
    client: GraphQLClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sql: SQLCounter
) -> None:
    """A request may use a ranking kept under the version it read when it started while a
    write lands: the page is read with the visibility check again, so an article unpublished
    meanwhile is left out, and the other hits keep their cursors (positions in the ranking)."""

    await load(
        tmp_path,
        article("one", "harbour news", title="Harbour one"),
        article("two", "harbour news", title="Harbour two"),
        article("three", "harbour news", title="Harbour three"),
    )
    before = await search(client, "harbour")
    assert len(before["edges"]) == 3
    ranked = [edge["node"]["slug"] for edge in before["edges"]]
    lookup = relevance._rankings.lookup
    stale: list[Any] = []

    async def as_before(key: Any, now: Any) -> Any:
        found = await lookup(key, now)
        if not stale:
            stale.append(found)
        return stale[0]  # what was kept before the write, as a racing request would see it

    await search(client, "harbour")  # kept now
    monkeypatch.setattr(relevance._rankings, "lookup", as_before)
    await search(client, "harbour")
    hidden = ranked[1]
    await load(tmp_path, article(hidden, "harbour news", title="Gone", status="DRAFT"))
    after = await search(client, "harbour")
    assert [edge["node"]["slug"] for edge in after["edges"]] == [ranked[0], ranked[2]]
    assert [edge["cursor"] for edge in after["edges"]] == [
        before["edges"][0]["cursor"],
        before["edges"][2]["cursor"],
    ]

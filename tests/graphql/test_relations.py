"""Relations resolve in batches: a page of any size costs the same few SQL statements."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest

from cms.fixtures.service import load_files
from cms.generate import generate
from tests.graphql.conftest import GraphQLClient, SQLCounter

LIST_PAGE = """
query($first: Int) {
  articles(first: $first) {
    totalCount
    edges { node { id slug title tags { slug name kind }
      imageCredits { text organization role contributors { name slug } } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

TAG_PAGES = """
query($first: Int) {
  tags(first: $first) {
    edges { node { slug articleCount
      articles(first: 5) { totalCount edges { node { slug tags { slug } } } } } }
  }
}
"""

CONTRIBUTOR_PAGES = """
query($first: Int) {
  contributors(first: $first) {
    edges { node { slug
      imageCredits(first: 3) { totalCount edges { node { text article { slug tags { slug } } } } }
    } }
  }
}
"""


@pytest.fixture
async def generated(client: GraphQLClient, tmp_path: Path) -> GraphQLClient:
    path = tmp_path / "generated.json"
    path.write_text(json.dumps(generate(150, seed=11)), encoding="utf-8")
    await load_files([path])
    return client


async def statements(
    client: GraphQLClient, sql: SQLCounter, query: str, **variables: Any
) -> tuple[int, dict[str, Any]]:
    """Statements of a query in the steady state: counts are kept per content version, so the
    first run after a change also reads the next publication time and counts (two more)."""
    await client.data(query, variables)
    sql.statements.clear()
    data = await client.data(query, variables)
    return len(sql.statements), data


@pytest.mark.parametrize(
    ("query", "root", "expected"),
    [
        # articles page, content version (totalCount is kept per version), tags, credits,
        # contributors
        (LIST_PAGE, "articles", 5),
        # tags page, content version (the per-tag counts are kept), per-tag article pages,
        # the articles' tags
        (TAG_PAGES, "tags", 4),
        # contributors page, content version, per-contributor credit pages, the credits'
        # articles, their tags
        (CONTRIBUTOR_PAGES, "contributors", 5),
    ],
)
async def test_statement_count_does_not_grow_with_the_page(
    generated: GraphQLClient, sql: SQLCounter, query: str, root: str, expected: int
) -> None:
    small, small_data = await statements(generated, sql, query, first=5)
    large, large_data = await statements(generated, sql, query, first=100)
    assert len(small_data[root]["edges"]) == 5
    assert len(large_data[root]["edges"]) > 40
    assert small == large == expected, sql.statements


async def test_nested_pages_match_the_top_level_list(generated: GraphQLClient) -> None:
    """The per-tag pages read in one statement equal what the filtered list says."""
    data = await generated.data(TAG_PAGES, {"first": 100})
    for edge in data["tags"]["edges"][:25]:
        tag = edge["node"]
        listed = await generated.data(
            "query($tag: String!) { articles(first: 5, filter: {tags: [$tag]}) "
            "{ totalCount edges { node { slug } } } }",
            {"tag": tag["slug"]},
        )
        assert tag["articles"]["totalCount"] == listed["articles"]["totalCount"]
        assert tag["articleCount"] == listed["articles"]["totalCount"]
        assert [e["node"]["slug"] for e in tag["articles"]["edges"]] == [
            e["node"]["slug"] for e in listed["articles"]["edges"]
        ]


async def test_tag_articles_page_and_order(newsroom: GraphQLClient) -> None:
    query = """query($after: String, $order: ArticleOrder) { tag(slug: "peru") {
        articles(first: 1, after: $after, orderBy: $order) {
          edges { node { slug } } pageInfo { hasNextPage endCursor } } } }"""
    first = (await newsroom.data(query, {"order": {"field": "TITLE", "direction": "ASC"}}))["tag"]
    assert [e["node"]["slug"] for e in first["articles"]["edges"]] == ["alpha"]
    assert first["articles"]["pageInfo"]["hasNextPage"] is True
    after = first["articles"]["pageInfo"]["endCursor"]
    second = await newsroom.data(
        query, {"after": after, "order": {"field": "TITLE", "direction": "ASC"}}
    )
    assert [e["node"]["slug"] for e in second["tag"]["articles"]["edges"]] == ["bravo"]
    assert second["tag"]["articles"]["pageInfo"]["hasNextPage"] is False


async def test_contributor_credits_newest_article_first(newsroom: GraphQLClient) -> None:
    data = await newsroom.data(
        '{ contributor(slug: "jane-roe") { name imageCredits { totalCount '
        "edges { node { text article { slug } } } } } }"
    )
    credits = data["contributor"]["imageCredits"]
    assert credits["totalCount"] == 2
    assert [e["node"]["article"]["slug"] for e in credits["edges"]] == ["bravo", "alpha"]


async def test_tags_list_by_name_and_kind(newsroom: GraphQLClient) -> None:
    data = await newsroom.data("{ tags { totalCount edges { node { name kind } } } }")
    # "Xi Jinping" is carried by no article: anonymous callers do not see it.
    assert [e["node"]["name"] for e in data["tags"]["edges"]] == ["China", "Peru", "trade"]
    data = await newsroom.data("{ tags(kind: PLACE) { totalCount edges { node { slug } } } }")
    assert data["tags"]["totalCount"] == 2
    assert [e["node"]["slug"] for e in data["tags"]["edges"]] == ["china", "peru"]


async def test_one_batch_per_relation_level(generated: GraphQLClient, sql: SQLCounter) -> None:
    """Tags of 100 articles are read with one IN list, not one statement per article."""
    await statements(generated, sql, LIST_PAGE, first=100)
    tag_reads = [s for s in sql.statements if "FROM article_tag at" in s and "JOIN tag t" in s]
    assert len(tag_reads) == 1
    statement = tag_reads[0].split(":", 1)[0] if "?" in tag_reads[0] else tag_reads[0]
    assert len(re.findall(r"\?|\$\d+", statement.split(" ORDER BY")[0])) == 100


class Statements(logging.Handler):
    """The statements Tortoise sends, with their parameters (from its db_client log)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.sent: list[tuple[str, list[Any]]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(record.args, tuple) and len(record.args) == 2:
            query, values = record.args
            if isinstance(query, str) and query.lstrip().upper().startswith("SELECT"):
                self.sent.append((query, list(values) if isinstance(values, list) else []))


async def test_the_list_page_reads_its_rows_in_index_order(generated: GraphQLClient) -> None:
    """The newest-first page reads 21 rows from an index, on both databases: no scan and sort
    of every visible article (on PostgreSQL that needs migration 0006's indexes, since cms
    sorts NULLs last and a plain index read backwards puts them first)."""
    from tortoise import connections

    logger = logging.getLogger("tortoise.db_client")
    handler, previous = Statements(), logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        await generated.data("{ articles(first: 20) { edges { node { slug } } } }")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
    query, values = next((q, v) for q, v in handler.sent if "FROM article a" in q)
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        _, rows = await connection.execute_query(f"EXPLAIN {query}", values)
        plan = "\n".join(str(row[0]) for row in rows)
        assert "Index Scan using article_status_newest_idx" in plan, plan
        assert "Sort" not in plan, plan
    else:
        _, rows = await connection.execute_query(f"EXPLAIN QUERY PLAN {query}", values)
        plan = "\n".join(str(row[-1]) for row in rows)
        assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, plan
        assert "TEMP B-TREE" not in plan, plan


async def test_bodies_in_a_list_are_one_more_statement_whatever_the_page(
    generated: GraphQLClient, sql: SQLCounter
) -> None:
    """Lists read articles without their bodies (kilobytes each); selecting ``body`` in a list
    loads them in one batch, and they are the bodies the article page serves."""
    query = "query($first: Int) { articles(first: $first) { edges { node { slug body } } } }"
    without = "query($first: Int) { articles(first: $first) { edges { node { slug } } } }"
    small, _ = await statements(generated, sql, query, first=5)
    large, data = await statements(generated, sql, query, first=20)
    plain, _ = await statements(generated, sql, without, first=20)
    assert small == large == plain + 1
    for edge in data["articles"]["edges"][:3]:
        node = edge["node"]
        page = await generated.data(
            "query($slug: String!) { article(slug: $slug) { body } }", {"slug": node["slug"]}
        )
        assert page["article"]["body"] == node["body"]
        assert node["body"]

"""`articles`: order, paging in both directions, offsets, filters, caps and their errors."""

from __future__ import annotations

from typing import Any

import pytest

from tests.graphql.conftest import GraphQLClient

LIST = """
query List($first: Int, $after: String, $last: Int, $before: String, $offset: Int,
           $filter: ArticleFilter, $orderBy: ArticleOrder) {
  articles(first: $first, after: $after, last: $last, before: $before, offset: $offset,
           filter: $filter, orderBy: $orderBy) {
    totalCount
    edges { cursor node { slug title } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


async def titles(client: GraphQLClient, **variables: Any) -> list[str]:
    data = await client.data(LIST, variables)
    return [edge["node"]["title"] for edge in data["articles"]["edges"]]


async def page(client: GraphQLClient, **variables: Any) -> dict[str, Any]:
    data = await client.data(LIST, variables)
    result: dict[str, Any] = data["articles"]
    return result


async def test_default_order_is_newest_first_with_id_tie_break(newsroom: GraphQLClient) -> None:
    # Bravo and Charlie share a publication time: the later id (Charlie) comes first.
    result = await page(newsroom)
    assert [e["node"]["title"] for e in result["edges"]] == ["Charlie", "Bravo", "Alpha", "Golf"]
    assert result["totalCount"] == 4
    assert result["pageInfo"]["hasNextPage"] is False
    assert result["pageInfo"]["hasPreviousPage"] is False


async def test_forward_paging_with_cursors(newsroom: GraphQLClient) -> None:
    first = await page(newsroom, first=2)
    assert [e["node"]["title"] for e in first["edges"]] == ["Charlie", "Bravo"]
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["endCursor"] == first["edges"][-1]["cursor"]
    second = await page(newsroom, first=2, after=first["pageInfo"]["endCursor"])
    assert [e["node"]["title"] for e in second["edges"]] == ["Alpha", "Golf"]
    assert second["pageInfo"]["hasNextPage"] is False
    assert second["pageInfo"]["hasPreviousPage"] is True
    assert second["totalCount"] == 4


async def test_backward_paging_with_cursors(newsroom: GraphQLClient) -> None:
    last = await page(newsroom, last=2)
    assert [e["node"]["title"] for e in last["edges"]] == ["Alpha", "Golf"]
    assert last["pageInfo"]["hasPreviousPage"] is True
    assert last["pageInfo"]["hasNextPage"] is False
    before = await page(newsroom, last=2, before=last["pageInfo"]["startCursor"])
    assert [e["node"]["title"] for e in before["edges"]] == ["Charlie", "Bravo"]
    assert before["pageInfo"]["hasPreviousPage"] is False
    assert before["pageInfo"]["hasNextPage"] is True


async def test_cursor_between_tied_rows(newsroom: GraphQLClient) -> None:
    first = await page(newsroom, first=1)
    assert [e["node"]["title"] for e in first["edges"]] == ["Charlie"]
    after = await titles(newsroom, first=1, after=first["pageInfo"]["endCursor"])
    assert after == ["Bravo"]


async def test_offset_for_page_numbers(newsroom: GraphQLClient) -> None:
    result = await page(newsroom, first=1, offset=2)
    assert [e["node"]["title"] for e in result["edges"]] == ["Alpha"]
    assert result["pageInfo"]["hasPreviousPage"] is True
    assert result["pageInfo"]["hasNextPage"] is True
    assert await titles(newsroom, offset=3) == ["Golf"]
    assert await titles(newsroom, offset=10) == []


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ({"field": "TITLE", "direction": "ASC"}, ["Alpha", "Bravo", "Charlie", "Golf"]),
        ({"field": "TITLE"}, ["Golf", "Charlie", "Bravo", "Alpha"]),
        ({"field": "PUBLISHED_AT", "direction": "ASC"}, ["Golf", "Alpha", "Bravo", "Charlie"]),
        ({"field": "UPDATED_AT", "direction": "DESC"}, ["Charlie", "Bravo", "Alpha", "Golf"]),
    ],
)
async def test_order_by(
    newsroom: GraphQLClient, order: dict[str, str], expected: list[str]
) -> None:
    assert await titles(newsroom, orderBy=order) == expected
    # Paging through the same ordering one by one gives the same sequence.
    seen: list[str] = []
    after = None
    for _ in expected:
        result = await page(newsroom, first=1, after=after, orderBy=order)
        seen += [e["node"]["title"] for e in result["edges"]]
        after = result["pageInfo"]["endCursor"]
    assert seen == expected


@pytest.mark.parametrize(
    ("article_filter", "expected"),
    [
        ({"tags": ["peru"]}, ["Bravo", "Alpha"]),
        ({"tags": ["peru", "trade"]}, ["Alpha"]),
        ({"tags": ["trade"]}, ["Charlie", "Alpha"]),
        ({"tags": ["no-such-tag"]}, []),
        ({"contributor": "jane-roe"}, ["Bravo", "Alpha"]),
        ({"contributor": "john-doe"}, ["Bravo"]),
        ({"contributor": "secret-person"}, []),
        ({"status": "PUBLISHED"}, ["Charlie", "Bravo", "Alpha", "Golf"]),
        ({"status": "DRAFT"}, []),
        ({"publishedAfter": "2024-01-01T00:00:00Z"}, ["Charlie", "Bravo", "Alpha"]),
        ({"publishedBefore": "2024-01-01T00:00:00Z"}, ["Golf"]),
        (
            {
                "publishedAfter": "2023-06-01T00:00:00+02:00",
                "publishedBefore": "2024-02-01T00:00:00Z",
            },
            ["Alpha"],
        ),
    ],
)
async def test_filters(
    newsroom: GraphQLClient, article_filter: dict[str, Any], expected: list[str]
) -> None:
    result = await page(newsroom, filter=article_filter)
    assert [e["node"]["title"] for e in result["edges"]] == expected
    assert result["totalCount"] == len(expected)


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"first": 101}, "`first` must be at most 100 (got 101)"),
        ({"last": 101}, "`last` must be at most 100 (got 101)"),
        ({"first": -1}, "`first` must not be negative"),
        ({"last": -5}, "`last` must not be negative"),
        ({"offset": -1}, "`offset` must not be negative"),
        ({"first": 1, "last": 1}, "not both"),
        ({"offset": 1, "after": "x"}, "`offset` cannot be combined"),
        ({"after": "not a cursor!"}, "`after` is not a valid cursor"),
        ({"before": "WyJ0YWdzOm5hbWUiLCJDaGluYSIsMl0"}, "another list or ordering"),
    ],
)
async def test_bad_paging_arguments_are_clear_errors(
    newsroom: GraphQLClient, variables: dict[str, Any], message: str
) -> None:
    response = await newsroom.http.post("/graphql", json={"query": LIST, "variables": variables})
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    (error,) = body["errors"]
    assert message in error["message"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["path"] == ["articles"]


async def test_cursor_of_another_ordering_is_refused(newsroom: GraphQLClient) -> None:
    by_title = await page(newsroom, first=1, orderBy={"field": "TITLE"})
    error = await newsroom.error(LIST, {"first": 1, "after": by_title["pageInfo"]["endCursor"]})
    assert "another list or ordering" in error["message"]


async def test_first_defaults_to_20_and_the_cap_is_100(
    client: GraphQLClient, tmp_path: Any
) -> None:
    import json

    from cms.fixtures.service import load_files
    from cms.generate import generate

    path = tmp_path / "many.json"
    path.write_text(json.dumps(generate(130, seed=3)), encoding="utf-8")
    await load_files([path])
    default = await page(client)
    assert len(default["edges"]) == 20
    assert default["pageInfo"]["hasNextPage"] is True
    assert default["totalCount"] > 100
    full = await page(client, first=100)
    assert len(full["edges"]) == 100
    assert len(await titles(client, last=100)) == 100
    assert await titles(client, first=0) == []


async def test_page_info_on_an_empty_list(client: GraphQLClient) -> None:
    result = await page(client)
    assert result == {
        "totalCount": 0,
        "edges": [],
        "pageInfo": {
            "hasNextPage": False,
            "hasPreviousPage": False,
            "startCursor": None,
            "endCursor": None,
        },
    }

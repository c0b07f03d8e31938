"""Every error carries a code; hostile input gets a clear error, never an internal one."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import pytest

from tests.graphql.conftest import GraphQLClient


def cursor(*values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (
            "query($a: String) { articles(after: $a) { totalCount } }",
            {"a": cursor("articles:PUBLISHED_AT:desc", "garbage", 1)},
        ),
        (
            "query($a: String) { articles(after: $a) { totalCount } }",
            {"a": cursor("articles:PUBLISHED_AT:desc", "2024-01-01T00:00:00", 1)},
        ),
        (
            "query($a: String) { articles(after: $a) { totalCount } }",
            {"a": cursor("articles:PUBLISHED_AT:desc", "2024-01-01T00:00:00+00:00", 2**70)},
        ),
        (
            "query($a: String) { contributors { edges { node {"
            " imageCredits(after: $a) { totalCount } } } } }",
            {"a": cursor("credits:newest", [1], 2)},
        ),
        (
            "query($a: String) { tags { edges { node { articles(after: $a) { totalCount } } } } }",
            {"a": cursor("articles:PUBLISHED_AT:desc", {}, 2)},
        ),
        (
            'query($a: String) { search(query: "visit", after: $a) { totalCount } }',
            {"a": cursor("search", "x")},
        ),
        (
            "query($t: [String!]) { articles(filter: {tags: $t}) { totalCount } }",
            {"t": [f"t{i}" for i in range(51)]},
        ),
    ],
)
async def test_hostile_arguments_are_bad_user_input(
    seeded: GraphQLClient, query: str, variables: dict[str, Any]
) -> None:
    result = await seeded.post(query, variables)
    (error, *_) = result["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert not error["message"].startswith("Internal server error")


async def test_a_lone_surrogate_is_bad_user_input(seeded: GraphQLClient) -> None:
    # JSON may escape a lone surrogate; it is not valid Unicode and cannot reach the database.
    body = (
        b'{"query": "query($s: String!) { article(slug: $s) { id } }",'
        b' "variables": {"s": "\\ud800"}}'
    )
    response = await seeded.http.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_global_id_with_unicode_digits_is_unknown(seeded: GraphQLClient) -> None:
    for pk in ("²", "١", "1 ", "+1"):
        node_id = base64.b64encode(f"Article:{pk}".encode()).decode()
        assert await seeded.post("query($id: ID!) { node(id: $id) { id } }", {"id": node_id}) == {
            "data": {"node": None}
        }


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        ("{ articles(", {}, "GRAPHQL_PARSE_FAILED"),
        ("{ articles { nope } }", {}, "GRAPHQL_VALIDATION_FAILED"),
        (
            '{ articles(filter: {publishedAfter: "yesterday"}) { totalCount } }',
            {},
            "BAD_USER_INPUT",  # a literal that does not coerce, like the same variable
        ),
        (
            "query($f: ArticleFilter) { articles(filter: $f) { totalCount } }",
            {"f": {"publishedAfter": "2024-01-01T00:00:00"}},
            "BAD_USER_INPUT",
        ),
        ("query($n: Int) { articles(first: $n) { totalCount } }", {"n": "ten"}, "BAD_USER_INPUT"),
    ],
)
async def test_request_errors_have_codes(
    seeded: GraphQLClient, query: str, variables: dict[str, Any], code: str
) -> None:
    result = await seeded.post(query, variables)
    assert [e["extensions"]["code"] for e in result["errors"]] == [code]


async def test_unexpected_exceptions_are_masked_and_logged(
    seeded: GraphQLClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from cms.graphql import resolvers

    def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError("secret database detail")

    monkeypatch.setattr(resolvers, "reading_time_minutes", broken)
    with caplog.at_level(logging.ERROR, logger="cms.graphql"):
        result = await seeded.post("{ articles { edges { node { readingTimeMinutes } } } }")
    (error,) = result["errors"]
    assert error["message"].startswith("Internal server error")
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "secret" not in json.dumps(result)
    assert "secret database detail" in caplog.text and "RuntimeError" in caplog.text

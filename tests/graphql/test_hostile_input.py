"""Input the service cannot take is refused as the caller's error, the same on every database:
text no database can store, malformed JSON, out-of-range dates, ambiguous documents and null
variables for non-null arguments. Nothing here may be an internal error or write anything."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from cms.settings import Settings
from tests.databases import FreshDatabases
from tests.graphql.conftest import GraphQLClient

GRAPHQL_RESPONSE = "application/graphql-response+json"


def codes(result: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in result.get("errors", [])]


# --- Operation selection (GraphQL spec, GetOperation) ---

TWO_QUERIES = "query A { articles { totalCount } } query B { tags { totalCount } }"


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_several_operations_without_a_name_run_none(
    seeded: GraphQLClient, method: str
) -> None:
    for _ in range(2):  # the second time, a response cache would have its say
        if method == "POST":
            response = await seeded.http.post(
                "/graphql", json={"query": TWO_QUERIES}, headers={"Accept": GRAPHQL_RESPONSE}
            )
        else:
            response = await seeded.http.get(
                "/graphql", params={"query": TWO_QUERIES}, headers={"Accept": GRAPHQL_RESPONSE}
            )
        assert response.status_code == 400, response.text
        body = response.json()
        assert "data" not in body
        (error,) = body["errors"]
        assert error["message"] == (
            "Must provide operation name if query contains multiple operations."
        )
        assert error["extensions"]["code"] == "OPERATION_RESOLUTION_FAILURE"


async def test_several_operations_with_a_name_run_that_one(seeded: GraphQLClient) -> None:
    response = await seeded.http.post("/graphql", json={"query": TWO_QUERIES, "operationName": "B"})
    assert response.json() == {"data": {"tags": {"totalCount": 14}}}


async def test_a_mutation_placed_first_does_not_run_without_a_name(
    writer: GraphQLClient, db_settings: Settings
) -> None:
    document = (
        'mutation M { createArticle(input: {title: "Sneaky", body: "x"}) { article { id } } }'
        " query Q { articles { totalCount } }"
    )
    result = await writer.post(document)
    assert codes(result) == ["OPERATION_RESOLUTION_FAILURE"]
    assert FreshDatabases.rows(db_settings, "SELECT count(*) FROM article") == [(0,)]


# --- Null variables for non-null arguments ---


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (
            "query($f: BodyFormat = HTML) { articles { edges { node { body(format: $f) } } } }",
            {"f": None},
        ),
        ("query($b: Boolean = true) { articles { totalCount @include(if: $b) } }", {"b": None}),
        ('query($s: String = "x") { article(slug: $s) { id } }', {"s": None}),
    ],
)
async def test_null_for_a_non_null_argument_is_bad_user_input(
    seeded: GraphQLClient,
    caplog: pytest.LogCaptureFixture,
    query: str,
    variables: dict[str, Any],
) -> None:
    with caplog.at_level(logging.ERROR, logger="cms"):
        result = await seeded.post(query, variables)
    assert codes(result) == ["BAD_USER_INPUT"], result
    assert "not to be None" in result["errors"][0]["message"]
    assert not caplog.records, caplog.text  # the caller's mistake is not worth a traceback


# --- DateTime literals and values out of range ---


@pytest.mark.parametrize(
    "value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "yesterday"]
)
async def test_datetime_out_of_range_is_bad_user_input(seeded: GraphQLClient, value: str) -> None:
    literal = await seeded.post(
        f'{{ articles(filter: {{publishedAfter: "{value}"}}) {{ totalCount }} }}'
    )
    assert codes(literal) == ["BAD_USER_INPUT"], literal
    variable = await seeded.post(
        "query($t: DateTime) { articles(filter: {publishedBefore: $t}) { totalCount } }",
        {"t": value},
    )
    assert codes(variable) == ["BAD_USER_INPUT"], variable


async def test_a_publication_time_out_of_range_is_invalid(writer: GraphQLClient) -> None:
    result = await writer.post(
        "mutation($t: DateTime) { createArticle(input: "
        '{title: "T", body: "b", status: PUBLISHED, publishedAt: $t})'
        " { article { id } errors { field code } } }",
        {"t": "0001-01-01T00:00:00+01:00"},
    )
    # Refused by the DateTime scalar before the mutation runs: nothing is written either way.
    assert codes(result) == ["BAD_USER_INPUT"], result


# --- Malformed JSON bodies ---


@pytest.mark.parametrize(
    "body",
    [
        b'{"query": "{ __typename }", "x": "\xff\xfe"}',
        b'{"query": "{ __typename }", "variables": {"n": ' + b"1" * 5001 + b"}}",
        b'{"query": "{ __typename }", "variables": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    ],
    ids=["invalid-utf8", "5001-digits", "deep-nesting"],
)
async def test_malformed_json_is_a_json_400(seeded: GraphQLClient, body: bytes) -> None:
    for accept in (GRAPHQL_RESPONSE, "application/json"):
        response = await seeded.http.post(
            "/graphql",
            content=body,
            headers={"Content-Type": "application/json", "Accept": accept},
        )
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith(accept)
        (error,) = response.json()["errors"]
        assert error["extensions"]["code"] == "BAD_REQUEST"
        assert error["message"].startswith("Unable to parse request body as JSON")


async def test_malformed_json_in_get_parameters_is_a_json_400(seeded: GraphQLClient) -> None:
    response = await seeded.http.get(
        "/graphql", params={"query": "{ __typename }", "variables": '{"n": ' + "9" * 5001 + "}"}
    )
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


# --- Text no database can store ---

NUL = "a\x00b"
SURROGATE_JSON = b"\\udfff"


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("query($s: String!) { article(slug: $s) { id } }", {"s": NUL}),
        ('{ article(slug: "a\\u0000b") { id } }', {}),
        ('{ tag(slug: "a\\u0000b") { id } }', {}),
        ("query($s: String!) { tag(slug: $s) { id } }", {"s": NUL}),
        ('{ articles(filter: {tags: ["peru", "a\\u0000b"]}) { totalCount } }', {}),
        ("query($c: String) { articles(filter: {contributor: $c}) { totalCount } }", {"c": NUL}),
        ("query($q: String!) { search(query: $q) { totalCount } }", {"q": NUL}),
        ("query($s: String!) { contributor(slug: $s) { id } }", {"s": NUL}),
        ("query($a: String) { articles(after: $a) { totalCount } }", {"a": NUL}),
        ("query($i: ID!) { node(id: $i) { id } }", {"i": NUL}),
    ],
)
async def test_nul_in_a_read_answers_as_an_unknown_value(
    seeded: GraphQLClient, query: str, variables: dict[str, Any]
) -> None:
    result = await seeded.post(query, variables)
    assert set(codes(result)) <= {"BAD_USER_INPUT"}, result
    data = result.get("data") or {}
    for value in data.values():  # null, or nothing found
        assert value is None or value.get("totalCount") == 0, result


async def test_a_lone_surrogate_in_a_read_is_bad_user_input(seeded: GraphQLClient) -> None:
    for query in (
        "query($s: String!) { tag(slug: $s) { id } }",
        "query($s: [String!]) { articles(filter: {tags: $s}) { totalCount } }",
        "query($s: String!) { search(query: $s) { totalCount } }",
    ):
        value = (
            b'["' + SURROGATE_JSON + b'"]'
            if "[String!]" in query
            else b'"x' + SURROGATE_JSON + b'"'
        )
        body = (
            b'{"query": "'
            + query.replace('"', '\\"').encode()
            + b'", "variables": {"s": '
            + value
            + b"}}"
        )
        response = await seeded.http.post(
            "/graphql", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 200, response.text
        result = response.json()
        assert set(codes(result)) <= {"BAD_USER_INPUT"}, result
        for value in (result.get("data") or {}).values():  # null, or nothing found
            assert value is None or value.get("totalCount") == 0, result


CREATE = (
    "mutation($input: CreateArticleInput!) { createArticle(input: $input)"
    " { article { id } errors { field message code } } }"
)


@pytest.mark.parametrize(
    ("input", "field"),
    [
        ({"title": NUL, "body": "b"}, "title"),
        ({"title": "T", "body": f"body {NUL}"}, "body"),
        ({"title": "T", "body": "b", "summary": NUL}, "summary"),
        ({"title": "T", "body": "b", "tags": ["peru", NUL]}, "tags.1"),
        ({"title": "T", "body": "b", "imageCredits": [{"text": NUL}]}, "imageCredits.0.text"),
        (
            {"title": "T", "body": "b", "imageCredits": [{"text": "AP", "contributors": [NUL]}]},
            "imageCredits.0.contributors.0",
        ),
        (
            {"title": "T", "body": "b", "imageCredits": [{"text": "AP", "caption": NUL}]},
            "imageCredits.0.caption",
        ),
    ],
)
async def test_nul_in_a_mutation_is_invalid_and_writes_nothing(
    writer: GraphQLClient, db_settings: Settings, input: dict[str, Any], field: str
) -> None:
    result = await writer.post(CREATE, {"input": input})
    payload = result["data"]["createArticle"]
    assert payload["article"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, "INVALID")], payload
    assert "NUL" in payload["errors"][0]["message"]
    assert FreshDatabases.rows(db_settings, "SELECT count(*) FROM article") == [(0,)]


async def test_a_lone_surrogate_in_a_mutation_is_invalid(
    writer: GraphQLClient, db_settings: Settings
) -> None:
    body = (
        b'{"query": "mutation($input: CreateArticleInput!) { createArticle(input: $input)'
        b' { article { id } errors { field code } } }",'
        b' "variables": {"input": {"title": "T\\udfff", "body": "b", "tags": ["\\ud800x"]}}}'
    )
    response = await writer.http.post(
        "/graphql", content=body, headers={"Content-Type": "application/json", **writer.headers}
    )
    assert response.status_code == 200, response.text
    payload = response.json()["data"]["createArticle"]
    assert payload == {
        "article": None,
        "errors": [{"field": "title", "code": "INVALID"}, {"field": "tags.0", "code": "INVALID"}],
    }
    assert FreshDatabases.rows(db_settings, "SELECT count(*) FROM article") == [(0,)]


async def test_nul_in_a_tag_mutation_is_invalid(
    writer: GraphQLClient, db_settings: Settings
) -> None:
    result = await writer.post(
        'mutation($d: String) { createTag(input: {name: "Lima", description: $d})'
        " { tag { id } errors { field code } } }",
        {"d": NUL},
    )
    assert result["data"]["createTag"] == {
        "tag": None,
        "errors": [{"field": "description", "code": "INVALID"}],
    }
    assert FreshDatabases.rows(db_settings, "SELECT count(*) FROM tag") == [(0,)]


# --- Whatever escapes the view ---


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, "application/json"])
async def test_an_error_that_escapes_the_view_is_json_with_a_code(
    seeded: GraphQLClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    accept: str,
) -> None:
    from cms.graphql import view

    async def broken(*args: object) -> int:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(view, "current_version", broken)
    with caplog.at_level(logging.ERROR, logger="cms"):
        response = await seeded.http.post(
            "/graphql",
            json={"query": "{ articles { totalCount } }"},
            headers={"Accept": accept, "X-Request-ID": "req-123"},
        )
    assert response.status_code == 500
    assert response.headers["content-type"].startswith(accept)
    assert response.headers["x-request-id"] == "req-123"
    assert response.json() == {
        "errors": [
            {
                "message": "Internal server error (request id req-123)",
                "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-123"},
            }
        ]
    }
    (record,) = [r for r in caplog.records if r.name == "cms.http"]
    assert record.exc_info is not None and "secret detail" in str(record.exc_info[1])


# --- Whose fault an error is ---


async def test_a_validation_error_about_a_variable_is_a_validation_error(
    seeded: GraphQLClient,
) -> None:
    result = await seeded.post("query($f: BodyFormat) { articles { totalCount } }", {})
    assert codes(result) == ["GRAPHQL_VALIDATION_FAILED"], result


async def test_graphql_core_refusing_what_a_resolver_returned_stays_internal(
    seeded: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cms.read import tags

    async def not_lists(article_ids: list[int]) -> dict[int, int]:
        return {article_id: 3 for article_id in article_ids}

    monkeypatch.setattr(tags, "by_articles", not_lists)  # "Expected Iterable" from graphql-core
    result = await seeded.post("{ articles { edges { node { tags { slug } } } } }")
    assert "INTERNAL_SERVER_ERROR" in codes(result), result


# --- Lone surrogates wherever a caller can put them ---


async def test_lone_surrogates_in_the_request_itself_are_never_a_500(
    seeded: GraphQLClient, caplog: pytest.LogCaptureFixture
) -> None:
    bodies = [
        b'{"query": "query Q { articles { totalCount } }", "operationName": "A\\udfff"}',
        b'{"query": "{ __typename } # \\udfff", "extensions": {"persistedQuery":'
        b' {"version": 1, "sha256Hash": "' + b"0" * 64 + b'"}}}',
        b'{"query": "{ __typename } # \\udfff"}',
    ]
    with caplog.at_level(logging.ERROR, logger="cms"):
        for body in bodies:
            response = await seeded.http.post(
                "/graphql", content=body, headers={"Content-Type": "application/json"}
            )
            assert response.status_code < 500, response.text
            assert response.json()["errors"]
    assert not caplog.records, caplog.text

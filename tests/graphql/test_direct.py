"""The short path for plain queries (:mod:`cms.graphql.direct`): it answers plain queries by
itself, and every request gets the same answer from it as from Strawberry's general path.

The short path exists only with the fast executor on: these services have it on whatever
``CMS_FAST_EXECUTOR`` says (``test_fast_executor_switch.py`` covers it off)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import httpx
import pytest

from cms.bundled import operations
from cms.graphql import direct, view
from cms.settings import Settings
from tests.databases import FreshDatabases
from tests.graphql.conftest import GraphQLClient
from tests.graphql.test_schema import example_variables

GRAPHQL_RESPONSE = "application/graphql-response+json"
UNKNOWN_TOKEN = "Bearer cms_000000000000_" + "x" * 43
#: Over the default cost limit of 25,000: 100 articles x 100 articles of each of their tags.
COSTLY = (
    "{ articles(first: 100) { edges { node { tags {"
    " articles(first: 100) { edges { node { slug title summary } } } } } } } }"
)
LIST = "query List($first: Int) { articles(first: $first) { totalCount edges { node { slug } } } }"


@pytest.fixture
def db_settings(databases: FreshDatabases) -> Settings:
    return dataclasses.replace(databases.new(), fast_executor=True)


def _plain_requests(tokens: dict[str, str]) -> list[tuple[str, dict[str, Any]]]:
    """(method, httpx arguments) of plain requests: the example operations and a few more."""
    made: list[tuple[str, dict[str, Any]]] = []
    for text in operations().values():
        variables = example_variables(text)
        made.append(("POST", {"json": {"query": text, "variables": variables}}))
        made.append(("GET", {"params": {"query": text, "variables": json.dumps(variables)}}))
    made += [
        ("POST", {"json": {"query": LIST, "variables": {"first": 1}, "operationName": "List"}}),
        ("POST", {"json": {"query": LIST}, "headers": {"Accept": GRAPHQL_RESPONSE}}),
        ("POST", {"json": {"query": LIST}, "headers": {"Authorization": tokens["preview"]}}),
        ("POST", {"json": {"query": LIST}, "headers": {"Authorization": tokens["read"]}}),
        ("GET", {"params": {"query": "{ __typename }"}}),
    ]
    return made


#: Requests with a problem somewhere, or that are not plain queries, and whether the short
#: path answers them: only when the problem shows while executing (graphql-core reports those,
#: on either path); anything found before is the general path's to answer.
PROBLEMS: list[tuple[str, dict[str, Any], bool]] = [
    ("POST", {"json": {"query": "{ articles("}}, False),
    ("POST", {"json": {"query": "{ nope }"}, "headers": {"Accept": GRAPHQL_RESPONSE}}, False),
    ("POST", {"json": {"query": LIST, "variables": {"first": "many"}}}, True),
    ("POST", {"json": {"query": LIST, "variables": {"first": 101}}}, True),
    ("POST", {"json": {"query": LIST, "variables": {"first": 1}, "operationName": "X"}}, False),
    ("POST", {"json": {"query": '{ articles(after: "nonsense") { totalCount } }'}}, True),
    (
        "POST",
        {"json": {"query": "{ __typename }"}, "headers": {"Authorization": UNKNOWN_TOKEN}},
        False,
    ),
    (
        "POST",
        {"json": {"query": 'mutation { deleteTag(input: {id: "VGFnOjE="}) { deletedId } }'}},
        False,
    ),
    ("GET", {"params": {"query": 'mutation { deleteTag(input: {id: "x"}) { deletedId } }'}}, False),
    ("POST", {"json": {"query": "{ __typename }", "variables": [1]}}, False),
    ("POST", {"json": [{"query": "{ __typename }"}, {"query": "{ __typename }"}]}, False),
    ("POST", {"content": b"{", "headers": {"Content-Type": "application/json"}}, False),
    (
        "POST",
        {"content": b"{ __typename }", "headers": {"Content-Type": "application/graphql"}},
        False,
    ),
    ("GET", {"params": {"query": "{ __typename }", "variables": "{"}}, False),
    ("POST", {"json": {"query": COSTLY}}, False),
]


def _comparable(response: httpx.Response) -> tuple[int, str | None, str | None, Any]:
    body = response.json()
    for error in body.get("errors", []) if isinstance(body, dict) else []:
        error.get("extensions", {}).pop("requestId", None)
        if "request id" in error.get("message", ""):
            error["message"] = error["message"].split(" (request id")[0]
    return (
        response.status_code,
        response.headers.get("content-type"),
        response.headers.get("cache-control"),
        body,
    )


async def _send(client: GraphQLClient, method: str, arguments: dict[str, Any]) -> httpx.Response:
    arguments = dict(arguments)
    token = arguments.get("headers", {}).get("Authorization")
    if token is not None and not token.startswith("Bearer"):
        arguments["headers"] = {**arguments["headers"], "Authorization": f"Bearer {token}"}
    return await client.http.request(method, "/graphql", **arguments)


async def test_plain_queries_take_the_short_path(
    seeded: GraphQLClient, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def general_path(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a plain query took the general path")

    monkeypatch.setattr(view.GraphQLView, "run", general_path)
    for method, arguments in _plain_requests(tokens):
        response = await _send(seeded, method, arguments)
        assert response.status_code == 200, response.text
        assert "errors" not in response.json(), response.text


async def test_same_answers_as_the_general_path(
    seeded: GraphQLClient, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    requests = [
        *_plain_requests(tokens),
        *((method, arguments) for method, arguments, _ in PROBLEMS),
    ]
    short = [_comparable(await _send(seeded, *request)) for request in requests]

    async def nothing(*args: Any, **kwargs: Any) -> None:
        return None

    monkeypatch.setattr(view, "respond", nothing)
    general = [_comparable(await _send(seeded, *request)) for request in requests]
    for request, mine, theirs in zip(requests, short, general, strict=True):
        assert mine == theirs, request


async def test_problems_are_left_to_the_general_path(
    seeded: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    answered: list[bool] = []
    respond = direct.respond

    async def watched(*args: Any) -> Any:
        response = await respond(*args)
        answered.append(response is not None)
        return response

    monkeypatch.setattr(view, "respond", watched)
    for method, arguments, _ in PROBLEMS:
        await _send(seeded, method, arguments)
    assert answered == [short for _, _, short in PROBLEMS]

"""The fast executor (cms.graphql.execution) answers exactly as graphql-core does.

Every query runs twice on the same data: through the fast path, and through graphql-core's
executor (the reference). The responses must be equal, byte for byte once encoded, and the fast
path must not cost more SQL statements (unless the query fails: the fast path then hands it
to graphql-core, after what it started has run). Hand-written queries cover the shapes the fast path
handles itself (and must not hand back to graphql-core); generated queries cover the rest of
the schema, errors included.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import graphql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import queries
from strawberry import UNSET
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from cms.app import ContentService
from cms.fixtures.service import load_files
from cms.generate import generate
from cms.graphql import plans
from cms.graphql.execution import Executor
from cms.graphql.ids import to_global_id
from cms.graphql.inputs import ArticleFilter, BodyFormat
from cms.graphql.schema import sdl
from tests.graphql.conftest import NEWSROOM, GraphQLClient, SQLCounter, as_caller

OPERATIONS = Path(__file__).parents[2] / "schema" / "operations"


@contextmanager
def reference() -> Iterator[None]:
    """Queries inside the block run in graphql-core's executor."""
    fast = Executor.execute_operation
    Executor.execute_operation = StrawberryGraphQLCoreExecutionContext.execute_operation  # type: ignore[method-assign]
    try:
        yield
    finally:
        Executor.execute_operation = fast  # type: ignore[method-assign]


async def both(
    client: GraphQLClient, sql: SQLCounter, query: str, variables: dict[str, Any] | None = None
) -> tuple[dict[str, Any], int, int]:
    """The response (the same from both executors) and each executor's statement count."""
    await client.post(query, variables)  # the first run after a load also reads counts
    sql.statements.clear()
    fast = await client.post(query, variables)
    fast_statements = len(sql.statements)
    with reference():
        sql.statements.clear()
        slow = await client.post(query, variables)
        slow_statements = len(sql.statements)
    assert json.dumps(fast) == json.dumps(slow), query
    return fast, fast_statements, slow_statements


@pytest.fixture
async def content(client: GraphQLClient, tmp_path: Path) -> GraphQLClient:
    newsroom = tmp_path / "newsroom.json"
    newsroom.write_text(json.dumps(NEWSROOM), encoding="utf-8")
    generated = tmp_path / "generated.json"
    generated.write_text(json.dumps(generate(60, seed=5)), encoding="utf-8")
    await load_files([generated])
    await load_files([newsroom])
    return client


HANDLED = [
    ("ListPage", {"first": 20}),
    ("ListPage", {"first": 3, "offset": 4}),
    ("ArticlePage", {"slug": "alpha"}),
    ("ArticlePage", {"slug": "no-such-article"}),
    ("TagPage", {"slug": "peru"}),
    ("Search", {"query": "body text"}),
]

SHAPES = [
    # aliases, duplicate fields merged, __typename at every level
    """{ a: articles(first: 2) { __typename edges { node { __typename slug slug title }
         cursor } } b: articles(last: 1) { pageInfo { hasPreviousPage startCursor } } }""",
    # fragments, inline fragments on the interface, @include/@skip from literals
    """query { articles(first: 3) { edges { node { ...A ... on Node { id }
         tags @include(if: true) { slug } summary @skip(if: true) } } } }
       fragment A on Article { title imageCredits { ...C } }
       fragment C on ImageCredit { id text contributors { id name } }""",
    # node() on every type, unknown and malformed ids
    f"""{{ a: node(id: "{to_global_id("Article", 1)}") {{ __typename id ... on Article {{ slug }} }}
         t: node(id: "{to_global_id("Tag", 1)}") {{ __typename ... on Tag {{ slug articleCount }} }}
         x: node(id: "{to_global_id("Article", 999999)}") {{ id }}
         y: node(id: "not an id") {{ id }} }}""",
    # one fragment on an interface, spread into objects of several types: its fields resolve
    # per type (each type's own id), in one request and the next
    """fragment N on Node { id } { article(slug: "alpha") { ...N tags { ...N }
         imageCredits { ...N contributors { ...N } } } tag(slug: "peru") { ...N } }""",
    # nested connections per parent, counts, enums, DateTimes, arguments
    """{ tags(first: 4) { totalCount edges { node { slug kind articleCount
         articles(first: 2, orderBy: {field: TITLE, direction: ASC}) { totalCount
           edges { node { slug status publishedAt createdAt updatedAt version wordCount
             readingTimeMinutes body(format: TEXT) } } } } } } }""",
    # contributors, credits back to their article, lists of scalars
    """{ contributors(first: 5) { edges { node { slug name imageCredits(first: 2) { totalCount
         edges { node { text role organization imageUrl caption altText
           article { slug tags { name } } } } } } } } }""",
    # filters and search with every part of a hit
    """{ articles(first: 5, filter: {tags: ["peru"], publishedAfter: "2023-01-01T00:00:00Z"}) {
         totalCount edges { node { slug } } }
       search(query: "alpha", first: 2) { totalCount pageInfo { hasNextPage }
         edges { cursor score snippet node { slug } } } }""",
]

#: Queries the fast path hands to graphql-core, which must still answer as it always did.
REFUSED = [
    "{ articles(first: -1) { totalCount } }",
    "{ articles(first: 101) { edges { node { slug } } } }",
    '{ articles(after: "bad cursor") { edges { node { slug } } } }',
    "{ __schema { queryType { name } } }",
    '{ __type(name: "Article") { fields { name } } articles(first: 1) { totalCount } }',
]


@contextmanager
def fallbacks(caplog: pytest.LogCaptureFixture) -> Iterator[list[logging.LogRecord]]:
    records: list[logging.LogRecord] = []
    with caplog.at_level(logging.DEBUG, logger="cms.graphql.execution"):
        yield records
        records.extend(r for r in caplog.records if r.name == "cms.graphql.execution")


@pytest.mark.parametrize(("name", "variables"), HANDLED)
async def test_example_operations_run_fast_and_answer_as_graphql_core(
    content: GraphQLClient,
    sql: SQLCounter,
    caplog: pytest.LogCaptureFixture,
    name: str,
    variables: dict[str, Any],
) -> None:
    query = (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")
    with fallbacks(caplog) as records:
        result, fast, slow = await both(content, sql, query, variables)
    assert "errors" not in result
    assert records == []
    assert fast <= slow


@pytest.mark.parametrize("query", SHAPES)
async def test_query_shapes_run_fast_and_answer_as_graphql_core(
    content: GraphQLClient, sql: SQLCounter, caplog: pytest.LogCaptureFixture, query: str
) -> None:
    with fallbacks(caplog) as records:
        result, fast, slow = await both(content, sql, query)
    assert "errors" not in result
    assert records == []
    assert fast <= slow


async def test_drafts_for_preview_callers_answer_as_graphql_core(
    content: GraphQLClient, sql: SQLCounter, tokens: dict[str, str]
) -> None:
    preview = as_caller(content, tokens["preview"])
    query = """{ articles(first: 10, filter: {status: DRAFT}) {
        edges { node { slug status revisions { totalCount } } } } }"""
    result, _, _ = await both(preview, sql, query)
    assert result["data"]["articles"]["edges"], "the preview caller sees drafts"


@pytest.mark.parametrize("query", REFUSED)
async def test_what_the_fast_path_refuses_runs_in_graphql_core(
    content: GraphQLClient, sql: SQLCounter, caplog: pytest.LogCaptureFixture, query: str
) -> None:
    with fallbacks(caplog):
        result, _, _ = await both(content, sql, query)
    assert result  # equal to graphql-core's answer, errors and all


DATE_TIMES = st.sampled_from(
    ["2023-01-01T00:00:00Z", "2024-02-01T00:00:00+01:00", "2099-01-01T00:00:00Z"]
).map(lambda value: graphql.StringValueNode(value=value))


def generated_queries(count: int) -> list[str]:
    """``count`` queries generated from the schema (the same ones on every run)."""
    found: list[str] = []

    @settings(
        max_examples=count,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(queries(sdl(), custom_scalars={"DateTime": DATE_TIMES}, allow_x00=False))
    def collect(query: str) -> None:
        found.append(query)

    collect()
    return found


async def test_generated_queries_answer_as_graphql_core(
    content: GraphQLClient, sql: SQLCounter, caplog: pytest.LogCaptureFixture
) -> None:
    answered = 0
    with fallbacks(caplog) as records:
        for query in generated_queries(120):
            result, fast, slow = await both(content, sql, query)
            if "errors" not in result:  # a query with errors is answered by graphql-core anyway
                answered += 1
                assert fast <= slow, query
    # most generated queries are valid and succeed, and those the fast path answered itself
    assert answered >= 60
    assert len(records) <= 2 * (120 - answered)  # each query runs twice on the fast path


async def test_a_repeated_operation_with_other_variables_is_prepared_anew(
    content: GraphQLClient, sql: SQLCounter, caplog: pytest.LogCaptureFixture
) -> None:
    """The fast path keeps what it works out per operation and variables: the same text with
    other variables (page sizes, directives, arguments) must not get the first one's answer."""
    query = """query($first: Int, $withTags: Boolean!, $format: BodyFormat) {
      articles(first: $first) { edges { node { slug tags @include(if: $withTags) { slug }
        body(format: $format) } } } }"""
    seen = []
    with fallbacks(caplog) as records:
        for variables in (
            {"first": 2, "withTags": True, "format": "TEXT"},
            {"first": 3, "withTags": False, "format": "HTML"},
            {"first": 2, "withTags": True, "format": "TEXT"},
        ):
            result, _, _ = await both(content, sql, query, variables)
            assert "errors" not in result
            seen.append(result["data"]["articles"]["edges"])
    assert records == []
    assert len(seen[0]) == 2 and len(seen[1]) == 3 and seen[2] == seen[0]
    assert "tags" in seen[0][0]["node"] and "tags" not in seen[1][0]["node"]
    assert seen[0][0]["node"]["body"] != seen[1][0]["node"]["body"]  # text, then HTML


def test_synchronous_execution_and_introspection_run_in_graphql_core() -> None:
    """Outside an event loop (Strawberry's execute_sync, which introspect() uses) the fast
    path steps aside: it would hand back a coroutine nobody awaits."""
    from cms.graphql.schema import schema

    result = schema.execute_sync("{ __typename }")
    assert result.errors is None and result.data == {"__typename": "Query"}
    assert "ArticleConnection" in {t["name"] for t in schema.introspect()["__schema"]["types"]}


async def test_only_immutable_arguments_are_kept_for_the_next_request(
    content: GraphQLClient, service: ContentService
) -> None:
    """Arguments of strings, numbers and enums are converted once per operation and
    variables (and a resolver that needs no resolve info is bound to them once); an input
    object or a list is made anew for every request, so that nothing one request does to it
    can reach another."""
    query = """{ articles(first: 2, filter: {tags: ["peru"]}) { edges { node {
      id readingTimeMinutes body(format: TEXT) tags { slug } } } } }"""
    first = await content.data(query)
    operations = service.view.schema.operations
    memo = operations.memo(query, operations.document(query))
    assert memo is not None
    (prepared,) = [
        value for value, _ in memo._entries.values() if isinstance(value, plans.Prepared)
    ]
    kept = {node.name.value: kwargs for node, _, _, kwargs in prepared.arguments.values()}
    assert "articles" not in kept and kept["body"] == {"format": BodyFormat.TEXT}
    # resolvers that take no resolve info are kept with their arguments bound
    ready = {node.name.value for node, _, _ in prepared.resolvers.values()}
    assert ready == {"id", "readingTimeMinutes"}
    assert await content.data(query) == first
    assert plans.immutable(["a", 1, 2.5, True, None, BodyFormat.HTML, UNSET])
    assert not plans.immutable([["peru"]]) and not plans.immutable([ArticleFilter()])

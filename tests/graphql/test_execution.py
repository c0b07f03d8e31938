"""The fast executor (cms.graphql.execution) answers exactly as graphql-core does.

Every query runs twice on the same service and data: on the fast executor and the short path,
and on graphql-core's executor and Strawberry's general path (the reference), each switched
on explicitly for its request (see :func:`executing`), whatever ``CMS_FAST_EXECUTOR`` says.
The whole responses must be equal, byte for byte once encoded: data and errors, the errors in
the same order with the same paths and locations. The fast path must not cost more SQL
statements when it answers by itself, and it must answer by itself whatever succeeds: only a
query that fails is handed back to graphql-core, and then nothing it started may be left
running or unawaited.

Hand-written queries cover the shapes the fast path handles itself; the examples of issue 14
cover hand-backs; generated queries (hypothesis-graphql, with bad arguments and introspection
mixed in, as an anonymous and as a preview caller) cover the rest of the schema, once with a
fixed seed and once with a fresh random seed per run. The seed is printed with a failure; set
``CMS_FUZZ_SEED`` to replay it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import json
import os
import random
import warnings
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from inspect import CORO_CLOSED, getcoroutinestate
from pathlib import Path
from typing import Any

import graphql
import pytest
import strawberry
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from hypothesis_graphql import queries
from strawberry import UNSET
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from cms.fixtures.service import load_files
from cms.generate import generate
from cms.graphql import plans
from cms.graphql.execution import Executor
from cms.graphql.fallbacks import Fallbacks
from cms.graphql.ids import to_global_id
from cms.graphql.inputs import ArticleFilter, BodyFormat
from cms.graphql.schema import Schema, sdl
from cms.graphql.view import GraphQLView
from tests.graphql.conftest import NEWSROOM, GraphQLClient, SQLCounter, as_caller

OPERATIONS = Path(__file__).parents[2] / "schema" / "operations"

#: The seed of the generated queries of this run: ``CMS_FUZZ_SEED``, else a fresh one.
FUZZ_SEED = int(os.environ.get("CMS_FUZZ_SEED") or random.SystemRandom().randrange(2**32))


def _view(client: GraphQLClient) -> GraphQLView:
    assert client.service is not None, "a client of the `client` fixture"
    return client.service.view


def _schema(client: GraphQLClient) -> Schema:
    return _view(client).schema


@contextmanager
def executing(client: GraphQLClient, *, fast: bool) -> Iterator[None]:
    """Requests inside the block run as ``CMS_FAST_EXECUTOR`` set to ``fast`` makes them run:
    on the fast executor and (plain queries) the short path, or on graphql-core's executor
    and Strawberry's general path."""
    view = _view(client)
    schema = view.schema
    kept = schema.execution_context_class, view.short_path
    schema.execution_context_class = Executor if fast else StrawberryGraphQLCoreExecutionContext
    view.short_path = fast
    try:
        yield
    finally:
        schema.execution_context_class, view.short_path = kept


async def _post(
    client: GraphQLClient, query: str, variables: dict[str, Any] | None
) -> dict[str, Any]:
    result = await client.post(query, variables)
    for error in result.get("errors", []):  # an internal error names its request: ids differ
        error.get("extensions", {}).pop("requestId", None)
        error["message"] = error["message"].split(" (request id")[0]
    return result


async def both(
    client: GraphQLClient, sql: SQLCounter, query: str, variables: dict[str, Any] | None = None
) -> tuple[dict[str, Any], int, int]:
    """The response (the same from both executors, errors and all) and each one's statement
    count."""
    with executing(client, fast=True):
        await _post(client, query, variables)  # the first run after a load also reads counts
        sql.statements.clear()
        fast = await _post(client, query, variables)
        fast_statements = len(sql.statements)
    with executing(client, fast=False):
        sql.statements.clear()
        slow = await _post(client, query, variables)
        slow_statements = len(sql.statements)
    assert json.dumps(fast) == json.dumps(slow), query
    return fast, fast_statements, slow_statements


@contextmanager
def nothing_left_unawaited() -> Iterator[None]:
    """Fail if a coroutine made inside the block is dropped without being awaited or closed.
    Python says so when it collects the coroutine (at once, or in a later collection of
    cycles: one is forced here), with a RuntimeWarning that pytest would only see if the
    collection happened to run inside a test."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
        gc.collect()
    unawaited = [str(w.message) for w in caught if "never awaited" in str(w.message)]
    assert unawaited == []


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

#: Queries the fast path hands to graphql-core (or leaves to it: introspection at the root),
#: which must answer them exactly as it does alone.
REFUSED = [
    "{ articles(first: -1) { totalCount } }",
    "{ articles(first: 101) { edges { node { slug } } } }",
    '{ articles(after: "bad cursor") { edges { node { slug } } } }',
    "{ __schema { queryType { name } } }",
    '{ __type(name: "Article") { fields { name } } articles(first: 1) { totalCount } }',
    # issue 14: two errors, the second under a position the first one nulls (the whole data):
    # graphql-core reports the first only, and so must the hand-back
    '{ tag(slug: "peru") { articles(after: "bad") { totalCount } } '
    "articles(first: -1) { totalCount } }",
    # issue 14: introspection beside a field whose resolver the fast path would have started
    "{ tags(first: 1) { totalCount } __schema { queryType { name } } }",
    # errors in several branches and levels at once, in graphql-core's order
    '{ a: articles(first: 2) { edges { node { slug tags { articles(after: "x") { totalCount } '
    "} } } } }"
    ' b: articles(last: -3) { totalCount } c: tag(slug: "china") { slug } }',
]


@pytest.mark.parametrize(("name", "variables"), HANDLED)
async def test_example_operations_run_fast_and_answer_as_graphql_core(
    content: GraphQLClient, sql: SQLCounter, name: str, variables: dict[str, Any]
) -> None:
    query = (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")
    result, fast, slow = await both(content, sql, query, variables)
    assert "errors" not in result
    assert _schema(content).fallbacks == 0
    assert fast <= slow


@pytest.mark.parametrize("query", SHAPES)
async def test_query_shapes_run_fast_and_answer_as_graphql_core(
    content: GraphQLClient, sql: SQLCounter, query: str
) -> None:
    result, fast, slow = await both(content, sql, query)
    assert "errors" not in result
    assert _schema(content).fallbacks == 0
    assert fast <= slow


async def test_drafts_for_preview_callers_answer_as_graphql_core(
    content: GraphQLClient, sql: SQLCounter, tokens: dict[str, str]
) -> None:
    query = """{ articles(first: 10, filter: {status: DRAFT}) {
        edges { node { slug status revisions { totalCount } } } } }"""
    result, _, _ = await both(as_caller(content, tokens["preview"]), sql, query)
    assert result["data"]["articles"]["edges"], "the preview caller sees drafts"


@pytest.mark.parametrize("query", REFUSED)
@pytest.mark.parametrize("caller", ["anonymous", "preview"])
async def test_what_the_fast_path_refuses_runs_in_graphql_core(
    content: GraphQLClient, sql: SQLCounter, tokens: dict[str, str], query: str, caller: str
) -> None:
    client = as_caller(content, tokens.get(caller))
    with nothing_left_unawaited():
        result, _, _ = await both(client, sql, query)
    assert result.get("errors") or "__schema" in query or "__type" in query


DATE_TIMES = st.sampled_from(
    ["2023-01-01T00:00:00Z", "2024-02-01T00:00:00+01:00", "2099-01-01T00:00:00Z"]
).map(lambda value: graphql.StringValueNode(value=value))

#: Root fields mixed into generated queries: introspection, and arguments the API refuses
#: (aliased, so that they never merge with a generated field).
MIXED_IN = [
    "__typename",
    "__schema { queryType { name } }",
    '__type(name: "Article") { name fields { name } }',
    "x1: articles(first: -1) { totalCount }",
    'x2: articles(after: "bad") { edges { node { slug } } }',
    "x3: tags(first: 101) { totalCount }",
    'x4: tag(slug: "peru") { articles(after: "bad") { totalCount } }',
    'x5: node(id: "bad") { id }',
    "x6: articles(last: -2) { edges { cursor } }",
    'x7: contributors(first: 2) { edges { node { imageCredits(after: "?") { totalCount } } } }',
]
_MIXED_IN_FIELDS = {
    text: graphql.parse(f"{{ {text} }}").definitions[0].selection_set.selections[0]  # type: ignore[attr-defined]
    for text in MIXED_IN
}


@st.composite
def mixed_queries(draw: st.DrawFn) -> str:
    """A query generated from the schema, sometimes with some of :data:`MIXED_IN` added to
    its root selection."""
    document = draw(
        queries(
            sdl(),
            custom_scalars={"DateTime": DATE_TIMES},
            allow_x00=False,
            print_ast=lambda document: document,
        )
    )
    assert isinstance(document, graphql.DocumentNode)
    extra = draw(st.lists(st.sampled_from(MIXED_IN), max_size=2, unique=True))
    if extra:  # the syntax tree is frozen: a new one, with a new root selection
        operation, *others = document.definitions
        assert isinstance(operation, graphql.OperationDefinitionNode)
        selections = (*operation.selection_set.selections, *(_MIXED_IN_FIELDS[e] for e in extra))
        root = graphql.SelectionSetNode(selections=selections)
        operation = dataclasses.replace(operation, selection_set=root)
        document = graphql.DocumentNode(definitions=(operation, *others))
    return graphql.print_ast(document)


def generated_queries(count: int, fuzz_seed: int | None) -> list[str]:
    """``count`` queries generated from the schema: the same ones on every run without a
    seed, else those of ``fuzz_seed``."""
    found: list[str] = []

    @settings(
        max_examples=count,
        derandomize=fuzz_seed is None,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(mixed_queries())
    def collect(query: str) -> None:
        found.append(query)

    if fuzz_seed is not None:
        collect = seed(fuzz_seed)(collect)
    collect()
    return found


@pytest.mark.parametrize("fuzz_seed", [None, FUZZ_SEED], ids=["fixed", "random"])
async def test_generated_queries_answer_as_graphql_core(
    content: GraphQLClient, sql: SQLCounter, tokens: dict[str, str], fuzz_seed: int | None
) -> None:
    replay = "fixed examples" if fuzz_seed is None else f"replay with CMS_FUZZ_SEED={fuzz_seed}"
    print(replay)  # shown with a failure
    callers = [content, as_caller(content, tokens["preview"])]  # anonymous, and preview
    schema = _schema(content)
    answered = failed = 0
    with nothing_left_unawaited():
        for index, query in enumerate(generated_queries(60, fuzz_seed)):
            before = schema.fallbacks
            try:
                result, fast, slow = await both(callers[index % 2], sql, query)
            except AssertionError as exc:
                raise AssertionError(f"{replay}: {exc}") from None
            if "errors" in result:
                failed += 1
                continue
            answered += 1
            # what succeeds, the fast path answers by itself, in no more statements
            assert schema.fallbacks == before, f"{replay}: handed back: {query}"
            assert fast <= slow, f"{replay}: {query}"
    # some generated queries succeed, some fail (at execution or before)
    assert answered >= 5 and failed >= 5, (answered, failed)


async def test_a_repeated_operation_with_other_variables_is_prepared_anew(
    content: GraphQLClient, sql: SQLCounter
) -> None:
    """The fast path keeps what it works out per operation and variables: the same text with
    other variables (page sizes, directives, arguments) must not get the first one's answer."""
    query = """query($first: Int, $withTags: Boolean!, $format: BodyFormat) {
      articles(first: $first) { edges { node { slug tags @include(if: $withTags) { slug }
        body(format: $format) } } } }"""
    seen = []
    for variables in (
        {"first": 2, "withTags": True, "format": "TEXT"},
        {"first": 3, "withTags": False, "format": "HTML"},
        {"first": 2, "withTags": True, "format": "TEXT"},
    ):
        result, _, _ = await both(content, sql, query, variables)
        assert "errors" not in result
        seen.append(result["data"]["articles"]["edges"])
    assert _schema(content).fallbacks == 0
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
    content: GraphQLClient,
) -> None:
    """Arguments of strings, numbers and enums are converted once per operation and
    variables (and a resolver that needs no resolve info is bound to them once); an input
    object or a list is made anew for every request, so that nothing one request does to it
    can reach another."""
    query = """{ articles(first: 2, filter: {tags: ["peru"]}) { edges { node {
      id readingTimeMinutes body(format: TEXT) tags { slug } } } } }"""
    with executing(content, fast=True):
        first = await content.data(query)
    operations = _schema(content).operations
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
    with executing(content, fast=True):
        assert await content.data(query) == first
    assert plans.immutable(["a", 1, 2.5, True, None, BodyFormat.HTML, UNSET])
    assert not plans.immutable([["peru"]]) and not plans.immutable([ArticleFilter()])


# -- hand-backs partway through a level, on a schema of their own ---------------------------


#: Every coroutine the resolvers below made, to check that each was run or closed.
_made: list[Coroutine[Any, Any, int | None]] = []


def _made_here(coroutine: Coroutine[Any, Any, int | None]) -> Any:
    _made.append(coroutine)
    return coroutine


async def _one() -> int:
    await asyncio.sleep(0)
    return 1


async def _refuse() -> int | None:
    await asyncio.sleep(0)
    raise ValueError("refused later")


@strawberry.type
class _Query:
    @strawberry.field
    def slow(self) -> int:
        """An awaitable started at the first level, before the field that hands back."""
        return _made_here(_one())  # type: ignore[no-any-return]

    @strawberry.field
    def awaitables(self) -> list[int]:
        """A list of coroutines: graphql-core awaits each item; the fast path hands back."""
        return [_made_here(_one()), _made_here(_one())]

    @strawberry.field
    def refused(self) -> int:
        raise ValueError("refused")

    @strawberry.field
    def refused_later(self) -> int | None:
        return _made_here(_refuse())  # type: ignore[no-any-return]


_TINY = Schema(query=_Query, execution_context_class=Executor)


async def _execute(query: str, executor: type[StrawberryGraphQLCoreExecutionContext]) -> Any:
    result = graphql.execute(_TINY._schema, graphql.parse(query), executor_class=executor)
    if graphql.pyutils.is_awaitable(result):
        result = await result
    assert isinstance(result, graphql.ExecutionResult)
    return result.formatted


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("{ slow awaitables }", "unsupported"),  # coroutines inside a list, after a gather
        ("{ slow refused slow2: slow }", "field_error"),  # one raises before the gather
        # a list of coroutines not completed yet when another field fails (graphql-core
        # awaits them all: its answer has the list)
        ("{ awaitables refusedLater }", "field_error"),
    ],
)
async def test_a_hand_back_partway_leaves_nothing_unawaited(
    query: str, reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """By the time graphql-core starts, every coroutine the fast attempt made has run to its
    end or was closed unstarted (graphql-core then settles its own, in the background)."""
    handed_back: list[set[str]] = []
    record = Fallbacks.record

    def recording(self: Fallbacks, *args: Any) -> None:
        handed_back.append({getcoroutinestate(coroutine) for coroutine in _made})
        record(self, *args)

    monkeypatch.setattr(Fallbacks, "record", recording)
    before = dict(_TINY.fallback_reasons)
    _made.clear()
    with nothing_left_unawaited():
        fast = await _execute(query, Executor)
        assert handed_back == [{CORO_CLOSED}]
        assert _TINY.fallback_reasons[reason] == before[reason] + 1
        assert fast == await _execute(query, StrawberryGraphQLCoreExecutionContext)

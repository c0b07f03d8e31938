"""Arbitrary Unicode in every string the schema takes (issue 13, part 3): NUL characters, lone
surrogates, 4-byte characters and very long strings, on SQLite and PostgreSQL alike.

The places are found by walking the served schema: every argument of every field reachable
from ``Query`` (nested connections included) and every field of every mutation input whose
named type is ``String`` or ``ID`` (list items too), plus ``DateTime`` (a string on the wire).
A new string argument is covered without touching this file. The request's ``operationName``,
a string every request may carry, is tried too.

Hypothesis generates the values; each is sent in one of three forms: as the whole argument in a
variable, as a variable at the string's own position, or inline as a GraphQL string literal.
Bodies are written with ``json.dumps(..., ensure_ascii=True)``, the only way to send a lone
surrogate (as a ``"\\udfff"`` escape). Reads go anonymously and with a write token, by POST and
(when the URL stays short) by GET; mutations with a write token, each place on an article and a
tag of its own.

Whatever the value: the status is below 500, the body is JSON, no error is an internal one, and
the answer comes within seconds. Text no database can store (NUL, or a lone surrogate once the
JSON is decoded) must be refused as the caller's: a read answers as for an unknown value (null,
nothing found, or BAD_USER_INPUT); a mutation answers INVALID naming the field, and writes
nothing.

Hypothesis runs in a worker thread (its ``@given`` functions are synchronous) and sends each
request to the test's own event loop, where the app and its database connections live. Every
place is tried before the test reports all that fail, the first few with their failing value
shrunk to the smallest.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal, TypeVar

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    get_named_type,
    is_required_argument,
    is_required_input_field,
)
from hypothesis import HealthCheck, Phase, Verbosity, example, given, settings
from hypothesis import strategies as st

from cms.app import ContentService
from cms.graphql.schema import schema
from cms.settings import Settings
from tests.databases import FreshDatabases
from tests.graphql.conftest import GraphQLClient

#: Named types whose values are text the service may store or look up: the property holds.
TEXT_TYPES = frozenset({"String", "ID"})
#: Scalars sent as strings on the wire: arbitrary text must at least not break anything.
WIRE_STRING_TYPES = TEXT_TYPES | {"DateTime"}

Form = Literal["argument", "leaf", "literal"]
FORMS: tuple[Form, ...] = ("argument", "leaf", "literal")

#: The graphql-core schema the app serves.
SERVED: GraphQLSchema = schema._schema

#: Errors a caller may get for what they sent (anything else here is a failure of ours).
CALLER_CODES = frozenset(
    {
        "BAD_USER_INPUT",
        "BAD_REQUEST",
        "GRAPHQL_PARSE_FAILED",
        "GRAPHQL_VALIDATION_FAILED",
        "QUERY_TOO_LARGE",
        "QUERY_TOO_COMPLEX",
        "PAYLOAD_TOO_LARGE",
    }
)


# --- The places, from the schema ---


@dataclass(frozen=True, eq=False)
class Step:
    """An argument, or an input field inside one, on the way to a string."""

    name: str
    type: GraphQLInputType  # as declared: wrappers included


@dataclass(frozen=True, eq=False)
class Place:
    """One string position in the schema, and how to reach it from an operation's root."""

    operation: Literal["query", "mutation"]
    #: Fields from the root down to (not including) the one taking the argument, each with
    #: the literal arguments it is given ("" for none).
    route: tuple[tuple[str, str], ...]
    owner: GraphQLObjectType
    field_name: str
    field: GraphQLField
    #: The argument, then the input fields down to the string.
    steps: tuple[Step, ...]

    @property
    def scalar(self) -> str:
        return get_named_type(self.steps[-1].type).name

    @property
    def name(self) -> str:
        """E.g. ``article.slug``, ``createArticle.input.imageCredits.text`` or, for a field
        below the root, ``Tag.articles.after``."""
        prefix = "" if self.owner.name in ("Query", "Mutation") else f"{self.owner.name}."
        return prefix + ".".join([self.field_name, *(step.name for step in self.steps)])

    @property
    def input_path(self) -> str:
        """The field a mutation's errors name: the input's own path, ``0`` for list items
        (``imageCredits.0.contributors.0``)."""
        parts: list[str] = []
        for step in self.steps[1:]:
            parts.append(step.name)
            parts.extend("0" * list_depth(step.type))
        return ".".join(parts)


def list_depth(type_: GraphQLInputType | GraphQLOutputType) -> int:
    depth = 0
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        if isinstance(type_, GraphQLList):
            depth += 1
        type_ = type_.of_type
    return depth


def innermost(type_: GraphQLInputType) -> GraphQLInputType:
    """The type of one item of a (possibly nested) list type, or the type itself."""
    while True:
        inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
        if not isinstance(inner, GraphQLList):
            return type_
        type_ = inner.of_type


def _string_steps(step: Step, seen: frozenset[str] = frozenset()) -> Iterator[tuple[Step, ...]]:
    named = get_named_type(step.type)
    if isinstance(named, GraphQLScalarType) and named.name in WIRE_STRING_TYPES:
        yield (step,)
    elif isinstance(named, GraphQLInputObjectType) and named.name not in seen:
        for name, field in named.fields.items():
            for rest in _string_steps(Step(name, field.type), seen | {named.name}):
                yield (step, *rest)


def _places_of(
    operation: Literal["query", "mutation"],
    route: tuple[tuple[str, str], ...],
    owner: GraphQLObjectType,
) -> Iterator[Place]:
    for field_name, field in owner.fields.items():
        for arg_name, arg in field.args.items():
            for steps in _string_steps(Step(arg_name, arg.type)):
                yield Place(operation, route, owner, field_name, field, steps)


def _route_arguments(field: GraphQLField) -> str:
    """What a field on the way to a place is given: a small page, when it pages."""
    return "first: 2" if "first" in field.args else ""


def string_places(served: GraphQLSchema = SERVED) -> list[Place]:
    """Every string position of the schema: arguments of fields reachable from Query (by the
    shortest route through fields that need no arguments), and the inputs of mutations."""
    assert served.query_type is not None and served.mutation_type is not None
    found: list[Place] = []
    reached = {served.query_type.name}
    queue: deque[tuple[GraphQLObjectType, tuple[tuple[str, str], ...]]] = deque(
        [(served.query_type, ())]
    )
    while queue:
        owner, route = queue.popleft()
        found.extend(_places_of("query", route, owner))
        for name, field in owner.fields.items():
            named = get_named_type(field.type)
            if (
                isinstance(named, GraphQLObjectType)
                and named.name not in reached
                and not any(is_required_argument(arg) for arg in field.args.values())
            ):
                reached.add(named.name)
                queue.append((named, (*route, (name, _route_arguments(field)))))
    found.extend(_places_of("mutation", (), served.mutation_type))
    return found


PLACES = string_places()


def test_every_string_argument_and_input_field_is_found() -> None:
    names = {place.name for place in PLACES}
    known = {
        "node.id",
        "article.slug",
        "tag.slug",
        "contributor.slug",
        "search.query",
        "search.after",
        "search.filter.tags",
        "search.filter.contributor",
        "articles.after",
        "articles.before",
        "articles.filter.tags",
        "articles.filter.contributor",
        "articles.filter.publishedAfter",
        "tags.after",
        "contributors.before",
        "Tag.articles.after",
        "Tag.articles.before",
        "Contributor.imageCredits.after",
        "Article.revisions.after",
        "createArticle.input.slug",
        "createArticle.input.title",
        "createArticle.input.summary",
        "createArticle.input.body",
        "createArticle.input.tags",
        "createArticle.input.publishedAt",
        "createArticle.input.imageCredits.text",
        "createArticle.input.imageCredits.organization",
        "createArticle.input.imageCredits.role",
        "createArticle.input.imageCredits.contributors",
        "createArticle.input.imageCredits.imageUrl",
        "createArticle.input.imageCredits.caption",
        "createArticle.input.imageCredits.altText",
        "updateArticle.input.id",
        "updateArticle.input.title",
        "updateArticle.input.imageCredits.contributors",
        "publishArticle.input.id",
        "unpublishArticle.input.id",
        "restoreArticleRevision.input.id",
        "deleteArticle.input.id",
        "createTag.input.slug",
        "createTag.input.name",
        "createTag.input.description",
        "updateTag.input.id",
        "updateTag.input.description",
        "deleteTag.input.id",
    }
    assert known <= names, sorted(known - names)
    assert len(names) == len(PLACES), "each place once"
    by_name = {place.name: place for place in PLACES}
    assert by_name["articles.filter.tags"].steps[-1].name == "tags"
    assert list_depth(by_name["articles.filter.tags"].steps[-1].type) == 1
    assert by_name["createArticle.input.imageCredits.contributors"].input_path == (
        "imageCredits.0.contributors.0"
    )
    assert by_name["Tag.articles.after"].route == (
        ("tags", "first: 2"),
        ("edges", ""),
        ("node", ""),
    )


# --- Operations ---


class _Leaf:
    """Where the generated value goes in an argument's value."""


LEAF = _Leaf()


@dataclass(frozen=True)
class EnumValue:
    name: str


@dataclass(frozen=True)
class Ids:
    """Global ids of existing objects, to fill the ``id`` of a mutation whose string is
    elsewhere."""

    article: str
    tag: str


#: Values for required text fields next to the place (a valid article, tag or credit).
FILLERS = {"title": "T", "body": "b", "text": "AP", "name": "N", "query": "peru"}
#: Fillers made unique, numbered, so that a create is not refused as a duplicate (of the slug
#: made from them) and what it is given is written.
UNIQUE = frozenset({"title", "name"})
_numbers = itertools.count()


def _fill(type_: GraphQLInputType, name: str, place: Place, ids: Ids) -> Any:
    """A minimal valid value of a required argument or input field."""
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if isinstance(type_, GraphQLList):
        return [_fill(type_.of_type, name, place, ids)]
    if isinstance(type_, GraphQLEnumType):
        return EnumValue(next(iter(type_.values)))
    if isinstance(type_, GraphQLInputObjectType):
        return {
            field_name: _fill(field.type, field_name, place, ids)
            for field_name, field in type_.fields.items()
            if is_required_input_field(field)
        }
    assert isinstance(type_, GraphQLScalarType)
    if type_.name == "ID":
        return ids.tag if "Tag" in place.field_name else ids.article
    if type_.name == "Int":
        return 1
    if type_.name == "Boolean":
        return True
    if name in UNIQUE:
        return f"{FILLERS[name]} {next(_numbers)}"
    return FILLERS.get(name, "x")


def _nest(steps: tuple[Step, ...], place: Place, ids: Ids) -> Any:
    """The value of ``steps[0]`` holding LEAF at the end of ``steps``, lists of one item."""
    step = steps[0]
    if len(steps) == 1:
        inner: Any = LEAF
    else:
        named = get_named_type(step.type)
        assert isinstance(named, GraphQLInputObjectType)
        inner = {
            name: _fill(field.type, name, place, ids)
            for name, field in named.fields.items()
            if is_required_input_field(field) and name != steps[1].name
        }
        inner[steps[1].name] = _nest(steps[1:], place, ids)
    for _ in range(list_depth(step.type)):
        inner = [inner]
    return inner


def _graphql_literal(value: Any, leaf: str) -> str:
    if value is LEAF:
        return leaf
    if isinstance(value, EnumValue):
        return value.name
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=True)  # a JSON string is a GraphQL string
    if isinstance(value, list):
        return "[" + ", ".join(_graphql_literal(item, leaf) for item in value) + "]"
    assert isinstance(value, dict)
    fields = ", ".join(f"{key}: {_graphql_literal(item, leaf)}" for key, item in value.items())
    return "{" + fields + "}"


def _json_value(value: Any, leaf: str) -> Any:
    if value is LEAF:
        return leaf
    if isinstance(value, EnumValue):
        return value.name
    if isinstance(value, list):
        return [_json_value(item, leaf) for item in value]
    if isinstance(value, dict):
        return {key: _json_value(item, leaf) for key, item in value.items()}
    return value


def _selection(type_: GraphQLOutputType) -> str:
    """A small selection that makes the field do its work (page counts, node look-ups)."""
    named = get_named_type(type_)
    if not isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
        return ""
    fields = named.fields
    if "errors" in fields:  # a mutation payload
        parts = []
        for name, field in fields.items():
            if name == "errors":
                parts.append("errors { field message code }")
            else:
                parts.append(name + (" { id }" if _selection(field.type) else ""))
        return "{ " + " ".join(parts) + " }"
    if "totalCount" in fields:
        return "{ totalCount" + (" edges { cursor }" if "edges" in fields else "") + " }"
    if "id" in fields:
        return "{ id }"
    return "{ __typename }"


def operation(place: Place, value: str, form: Form, ids: Ids) -> tuple[str, dict[str, Any]]:
    """A minimal valid operation carrying ``value`` at ``place``, and its variables."""
    arguments = {
        name: _fill(arg.type, name, place, ids)
        for name, arg in place.field.args.items()
        if is_required_argument(arg) and name != place.steps[0].name
    }
    arguments[place.steps[0].name] = _nest(place.steps, place, ids)
    variables: dict[str, Any] = {}
    declared = ""
    if form == "argument":  # the whole argument is the variable
        leaf = "$v"
        name = place.steps[0].name
        variables["v"] = _json_value(arguments[name], value)
        declared = f"($v: {place.steps[0].type})"
        arguments[name] = LEAF
    elif form == "leaf":
        leaf = "$v"
        variables["v"] = value
        declared = f"($v: {innermost(place.steps[-1].type)})"
    else:
        leaf = json.dumps(value, ensure_ascii=True)
    rendered = ", ".join(
        f"{key}: {_graphql_literal(item, leaf)}" for key, item in arguments.items()
    )
    body = f"{place.field_name}({rendered}) {_selection(place.field.type)}"
    for name, args in reversed(place.route):
        body = f"{name}{f'({args})' if args else ''} {{ {body} }}"
    return f"{place.operation}{declared} {{ {body} }}", variables


# --- Values ---


def received(value: str) -> str:
    """The text the server gets: a JSON decoder (and GraphQL's lexer) joins a high surrogate
    escape followed by a low one into one character."""
    decoded: str = json.loads(json.dumps(value, ensure_ascii=True))
    return decoded


def lone_surrogate(text: str) -> bool:
    return any("\ud800" <= char <= "\udfff" for char in text)


def unstorable(value: str) -> bool:
    """Text no database here may be given: NUL, or a lone surrogate (as the server gets it)."""
    text = received(value)
    return "\x00" in text or lone_surrogate(text)


#: Every code point: NUL, controls, lone surrogates, private use, unassigned, 4-byte ones.
ANY_CHARACTER = st.characters(codec=None, exclude_categories=())
TROUBLE = st.sampled_from(
    ["\x00", "\ud800", "\udbff", "\udc00", "\udfff", "😀", "\U0010ffff", "𝔘", "\u2028", "é"]
)
SHORT = st.one_of(
    st.text(ANY_CHARACTER, max_size=20),
    st.lists(st.one_of(st.text(ANY_CHARACTER, max_size=3), TROUBLE), max_size=8).map("".join),
    st.text(st.characters(min_codepoint=0x10000), max_size=10),
)
#: 100,000 characters: a short piece repeated (Hypothesis cannot draw that many one by one).
LONG = st.builds(
    lambda piece: (piece * (100_000 // len(piece) + 1))[:100_000],
    st.lists(st.one_of(st.text(ANY_CHARACTER, min_size=1, max_size=3), TROUBLE), min_size=1)
    .map("".join)
    .filter(bool),
)
#: Long strings one time in twenty (a failure shrinks towards 0: a short string).
VALUES = st.integers(0, 19).flatmap(lambda n: LONG if n == 19 else SHORT)

LONG_NUL = "😀" * 99_999 + "\x00"
EXAMPLES: list[tuple[str, Form]] = [
    *((value, "argument") for value in ("a\x00b", "\ud800", "x\udfffy", "\udbff\udbff")),
    *((value, form) for value in ("\x00", "\udc00") for form in ("leaf", "literal")),
    ("\ud83d\ude00", "argument"),  # a surrogate pair once decoded: the emoji, storable
    ("😀 𝔘 \U0010ffff", "literal"),
    ("é" * 100_000, "argument"),
    (LONG_NUL, "leaf"),
    ("😀" * 50_000, "leaf"),  # a long run without a letter, digit or space
]

#: Generated values per place, after the examples above (each place tries them all).
MAX_EXAMPLES = 20

#: A literal of 100,000 characters makes a document over the size limit: refused unread.
MAX_QUERY_BYTES = Settings().max_query_bytes

T = TypeVar("T")


class Loop:
    """Runs coroutines on the test's event loop from Hypothesis's worker thread."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()


@dataclass(frozen=True)
class Property:
    """What must hold for every value at one place."""

    name: str
    check: Callable[[str, Form], None]
    examples: list[tuple[str, Form]]


def _falsify(prop: Property, shrink: bool) -> str | None:
    """Run Hypothesis on ``prop``; the failure (shrunk when ``shrink``), described, or None
    when the property holds."""

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate, *([Phase.shrink] if shrink else [])],
        report_multiple_bugs=False,
        verbosity=Verbosity.quiet,  # the failure describes the request; no 100 kB repr
        suppress_health_check=list(HealthCheck),
    )
    @given(value=VALUES, form=st.sampled_from(FORMS))
    def test(value: str, form: Form) -> None:
        prop.check(value, form)

    for value, form in [*EXAMPLES, *prop.examples]:
        test = example(value=value, form=form)(test)
    try:
        test()
    except Exception as failure:  # Hypothesis raises the (shrunk) failure
        return f"{prop.name}: {type(failure).__name__}: {failure}"
    return None


#: Failures shrunk before the rest are reported as found: a change that breaks every place
#: must not spend minutes shrinking each.
SHRUNK_FAILURES = 3


async def hold(properties: list[Property]) -> None:
    """Try every property (in a worker thread, one after the other), then report all that
    fail."""
    failures: list[str] = []
    for prop in properties:
        shrink = len(failures) < SHRUNK_FAILURES
        if (failure := await asyncio.to_thread(_falsify, prop, shrink)) is not None:
            failures.append(failure)
    if failures:
        pytest.fail(f"{len(failures)} places fail:\n\n" + "\n\n".join(failures), pytrace=False)


# --- Requests ---


@dataclass
class Sent:
    method: str
    operation_name: str | None
    query: str
    variables: dict[str, Any]
    status: int
    text: str
    body: dict[str, Any]

    def __str__(self) -> str:
        lines = [
            f"{self.method} query: {_short(self.query)}",
            f"variables: {_short(json.dumps(self.variables, ensure_ascii=True))}",
        ]
        if self.operation_name is not None:
            lines.append(f"operationName: {_short(json.dumps(self.operation_name))}")
        lines += [f"status: {self.status}", f"response: {_short(self.text)}"]
        return "\n".join(lines)

    def codes(self) -> list[Any]:
        return [error.get("extensions", {}).get("code") for error in self.body.get("errors", [])]


def _short(text: str, most: int = 600) -> str:
    return text if len(text) <= most else f"{text[:most]}... ({len(text)} characters)"


#: Longest time an answer may take: work that grows faster than its input holds a worker,
#: and every request on it when the work is synchronous (milliseconds are the norm here).
MAX_SECONDS = 5.0

#: Longer URLs are refused by common servers and proxies: GET is tried below this length.
MAX_GET_LENGTH = 8_000


def methods(query: str, variables: dict[str, Any]) -> tuple[Literal["POST", "GET"], ...]:
    """How a read is sent: POST, and GET too when the URL stays short."""
    length = len(query) + len(json.dumps(variables, ensure_ascii=True))
    return ("POST", "GET") if length <= MAX_GET_LENGTH else ("POST",)


@pytest.fixture
async def http(service: ContentService) -> AsyncIterator[httpx.AsyncClient]:
    """A client on the app that gets what a server would send when the app raises (a 500),
    where the usual one raises the app's exception in the test."""
    transport = httpx.ASGITransport(app=service.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def send(
    http: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any],
    headers: dict[str, str],
    *,
    method: Literal["POST", "GET"] = "POST",
    operation_name: str | None = None,
) -> Sent:
    """Send an operation, every string JSON-escaped; check what must hold for any input."""
    request: dict[str, Any] = {"query": query, "variables": variables}
    if operation_name is not None:
        request["operationName"] = operation_name
    started = time.monotonic()
    if method == "POST":
        body = json.dumps(request, ensure_ascii=True).encode()
        response = await http.post(
            "/graphql", content=body, headers={"Content-Type": "application/json", **headers}
        )
    else:
        params = {
            key: value if key != "variables" else json.dumps(value, ensure_ascii=True)
            for key, value in request.items()
        }
        response = await http.get("/graphql", params=params, headers=headers)
    seconds = time.monotonic() - started
    sent = Sent(method, operation_name, query, variables, response.status_code, response.text, {})
    assert response.status_code < 500, str(sent)
    assert seconds < MAX_SECONDS, f"answered in {seconds:.1f} s\n{sent}"
    try:
        sent.body = response.json()
    except ValueError:
        raise AssertionError(f"not JSON\n{sent}") from None
    assert isinstance(sent.body, dict), str(sent)
    for error in sent.body.get("errors", []):
        code = error.get("extensions", {}).get("code")
        assert isinstance(code, str), str(sent)
        assert code != "INTERNAL_SERVER_ERROR", str(sent)
    return sent


def _leaves(data: Any, path: list[str]) -> Iterator[Any]:
    """The values at ``path`` below ``data`` (lists flattened; None where a parent is null)."""
    if data is None or not path:
        yield data
    elif isinstance(data, list):
        for item in data:
            yield from _leaves(item, path)
    else:
        yield from _leaves(data[path[0]], path[1:])


def _unknown(value: Any) -> bool:
    """Null, or a page with nothing in it."""
    if value is None:
        return True
    return isinstance(value, dict) and value.get("totalCount", 0) == 0 and not value.get("edges")


async def _ids(writer: GraphQLClient) -> Ids:
    data = await writer.data(
        "{ articles(first: 1) { edges { node { id } } } tags(first: 1) { edges { node { id } } } }"
    )
    return Ids(
        article=data["articles"]["edges"][0]["node"]["id"],
        tag=data["tags"]["edges"][0]["node"]["id"],
    )


def _id_examples(place: Place, ids: Ids) -> list[tuple[str, Form]]:
    """For an ID place: a real id with NUL or a lone surrogate after it."""
    if place.scalar != "ID":
        return []
    real = ids.tag if "Tag" in place.field_name else ids.article
    return [(real + "\x00", "argument"), (real + "\udfff", "leaf")]


# --- Reads ---


async def test_reads_take_any_unicode_and_answer_unstorable_text_as_unknown(
    seeded: GraphQLClient, writer: GraphQLClient, http: httpx.AsyncClient
) -> None:
    ids = await _ids(writer)
    # a revision, so that Article.revisions(after:) has something to page through
    await writer.data(
        'mutation($id: ID!) { updateArticle(input: {id: $id, summary: "Changed"})'
        " { errors { field } } }",
        {"id": ids.article},
    )
    loop = Loop()
    callers = {"anonymous": {}, "write": writer.headers}

    def check(place: Place, value: str, form: Form) -> None:
        query, variables = operation(place, value, form, ids)
        for caller, headers in callers.items():
            for method in methods(query, variables):
                sent = loop.run(send(http, query, variables, headers, method=method))
                if len(query) > MAX_QUERY_BYTES:
                    assert sent.codes() == ["QUERY_TOO_LARGE"], str(sent)
                    continue
                if not unstorable(value):
                    continue
                # as for any unknown value: null, nothing found, or the caller's input refused
                if form == "literal" and lone_surrogate(received(value)):
                    allowed = {"GRAPHQL_PARSE_FAILED"}  # GraphQL has no lone surrogate escape
                else:
                    allowed = {"BAD_USER_INPUT"}
                assert set(sent.codes()) <= allowed, f"{caller} caller\n{sent}"
                path = [name for name, _ in place.route] + [place.field_name]
                leaves = list(_leaves(sent.body.get("data"), path))
                assert all(_unknown(leaf) for leaf in leaves), f"{caller} caller\n{sent}"

    await hold(
        [
            Property(place.name, partial(check, place), _id_examples(place, ids))
            for place in PLACES
            if place.operation == "query"
        ]
    )


# --- Mutations ---

#: Every row a mutation could change, as text, in one query (one connection per look).
STORED = " UNION ALL ".join(
    [
        "SELECT 'article', CAST(id AS TEXT), slug, title, summary, CAST(length(body) AS TEXT),"
        " CAST(version AS TEXT), status, CAST(published_at AS TEXT), CAST(updated_at AS TEXT)"
        " FROM article",
        "SELECT 'tag', CAST(id AS TEXT), slug, name, kind, description,"
        " NULL, NULL, NULL, NULL FROM tag",
        *(
            f"SELECT '{table}', CAST(count(*) AS TEXT), NULL, NULL, NULL, NULL,"
            f" NULL, NULL, NULL, NULL FROM {table}"
            for table in (
                "article_revision",
                "article_tag",
                "contributor",
                "image_credit",
                "credit_contributor",
            )
        ),
    ]
)


def stored(db_settings: Settings) -> list[tuple[Any, ...]]:
    """What the database holds, as far as a mutation could have changed it."""
    return sorted(FreshDatabases.rows(db_settings, STORED), key=repr)


async def _fresh_ids(writer: GraphQLClient, number: int) -> Ids:
    """A new article and a new tag, for one place's mutations to change."""
    data = await writer.data(
        "mutation($title: String!, $name: String!) {"
        ' createArticle(input: {title: $title, body: "b"}) { article { id } }'
        " createTag(input: {name: $name}) { tag { id } } }",
        {"title": f"Article {number}", "name": f"Tag {number}"},
    )
    return Ids(article=data["createArticle"]["article"]["id"], tag=data["createTag"]["tag"]["id"])


async def test_mutations_take_any_unicode_and_refuse_unstorable_text_as_invalid(
    seeded: GraphQLClient, writer: GraphQLClient, http: httpx.AsyncClient, db_settings: Settings
) -> None:
    places = [place for place in PLACES if place.operation == "mutation"]
    # Each place changes an article and a tag of its own: what one place leaves behind (a
    # body that is slow to process, say) is not another place's failure.
    owned = [await _fresh_ids(writer, number) for number, _ in enumerate(places)]
    loop = Loop()
    before = [stored(db_settings)]

    def check(place: Place, ids: Ids, value: str, form: Form) -> None:
        query, variables = operation(place, value, form, ids)
        try:
            sent = loop.run(send(http, query, variables, writer.headers))
        finally:  # what this request wrote is the next one's starting point, whatever happens
            previous, before[0] = before[0], stored(db_settings)
        if not unstorable(value):  # it may be written, or refused as the caller's mistake
            assert set(sent.codes()) <= CALLER_CODES, str(sent)
            return
        assert before[0] == previous, f"something was written\n{sent}"
        if len(query) > MAX_QUERY_BYTES:
            assert sent.codes() == ["QUERY_TOO_LARGE"], str(sent)
            return
        if form == "literal" and lone_surrogate(received(value)):
            assert sent.codes() == ["GRAPHQL_PARSE_FAILED"], str(sent)  # no such escape in GraphQL
            return
        if place.scalar not in TEXT_TYPES:  # DateTime: refused by the scalar
            assert sent.codes() == ["BAD_USER_INPUT"], str(sent)
            return
        assert sent.codes() == [], str(sent)
        payload = sent.body["data"][place.field_name]
        assert {"field": place.input_path, "code": "INVALID"} in [
            {"field": error["field"], "code": error["code"]} for error in payload["errors"]
        ], f"expected INVALID on {place.input_path!r}\n{sent}"
        assert all(payload[key] is None for key in payload if key != "errors"), str(sent)

    await hold(
        [
            Property(place.name, partial(check, place, own), _id_examples(place, own))
            for place, own in zip(places, owned, strict=True)
        ]
    )


# --- The operation's name: a string every request may carry ---


async def test_any_operation_name_is_answered_without_a_server_error(
    seeded: GraphQLClient, writer: GraphQLClient, http: httpx.AsyncClient
) -> None:
    """``operationName`` picks the operation to run; any other name is the caller's mistake
    (and, with a lone surrogate or NUL, one no error message may choke on)."""
    loop = Loop()
    documents: dict[str, tuple[str, dict[str, Any]]] = {
        "query": ("query Q { articles { totalCount } }", {}),
        "mutation": ('mutation Q { createTag(input: {name: "N"}) { errors { code } } }', {}),
    }

    def check(kind: str, headers: dict[str, str], value: str, form: Form) -> None:
        del form  # the name is always sent as it is
        query, variables = documents[kind]
        sending: tuple[Literal["POST", "GET"], ...] = ("POST",)
        if kind == "query" and not lone_surrogate(value):  # a URL cannot carry one
            sending = methods(query + value, variables)
        for method in sending:
            sent = loop.run(
                send(http, query, variables, headers, method=method, operation_name=value)
            )
            if received(value) != "Q":
                assert sent.codes(), f"an operation ran under another name\n{sent}"
                assert set(sent.codes()) <= CALLER_CODES, str(sent)

    await hold(
        [
            Property("operationName (query)", partial(check, "query", {}), []),
            Property("operationName (mutation)", partial(check, "mutation", writer.headers), []),
        ]
    )

"""One HTTP request to the GraphQL endpoint on its way through the view, as one object.

The view (:mod:`cms.graphql.view`) takes every request through the same stages::

    read        the operation, when the request is a plain one      Exchange.read
    caller      who is asking, authenticated once                   Exchange.identify
    cache       whether and where its answer is kept                view (CachePlan)
    execute     on the short path (cms.graphql.direct), else Strawberry's general path
    encode      status, media type, body                            view.process_result

and what a stage learns is kept on the :class:`Exchange` for the stages after it. The exchange
*is* the request (a Starlette :class:`~starlette.requests.Request`): Strawberry's general
path hands it back to the view's hooks (``get_context``, ``get_sub_response``,
``process_result``) as it is, so they find the caller and the response under way on it,
typed, rather than in ``request.state``.

This module imports neither the view nor the short path; both import it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cross_web import HTTPException
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_operation_ast,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope

from cms.auth import ANONYMOUS, AuthenticationError, Caller, authenticate
from cms.graphql.cachetags import CacheTags
from cms.graphql.persisted import PersistedQueries
from cms.graphql.schema import Schema


@dataclass(frozen=True, slots=True)
class Operation:
    """What a plain request asks: one operation text (a persisted query's resolved), sent as a
    JSON POST or in a GET's parameters, with its operation name, variables and extensions."""

    query: str
    name: str | None
    variables: dict[str, Any] | None
    extensions: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class CachePlan:
    """Where a request's answer is kept in the response cache (None: the view keeps none, but
    the answer may be cached by others, and carries cache tags), and as of which content
    version and time."""

    key: str | None
    version: int
    now: datetime


#: Query fields whose answers change with every write (the change log's): an operation that
#: selects one is never cached, by us or anyone.
VOLATILE_FIELDS = frozenset({"changes", "changesHead"})


def selects_volatile(document: DocumentNode, operation: OperationDefinitionNode) -> bool:
    """Whether ``operation`` selects one of :data:`VOLATILE_FIELDS` at its root (through
    fragments too)."""
    fragments = {
        definition.name.value: definition.selection_set
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    seen: set[str] = set()

    def walk(selections: SelectionSetNode) -> bool:
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                if selection.name.value in VOLATILE_FIELDS:
                    return True
            elif isinstance(selection, InlineFragmentNode):
                if walk(selection.selection_set):
                    return True
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name not in seen and name in fragments:
                    seen.add(name)
                    if walk(fragments[name]):
                        return True
        return False

    return walk(operation.selection_set)


class Exchange(Request):
    """An HTTP request to the endpoint, and what the pipeline has learnt of it so far."""

    def __init__(self, scope: Scope, receive: Receive) -> None:
        super().__init__(scope, receive)
        #: The plain operation (see :meth:`read`); None sends the request the general way.
        self.operation: Operation | None = None
        #: Where the answer is kept, when it may be cached (set by the view's cache stage).
        self.cache_plan: CachePlan | None = None
        #: The answer changes with every write (see :data:`VOLATILE_FIELDS`): nobody keeps it.
        self.volatile = False
        #: What the answer shows, as cache keys (the context's collector, once made).
        self.cache_tags: CacheTags | None = None
        #: Whether the operation ran and answered without errors (set by the view's encoding).
        self.succeeded = False
        self._query: tuple[DocumentNode | None] | None = None
        #: Whether the answer is for this caller's eyes only (drafts): never cached by anyone.
        self.private = False
        self._identified: tuple[Caller, str | None] | None = None
        self._sub_response: Response | None = None

    async def read(
        self, decode_json: Callable[[str | bytes], object], persisted: PersistedQueries
    ) -> Operation | None:
        """The request's operation when it is plain, also kept as :attr:`operation`; None for
        anything the general path should see (other methods and media types, batches,
        malformed JSON or fields), which answers every problem exactly as before.
        A persisted query's problem (an unknown hash) is raised for the caller to see."""
        data: object = None
        try:
            if self.method == "POST":
                media = self.headers.get("content-type", "").partition(";")[0].strip().lower()
                if media == "application/json":
                    data = decode_json(await self.body())
            elif self.method == "GET":
                params = self.query_params
                data = {
                    "query": params.get("query"),
                    "operationName": params.get("operationName"),
                    "variables": decode_json(params.get("variables") or "null"),
                    "extensions": decode_json(params.get("extensions") or "null"),
                }
        except (ValueError, RecursionError, HTTPException):  # the general path explains it
            data = None
        self.operation = operation = _operation(data, persisted)
        return operation

    async def identify(self) -> tuple[Caller, str | None]:
        """Who is asking, from the ``Authorization`` header (looked up once per request), and
        why their credentials were refused (then the caller is anonymous, and the operation
        fails as a whole)."""
        if self._identified is None:
            authorization = self.headers.get("authorization")
            if authorization is None:
                self._identified = ANONYMOUS, None
            else:
                try:
                    self._identified = await authenticate(authorization), None
                except AuthenticationError as exc:
                    self._identified = ANONYMOUS, str(exc)
        return self._identified

    def query_document(self, schema: Schema) -> DocumentNode | None:
        """The plain operation's document when it is a valid query (:func:`valid_query`),
        worked out once for the cache stage and the short path."""
        if self._query is None:
            operation = self.operation
            self._query = (
                None if operation is None else valid_query(schema, operation.query, operation.name),
            )
        return self._query[0]

    @property
    def sub_response(self) -> Response:
        """The response under way: status, media type and headers the stages set, before the
        body is encoded into it (Strawberry's "sub-response")."""
        if self._sub_response is None:
            sub_response = Response()
            sub_response.status_code = None  # type: ignore[assignment]  # the view decides
            del sub_response.headers["content-length"]
            self._sub_response = sub_response
        return self._sub_response


def _operation(data: object, persisted: PersistedQueries) -> Operation | None:
    """The operation of a decoded request, when its fields are of the right types and it has a
    query text (a persisted query's, resolved); else None."""
    if not isinstance(data, dict):
        return None
    query, name = data.get("query"), data.get("operationName")
    variables, extensions = data.get("variables"), data.get("extensions")
    if not isinstance(query, str | None) or not isinstance(name, str | None):
        return None
    if not isinstance(variables, dict | None) or not isinstance(extensions, dict | None):
        return None
    query = persisted.resolve(query, extensions)
    if not query:
        return None
    return Operation(query, name, variables, extensions)


def valid_document(schema: Schema, query: str) -> DocumentNode | None:
    """The parsed document of ``query`` when it parses and validates (both kept per text, see
    :class:`cms.graphql.checks.Operations`); else None."""
    operations = schema.operations
    try:
        document = operations.document(query)
    except Exception:  # a syntax error, or a text over the byte or token limits
        return None
    if operations.errors(schema._schema, query, document):
        return None
    return document


def valid_query(schema: Schema, query: str, name: str | None) -> DocumentNode | None:
    """The parsed document of ``query`` when it is valid and ``name`` picks a query operation
    in it; else None."""
    document = valid_document(schema, query)
    if document is None:
        return None
    operation = get_operation_ast(document, name)
    if operation is None or operation.operation is not OperationType.QUERY:
        return None
    return document

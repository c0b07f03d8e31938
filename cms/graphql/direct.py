"""The common request on a short path: one query, sent as a JSON POST or in a GET's parameters,
whose text was parsed and validated before.

Strawberry's view and ``Schema.execute`` handle every kind of request (batches, multipart
uploads, streaming, subscriptions, extension hooks at each stage): on a page that sends the
same query every time, that generality costs more than parsing JSON and validating did. The
short path does what they do for the common case and nothing else, from the same parts: the
text's cached document and validation (:class:`cms.graphql.checks.Operations`), the view's
context, access and cost checks, graphql-core's ``execute`` with the schema's executor, and the
view's own result and response handling. A request it does not recognise as plain gets
``None`` and takes the general path, which answers every problem (malformed JSON, a syntax
error, a refused caller, a costly operation, a mutation) exactly as before; the short path
never answers one.

It runs none of the schema's extensions but cms's own checks, which it does itself: the view
sends it nothing when the schema has others (a host's), or when ``CMS_FAST_EXECUTOR`` is off.
It works on the request's :class:`cms.graphql.pipeline.Exchange` and on the view through
:class:`Responder`, so it imports neither the view nor anything above it.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Protocol

from graphql import execute
from starlette.requests import Request
from starlette.responses import Response
from strawberry.execution import optimized_is_awaitable
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType as StrawberryOperationType

from cms.graphql.checks import cost_error
from cms.graphql.context import Context
from cms.graphql.permissions import refusal
from cms.graphql.pipeline import Exchange
from cms.graphql.schema import Schema
from cms.settings import Settings


class Responder(Protocol):
    """What the short path needs of the view: its schema and settings, the context it makes
    for a request, and how it encodes a result."""

    @property
    def schema(self) -> Schema: ...

    @property
    def settings(self) -> Settings: ...

    async def get_context(self, request: Request, response: Response) -> Context: ...

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse: ...

    def create_response(
        self, response_data: GraphQLHTTPResponse, sub_response: Response
    ) -> Response: ...


async def respond(view: Responder, exchange: Exchange) -> Response | None:
    """The response to the exchange's plain query (see :meth:`Exchange.read`), or None when
    the general path must answer."""
    plain = exchange.operation
    if plain is None:
        return None
    schema = view.schema
    core_schema = schema._schema
    query, name, variables = plain.query, plain.name, plain.variables
    document = exchange.query_document(schema)
    if document is None:
        return None
    sub_response = exchange.sub_response
    context = await view.get_context(exchange, sub_response)
    if refusal(context, StrawberryOperationType.QUERY) is not None:
        return None
    context.memo = schema.operations.memo(query, document)
    if cost_error(core_schema, document, name, variables, view.settings, context.memo):
        return None
    try:
        outcome = execute(
            core_schema,
            document,
            context_value=context,
            variable_values=variables,
            operation_name=name,
            executor_class=schema.execution_context_class,
            is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
            operation_extensions=plain.extensions,
        )
        if isinstance(outcome, Awaitable):
            outcome = await outcome
    except Exception:  # graphql-core reports field errors itself: this is ours to report
        return None
    if outcome.errors:
        schema.process_errors(outcome.errors)
    result = ExecutionResult(data=outcome.data, errors=outcome.errors)
    return view.create_response(await view.process_result(exchange, result), sub_response)

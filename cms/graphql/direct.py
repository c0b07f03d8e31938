"""The common request on a short path: one query, sent as a JSON POST or in a GET's parameters,
whose text was parsed and validated before.

Strawberry's view and ``Schema.execute`` handle every kind of request (batches, multipart
uploads, streaming, subscriptions, extension hooks at each stage): on a page that sends the
same query every time, that generality costs more than parsing JSON and validating did. The
short path does what they do for the common case and nothing else, from the same parts: the
text's cached document and validation (:class:`cms.graphql.checks.Operations`), the view's
context, access and cost checks, graphql-core's ``execute`` with our executor, and the view's
own result and response handling. A request it does not recognise as plain gets ``None`` and
takes the general path, which answers every problem (malformed JSON, a syntax error, a refused
caller, a costly operation, a mutation) exactly as before; the short path never answers one.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from cross_web import HTTPException
from graphql import DocumentNode, OperationType, execute, get_operation_ast
from starlette.requests import Request
from starlette.responses import Response
from strawberry.execution import optimized_is_awaitable
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType as StrawberryOperationType

from cms.graphql.checks import cost_error
from cms.graphql.permissions import refusal

if TYPE_CHECKING:
    from cms.graphql.schema import Schema
    from cms.graphql.view import GraphQLView

#: What a plain request carries: query, operation name, variables, extensions.
Plain = tuple[str, str | None, dict[str, Any] | None, dict[str, Any] | None]


async def plain_request(view: GraphQLView, request: Request) -> Plain | None:
    """The request's operation when it is plain; None for anything the general path should
    see (other methods and media types, batches, malformed JSON or fields)."""
    try:
        if request.method == "POST":
            media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
            if media != "application/json":
                return None
            data = view.decode_json(await request.body())
            if not isinstance(data, dict):
                return None
        elif request.method == "GET":
            params = request.query_params
            data = {
                "query": params.get("query"),
                "operationName": params.get("operationName"),
                "variables": view.decode_json(params.get("variables") or "null"),
                "extensions": view.decode_json(params.get("extensions") or "null"),
            }
        else:
            return None
    except (ValueError, RecursionError, HTTPException):  # the general path explains it
        return None
    query, name = data.get("query"), data.get("operationName")
    variables, extensions = data.get("variables"), data.get("extensions")
    if not isinstance(query, str | None) or not isinstance(name, str | None):
        return None
    if not isinstance(variables, dict | None) or not isinstance(extensions, dict | None):
        return None
    query = view.persisted.resolve(query, extensions)  # a problem here is the caller's to see
    if not query:
        return None
    return query, name, variables, extensions


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


async def respond(view: GraphQLView, request: Request, plain: Plain | None) -> Response | None:
    """The response to a plain query (``plain``, from :func:`plain_request`), or None when the
    general path must answer."""
    if plain is None:
        return None
    query, name, variables, extensions = plain
    schema = view.schema
    core_schema = schema._schema
    document = valid_query(schema, query, name)
    if document is None:
        return None
    sub_response = await view.get_sub_response(request)
    context = await view.get_context(request, sub_response)
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
            operation_extensions=extensions,
        )
        if isinstance(outcome, Awaitable):
            outcome = await outcome
    except Exception:  # graphql-core reports field errors itself: this is ours to report
        return None
    if outcome.errors:
        schema.process_errors(outcome.errors)
    result = ExecutionResult(data=outcome.data, errors=outcome.errors)
    return view.create_response(await view.process_result(request, result), sub_response)

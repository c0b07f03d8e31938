"""What every operation passes before it runs, as one schema extension.

An operation text is parsed (within the byte and token limits) and validated (its expanded shape
first, see :mod:`cms.graphql.shape`, then graphql-core's rules) once: both results are kept per
text for the schema, so a page that sends the same query every time skips straight to the checks
that depend on the request, who the caller is (:func:`cms.graphql.permissions.refusal`) and what
the operation costs with these variables (:mod:`cms.graphql.limits`).

One extension rather than one per concern: Strawberry enters every extension's hooks on every
request, and keying the validation cache by the text avoids hashing the whole parsed document.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    get_operation_ast,
    parse,
    specified_rules,
    validate,
)
from graphql.validation import ASTValidationRule, ValuesOfCorrectTypeRule
from strawberry.extensions import SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule
from strawberry.types.graphql import OperationType

from cms.bounded import BoundedCache
from cms.graphql.context import Context
from cms.graphql.limits import IntrospectionTooLarge, cached_cost
from cms.graphql.memo import Memo
from cms.graphql.permissions import refusal
from cms.graphql.shape import Limits, shape_errors
from cms.observability import current_request_id
from cms.read.sql import read_from_primary
from cms.settings import Settings


class _ValuesOfCorrectType(ValuesOfCorrectTypeRule):
    """graphql-core's rule for literal argument values, with its refusals coded as the
    caller's input (``BAD_USER_INPUT``), as the same values sent as variables are."""

    def report_error(self, error: GraphQLError) -> None:
        error.extensions = {**(error.extensions or {}), "code": "BAD_USER_INPUT"}
        super().report_error(error)


class _Parsed:
    """A kept operation text: its document and its validation errors once validated, or the
    syntax error that refused it (a refused text sent again is refused without parsing)."""

    __slots__ = ("document", "errors", "memo", "refusal")

    def __init__(
        self, document: DocumentNode | None, refusal: GraphQLError | None, memo: Memo
    ) -> None:
        self.document = document
        self.refusal = refusal
        self.errors: list[GraphQLError] | None = None
        self.memo = memo


def _weight(query: str) -> int:
    """What a parsed text costs to keep, in bytes: measured at 40-80 bytes of syntax tree per
    character of text (tracemalloc), plus the text itself and the errors."""
    return 2_048 + 100 * len(query)


def _copy(error: GraphQLError) -> GraphQLError:
    """A syntax error as new: its message and where it points, without a traceback (whose
    frames would keep the request that raised it alive)."""
    return GraphQLError(
        error.message, source=error.source, positions=error.positions, extensions=error.extensions
    )


def query_too_large(query: str, limit: int) -> GraphQLError | None:
    """The error refusing a query text over ``limit`` bytes (before anything parses it)."""
    if len(query) <= limit // 4:
        return None  # at most four bytes a character
    size = len(query.encode(errors="surrogatepass"))
    if size <= limit:
        return None
    return GraphQLError(
        f"the query is {size} bytes, over the limit of {limit} bytes",
        extensions={"code": "QUERY_TOO_LARGE", "size": size, "limit": limit},
    )


class Operations:
    """Parsed documents and their validation errors, per operation text, for one schema, kept
    within ``settings.operation_cache_bytes``. A text is refused before parsing when it is over
    ``max_query_bytes``, and before validation when its expanded shape is over the limits of
    :mod:`cms.graphql.shape`: validating a document costs up to the square of its fields."""

    def __init__(self, rules: tuple[type[ASTValidationRule], ...], settings: Settings) -> None:
        # What Strawberry's own validation adds to the rules it is given, then ours.
        self.rules = (
            *(
                _ValuesOfCorrectType if rule is ValuesOfCorrectTypeRule else rule
                for rule in specified_rules
            ),
            *rules,
            MaybeNullValidationRule,
            OneOfInputValidationRule,
        )
        self.limits = Limits(
            max_depth=settings.max_depth,
            max_aliases=settings.max_aliases,
            max_fields=settings.max_fields,
            max_repeats=settings.max_field_repeats,
        )
        self.max_tokens = settings.max_tokens
        self.max_query_bytes = settings.max_query_bytes
        self.kept: BoundedCache[str, _Parsed] = BoundedCache(settings.operation_cache_bytes)

    def document(self, query: str) -> DocumentNode:
        """``query`` parsed (kept), or the GraphQLError that refuses it (never kept)."""
        request = current_request_id()
        kept = self.kept.get(query, request)
        if kept is not None:
            if kept.document is None:
                assert kept.refusal is not None
                raise _copy(kept.refusal)
            return kept.document
        if (error := query_too_large(query, self.max_query_bytes)) is not None:
            raise error
        weight = _weight(query)
        memo = Memo(weight, lambda change: self.kept.grow(query, change))
        try:
            document = parse(query, max_tokens=self.max_tokens)
        except GraphQLError as refusal:
            # A copy: the error raised carries a traceback, and its frames hold the request.
            kept_refusal = _Parsed(None, _copy(refusal), memo)
            self.kept.put(query, kept_refusal, 2_048 + len(query), request)
            raise
        self.kept.put(query, _Parsed(document, None, memo), weight, request)
        return document

    def memo(self, query: str, document: DocumentNode) -> Memo | None:
        """What is kept with ``query``'s document (costs, prepared operations), or None when
        the document is not (or no longer) the one kept for it."""
        kept = self.kept.peek(query)
        return kept.memo if kept is not None and kept.document is document else None

    def errors(
        self, schema: GraphQLSchema, query: str, document: DocumentNode
    ) -> list[GraphQLError]:
        """``document``'s validation errors; ``query`` is its text (the key)."""
        kept = self.kept.peek(query)
        if kept is not None and kept.document is document and kept.errors is not None:
            return kept.errors
        errors = shape_errors(document, self.limits) or validate(schema, document, self.rules)
        if kept is not None and kept.document is document:
            kept.errors = errors
        return errors


class OperationChecks(SchemaExtension):
    """Parse and validate through :class:`Operations`; refuse what the caller may not run or
    what costs more than ``max_cost``. A refusal is a result set before execution: nothing
    runs and nothing is written."""

    def __init__(self, operations: Operations, settings: Settings) -> None:
        self.operations = operations
        self.settings = settings

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is None and context.query:
            context.graphql_document = self.operations.document(context.query)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.query:
            context.pre_execution_errors = self.operations.errors(
                context.schema._schema, context.query, document
            )
        yield

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        operation_type = context.operation_type
        error = refusal(context.context, operation_type)
        document = context.graphql_document
        memo = None
        if document is not None and context.query:
            memo = self.operations.memo(context.query, document)
            if isinstance(context.context, Context):
                context.context.memo = memo
        if error is None and document is not None and context.result is None:
            error = cost_error(
                context.schema._schema,
                document,
                context.operation_name,
                context.variables,
                self.settings,
                memo,
            )
        if error is not None:
            if operation_type is OperationType.SUBSCRIPTION:
                # Strawberry subscribes whatever the result says: an error raised here
                # becomes the subscription's only result instead.
                raise error
            context.result = ExecutionResult(data=None, errors=[error])
        elif operation_type is OperationType.MUTATION:
            read_from_primary()  # a request that writes reads its own writes
        yield


def cost_error(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    settings: Settings,
    memo: Memo | None = None,
) -> GraphQLError | None:
    """The error that refuses the named operation of ``document`` when, with these variables,
    it costs more than ``max_cost``; None when it may run."""
    chosen = get_operation_ast(document, operation_name)
    if chosen is None:
        return None  # no operation to run: execution reports it
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    limit = settings.max_cost
    try:
        cost = cached_cost(
            schema,
            chosen,
            fragments,
            variables or {},
            settings.default_page_size,
            settings.max_introspection_cost,
            memo,
        )
    except IntrospectionTooLarge as exc:
        return GraphQLError(
            f"the introspection asked for answers with more than {exc.limit} fields, over the "
            "limit: ask for the schema once (GraphiQL's and the usual clients' queries fit)",
            extensions={"code": "QUERY_TOO_COMPLEX", "limit": exc.limit},
        )
    if cost <= limit:
        return None
    return GraphQLError(
        f"the operation's cost is {cost}, over the limit of {limit}: ask for smaller pages "
        "(first/last) or fewer nested connections",
        extensions={"code": "QUERY_TOO_COMPLEX", "cost": cost, "limit": limit},
    )


def unnamed_choice_error(document: DocumentNode, operation_name: str | None) -> GraphQLError | None:
    """The request error for a document of several operations sent without ``operationName``
    (the specification's GetOperation): none of them may run, not even the first."""
    if operation_name is not None:
        return None
    operations = sum(isinstance(d, OperationDefinitionNode) for d in document.definitions)
    if operations < 2:
        return None
    return GraphQLError(
        "Must provide operation name if query contains multiple operations.",
        extensions={"code": "OPERATION_RESOLUTION_FAILURE"},
    )

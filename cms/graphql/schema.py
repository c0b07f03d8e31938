"""The schema: the Query and Mutation roots, the DateTime scalar, and the per-request
extensions (caches, access control, limits), built once per set of settings."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import lru_cache, partial
from typing import Any

import strawberry
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType

from cms.graphql.checks import OperationChecks, Operations, unnamed_choice_error
from cms.graphql.errors import log_unexpected
from cms.graphql.execution import Executor
from cms.graphql.mutations import Mutation
from cms.graphql.queries import Query
from cms.graphql.scalars import DateTime
from cms.graphql.types import Article, Contributor, ImageCredit, Tag
from cms.settings import Settings


class Schema(strawberry.Schema):
    #: Parsed documents and validation results per operation text (set by build_schema).
    operations: Operations

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_unexpected(errors)

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        """Strawberry's execute, except that a document of several operations sent without an
        operation name runs none of them (Strawberry would pick the first)."""
        if operation_name is None and query:
            try:
                error = unnamed_choice_error(self.operations.document(query), None)
            except GraphQLError:
                error = None  # a syntax error: Strawberry reports it
            if error is not None:
                return ExecutionResult(data=None, errors=[error])
        return await super().execute(
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            allowed_operation_types,
            operation_extensions,
        )


def build_schema(
    settings: Settings, extensions: Sequence[Callable[[], SchemaExtension]] = ()
) -> Schema:
    """The schema with the limits of ``settings`` (validation rules are built here, once),
    and the host's ``extensions`` after cms's own."""
    rules = () if settings.introspection else (NoSchemaIntrospectionCustomRule,)
    operations = Operations(rules, settings)
    extensions = [partial(OperationChecks, operations, settings), *extensions]
    schema = Schema(
        query=Query,
        mutation=Mutation,
        types=[Article, Tag, Contributor, ImageCredit],
        scalar_overrides={datetime: DateTime},
        extensions=extensions,
        config=StrawberryConfig(auto_camel_case=True),
        execution_context_class=Executor,
    )
    schema.operations = operations
    return schema


def schema_for(settings: Settings) -> Schema:
    """The schema for these settings, built on first use (shared by settings that differ only
    in what the schema does not depend on, such as the database)."""
    return _schema_for(
        Settings(
            default_page_size=settings.default_page_size,
            max_depth=settings.max_depth,
            max_aliases=settings.max_aliases,
            max_tokens=settings.max_tokens,
            max_query_bytes=settings.max_query_bytes,
            max_fields=settings.max_fields,
            max_field_repeats=settings.max_field_repeats,
            operation_cache_bytes=settings.operation_cache_bytes,
            max_cost=settings.max_cost,
            max_introspection_cost=settings.max_introspection_cost,
            introspection=settings.introspection,
        )
    )


@lru_cache(maxsize=8)
def _schema_for(settings: Settings) -> Schema:
    return build_schema(settings)


#: The schema with the default settings (what `cms schema export` prints).
schema = schema_for(Settings())


def sdl() -> str:
    """The schema in SDL, as committed in ``schema/schema.graphql``."""
    return schema.as_str() + "\n"

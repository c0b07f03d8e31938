"""The schema: the Query and Mutation roots, the DateTime scalar, and the per-request
extensions (caches, access control, limits), built for each service (:func:`build_schema`), so
that what it keeps (parsed operations, the fast executor's plans and hand-back counts) belongs
to that service alone."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import partial
from typing import Any

import strawberry
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType

from cms.changes.live import Hub
from cms.graphql.changes import ContentChange
from cms.graphql.checks import OperationChecks, Operations, unnamed_choice_error
from cms.graphql.errors import log_unexpected
from cms.graphql.execution import Executor, FastPath
from cms.graphql.fallbacks import Fallbacks
from cms.graphql.mutations import Mutation
from cms.graphql.plans import Plans
from cms.graphql.queries import Query
from cms.graphql.scalars import DateTime
from cms.graphql.subscriptions import Subscription
from cms.graphql.types import Article, Contributor, ImageCredit, Tag
from cms.settings import Settings


class Schema(strawberry.Schema):
    #: Parsed documents and validation results per operation text (set by build_schema).
    operations: Operations

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: What the fast executor keeps for this schema (when it runs on it).
        self.fast_path = FastPath(Plans(self.config.default_resolver), Fallbacks())
        #: The extensions cms's short path stands in for (set by build_schema): with any
        #: other, every request takes Strawberry's general path, which runs them all.
        self.known_extensions: tuple[Any, ...] = ()
        #: The live side of the service whose schema this is (set by build_schema): its
        #: subscribers and the poller that wakes them (see :mod:`cms.changes.live`).
        self.live: Hub

    @property
    def fallbacks(self) -> int:
        """How many queries the fast executor handed back to graphql-core so far."""
        return self.fast_path.fallbacks.count

    @property
    def fallback_reasons(self) -> dict[str, int]:
        """The same, by reason (see :mod:`cms.graphql.fallbacks`)."""
        return dict(self.fast_path.fallbacks.reasons)

    @property
    def only_known_extensions(self) -> bool:
        """Whether every extension of the schema is one the short path stands in for."""
        return self.extensions == self.known_extensions

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
    and the host's ``extensions`` after cms's own. Queries run on cms's fast executor unless
    ``settings.fast_executor`` is off (then graphql-core's, as Strawberry sets it)."""
    rules = () if settings.introspection else (NoSchemaIntrospectionCustomRule,)
    operations = Operations(rules, settings)
    checks: Callable[[], SchemaExtension] = partial(OperationChecks, operations, settings)
    schema = Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Article, Tag, Contributor, ImageCredit, ContentChange],
        scalar_overrides={datetime: DateTime},
        extensions=[checks, *extensions],
        config=StrawberryConfig(auto_camel_case=True),
        execution_context_class=Executor if settings.fast_executor else None,
    )
    schema.operations = operations
    schema.live = Hub(settings)
    schema.known_extensions = (checks,)
    return schema


#: The schema with the default settings (what `cms schema export` prints).
schema = build_schema(Settings())


def sdl() -> str:
    """The schema in SDL, as committed in ``schema/schema.graphql``."""
    return schema.as_str() + "\n"

"""A faster way to execute read queries, with graphql-core as the reference it falls back to.

graphql-core resolves a query one field of one object at a time: for a list page of 20
articles that is ~600 calls through its general machinery (a resolve-info object, argument
coercion, the Strawberry resolver wrapper, value completion) for fields that are mostly
attribute reads on rows. :class:`Executor` runs query operations breadth-first instead: each
field is resolved for all of its parent objects at once (one resolve-info, one set of
converted arguments per field and level), leaves are read and serialized in a tight loop, and
the awaitables of a level are gathered together, so DataLoaders batch exactly as before.

It covers what read queries use: fields, aliases, fragments, ``@skip``/``@include``,
``__typename``, lists, non-null, interfaces. Anything else runs in graphql-core: mutations,
subscriptions, ``@defer``/``@stream``, schema-wide middleware and operations that ask for
introspection at the root go there directly; and an operation in which something goes wrong
(a resolver raises, a null reaches a non-null field, a value is not of the expected type) is
*handed back*: the fast path stops, settles what it started (awaits what is running, closes
coroutines not yet started), forgets what the request's DataLoaders loaded, and graphql-core
runs the operation from the start, so that its answer (data and errors, in graphql-core's
order, with paths and locations) is exactly the one graphql-core gives alone. Read resolvers
have no side effects; a failing query costs more than a good one. Hand-backs are counted and
logged (:mod:`cms.graphql.fallbacks`); ``CMS_FAST_EXECUTOR=false`` leaves this class out.
Values are completed by :mod:`cms.graphql.completion`; what is worked out once per field or
per operation is in :mod:`cms.graphql.plans`.
``tests/graphql/test_execution.py`` runs generated queries through both executors and checks
the results are equal.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from inspect import CORO_CREATED, getcoroutinestate
from types import CoroutineType
from typing import Any

from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLField,
    GraphQLObjectType,
    GraphQLOutputType,
    OperationType,
    Undefined,
    print_ast,
)
from graphql.execution.collect_fields import GroupedFieldSet, collect_fields
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path
from strawberry.types.arguments import convert_arguments

from cms.graphql.completion import Completing, Fallback, FieldGroup, ResolveInfo, Work
from cms.graphql.context import Context
from cms.graphql.fallbacks import FIELD_ERROR, INTERNAL, NULL, UNSUPPORTED, VALUE, Fallbacks
from cms.graphql.plans import FieldPlan, Plans, Prepared, awaitable, immutable, prepared_for


@dataclass(frozen=True, slots=True)
class FastPath:
    """What the fast executor keeps per schema: the plans of its fields, and the count of its
    hand-backs. A schema that runs on :class:`Executor` has one as ``fast_path``."""

    plans: Plans
    fallbacks: Fallbacks


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@dataclass(slots=True)
class _Pending:
    """A field resolved for all of a work item's objects, to complete once its values are in."""

    key: str
    group: FieldGroup
    return_type: GraphQLOutputType
    values: list[Any]
    info: ResolveInfo
    results: list[dict[str, Any]]


def _bound(
    function: Callable[..., Any], plan: FieldPlan, kwargs: dict[str, Any]
) -> Callable[[Any], Any]:
    """``function`` with ``kwargs`` bound, as a function of the parent object."""
    bound = partial(function, **kwargs)
    if plan.self_parameter:
        return bound
    names = plan.source_parameters
    if not names:
        return lambda _source: bound()
    if len(names) == 1:
        (name,) = names
        return lambda source: bound(**{name: source})
    return lambda source: bound(**dict.fromkeys(names, source))


def _introspects(root_type: GraphQLObjectType, grouped: GroupedFieldSet) -> bool:
    """Whether the root selection asks for a field the root type does not declare
    (``__schema``, ``__type``): introspection, graphql-core's to answer."""
    fields = root_type.fields
    for group in grouped.values():
        name = group[0].node.name.value
        if name not in fields and name != "__typename":
            return True
    return False


def _operation_text(executor: Executor) -> str:
    """The text of the document the operation comes from (the key its hand-backs are logged
    under): the parsed source, else the operation printed."""
    location = executor.operation.loc
    return location.source.body if location is not None else print_ast(executor.operation)


class Executor(Completing):
    """graphql-core's executor, with a level-by-level fast path for query operations."""

    _plans: Plans

    def execute_operation(self, serially: bool | None = None) -> Any:
        middleware = self.middleware_manager
        fast_path = getattr(getattr(self.schema, "_strawberry_schema", None), "fast_path", None)
        if (
            serially
            or self.operation.operation is not OperationType.QUERY
            or (middleware is not None and middleware.middlewares)
            or self.abort_signal is not None
            or not isinstance(fast_path, FastPath)
            or not _in_event_loop()  # execute_sync (and introspect()) must not get a coroutine
        ):
            return super().execute_operation(serially)
        return self._execute_fast(fast_path, serially)

    async def _execute_fast(self, fast_path: FastPath, serially: bool | None) -> Any:
        self._plans = fast_path.plans
        self._started = []
        root_type = self.schema.query_type
        assert root_type is not None
        try:
            self._prepared = prepared = self._prepare(root_type)
            declined = _introspects(root_type, prepared.root.grouped_field_set)
        except Exception:  # graphql-core reports what collecting the fields ran into
            declined = True
        if declined:
            return await self._in_graphql_core(serially)  # not a hand-back: nothing started
        try:
            collected = prepared.root
            if collected.new_defer_usages:
                raise Fallback(UNSUPPORTED)
            data: dict[str, Any] = {}
            level = [Work(root_type, collected.grouped_field_set, [self.root_value], [data], None)]
            while level:
                level = await self._level(level)
        except Exception as exc:  # anything unusual is graphql-core's to report
            await self._settle()
            self._forget_loaded()
            fast_path.fallbacks.record(
                _operation_text(self),
                self.operation.name.value if self.operation.name else None,
                _reason(exc),
                exc,
            )
            return await self._in_graphql_core(serially)
        response = self.build_response(data)
        # graphql-core's helpers are bound methods of this executor, kept on it: a cycle that
        # would keep the executor, its loaders and every row they read until a full
        # collection (tens of ms under load). Nothing runs on this executor any more.
        del self.async_helpers
        return response

    async def _in_graphql_core(self, serially: bool | None) -> Any:
        result = super().execute_operation(serially)
        return await result if self.is_awaitable(result) else result

    async def _settle(self) -> None:
        """Leave nothing of the fast attempt behind: coroutines it made but never started are
        closed (a coroutine dropped unawaited warns, and holds what it was given), and what is
        running (DataLoader futures, ...) is awaited, its errors dropped, so that nothing of it
        runs alongside graphql-core's attempt or changes its order of events."""
        started, self._started = self._started, []
        running: list[Any] = []
        for value in started:
            if isinstance(value, CoroutineType) and getcoroutinestate(value) == CORO_CREATED:
                value.close()
            else:
                running.append(value)
        if running:
            await asyncio.gather(*running, return_exceptions=True)

    def _forget_loaded(self) -> None:
        """Fresh DataLoaders for graphql-core's attempt: it runs as if it ran alone (what the
        fast attempt loaded would make some of its fields resolve sooner than others, and so
        change which errors it reports, and in which order)."""
        context = self.context_value
        if isinstance(context, Context):
            context.reset_loaders()

    def _prepare(self, root_type: GraphQLObjectType) -> Prepared:
        """The operation's collected fields, from the cache when its variables were seen."""
        return prepared_for(
            self.operation,
            self.variable_values.coerced,
            lambda: collect_fields(
                self.schema,
                self.fragments,
                self.variable_values,
                root_type,
                self.operation,
                self.hide_suggestions,
            ),
            getattr(self.context_value, "memo", None),
        )

    # -- one level of the response tree ---------------------------------------------------------

    async def _level(self, level: list[Work]) -> list[Work]:
        """Resolve every field of every work item of this depth, await what they started
        together (so DataLoaders batch across the whole level), and return the next depth."""
        pending: list[_Pending] = []
        slots: list[tuple[list[Any], int]] = []
        started = self._started
        try:
            for work in level:
                self._resolve(work, pending, slots)
            if started:
                # Every one to its end, even when one fails: none is left running when the
                # operation is handed back.
                done = await asyncio.gather(*started, return_exceptions=True)
                started.clear()
                for (values, index), value in zip(slots, done, strict=True):
                    if isinstance(value, BaseException):
                        if not isinstance(value, Exception):
                            raise value
                        raise Fallback(FIELD_ERROR) from value
                    values[index] = value
            next_level: list[Work] = []
            for item in pending:
                completed = self._complete(
                    item.return_type, item.group, item.values, item.info, next_level
                )
                key = item.key
                for result, value in zip(item.results, completed, strict=True):
                    result[key] = value
        except Exception:
            # Lists of awaitables a resolver returned, not completed yet: theirs to settle too.
            for item in pending:
                for value in item.values:
                    self._abandon_lists(value)
            raise
        return next_level

    def _abandon_lists(self, value: Any) -> None:
        if isinstance(value, list | tuple):
            self.abandon(value)
            for item in value:
                self._abandon_lists(item)

    def _resolve(
        self,
        work: Work,
        pending: list[_Pending],
        slots: list[tuple[list[Any], int]],
    ) -> None:
        """Resolve the fields of ``work``: leaves read from attributes are completed at once;
        other fields wait in ``pending``, their awaitables in ``self._started`` (their places in
        ``slots``)."""
        type_, sources, results = work.type_, work.sources, work.results
        plans = self._plans
        started = self._started
        for key, group in work.grouped.items():
            first = group[0]
            if first.defer_usage is not None or first.fragment_variable_values is not None:
                raise Fallback(UNSUPPORTED)
            name = first.node.name.value
            if name == "__typename":
                type_name = type_.name
                for result in results:
                    result[key] = type_name
                continue
            field_def = type_.fields.get(name)
            if field_def is None:
                raise Fallback(UNSUPPORTED)
            plan = plans(field_def)
            attribute = plan.attribute
            if attribute is not None and plan.leaf is not None:
                coerce, nullable = plan.leaf, plan.nullable
                for result, source in zip(results, sources, strict=True):
                    value = getattr(source, attribute)
                    if value is None:
                        if not nullable:
                            raise Fallback(NULL)
                        result[key] = None
                        continue
                    coerced = coerce(value)
                    if coerced is None or coerced is Undefined:  # graphql-core reports these
                        raise Fallback(VALUE)
                    result[key] = coerced
                continue
            info = self._info(field_def, group, type_, Path(work.path, key, type_.name))
            if attribute is not None:
                values = [getattr(source, attribute) for source in sources]
            else:
                try:
                    call = self._resolver(field_def, plan, group, info)
                    values = []
                    for source in sources:
                        value = call(source)
                        if awaitable(value):
                            started.append(value)
                            slots.append((values, len(values)))
                        values.append(value)
                except Exception as exc:  # a refused argument, a resolver that raised
                    raise Fallback(FIELD_ERROR) from exc
            for result in results:
                result[key] = None  # keeps the selection's order; filled in when complete
            pending.append(_Pending(key, group, field_def.type, values, info, results))

    def _info(
        self, field_def: GraphQLField, group: FieldGroup, parent: GraphQLObjectType, path: Path
    ) -> ResolveInfo:
        return self.build_resolve_info(field_def, [d.node for d in group], parent, path)

    def _resolver(
        self,
        field_def: GraphQLField,
        plan: FieldPlan,
        group: FieldGroup,
        info: ResolveInfo,
    ) -> Callable[[Any], Any]:
        """A function of the parent object that resolves the field (arguments bound). One
        that needs nothing of this request (no resolve info, arguments kept) is kept too."""
        node = group[0].node
        prepared = self._prepared
        # One field node can stand for fields of several types (a fragment on an interface):
        # what is kept belongs to the node and the field definition together.
        key = (id(node), id(field_def))
        ready = prepared.resolvers.get(key)
        if ready is not None and ready[0] is node and ready[1] is field_def:
            return ready[2]
        kept = prepared.arguments.get(key)
        if kept is not None and kept[0] is node and kept[1] is field_def:
            args, kwargs = kept[2], dict(kept[3])
        else:
            args, kwargs = self._arguments(field_def, plan, node, info)
        function = plan.function
        if function is None or plan.field is None:
            resolve = field_def.resolve or self.field_resolver
            return lambda source: resolve(source, info, **args)
        if plan.info_parameter is not None:
            strawberry_schema = self.schema._strawberry_schema  # type: ignore[attr-defined]
            kwargs[plan.info_parameter] = strawberry_schema.config.info_class(
                _raw_info=info, _field=plan.field
            )
        call = _bound(function, plan, kwargs)
        if plan.info_parameter is None and key in prepared.arguments:
            prepared.resolvers[key] = (node, field_def, call)
        return call

    def _arguments(
        self, field_def: GraphQLField, plan: FieldPlan, node: FieldNode, info: ResolveInfo
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The field's arguments as graphql-core coerced them, and as the resolver takes them.
        Both are kept for the next request with the same operation and variables when every
        value is immutable (a string, a number, an enum member...): an input object or a
        list is made anew for every request, as in graphql-core, so that one request's
        changes to it can never reach another."""
        args = (
            get_argument_values(field_def, node, self.variable_values, None, self.hide_suggestions)
            if field_def.args or node.arguments
            else {}
        )
        kwargs: dict[str, Any] = {}
        if plan.function is not None and plan.field is not None:
            strawberry_schema = self.schema._strawberry_schema  # type: ignore[attr-defined]
            kwargs = convert_arguments(
                args,
                plan.field.arguments,
                scalar_registry=strawberry_schema.schema_converter.scalar_registry,
                config=strawberry_schema.config,
                info=strawberry_schema.config.info_class(_raw_info=info, _field=plan.field),
            )
        if immutable(args.values()) and immutable(kwargs.values()):
            self._prepared.arguments[(id(node), id(field_def))] = (node, field_def, args, kwargs)
            return args, dict(kwargs)
        return args, kwargs


def _reason(error: Exception) -> str:
    """Why an operation was handed back (see :mod:`cms.graphql.fallbacks`)."""
    if isinstance(error, Fallback):
        return error.reason
    if isinstance(error, GraphQLError):  # an argument or a value graphql-core refuses
        return FIELD_ERROR
    return INTERNAL

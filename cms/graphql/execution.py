"""A faster way to execute read queries, with graphql-core as the reference it falls back to.

graphql-core resolves a query one field of one object at a time: for a list page of 20
articles that is ~600 calls through its general machinery (a resolve-info object, argument
coercion, the Strawberry resolver wrapper, value completion) for fields that are mostly
attribute reads on rows. :class:`Executor` runs query operations breadth-first instead: each
field is resolved for all of its parent objects at once (one resolve-info, one set of
converted arguments per field and level), leaves are read and serialized in a tight loop, and
the awaitables of a level are gathered together, so DataLoaders batch exactly as before.

It covers what read queries use: fields, aliases, fragments, ``@skip``/``@include``,
``__typename``, lists, non-null, interfaces. Anything else (mutations, subscriptions,
``@defer``/``@stream``, introspection, schema-wide middleware) runs in graphql-core, and so
does any operation in which something goes wrong (a resolver raises, a null reaches a
non-null field, a value is not of the expected type): the fast path is dropped and the
operation runs again in graphql-core, which reports the error with its path and locations
exactly as the spec says. Only queries take the fast path, and read resolvers have no side
effects; the request's DataLoaders keep what the first attempt loaded, but top-level lists and
searches run their statements again (a failing query costs more than a good one).
``tests/graphql/test_execution.py`` runs generated queries through both executors and checks
the results are equal.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeAlias

from graphql import (
    GraphQLAbstractType,
    GraphQLField,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    OperationType,
    Undefined,
)
from graphql.execution.collect_fields import (
    FieldDetails,
    GroupedFieldSet,
    collect_fields,
)
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.arguments import convert_arguments

from cms.graphql.plans import FieldPlan, Prepared, awaitable, plan_for, prepared_for

FieldGroup = list[FieldDetails]
ResolveInfo: TypeAlias = "GraphQLResolveInfo[Any]"

logger = logging.getLogger(__name__)


class _Fallback(Exception):
    """The fast path met something it leaves to graphql-core."""


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@dataclass(slots=True)
class _Work:
    """One selection to resolve on a list of objects of one type, into the given dicts."""

    type_: GraphQLObjectType
    grouped: GroupedFieldSet
    sources: list[Any]
    results: list[dict[str, Any]]
    path: Path | None


@dataclass(slots=True)
class _Pending:
    """A field resolved for all of a work item's objects, to complete once its values are in."""

    key: str
    group: FieldGroup
    return_type: GraphQLOutputType
    values: list[Any]
    info: ResolveInfo
    results: list[dict[str, Any]]


class Executor(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, with a level-by-level fast path for query operations."""

    def execute_operation(self, serially: bool | None = None) -> Any:
        middleware = self.middleware_manager
        if (
            serially
            or self.operation.operation is not OperationType.QUERY
            or (middleware is not None and middleware.middlewares)
            or self.abort_signal is not None
            or not _in_event_loop()  # execute_sync (and introspect()) must not get a coroutine
        ):
            return super().execute_operation(serially)
        return self._execute_fast(serially)

    async def _execute_fast(self, serially: bool | None) -> Any:
        try:
            root_type = self.schema.query_type
            assert root_type is not None
            self._prepared = prepared = self._prepare(root_type)
            collected = prepared.root
            if collected.new_defer_usages:
                raise _Fallback
            data: dict[str, Any] = {}
            level = [_Work(root_type, collected.grouped_field_set, [self.root_value], [data], None)]
            while level:
                level = await self._level(level)
        except Exception as exc:  # anything unusual is graphql-core's to report
            logger.debug("query runs in graphql-core: %r", exc)
            result = super().execute_operation(serially)
            return await result if self.is_awaitable(result) else result
        return self.build_response(data)

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
        )

    # -- one level of the response tree ---------------------------------------------------------

    async def _level(self, level: list[_Work]) -> list[_Work]:
        """Resolve every field of every work item of this depth, await what they started
        together (so DataLoaders batch across the whole level), and return the next depth."""
        pending: list[_Pending] = []
        awaitables: list[Any] = []
        slots: list[tuple[list[Any], int]] = []
        default_resolver = self._default_resolver()
        for work in level:
            self._resolve(work, default_resolver, pending, awaitables, slots)
        if awaitables:
            done = await asyncio.gather(*awaitables)
            for (values, index), value in zip(slots, done, strict=True):
                values[index] = value
        next_level: list[_Work] = []
        for item in pending:
            completed = self._complete(
                item.return_type, item.group, item.values, item.info, next_level
            )
            key = item.key
            for result, value in zip(item.results, completed, strict=True):
                result[key] = value
        return next_level

    def _resolve(
        self,
        work: _Work,
        default_resolver: Any,
        pending: list[_Pending],
        awaitables: list[Any],
        slots: list[tuple[list[Any], int]],
    ) -> None:
        type_, sources, results = work.type_, work.sources, work.results
        for key, group in work.grouped.items():
            first = group[0]
            if first.defer_usage is not None or first.fragment_variable_values is not None:
                raise _Fallback
            name = first.node.name.value
            if name == "__typename":
                type_name = type_.name
                for result in results:
                    result[key] = type_name
                continue
            field_def = type_.fields.get(name)
            if field_def is None:
                raise _Fallback
            plan = plan_for(field_def, default_resolver)
            attribute = plan.attribute
            if attribute is not None and plan.leaf is not None:
                coerce, nullable = plan.leaf, plan.nullable
                for result, source in zip(results, sources, strict=True):
                    value = getattr(source, attribute)
                    if value is None:
                        if not nullable:
                            raise _Fallback
                        result[key] = None
                        continue
                    coerced = coerce(value)
                    if coerced is None or coerced is Undefined:  # graphql-core reports these
                        raise _Fallback
                    result[key] = coerced
                continue
            info = self._info(field_def, group, type_, Path(work.path, key, type_.name))
            if attribute is not None:
                values = [getattr(source, attribute) for source in sources]
            else:
                call = self._resolver(field_def, plan, group, info)
                values = [call(source) for source in sources]
                for index, value in enumerate(values):
                    if awaitable(value):
                        awaitables.append(value)
                        slots.append((values, index))
            for result in results:
                result[key] = None  # keeps the selection's order; filled in when complete
            pending.append(_Pending(key, group, field_def.type, values, info, results))

    def _default_resolver(self) -> Any:
        return self.schema._strawberry_schema.config.default_resolver  # type: ignore[attr-defined]

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
        """A function of the parent object that resolves the field (arguments bound)."""
        node = group[0].node
        args = (
            get_argument_values(field_def, node, self.variable_values, None, self.hide_suggestions)
            if field_def.args or node.arguments
            else {}
        )
        function = plan.function
        if function is None or plan.field is None:
            resolve = field_def.resolve or self.field_resolver
            return lambda source: resolve(source, info, **args)
        strawberry_schema = self.schema._strawberry_schema  # type: ignore[attr-defined]
        strawberry_info = strawberry_schema.config.info_class(_raw_info=info, _field=plan.field)
        kwargs = convert_arguments(
            args,
            plan.field.arguments,
            scalar_registry=strawberry_schema.schema_converter.scalar_registry,
            config=strawberry_schema.config,
            info=strawberry_info,
        )
        if plan.info_parameter is not None:
            kwargs[plan.info_parameter] = strawberry_info
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

    # -- values --------------------------------------------------------------------------------

    def _complete(
        self,
        return_type: GraphQLOutputType,
        group: FieldGroup,
        values: list[Any],
        info: ResolveInfo,
        next_level: list[_Work],
    ) -> list[Any]:
        """``values`` completed as ``return_type``: leaves coerced; objects become empty dicts
        that ``next_level`` work fills in."""
        if isinstance(return_type, GraphQLNonNull):
            if any(value is None for value in values):
                raise _Fallback
            return_type = return_type.of_type
        if isinstance(return_type, GraphQLLeafType):
            coerce = return_type.coerce_output_value
            completed: list[Any] = []
            for value in values:
                if value is None:
                    completed.append(None)
                    continue
                if isinstance(value, Exception):
                    raise _Fallback
                coerced = coerce(value)
                if coerced is None or coerced is Undefined:
                    raise _Fallback
                completed.append(coerced)
            return completed
        if any(isinstance(value, Exception) for value in values):
            raise _Fallback
        if isinstance(return_type, GraphQLList):
            return self._complete_lists(return_type, group, values, info, next_level)
        present = [value for value in values if value is not None]
        if isinstance(return_type, GraphQLAbstractType):
            objects = self._complete_abstract(return_type, group, present, info, next_level)
        else:
            assert isinstance(return_type, GraphQLObjectType)
            objects = self._complete_objects(return_type, group, present, info, next_level)
        done = iter(objects)
        return [None if value is None else next(done) for value in values]

    def _complete_lists(
        self,
        return_type: GraphQLList[Any],
        group: FieldGroup,
        values: list[Any],
        info: ResolveInfo,
        next_level: list[_Work],
    ) -> list[Any]:
        items: list[Any] = []
        lengths: list[int | None] = []
        for value in values:
            if value is None:
                lengths.append(None)
                continue
            if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
                raise _Fallback
            before = len(items)
            items.extend(value)
            lengths.append(len(items) - before)
        if any(awaitable(item) for item in items):
            raise _Fallback
        completed = self._complete(return_type.of_type, group, items, info, next_level)
        lists: list[Any] = []
        position = 0
        for length in lengths:
            if length is None:
                lists.append(None)
            else:
                lists.append(completed[position : position + length])
                position += length
        return lists

    def _complete_objects(
        self,
        type_: GraphQLObjectType,
        group: FieldGroup,
        objects: list[Any],
        info: ResolveInfo,
        next_level: list[_Work],
    ) -> list[dict[str, Any]]:
        if not objects:
            return []
        is_type_of = type_.is_type_of
        if is_type_of is not None:
            for obj in objects:
                matches = is_type_of(obj, info)
                if self.is_awaitable(matches) or not matches:
                    raise _Fallback
        subfields = self._prepared.subfields
        key = (type_.name, id(group))  # the groups belong to the prepared fields: ids are stable
        collected = subfields.get(key)
        if collected is None:
            collected = subfields[key] = self.collect_subfields(type_, group)
        if collected.new_defer_usages:
            raise _Fallback
        results: list[dict[str, Any]] = [{} for _ in objects]
        next_level.append(_Work(type_, collected.grouped_field_set, objects, results, info.path))
        return results

    def _complete_abstract(
        self,
        type_: GraphQLAbstractType,
        group: FieldGroup,
        objects: list[Any],
        info: ResolveInfo,
        next_level: list[_Work],
    ) -> list[dict[str, Any]]:
        resolve_type = type_.resolve_type or self.type_resolver
        by_type: dict[str, list[int]] = {}
        for index, obj in enumerate(objects):
            name = resolve_type(obj, info, type_)
            if not isinstance(name, str):
                raise _Fallback
            by_type.setdefault(name, []).append(index)
        completed: list[Any] = [None] * len(objects)
        for name, indexes in by_type.items():
            runtime = self.schema.get_type(name)
            if not isinstance(runtime, GraphQLObjectType) or not self.schema.is_sub_type(
                type_, runtime
            ):
                raise _Fallback
            done = self._complete_objects(
                runtime, group, [objects[i] for i in indexes], info, next_level
            )
            for index, value in zip(indexes, done, strict=True):
                completed[index] = value
        return completed

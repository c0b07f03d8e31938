"""Value completion for the fast executor (:mod:`cms.graphql.execution`): the resolved values
of one field, for all the objects of a level, made into what the response holds. Leaves are
coerced; objects become dicts that the next level fills in (:class:`Work`); anything the fast
path does not handle raises :class:`Fallback`, and graphql-core runs the operation instead.
An awaitable met on the way (in a list, from ``is_type_of``) is handed to :meth:`abandon` first,
so that the executor closes or awaits it before graphql-core starts: nothing the fast path
started is left running or unawaited."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from graphql import (
    GraphQLAbstractType,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    Undefined,
)
from graphql.execution.collect_fields import FieldDetails, GroupedFieldSet
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from cms.graphql.fallbacks import NULL, UNSUPPORTED, VALUE
from cms.graphql.plans import Prepared, awaitable

FieldGroup = list[FieldDetails]
ResolveInfo: TypeAlias = "GraphQLResolveInfo[Any]"


class Fallback(Exception):
    """The fast path met something it leaves to graphql-core, for ``reason`` (one of
    :data:`cms.graphql.fallbacks.REASONS`)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True)
class Work:
    """One selection to resolve on a list of objects of one type, into the given dicts."""

    type_: GraphQLObjectType
    grouped: GroupedFieldSet
    sources: list[Any]
    results: list[dict[str, Any]]
    path: Path | None


class Completing(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, with the fast path's value completion."""

    _prepared: Prepared
    #: Awaitables of the current level not yet awaited (see :meth:`abandon`).
    _started: list[Any]

    def abandon(self, values: Iterable[Any]) -> None:
        """Leave the awaitables among ``values`` to be closed or awaited before the hand-back
        to graphql-core."""
        self._started.extend(value for value in values if awaitable(value))

    # -- values --------------------------------------------------------------------------------

    def _complete(
        self,
        return_type: GraphQLOutputType,
        group: FieldGroup,
        values: list[Any],
        info: ResolveInfo,
        next_level: list[Work],
    ) -> list[Any]:
        """``values`` completed as ``return_type``: leaves coerced; objects become empty dicts
        that ``next_level`` work fills in."""
        if isinstance(return_type, GraphQLNonNull):
            if any(value is None for value in values):
                raise Fallback(NULL)
            return_type = return_type.of_type
        if isinstance(return_type, GraphQLLeafType):
            coerce = return_type.coerce_output_value
            completed: list[Any] = []
            for value in values:
                if value is None:
                    completed.append(None)
                    continue
                if isinstance(value, Exception):
                    raise Fallback(VALUE)
                coerced = coerce(value)
                if coerced is None or coerced is Undefined:
                    raise Fallback(VALUE)
                completed.append(coerced)
            return completed
        if any(isinstance(value, Exception) for value in values):
            raise Fallback(VALUE)
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
        next_level: list[Work],
    ) -> list[Any]:
        items: list[Any] = []
        lengths: list[int | None] = []
        for value in values:
            if value is None:
                lengths.append(None)
                continue
            if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
                raise Fallback(VALUE)
            before = len(items)
            items.extend(value)
            lengths.append(len(items) - before)
        if any(awaitable(item) for item in items):
            self.abandon(items)
            raise Fallback(UNSUPPORTED)
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
        next_level: list[Work],
    ) -> list[dict[str, Any]]:
        if not objects:
            return []
        is_type_of = type_.is_type_of
        if is_type_of is not None:
            for obj in objects:
                matches = is_type_of(obj, info)
                if self.is_awaitable(matches):
                    self.abandon([matches])
                    raise Fallback(UNSUPPORTED)
                if not matches:
                    raise Fallback(VALUE)
        subfields = self._prepared.subfields
        key = (type_.name, id(group))  # the groups belong to the prepared fields: ids are stable
        collected = subfields.get(key)
        if collected is None:
            collected = subfields[key] = self.collect_subfields(type_, group)
        if collected.new_defer_usages:
            raise Fallback(UNSUPPORTED)
        results: list[dict[str, Any]] = [{} for _ in objects]
        next_level.append(Work(type_, collected.grouped_field_set, objects, results, info.path))
        return results

    def _complete_abstract(
        self,
        type_: GraphQLAbstractType,
        group: FieldGroup,
        objects: list[Any],
        info: ResolveInfo,
        next_level: list[Work],
    ) -> list[dict[str, Any]]:
        resolve_type = type_.resolve_type or self.type_resolver
        by_type: dict[str, list[int]] = {}
        for index, obj in enumerate(objects):
            name = resolve_type(obj, info, type_)
            if not isinstance(name, str):
                self.abandon([name])
                raise Fallback(VALUE)
            by_type.setdefault(name, []).append(index)
        completed: list[Any] = [None] * len(objects)
        for name, indexes in by_type.items():
            runtime = self.schema.get_type(name)
            if not isinstance(runtime, GraphQLObjectType) or not self.schema.is_sub_type(
                type_, runtime
            ):
                raise Fallback(VALUE)
            done = self._complete_objects(
                runtime, group, [objects[i] for i in indexes], info, next_level
            )
            for index, value in zip(indexes, done, strict=True):
                completed[index] = value
        return completed

"""What the fast executor (:mod:`cms.graphql.execution`) works out ahead and keeps: per schema
field, how to resolve it (read an attribute and coerce it, or call the resolver function with
Strawberry's reserved parameters filled in); per operation and variables, the collected fields.
Also the awaitable check it runs on values."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from dataclasses import field as default
from datetime import datetime
from enum import Enum
from types import CoroutineType, GeneratorType
from typing import Any

from graphql import (
    FieldNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLLeafType,
    GraphQLNonNull,
    OperationDefinitionNode,
)
from graphql.execution.collect_fields import CollectedFields
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField
from strawberry.types.unset import UnsetType

from cms.graphql.memo import Memo, variables_key


@dataclass(frozen=True, slots=True)
class FieldPlan:
    """How to resolve one schema field, worked out once per field."""

    #: The attribute to read, for a field without a resolver.
    attribute: str | None = None
    #: The resolver function to call directly (with the reserved parameters below).
    function: Callable[..., Any] | None = None
    field: StrawberryField | None = None
    self_parameter: bool = False
    source_parameters: tuple[str, ...] = ()
    info_parameter: str | None = None
    #: For a leaf field read from an attribute: the output coercion, and whether null is
    #: allowed.
    leaf: Callable[[Any], Any] | None = None
    nullable: bool = True


#: Types whose instances are never awaitable (rows, strings, numbers...), learnt as seen: most
#: values a query meets are of a handful of types, and a set lookup is cheaper than the checks.
_plain_types: set[type] = set()


def awaitable(value: Any) -> bool:
    kind = type(value)
    if kind in _plain_types:
        return False
    if isinstance(value, (CoroutineType, GeneratorType)) or hasattr(kind, "__await__"):
        return inspect.isawaitable(value)
    if not hasattr(value, "__await__"):  # not even through __getattr__ or an instance
        _plain_types.add(kind)
        return False
    return inspect.isawaitable(value)


class Plans:
    """The plans of one schema's fields, each worked out the first time a query asks for the
    field. Kept with the schema (not in a module global), so that a schema that goes takes its
    plans with it."""

    __slots__ = ("_plans", "default_resolver")

    def __init__(self, default_resolver: Any) -> None:
        #: The schema's default resolver: fields read as attributes only when it is getattr.
        self.default_resolver = default_resolver
        self._plans: dict[int, tuple[GraphQLField, FieldPlan]] = {}

    def __call__(self, field_def: GraphQLField) -> FieldPlan:
        cached = self._plans.get(id(field_def))
        if cached is not None and cached[0] is field_def:
            return cached[1]
        plan = _make_plan(field_def, self.default_resolver)
        self._plans[id(field_def)] = (field_def, plan)
        return plan


def _make_plan(field_def: GraphQLField, default_resolver: Any) -> FieldPlan:
    field = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(field, StrawberryField) or field.extensions:
        return FieldPlan()
    if field.base_resolver is None:
        if not getattr(field_def.resolve, "_is_default", False) or default_resolver is not getattr:
            return FieldPlan()
        return_type = field_def.type
        nullable = not isinstance(return_type, GraphQLNonNull)
        named = return_type if nullable else return_type.of_type  # type: ignore[union-attr]
        leaf = named.coerce_output_value if isinstance(named, GraphQLLeafType) else None
        if leaf is not None and isinstance(named, GraphQLEnumType):
            leaf = _remembered(leaf)
        return FieldPlan(attribute=field.python_name, leaf=leaf, nullable=nullable)
    resolver = field.base_resolver
    function = resolver.wrapped_func
    if not callable(function):  # a staticmethod or classmethod not bound to its class
        return FieldPlan()
    return FieldPlan(
        function=function,
        field=field,
        self_parameter=resolver.self_parameter is not None,
        source_parameters=tuple(
            p.name for p in (resolver.parent_parameter, resolver.root_parameter) if p is not None
        ),
        info_parameter=resolver.info_parameter.name if resolver.info_parameter else None,
    )


def _remembered(coerce: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """An enum's output coercion, remembering what each member becomes (a handful of them)."""
    names: dict[Enum, Any] = {}

    def leaf(value: Any) -> Any:
        name = names.get(value) if isinstance(value, Enum) else None
        if name is None:
            name = coerce(value)
            if isinstance(value, Enum) and isinstance(name, str):
                names[value] = name
        return name

    return leaf


@dataclass(slots=True)
class Prepared:
    """What executing an operation works out before it reads any row: the collected fields of
    each selection. It depends only on the operation and its variables, so it is kept for the
    next request that sends the same ones (a list page asks the same thing every time).
    Arguments are kept only when every value is immutable (see :func:`immutable`): resolvers
    get input objects and lists of their own on every request, as in graphql-core (a shared
    one could carry one request's data into another)."""

    operation: OperationDefinitionNode  # held, so that the id in the key stays its own
    root: CollectedFields
    subfields: dict[tuple[str, int], CollectedFields] = default(default_factory=dict)
    #: Per field node and field definition (by ids, both held): coerced arguments and the
    #: resolver's keywords.
    arguments: dict[
        tuple[int, int], tuple[FieldNode, GraphQLField, dict[str, Any], dict[str, Any]]
    ] = default(default_factory=dict)
    #: Per field node and definition: the resolver with its arguments bound, when it needs no
    #: resolve info.
    resolvers: dict[tuple[int, int], tuple[FieldNode, GraphQLField, Callable[[Any], Any]]] = (
        default(default_factory=dict)
    )


#: Values that nobody can change, so one request's arguments may be handed to the next.
_IMMUTABLE = (str, int, float, bool, type(None), Enum, datetime, UnsetType)


def immutable(values: Iterable[Any]) -> bool:
    return all(isinstance(value, _IMMUTABLE) for value in values)


def prepared_for(
    operation: OperationDefinitionNode,
    variables: dict[str, Any],
    collect: Callable[[], CollectedFields],
    memo: Memo | None,
) -> Prepared:
    """The operation's :class:`Prepared` for these (coerced) variables: kept in ``memo`` (what
    is kept with the operation's text) from an earlier request that sent the same ones, else
    made with ``collect``."""
    digest = variables_key(variables) if memo is not None else None
    if memo is None or digest is None:
        return Prepared(operation, collect())
    key = ("prepared", operation.name and operation.name.value, digest)
    found = memo.get(key)
    if isinstance(found, Prepared) and found.operation is operation:
        return found
    prepared = Prepared(operation, collect())
    # What it collects (and goes on collecting as the operation runs) grows with the syntax
    # tree it points into: weighed as much as the tree (measured: 0.3 MB for a 3 KB text).
    memo.put(key, prepared, memo.weight)
    return prepared

"""Limits on what one operation may ask for: depth, aliases, tokens and cost.

Each is a setting (see :mod:`cms.settings`). Depth and aliases are measured with the rest of a
document's shape before it is validated (:mod:`cms.graphql.shape`). Cost needs the request's
variables, so it is checked after validation and before execution: every field costs 1, and a
connection multiplies the cost of what it selects by its page size (``first`` or ``last``, else
the default page size).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLString,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
    value_from_ast,
)
from graphql.language import OperationType as ASTOperationType
from graphql.type.introspection import introspection_types

from cms.graphql.memo import Memo, declared, variables_key

#: Page-size arguments that make a field a connection.
_PAGE_ARGUMENTS = ("first", "last")


class IntrospectionTooLarge(Exception):
    """The introspection asked for answers with more fields than ``limit``."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


def introspection_cost(
    schema: GraphQLSchema,
    field: FieldNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
    budget: int,
) -> int:
    """What ``__schema`` or ``__type`` costs: the number of fields it answers with, counted on
    the schema itself by graphql-core's own introspection resolvers (the schema is fixed, so
    this is exact); :class:`IntrospectionTooLarge` as soon as the count passes ``budget``.
    GraphiQL's introspection query answers with about 4,000 fields; thirty aliased copies of a
    deep one with 127,000 (2 MB), which is the cost of executing it."""
    info = SimpleNamespace(schema=schema)
    count = 0
    memo: dict[tuple[int, int], int] = {}

    def selections(
        selection_set: SelectionSetNode | None, parent: GraphQLObjectType, value: Any
    ) -> int:
        nonlocal count
        if selection_set is None:
            return 0
        key = (id(selection_set), id(value[1] if isinstance(value, tuple) else value))
        if key in memo:  # the same fragment on the same type again: count it without walking
            count += memo[key]
            if count > budget:
                raise IntrospectionTooLarge(budget)
            return memo[key]
        before = count
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                count += 1
                if count > budget:
                    raise IntrospectionTooLarge(budget)
                definition = parent.fields.get(selection.name.value)
                if definition is None or selection.selection_set is None:
                    continue
                arguments = {"includeDeprecated": True} if definition.args else {}
                resolve = definition.resolve
                child = resolve(value, info, **arguments) if resolve is not None else None
                child_type = get_named_type(definition.type)
                if not isinstance(child_type, GraphQLObjectType) or child is None:
                    continue
                listed = is_list_type(get_nullable_type(definition.type))
                for item in child if listed else [child]:
                    selections(selection.selection_set, child_type, item)
            elif isinstance(selection, InlineFragmentNode):
                selections(selection.selection_set, parent, value)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    selections(fragment.selection_set, parent, value)
        memo[key] = count - before
        return count - before

    name = field.name.value
    if name == "__schema":
        selections(field.selection_set, introspection_types["__Schema"], schema)  # type: ignore[arg-type]
    elif name == "__type":
        argument = next((a for a in field.arguments or () if a.name.value == "name"), None)
        type_name = value_from_ast(argument.value, GraphQLString, variables) if argument else None
        found = schema.get_type(type_name) if isinstance(type_name, str) else None
        if found is not None:
            selections(field.selection_set, introspection_types["__Type"], found)  # type: ignore[arg-type]
    return 1 + count


def operation_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
    default_page_size: int,
    introspection_limit: int = 10**9,
) -> int:
    """Every field costs 1 (``__typename`` nothing), a connection multiplies what it selects
    by its page size, and introspection costs the fields it answers with
    (:func:`introspection_cost`); :class:`IntrospectionTooLarge` when those are more than
    ``introspection_limit`` together."""
    introspection_left = introspection_limit
    root = {
        ASTOperationType.QUERY: schema.query_type,
        ASTOperationType.MUTATION: schema.mutation_type,
        ASTOperationType.SUBSCRIPTION: schema.subscription_type,
    }[operation.operation]
    if root is None:
        return 0

    def page_size(node: FieldNode, arguments: dict[str, Any]) -> int | None:
        if not any(name in arguments for name in _PAGE_ARGUMENTS):
            return None
        for argument in node.arguments or ():
            if argument.name.value in _PAGE_ARGUMENTS:
                value = value_from_ast(
                    argument.value, arguments[argument.name.value].type, variables
                )
                if isinstance(value, int) and value >= 0:
                    return value
        return default_page_size

    def selection_cost(
        selection_set: SelectionSetNode | None,
        parent: GraphQLNamedType | None,
        seen: frozenset[str],
    ) -> int:
        if selection_set is None or parent is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                name = selection.name.value
                if name in ("__schema", "__type"):
                    nonlocal introspection_left
                    try:
                        cost = introspection_cost(
                            schema, selection, fragments, variables, introspection_left
                        )
                    except IntrospectionTooLarge:
                        raise IntrospectionTooLarge(introspection_limit) from None
                    introspection_left -= cost
                    total += cost
                    continue
                if name.startswith("__"):
                    continue
                fields = getattr(parent, "fields", {})
                definition = fields.get(name)
                if definition is None:
                    continue
                child = get_named_type(definition.type)
                inner = selection_cost(selection.selection_set, child, seen)
                size = page_size(selection, definition.args)
                total += 1 + (inner if size is None else size * inner)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = schema.get_type(condition.name.value) if condition else parent
                total += selection_cost(selection.selection_set, target, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if fragment is None or name in seen:
                    continue
                target = schema.get_type(fragment.type_condition.name.value)
                total += selection_cost(fragment.selection_set, target, seen | {name})
        return total

    return selection_cost(operation.selection_set, root, frozenset())


def cached_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
    default_page_size: int,
    introspection_limit: int = 10**9,
    memo: Memo | None = None,
) -> int:
    """:func:`operation_cost`, kept in ``memo`` (what is kept with the operation's text) for
    the same values of the variables the operation declares: a list page asks the same thing
    each time. An operation over the introspection limit is refused again without counting."""
    values = declared(operation, variables)
    digest = variables_key(values) if memo is not None else None
    key = ("cost", operation.name and operation.name.value, digest, default_page_size)
    if memo is not None and digest is not None:
        cost = memo.get(key)
        if isinstance(cost, IntrospectionTooLarge):
            raise IntrospectionTooLarge(cost.limit)
        if cost is not None:
            return int(cost)
    try:
        cost = operation_cost(
            schema, operation, fragments, values, default_page_size, introspection_limit
        )
    except IntrospectionTooLarge as refused:
        if memo is not None and digest is not None:
            memo.put(key, IntrospectionTooLarge(refused.limit), 256)
        raise
    if memo is not None and digest is not None:
        memo.put(key, cost, 256)
    return int(cost)

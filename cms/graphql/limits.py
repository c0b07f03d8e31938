"""Limits on what one operation may ask for: depth, aliases, tokens and cost.

Each is a setting (see :mod:`cms.settings`). Depth and aliases are validation rules built once
per schema (validation results are kept per operation text, see :mod:`cms.graphql.checks`).
Cost needs the request's variables, so it is checked after validation and before execution:
every field costs 1, and a connection multiplies the cost of what it selects by its page size
(``first`` or ``last``, else the default page size).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    value_from_ast,
)
from graphql.language import OperationType as ASTOperationType
from graphql.validation import ASTValidationRule
from strawberry.extensions.max_aliases import create_validator as aliases_validator
from strawberry.extensions.query_depth_limiter import IgnoreContext
from strawberry.extensions.query_depth_limiter import create_validator as depth_validator

from cms.settings import Settings

#: Page-size arguments that make a field a connection.
_PAGE_ARGUMENTS = ("first", "last")


def _introspection(context: IgnoreContext) -> bool:
    return context.field_name.startswith("__")


def validation_rules(settings: Settings) -> tuple[type[ASTValidationRule], ...]:
    """Depth and alias rules for these settings (build once, reuse for every request)."""
    return (
        depth_validator(settings.max_depth, _introspection),
        aliases_validator(settings.max_aliases),
    )


def operation_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
    default_page_size: int,
) -> int:
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


#: Costs of recent (document, operation, variables): a list page asks the same thing each time.
_costs: OrderedDict[tuple[int, int, int, bytes, int], tuple[GraphQLSchema, DocumentNode, int]] = (
    OrderedDict()
)
COST_CACHE_SIZE = 1024


def cached_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
    default_page_size: int,
) -> int:
    """:func:`operation_cost`, remembered for the same parsed document and variables (the
    parser cache hands out the same document object for the same text)."""
    try:
        encoded = orjson.dumps(variables, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return operation_cost(schema, operation, fragments, variables, default_page_size)
    key = (id(schema), id(document), id(operation), encoded, default_page_size)
    cached = _costs.get(key)
    if cached is not None and cached[0] is schema and cached[1] is document:
        _costs.move_to_end(key)
        return cached[2]
    cost = operation_cost(schema, operation, fragments, variables, default_page_size)
    _costs[key] = (schema, document, cost)  # the references keep the ids from being reused
    if len(_costs) > COST_CACHE_SIZE:
        _costs.popitem(last=False)
    return cost

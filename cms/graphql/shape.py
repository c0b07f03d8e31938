"""The size of a document once its fragments are expanded, measured before it is validated.

A document of half a kilobyte can spread fragments into each other so that, expanded, it
selects millions of fields: graphql-core's validation (overlapping fields are compared pairwise)
and any walk that expands fragments as it meets them (Strawberry's depth and alias limiters do)
then take seconds or forever. :func:`measure` visits each fragment once and combines the
results, so measuring costs as much as reading the document; :func:`shape_errors` refuses a
document over the limits before anything more costly looks at it.

Depth counts fields that have a selection, introspection included (GraphiQL's own query is
5 deep), except ``ofType``: a chain of those follows a type's wrappers (``[Tag!]!``), which the
schema bounds, not the query.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

#: Fields whose nesting follows the schema's type wrappers and so is not held to the depth.
_WRAPPERS = frozenset({"ofType"})


@dataclass
class Shape:
    """What a selection set holds once expanded."""

    #: Deepest nesting of fields with selections below it.
    depth: int = 0
    #: Aliased fields, each time a fragment holding one is spread.
    aliases: int = 0
    #: Fields selected, each time a fragment holding them is spread.
    fields: int = 0
    #: Most fields sharing one response name in one selection set (they must be compared
    #: pairwise for merging, which is what makes validation quadratic).
    repeats: int = 0
    #: Response names of this selection set's own level, with their counts.
    names: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class Limits:
    max_depth: int
    max_aliases: int
    max_fields: int
    max_repeats: int


class _TooMany(Exception):
    """Measuring stopped: the document selects more fields than the limit."""


class _Measure:
    """One walk of a document. It stops as soon as a selection set holds more fields than
    ``max_fields``: every field counted costs a step at most once per spread that holds it, so
    the work done before it stops is bounded by the limit, however the fragments nest."""

    def __init__(self, document: DocumentNode, max_fields: int) -> None:
        self.max_fields = max_fields
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.done: dict[str, Shape] = {}
        self.visiting: set[str] = set()

    def fragment(self, name: str) -> Shape:
        known = self.done.get(name)
        if known is not None:
            return known
        definition = self.fragments.get(name)
        if definition is None or name in self.visiting:
            return Shape()  # unknown or cyclic: validation reports it
        self.visiting.add(name)
        shape = self.selections(definition.selection_set)
        self.visiting.discard(name)
        self.done[name] = shape
        return shape

    def selections(self, selection_set: SelectionSetNode | None) -> Shape:
        shape = Shape()
        if selection_set is None:
            return shape
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                inner = self.selections(selection.selection_set)
                below = inner.depth
                if selection.selection_set is not None and selection.name.value not in _WRAPPERS:
                    below += 1
                if shape.fields + inner.fields + 1 > self.max_fields:
                    raise _TooMany
                shape.depth = max(shape.depth, below)
                shape.aliases += inner.aliases + (selection.alias is not None)
                shape.fields += inner.fields + 1
                shape.repeats = max(shape.repeats, inner.repeats)
                shape.names[(selection.alias or selection.name).value] += 1
                continue
            if isinstance(selection, FragmentSpreadNode):
                inner = self.fragment(selection.name.value)
            elif isinstance(selection, InlineFragmentNode):
                inner = self.selections(selection.selection_set)
            else:  # pragma: no cover - graphql-core has no other selection kind
                continue
            if shape.fields + inner.fields > self.max_fields:
                raise _TooMany
            shape.depth = max(shape.depth, inner.depth)
            shape.aliases += inner.aliases
            shape.fields += inner.fields
            shape.repeats = max(shape.repeats, inner.repeats)
            shape.names.update(inner.names)
        if shape.names:
            shape.repeats = max(shape.repeats, max(shape.names.values()))
        return shape


def measure(document: DocumentNode, max_fields: int) -> Shape | None:
    """The document's operations together: the deepest, and the sums of aliases and fields;
    None as soon as they select more than ``max_fields`` fields."""
    measuring = _Measure(document, max_fields)
    total = Shape()
    try:
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                shape = measuring.selections(definition.selection_set)
                total.depth = max(total.depth, shape.depth)
                total.aliases += shape.aliases
                total.fields += shape.fields
                total.repeats = max(total.repeats, shape.repeats)
                if total.fields > max_fields:
                    return None
    except _TooMany:
        return None
    return total


def shape_errors(document: DocumentNode, limits: Limits) -> list[GraphQLError]:
    """Why ``document`` is too large to validate or run (empty when it is not)."""
    shape = measure(document, limits.max_fields)
    if shape is None:
        return [
            GraphQLError(
                f"the document selects more than {limits.max_fields} fields once its fragments "
                "are expanded: ask for less, or split it"
            )
        ]
    errors = []
    if shape.depth > limits.max_depth:
        errors.append(
            GraphQLError(
                f"the operation's depth is {shape.depth}, over the maximum operation depth of "
                f"{limits.max_depth}"
            )
        )
    if shape.aliases > limits.max_aliases:
        errors.append(GraphQLError(f"{shape.aliases} aliases found. Allowed: {limits.max_aliases}"))
    if shape.repeats > limits.max_repeats:
        errors.append(
            GraphQLError(
                f"one selection asks for the same field {shape.repeats} times, over the limit "
                f"of {limits.max_repeats}: select it once"
            )
        )
    return errors

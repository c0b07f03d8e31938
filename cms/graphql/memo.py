"""What is worked out once per operation text and variables (its cost, the executor's prepared
fields), kept with the text's parsed document in :class:`cms.graphql.checks.Operations`.

Kept there, it is weighed in that cache's budget and goes when the document goes: a cache of
its own, keyed by the document's ``id``, would have to hold the document to stay correct, and
so would keep alive documents the parser cache had let go.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import orjson
from graphql import OperationDefinitionNode

#: Results kept per text (the most recent ones).
MAX_ENTRIES = 8


#: Variables encoded longer than this are not worth a key: their results are worked out anew.
MAX_KEY_BYTES = 4_096


def declared(operation: OperationDefinitionNode, variables: dict[str, Any]) -> dict[str, Any]:
    """The values of the variables ``operation`` declares: others a caller sends change
    nothing it does, so they must not make a key of their own (or weigh in one)."""
    return {
        name: variables[name]
        for definition in operation.variable_definitions or ()
        if (name := definition.variable.name.value) in variables
    }


def variables_key(variables: dict[str, Any]) -> bytes | None:
    """A short key for these variables (a digest of their sorted JSON), or None when they
    cannot be encoded or are too long to be worth keeping results for."""
    try:
        encoded = orjson.dumps(variables, option=orjson.OPT_SORT_KEYS, default=repr)
    except TypeError:
        return None
    if len(encoded) > MAX_KEY_BYTES:
        return None
    return hashlib.blake2b(encoded, digest_size=16).digest()


class Memo:
    """Results per key for one operation text; ``grow`` tells the owning cache its weight
    changed by so many bytes. ``weight`` is what the text's syntax tree was weighed at: what is
    worked out from the tree (prepared operations) weighs about as much again."""

    __slots__ = ("_entries", "_grow", "weight")

    def __init__(self, weight: int, grow: Callable[[int], None]) -> None:
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._grow = grow
        self.weight = weight

    def get(self, key: Hashable) -> Any:
        found = self._entries.get(key)
        return None if found is None else found[0]

    def put(self, key: Hashable, value: Any, size: int) -> None:
        change = size
        old = self._entries.pop(key, None)
        if old is not None:
            change -= old[1]
        self._entries[key] = (value, size)
        while len(self._entries) > MAX_ENTRIES:
            change -= self._entries.popitem(last=False)[1][1]
        self._grow(change)

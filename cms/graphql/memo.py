"""What is worked out once per operation text and variables (its cost, the executor's prepared
fields), kept with the text's parsed document in :class:`cms.graphql.checks.Operations`.

Kept there, it is weighed in that cache's budget and goes when the document goes: a cache of
its own, keyed by the document's ``id``, would have to hold the document to stay correct, and
so would keep alive documents the parser cache had let go.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

#: Variables seen per text whose results are kept (the most recent ones).
MAX_ENTRIES = 16


class Memo:
    """Results per key for one operation text; ``grow`` tells the owning cache its weight
    changed by so many bytes."""

    __slots__ = ("_entries", "_grow")

    def __init__(self, grow: Callable[[int], None]) -> None:
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._grow = grow

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

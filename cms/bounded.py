"""A cache bounded in bytes that a flood of one-off keys cannot empty of its hot entries.

Every per-process cache of cms (parsed operations, persisted queries, kept counts and
rankings, rendered bodies, responses) is one of these. Entries are weighed in (estimated)
bytes when stored; an entry heavier than ``max_entry_bytes`` is not kept at all. The cache is a
segmented LRU: a new entry starts on probation, and moves to the protected segment (most of
the budget) the second time it is asked for, by another caller than the one that stored it (a
request may look its own text up more than once). Room is made on probation first, so a
stream of texts seen once (a flood, or a scan) only ever evicts other texts seen once, while
what callers ask for again and again stays. (A flood that sends every text twice, from two
requests, does reach the protected segment and can push hot entries out of it there; a
frequency filter on admission would close that. Memory stays within the budget either way.)
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    def __init__(
        self,
        max_bytes: int,
        *,
        max_entry_bytes: int | None = None,
        protected_share: float = 0.8,
    ) -> None:
        self.max_bytes = max_bytes
        #: Heaviest entry kept (default: a quarter of the budget).
        self.max_entry_bytes = max_bytes // 4 if max_entry_bytes is None else max_entry_bytes
        self.protected_share = protected_share
        self._probation: OrderedDict[K, tuple[V, int]] = OrderedDict()
        #: Who stored each entry on probation (see :meth:`get`).
        self._stored_by: dict[K, object] = {}
        self._protected: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._probation_bytes = 0
        self._protected_bytes = 0

    @property
    def bytes(self) -> int:
        """What the entries kept weigh together."""
        return self._probation_bytes + self._protected_bytes

    def __len__(self) -> int:
        return len(self._probation) + len(self._protected)

    def __contains__(self, key: K) -> bool:
        return key in self._protected or key in self._probation

    def get(self, key: K, caller: object = None) -> V | None:
        """The value under ``key``; an entry on probation is protected from now on, unless
        ``caller`` (say, a request id) is the one that stored it."""
        found = self._protected.get(key)
        if found is not None:
            self._protected.move_to_end(key)
            return found[0]
        if caller is not None and self._stored_by.get(key) == caller:
            found = self._probation.get(key)
            return None if found is None else found[0]
        found = self._probation.pop(key, None)
        if found is None:
            return None
        self._stored_by.pop(key, None)
        self._probation_bytes -= found[1]
        self._protected[key] = found  # asked for again: worth protecting
        self._protected_bytes += found[1]
        room = int(self.max_bytes * self.protected_share)
        while self._protected_bytes > room and len(self._protected) > 1:
            old_key, old = self._protected.popitem(last=False)
            self._protected_bytes -= old[1]
            self._probation[old_key] = old  # back on probation, newest there
            self._probation_bytes += old[1]
        self._shrink()
        return found[0]

    def values(self) -> list[V]:
        """What is kept, least recently used first (protected entries last)."""
        return [value for value, _ in (*self._probation.values(), *self._protected.values())]

    def peek(self, key: K) -> V | None:
        """The value kept under ``key``, without counting it as asked for."""
        found = self._protected.get(key) or self._probation.get(key)
        return None if found is None else found[0]

    def put(self, key: K, value: V, size: int, caller: object = None) -> bool:
        """Keep ``value`` (weighing ``size`` bytes) on probation, stored by ``caller``; False
        when it is too heavy to keep."""
        self.pop(key)
        if size > self.max_entry_bytes or size > self.max_bytes:
            return False
        self._probation[key] = (value, size)
        self._probation_bytes += size
        if caller is not None:
            self._stored_by[key] = caller
        self._shrink()
        return True

    def grow(self, key: K, change: int) -> None:
        """``key``'s entry now weighs ``change`` bytes more (or less); room is made, and an
        entry grown heavier than ``max_entry_bytes`` goes."""
        for segment in (self._probation, self._protected):
            found = segment.get(key)
            if found is not None:
                if found[1] + change > self.max_entry_bytes:
                    self.pop(key)
                    return
                segment[key] = (found[0], found[1] + change)
                if segment is self._probation:
                    self._probation_bytes += change
                else:
                    self._protected_bytes += change
                self._shrink()
                return

    def pop(self, key: K) -> V | None:
        for segment in (self._probation, self._protected):
            found = segment.pop(key, None)
            if found is not None:
                if segment is self._probation:
                    self._stored_by.pop(key, None)
                    self._probation_bytes -= found[1]
                else:
                    self._protected_bytes -= found[1]
                return found[0]
        return None

    def resize(self, max_bytes: int) -> None:
        """A new budget (what was kept is dropped); the heaviest entry kept is a quarter."""
        self.max_bytes = max_bytes
        self.max_entry_bytes = max_bytes // 4
        self.clear()

    def clear(self) -> None:
        self._stored_by.clear()
        self._probation.clear()
        self._protected.clear()
        self._probation_bytes = self._protected_bytes = 0

    def _shrink(self) -> None:
        while self.bytes > self.max_bytes:
            if self._probation:
                old_key, old = self._probation.popitem(last=False)
                self._stored_by.pop(old_key, None)
                self._probation_bytes -= old[1]
            else:
                _, old = self._protected.popitem(last=False)
                self._protected_bytes -= old[1]

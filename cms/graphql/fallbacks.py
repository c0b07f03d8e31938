"""Queries the fast executor (:mod:`cms.graphql.execution`) handed back to graphql-core: counted
per schema, in total and by reason, and logged at WARNING once per operation text.

A hand-back is how the fast path stays correct (graphql-core answers whatever it does not
handle), but each one runs the operation twice, and a surge of them after an upgrade of
graphql-core or Strawberry is the sign that the fast path no longer fits their internals
(reason ``internal``): the count is what the ``cms_fast_path_fallbacks_total`` metric reads.
Texts already logged are remembered by digest within a small byte budget, so a flood of
distinct failing texts cannot grow memory (a text forgotten is logged again when it returns).
"""

from __future__ import annotations

import hashlib
import logging

from cms.bounded import BoundedCache

logger = logging.getLogger("cms.graphql.execution")

#: A resolver raised or returned an error, or an argument was refused: a field error.
FIELD_ERROR = "field_error"
#: A non-null field resolved to null.
NULL = "null"
#: A value graphql-core must check and report (a leaf it cannot serialize, a list that is not
#: one, an object of the wrong type).
VALUE = "value"
#: A selection or a value the fast path leaves to graphql-core (an introspection field below
#: the root, an awaitable inside a list, ...).
UNSUPPORTED = "unsupported"
#: Anything else the fast path's own code raised: a bug, or a library that changed under it.
INTERNAL = "internal"

REASONS = (FIELD_ERROR, NULL, VALUE, UNSUPPORTED, INTERNAL)

#: What remembering that one text was logged costs, in bytes (digest, entry, bookkeeping).
_SEEN_WEIGHT = 200
#: The budget for those: a few thousand texts.
SEEN_BYTES = 1024 * 1024

#: How much of a text a log line quotes.
_QUOTED = 300


class Fallbacks:
    """The hand-backs of one schema."""

    __slots__ = ("_seen", "count", "reasons")

    def __init__(self, seen_bytes: int = SEEN_BYTES) -> None:
        #: Hand-backs so far.
        self.count = 0
        #: Hand-backs so far by reason (one of :data:`REASONS`).
        self.reasons: dict[str, int] = dict.fromkeys(REASONS, 0)
        self._seen: BoundedCache[bytes, bool] = BoundedCache(seen_bytes)

    def record(self, text: str, name: str | None, reason: str, error: BaseException) -> None:
        """Count one hand-back of the operation ``name`` of ``text``, and log it if this text
        was not logged before."""
        self.count += 1
        self.reasons[reason] = self.reasons.get(reason, 0) + 1
        digest = hashlib.blake2b(text.encode(errors="surrogatepass"), digest_size=16).digest()
        if digest in self._seen:
            return
        self._seen.put(digest, True, _SEEN_WEIGHT)
        quoted = text if len(text) <= _QUOTED else text[:_QUOTED] + "..."
        logger.warning(
            "query %s runs in graphql-core, not the fast executor (%s: %s); logged once per "
            "operation text: %s",
            name or "(unnamed)",
            reason,
            _describe(error),
            " ".join(quoted.split()),
        )


def _describe(error: BaseException) -> str:
    """The error, and what caused it (a Fallback says where; its cause says why)."""
    cause = error.__cause__
    described = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    if cause is None:
        return described
    return f"{described}, from {type(cause).__name__}: {cause}"

"""Persisted queries: Apollo's automatic persisted queries (APQ) and an allow-list mode.

APQ: a client sends ``extensions.persistedQuery.sha256Hash`` without the query; an unknown hash
answers ``PERSISTED_QUERY_NOT_FOUND`` and the client sends both once, after which the hash alone
works (over GET too, so CDNs can cache). The registry is per process and bounded in bytes
(``CMS_PERSISTED_QUERIES_BYTES``), and it registers a text only once it parsed and validated:
a replica that has not seen a hash, or has let it go, asks for the query again, which the
protocol expects.

Allow-list: only registered operations run (those of ``schema/operations/``, or the JSON file
``CMS_PERSISTED_QUERIES_FILE``), sent by text or by hash.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cms.bounded import BoundedCache
from cms.bundled import operations
from cms.graphql.checks import query_too_large
from cms.settings import Settings

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class PersistedQueryError(Exception):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def sha256(text: str) -> str:
    # A lone surrogate (a JSON "\\udfff" in a comment, say) hashes as its UTF-8-like bytes:
    # the text itself is then refused by the parser, or matches nothing.
    return hashlib.sha256(text.encode(errors="surrogatepass")).hexdigest()


def registered_operations(settings: Settings) -> dict[str, str]:
    """The allow-list: operation texts by their SHA-256."""
    if settings.persisted_queries_file:
        data: Any = json.loads(Path(settings.persisted_queries_file).read_text(encoding="utf-8"))
        texts = list(data.values()) if isinstance(data, dict) else list(data)
    else:
        texts = list(operations().values())
    return {sha256(text): text for text in texts}


class PersistedQueries:
    """``valid`` says whether a text parses and validates: only those are registered."""

    def __init__(self, settings: Settings, valid: Callable[[str], bool]) -> None:
        self.mode = settings.persisted_queries
        self.registered = registered_operations(settings) if self.mode != "off" else {}
        self.valid = valid
        self.max_query_bytes = settings.max_query_bytes
        self.cache: BoundedCache[str, str] = BoundedCache(settings.persisted_queries_bytes)

    def _remember(self, digest: str, query: str) -> None:
        if digest not in self.cache and self.valid(query):
            self.cache.put(digest, query, 256 + len(query.encode(errors="surrogatepass")))

    def resolve(self, query: str | None, extensions: dict[str, Any] | None) -> str | None:
        """The query to run for this request, or :class:`PersistedQueryError`."""
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            if (
                self.mode == "allowlist"
                and query is not None
                and sha256(query) not in self.registered
            ):
                raise PersistedQueryError(
                    "only registered operations may run on this server", "OPERATION_NOT_ALLOWED"
                )
            return query
        if self.mode == "off":
            raise PersistedQueryError(
                "persisted queries are turned off", "PERSISTED_QUERY_NOT_SUPPORTED"
            )
        if (
            not isinstance(persisted, dict)
            or persisted.get("version") != 1
            or not isinstance(persisted.get("sha256Hash"), str)
            or not _SHA256.match(persisted["sha256Hash"])
        ):
            raise PersistedQueryError(
                "extensions.persistedQuery must be {version: 1, sha256Hash: <64 hex digits>}",
                "BAD_REQUEST",
            )
        digest = persisted["sha256Hash"]
        if query is not None:
            if query_too_large(query, self.max_query_bytes) is not None:
                return query  # not worth hashing: parsing refuses it at once
            if sha256(query) != digest:
                raise PersistedQueryError("provided sha does not match query", "BAD_REQUEST")
            if self.mode == "allowlist" and digest not in self.registered:
                raise PersistedQueryError(
                    "only registered operations may run on this server", "OPERATION_NOT_ALLOWED"
                )
            if digest not in self.registered:
                self._remember(digest, query)
            return query
        known = self.registered.get(digest) or self.cache.get(digest)
        if known is None:
            raise PersistedQueryError("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
        return known

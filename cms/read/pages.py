"""Paging: validating first/last/after/before/offset into a window, and opaque cursors.

A cursor is the sort-key values of a row (plus the ordering's name, so that a cursor from one
ordering is refused by another), JSON-encoded and base64url-wrapped. Keyset paging on those
values stays correct while rows are added or removed, unlike offsets.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import orjson

from cms.settings import Settings

R = TypeVar("R")


class UserInputError(ValueError):
    """A request argument that cannot be honoured; the message says why and what to do."""


@dataclass(frozen=True)
class Window:
    """What to fetch: ``limit`` rows (plus one to learn whether more exist), after
    ``cursor`` (key values) in the ordering, reversed when ``backward``, skipping ``offset``."""

    limit: int
    backward: bool = False
    cursor: tuple[Any, ...] | None = None
    offset: int = 0


@dataclass
class Page(Generic[R]):
    rows: list[R]
    cursors: list[str]
    has_next: bool
    has_previous: bool


def encode_cursor(ordering: str, values: tuple[Any, ...]) -> str:
    plain = [ordering, *(v.isoformat() if isinstance(v, datetime) else v for v in values)]
    try:
        raw = orjson.dumps(plain)
    except TypeError:  # an integer beyond 64 bits (never a real key; tests forge such cursors)
        raw = json.dumps(plain, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(ordering: str, cursor: str, argument: str) -> tuple[Any, ...]:
    """Key values from ``cursor``; :class:`UserInputError` if it is not one of this ordering's."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        plain = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise UserInputError(f"`{argument}` is not a valid cursor") from None
    if not isinstance(plain, list) or not plain or plain[0] != ordering:
        raise UserInputError(
            f"`{argument}` is a cursor from another list or ordering; "
            "use a cursor from this connection's edges or pageInfo"
        )
    values = tuple(plain[1:])
    if not all(_plain_value(value) for value in values):
        raise UserInputError(f"`{argument}` is not a valid cursor")
    return values


def _plain_value(value: Any) -> bool:
    """What our cursors hold: text, null, or a whole number a database column can store."""
    if value is None or isinstance(value, str):
        return True
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63


def page_size(first: int | None, settings: Settings) -> int:
    """How many items a forward page holds: ``first``, checked as every connection checks it
    (the default when not given, an error beyond the cap)."""
    _size("first", first, settings)
    return settings.default_page_size if first is None else first


def _size(name: str, value: int | None, settings: Settings) -> None:
    if value is None:
        return
    if value < 0:
        raise UserInputError(f"`{name}` must not be negative (got {value})")
    if value > settings.max_page_size:
        raise UserInputError(
            f"`{name}` must be at most {settings.max_page_size} (got {value}); "
            "fetch more pages with cursors instead"
        )


def window(
    settings: Settings,
    ordering: str,
    *,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    offset: int | None = None,
) -> Window:
    """Check the paging arguments of a connection field and turn them into a :class:`Window`."""
    _size("first", first, settings)
    _size("last", last, settings)
    if first is not None and last is not None:
        raise UserInputError("pass `first` or `last`, not both")
    if after is not None and before is not None:
        raise UserInputError("pass `after` or `before`, not both")
    if first is not None and before is not None:
        raise UserInputError("`before` pages backwards: combine it with `last`, not `first`")
    if last is not None and after is not None:
        raise UserInputError("`after` pages forwards: combine it with `first`, not `last`")
    if offset is not None:
        if offset < 0:
            raise UserInputError(f"`offset` must not be negative (got {offset})")
        if after is not None or before is not None or last is not None:
            raise UserInputError("`offset` cannot be combined with `after`, `before` or `last`")
    if last is not None or before is not None:
        cursor = decode_cursor(ordering, before, "before") if before is not None else None
        size = last if last is not None else settings.default_page_size
        return Window(limit=size, backward=True, cursor=cursor)
    cursor = decode_cursor(ordering, after, "after") if after is not None else None
    size = first if first is not None else settings.default_page_size
    return Window(limit=size, cursor=cursor, offset=offset or 0)

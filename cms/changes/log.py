"""Reading the change log as one caller sees it.

Entries are read by position, which is taken under a lock held until the writing transaction
commits (see :mod:`.record`): an entry that is visible has every smaller position visible
already, so ``position > cursor`` never skips one that commits later. Callers who may preview
see the ``kind``/``slug`` view of every entry; anonymous and ``read`` callers the
``public_kind``/``public_slug`` view, which is NULL for what they could not see before or after.
Reads go to the primary: a replica's copy may lag behind what a subscriber was just told.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cms.models import ChangeKind, ContentType
from cms.read.sql import as_datetime, fetch, fetch_value, placeholders

_PREFIX = "change:"
_POSITION = re.compile(r"[0-9]{1,19}")


def encode_cursor(position: int) -> str:
    """The opaque cursor of a position (0: before the first entry)."""
    return base64.b64encode(f"{_PREFIX}{position}".encode()).decode()


def decode_cursor(text: str) -> int | None:
    """The position a cursor stands for; None when it is not one of ours."""
    try:
        raw = base64.b64decode(text.encode(), validate=True).decode()
    except (binascii.Error, UnicodeError, ValueError):
        return None
    if not raw.startswith(_PREFIX) or not _POSITION.fullmatch(number := raw[len(_PREFIX) :]):
        return None
    return int(number)


class CursorExpired(Exception):
    """The cursor is older than what the log keeps: read the content again, then follow the
    log from its head."""

    def __init__(self, position: int, pruned_through: int) -> None:
        super().__init__(
            "the change log no longer keeps entries this far back: read the content again "
            "and continue from changesHead"
        )
        self.position = position
        self.pruned_through = pruned_through


@dataclass(frozen=True, slots=True)
class Change:
    """One entry of the log as one caller sees it."""

    position: int
    kind: ChangeKind
    type: ContentType
    #: The article's or tag's primary key.
    content_id: int
    slug: str
    at: datetime
    #: The Cache-Tag keys of the responses this change makes stale.
    cache_tags: tuple[str, ...]
    #: Slugs of the tags involved (an article's before and after, a tag's own).
    tags: tuple[str, ...]

    @property
    def cursor(self) -> str:
        return encode_cursor(self.position)


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = json.loads(value)
    return tuple(value or ())


def _change(row: Any) -> Change:
    position, kind, type_, content_id, slug, at, cache_tags, tags = row
    return Change(
        position=int(position),
        kind=ChangeKind(kind),
        type=ContentType(type_),
        content_id=int(content_id),
        slug=slug,
        at=as_datetime(at),  # type: ignore[arg-type]
        cache_tags=_strings(cache_tags),
        tags=_strings(tags),
    )


async def pruned_through() -> int:
    """The newest position retention has deleted (0: nothing yet)."""
    value = await fetch_value(
        "SELECT pruned_through FROM change_log_state WHERE id = 1", primary=True
    )
    return int(value or 0)


async def head() -> int:
    """The newest position now (0 when nothing was ever logged)."""
    value = await fetch_value("SELECT MAX(position) FROM change_entry", primary=True)
    return int(value) if value is not None else await pruned_through()


#: Entries read per statement while a ``tags`` filter skips some.
_BATCH = 200


async def changes_after(
    position: int,
    *,
    first: int,
    preview: bool,
    types: Collection[ContentType] | None = None,
    tags: Collection[str] | None = None,
) -> tuple[list[Change], bool]:
    """Up to ``first`` entries after ``position``, oldest first, as the caller sees them, and
    whether more follow. ``types`` and ``tags`` (any of these tag slugs involved) filter.
    Raises :class:`CursorExpired` when ``position`` is older than the log keeps."""
    kind, slug = ("kind", "slug") if preview else ("public_kind", "public_slug")
    where = ["position > ?", f"{kind} IS NOT NULL"]
    params: list[Any] = []
    if types is not None:
        wanted = sorted({ContentType(t).value for t in types})
        if not wanted:
            return [], False
        where.append(f"type IN ({placeholders(len(wanted))})")
        params.extend(wanted)
    sql = (
        f"SELECT position, {kind}, type, content_id, {slug}, at, cache_tags, tags"
        f" FROM change_entry WHERE {' AND '.join(where)} ORDER BY position LIMIT ?"
    )
    wanted_tags = None if tags is None else set(tags)
    found: list[Change] = []
    after = position
    more = False
    while True:
        limit = first + 1 if wanted_tags is None else _BATCH
        rows = await fetch(sql, [after, *params, limit], quick=False, primary=True)
        for row in rows:
            change = _change(row)
            after = change.position
            if wanted_tags is not None and wanted_tags.isdisjoint(change.tags):
                continue
            if len(found) == first:
                more = True
                break
            found.append(change)
        if more or len(rows) < limit:
            break
    # Read after the entries: a pruning that committed meanwhile is seen here.
    pruned = await pruned_through()
    if position < pruned:
        raise CursorExpired(position, pruned)
    return found, more

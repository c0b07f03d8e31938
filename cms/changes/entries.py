"""The change log's new rows, and how they are inserted: at the end of the log, inside the
writing transaction, in commit order.

Positions are taken in commit order: on PostgreSQL under a transaction-level advisory lock
taken just before the entries are inserted and held until commit, so a transaction that
commits later can never hold a smaller position (readers never see a gap fill in); SQLite runs
one write transaction at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeAlias

import orjson
from tortoise import connections

from cms.models import ChangeKind, ContentType

#: The advisory lock that orders positions (PostgreSQL): "cms_log" in ASCII.
LOG_LOCK = 0x636D735F6C6F67
#: How many entries go into one INSERT.
INSERT_CHUNK = 500


#: A new entry of the change log: the values of one row of ``change_entry`` (see
#: :class:`cms.models.ChangeEntry`) in :data:`_COLUMNS` order; the database gives its position.
Entry: TypeAlias = tuple[Any, ...]
_COLUMNS = "type, content_id, at, kind, slug, public_kind, public_slug, cache_tags, tags"


def _json(values: Iterable[str]) -> str:
    return orjson.dumps(list(dict.fromkeys(values))).decode()


@dataclass
class Entries:
    """The entries one write appends, in order (an entry nobody can see is left out)."""

    rows: list[Entry] = field(default_factory=list)

    def add(
        self,
        type_: ContentType,
        pk: int,
        at: datetime,
        kind: ChangeKind | None,
        slug: str,
        public_kind: ChangeKind | None,
        public_slug: str | None,
        cache_tags: Iterable[str] = (),
        tags: Iterable[str] = (),
    ) -> None:
        if kind is None and public_kind is None:
            return
        self.rows.append(
            (
                type_.value,
                pk,
                at.astimezone(UTC),
                None if kind is None else kind.value,
                slug,
                None if public_kind is None else public_kind.value,
                public_slug,
                _json(cache_tags if public_kind else ()),
                _json(tags),
            )
        )


def on_postgres() -> bool:
    return str(connections.get("default").capabilities.dialect) == "postgres"


def _numbered(sql: str) -> str:
    """``?`` placeholders as PostgreSQL's ``$1, $2, ...``."""
    counter = iter(range(1, 100_000))
    return "".join(f"${next(counter)}" if char == "?" else char for char in sql)


async def execute(sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Run one writing statement on the primary (in the current transaction, if any), with
    ``?`` placeholders; the rows its ``RETURNING`` clause gives, as dicts."""
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        sql = _numbered(sql)
    values = [value.astimezone(UTC) if isinstance(value, datetime) else value for value in params]
    return list(await connection.execute_query_dict(sql, values))


async def append(entries: Sequence[Entry]) -> None:
    """Insert ``entries`` at the end of the log, in this order (call inside the write's
    transaction, as its last statements). One INSERT for one entry, else ``executemany``."""
    if not entries:
        return
    connection = connections.get("default")
    sql = f"INSERT INTO change_entry ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    if on_postgres():
        await execute("SELECT pg_advisory_xact_lock(?)", [LOG_LOCK])
        sql = _numbered(sql)
    if len(entries) == 1:
        await connection.execute_query(sql, list(entries[0]))
        return
    for start in range(0, len(entries), INSERT_CHUNK):
        await connection.execute_many(
            sql, [list(row) for row in entries[start : start + INSERT_CHUNK]]
        )

"""The scheduler: the change-log entry of each scheduled publication when its time comes, and
the log's retention.

Every app process runs :func:`run_scheduler` (unless ``CMS_SCHEDULER=false``); one at a time
does the work. A tick first looks, without a transaction, for a publication that is due; only
then does it open one, take PostgreSQL's scheduler lock (``pg_try_advisory_xact_lock``: the
other replicas skip that tick) and delete the due rows with ``RETURNING``, so that a row is
announced by the one transaction that deleted it, however many processes (or SQLite
processes, which write one at a time) try. The rows are the state: a process that was down when
a publication came due announces it on its first tick after starting (the entry's ``at`` is the
publication time all the same).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from datetime import datetime, timedelta
from time import monotonic

from tortoise.transactions import in_transaction

from cms.changes import record
from cms.changes.entries import Entry, append, execute, on_postgres
from cms.changes.record import ArticleChange
from cms.models import ArticleStatus
from cms.read.sql import as_datetime, fetch, fetch_value, placeholders
from cms.settings import Settings
from cms.timeutil import utcnow
from cms.write.stored import load_articles

logger = logging.getLogger("cms.scheduler")

#: PostgreSQL's lock for the scheduler's transaction: "cms_sch" in ASCII.
SCHEDULER_LOCK = 0x636D735F736368
#: Publications announced per transaction.
BATCH = 500
#: Seconds between two prunings of the log by one process.
PRUNE_EVERY = 300.0


async def _due(now: datetime) -> bool:
    found = await fetch_value(
        "SELECT 1 FROM scheduled_publication WHERE published_at <= ? LIMIT 1",
        [now],
        primary=True,
    )
    return found is not None


async def publish_due(now: datetime | None = None) -> int:
    """Append the entries of the publications due at ``now`` (at most :data:`BATCH`); how
    many were announced (0 also when another process holds the scheduler's lock)."""
    now = now or utcnow()
    if not await _due(now):
        return 0
    async with in_transaction("default"):
        if on_postgres() and not await fetch_value(
            "SELECT pg_try_advisory_xact_lock(?)", [SCHEDULER_LOCK], primary=True
        ):
            return 0
        rows = await fetch(
            "SELECT id FROM scheduled_publication WHERE published_at <= ?"
            " ORDER BY published_at, id LIMIT ?",
            [now, BATCH],
            quick=False,
            primary=True,
        )
        if not rows:
            return 0
        ids = [int(row[0]) for row in rows]
        deleted = await execute(
            f"DELETE FROM scheduled_publication WHERE id IN ({placeholders(len(ids))})"
            " RETURNING article_id, published_at",
            ids,
        )
        due = {int(row["article_id"]): as_datetime(row["published_at"]) for row in deleted}
        entries = await _entries(due)
        await append(entries)
    return len(entries)


async def _entries(due: dict[int, datetime | None]) -> list[Entry]:
    """The PUBLISHED entries of the articles still published at the time they were due."""
    if not due:
        return []
    found = await fetch(
        f"SELECT slug FROM article WHERE id IN ({placeholders(len(due))})",
        list(due),
        quick=False,
        primary=True,
    )
    stored = await load_articles(row[0] for row in found)
    by_time: dict[datetime, list[ArticleChange]] = defaultdict(list)
    for article in sorted(stored.values(), key=lambda a: a.id):
        state, when = article.state, due[article.id]
        if when is None or state.status is not ArticleStatus.PUBLISHED:
            continue
        if state.published_at != when:
            continue  # rescheduled since: its own row stands for the new time
        by_time[when].append(ArticleChange(article.id, state, state, was_visible=False))
    entries: list[Entry] = []
    for when in sorted(by_time):
        entries += await record.article_entries(by_time[when], when)
    return entries


async def prune(retention_days: float, now: datetime | None = None) -> int:
    """Delete the entries older than the retention (by the time they took effect, up to the
    first entry that is not), and note how far: a cursor before that is expired. How many
    entries went."""
    now = now or utcnow()
    cutoff = now - timedelta(days=retention_days)
    oldest = await fetch_value("SELECT MIN(at) FROM change_entry", primary=True)
    if oldest is None or as_datetime(oldest) >= cutoff:  # type: ignore[operator]
        return 0
    async with in_transaction("default"):
        if on_postgres() and not await fetch_value(
            "SELECT pg_try_advisory_xact_lock(?)", [SCHEDULER_LOCK], primary=True
        ):
            return 0
        first_kept = await fetch_value(
            "SELECT MIN(position) FROM change_entry WHERE at >= ?", [cutoff], primary=True
        )
        if first_kept is None:
            through = await fetch_value("SELECT MAX(position) FROM change_entry", primary=True)
        else:
            through = int(first_kept) - 1
        if through is None:
            return 0
        deleted = await execute(
            "DELETE FROM change_entry WHERE position <= ? RETURNING position", [int(through)]
        )
        await execute(
            "UPDATE change_log_state SET pruned_through = ? WHERE id = 1 AND pruned_through < ?",
            [int(through), int(through)],
        )
    return len(deleted)


async def tick(settings: Settings, *, prune_now: bool = False) -> int:
    """One round: every due publication, and the retention when ``prune_now``."""
    announced = 0
    while (count := await publish_due()) > 0:
        announced += count
        if count < BATCH:
            break
    if prune_now:
        await prune(settings.changes_retention_days)
    return announced


async def run_scheduler(settings: Settings) -> None:
    """Announce due publications every ``scheduler_interval_seconds`` and prune the log every
    few minutes, until cancelled. A round that fails (the database is away) is logged once,
    and the next rounds try again."""
    next_prune = monotonic()
    failing = False
    while True:
        try:
            prune_now = monotonic() >= next_prune
            await tick(settings, prune_now=prune_now)
            if prune_now:
                next_prune = monotonic() + PRUNE_EVERY
        except asyncio.CancelledError:
            raise
        except Exception:
            if not failing:  # once per outage, not once a second
                logger.exception("the scheduler cannot run; it tries again every round")
            failing = True
        else:
            if failing:
                logger.info("the scheduler runs again")
            failing = False
        await asyncio.sleep(settings.scheduler_interval_seconds)

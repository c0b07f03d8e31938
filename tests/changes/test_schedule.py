"""Scheduled publications get their entry when due, exactly once, also after a restart that
missed it; the log's retention expires old cursors; concurrent writers never make a reader
skip an entry (issue 15)."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import httpx
import pytest

from cms.app import ContentService
from cms.auth import create_token
from cms.changes.log import CursorExpired, changes_after, head, pruned_through
from cms.models import Article, ChangeEntry, ScheduledPublication, TokenScope
from cms.settings import Settings
from cms.timeutil import utcnow
from cms.write.schedule import prune, publish_due
from tests.changes.test_record import PUBLISH, UPDATE, _create, _seen, _write
from tests.graphql.conftest import GraphQLClient


async def test_a_due_publication_is_announced_once_at_its_time(writer: GraphQLClient) -> None:
    when = utcnow() + timedelta(hours=1)
    _gid, pk = await _create(
        writer, title="Later", tags=["Peru"], status="PUBLISHED", publishedAt=when.isoformat()
    )
    start = await head()
    assert await publish_due(utcnow()) == 0  # not yet
    # Its time has come: two schedulers at once (two replicas) announce it once.
    counts = await asyncio.gather(
        publish_due(when + timedelta(seconds=1)), publish_due(when + timedelta(seconds=1))
    )
    assert sorted(counts)[-1] >= 1
    assert await _seen(start, preview=False) == [
        ("ARTICLE", "PUBLISHED", "later"),
        ("TAG", "PUBLISHED", "peru"),
    ]
    found, _ = await changes_after(start, first=10, preview=False)
    assert found[0].at == when
    assert found[0].content_id == pk
    assert not await ScheduledPublication.filter(article_id=pk).exists()
    assert await publish_due(when + timedelta(seconds=2)) == 0
    # Preview callers were told at the write; the due time is an update of what they saw.
    assert await _seen(start, preview=True) == [("ARTICLE", "UPDATED", "later")]


async def test_a_publication_rescheduled_before_its_time_is_announced_at_the_new_one(
    writer: GraphQLClient,
) -> None:
    when = utcnow() + timedelta(hours=1)
    gid, _pk = await _create(
        writer, title="Moved", status="PUBLISHED", publishedAt=when.isoformat()
    )
    later = when + timedelta(hours=1)
    await _write(writer, PUBLISH, {"id": gid, "publishedAt": later.isoformat()})
    start = await head()
    assert await publish_due(when + timedelta(seconds=1)) == 0
    assert await publish_due(later + timedelta(seconds=1)) == 1
    (change,) = (await changes_after(start, first=10, preview=False))[0]
    assert change.at == later


async def test_a_write_after_the_time_but_before_the_scheduler_announces_it(
    writer: GraphQLClient,
) -> None:
    """The scheduler has not run (a restart): the write itself says PUBLISHED, and the
    scheduler has nothing left to say."""
    gid, pk = await _create(writer, title="Overdue", status="PUBLISHED")
    past = utcnow() - timedelta(minutes=5)
    # As if it had been scheduled for five minutes ago and the scheduler had been down since.
    await ChangeEntry.all().delete()
    await ScheduledPublication.create(article_id=pk, published_at=past)
    await Article.filter(id=pk).update(published_at=past, updated_at=past - timedelta(hours=1))
    await _write(writer, UPDATE, {"id": gid, "title": "Overdue, edited"})
    assert await _seen(0, preview=False) == [("ARTICLE", "PUBLISHED", "overdue")]
    assert await publish_due() == 0


async def test_the_scheduler_runs_in_the_app_and_catches_up_after_a_restart(
    db_settings: Settings,
) -> None:
    settings = dataclasses.replace(db_settings, scheduler=False)
    when = utcnow() + timedelta(seconds=1)
    down = ContentService(settings)
    async with down.lifespan():  # a process without a scheduler: the time passes unannounced
        _, token = await create_token("w", TokenScope.WRITE)
        transport = httpx.ASGITransport(app=down.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            writer = GraphQLClient(http, {"Authorization": f"Bearer {token}"}, down)
            await _create(writer, title="Timed", status="PUBLISHED", publishedAt=when.isoformat())
        start = await head()
    up = ContentService(
        dataclasses.replace(settings, scheduler=True, scheduler_interval_seconds=0.05)
    )
    async with up.lifespan():
        deadline = asyncio.get_running_loop().time() + 10
        while await _seen(start, preview=False) != [("ARTICLE", "PUBLISHED", "timed")]:
            assert asyncio.get_running_loop().time() < deadline, "never announced"
            await asyncio.sleep(0.05)
        announced = utcnow()
    assert announced - when < timedelta(seconds=5)


async def test_retention_expires_old_cursors(writer: GraphQLClient) -> None:
    await _create(writer, title="Old one")
    await _create(writer, title="Old two")
    await _create(writer, title="New")
    entries = await ChangeEntry.all().order_by("position")
    old = utcnow() - timedelta(days=40)
    await ChangeEntry.filter(position__in=[e.position for e in entries[:2]]).update(at=old)
    assert await prune(30) == 2
    assert await pruned_through() == entries[1].position
    with pytest.raises(CursorExpired):
        await changes_after(0, first=10, preview=True)
    with pytest.raises(CursorExpired):
        await changes_after(entries[0].position, first=10, preview=True)
    found, _ = await changes_after(entries[1].position, first=10, preview=True)
    assert [c.slug for c in found] == ["new"]
    assert await prune(30) == 0
    # Everything old: the log is empty, its head stays where it was.
    await ChangeEntry.all().update(at=old)
    assert await prune(30) == 1
    assert await head() == entries[2].position


async def test_concurrent_writers_never_make_a_reader_skip(writer: GraphQLClient) -> None:
    """Many writers at once (on PostgreSQL, each in a transaction of its own connection) and a
    reader following the log: what it read, in order, is the whole log."""
    ids = [(await _create(writer, title=f"Racer {n}"))[0] for n in range(8)]
    start = await head()
    done = asyncio.Event()
    read: list[int] = []

    async def follow() -> None:
        after = start
        while True:
            finished = done.is_set()
            found, _ = await changes_after(after, first=100, preview=True)
            read.extend(c.position for c in found)
            after = found[-1].position if found else after
            if finished and not found:
                return
            await asyncio.sleep(0)

    async def edit(gid: str, rounds: int) -> None:
        for n in range(rounds):
            await _write(writer, UPDATE, {"id": gid, "body": f"Body {n} of {gid}."})

    reader = asyncio.create_task(follow())
    await asyncio.gather(*(edit(gid, 6) for gid in ids))
    done.set()
    await reader
    logged = [e.position for e in await ChangeEntry.filter(position__gt=start).order_by("position")]
    assert len(logged) == 8 * 6
    assert read == logged

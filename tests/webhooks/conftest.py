"""Fixtures for the webhook tests: a receiver, fast delivery settings, change log entries."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace

import pytest

from cms.changes.keys import ARTICLES, article_key
from cms.models import ChangeEntry, ChangeKind, ContentType, DeliveryStatus, WebhookDelivery
from cms.settings import Settings
from cms.timeutil import utcnow
from cms.webhooks.worker import run_deliveries
from tests.webhooks.receiver import Receiver, receiving


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as made:
        yield made


@pytest.fixture
def settings(database: Settings) -> Settings:
    """The test's open database, with deliveries fast enough to test retries."""
    return fast(database)


def fast(settings: Settings) -> Settings:
    return replace(
        settings,
        webhook_allow_private=True,
        webhook_retry_seconds=0.2,
        webhook_timeout_seconds=1.0,
        webhook_max_attempts=4,
        changes_poll_ms=50,
    )


@asynccontextmanager
async def delivering(settings: Settings, workers: int = 1) -> AsyncIterator[None]:
    """Run ``workers`` delivery loops (as that many processes would) until the block ends."""
    tasks = [asyncio.create_task(run_deliveries(settings)) for _ in range(workers)]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        async with asyncio.timeout(10):  # a loop that does not stop fails the test
            results = await asyncio.gather(*tasks, return_exceptions=True)
        assert all(isinstance(r, asyncio.CancelledError) for r in results), results


async def append(
    content_id: int = 1,
    *,
    public_kind: ChangeKind | None = ChangeKind.PUBLISHED,
    kind: ChangeKind = ChangeKind.PUBLISHED,
    type: ContentType = ContentType.ARTICLE,
    slug: str = "a-slug",
) -> ChangeEntry:
    """A change log entry, as a write appends it (``public_kind=None``: invisible to the
    public, e.g. a draft's edit)."""
    return await ChangeEntry.create(
        type=type,
        content_id=content_id,
        at=utcnow(),
        kind=kind,
        slug=slug,
        public_kind=public_kind,
        public_slug=slug if public_kind else None,
        cache_tags=[article_key(content_id), ARTICLES],
        tags=[],
    )


async def eventually(condition: Callable[[], Awaitable[bool]], within: float = 10) -> None:
    """Wait until ``condition()`` holds (AssertionError after ``within`` seconds)."""
    deadline = time.monotonic() + within
    while not await condition():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        await asyncio.sleep(0.02)


def settled(endpoint_id: int, status: DeliveryStatus) -> Callable[[], Awaitable[bool]]:
    """A condition: the endpoint's only delivery has ``status``."""

    async def check() -> bool:
        return await WebhookDelivery.filter(endpoint_id=endpoint_id, status=status).exists()

    return check

"""Following the change log live: one hub per service wakes that service's subscribers.

A write can commit through any process (another replica, the CLI), so the hub does not wait to
be told: while at least one subscriber follows the log, it reads the log's head every
``changes_poll_ms`` (one statement for all of the process's subscribers, not one each) and
wakes every subscriber when the head moves. A woken subscriber reads the entries after the
last one it delivered (:func:`cms.changes.log.changes_after`), so it neither skips nor repeats
one however the wake-ups fall: a wake-up that comes while it reads is kept for its next wait.

The hub also bounds how many subscribers the process serves (``max_subscribers``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Collection
from dataclasses import dataclass, field

from cms.changes import log
from cms.changes.log import Change
from cms.models import ContentType
from cms.settings import Settings

logger = logging.getLogger("cms.changes.live")


class TooManySubscribers(Exception):
    """The process already serves as many subscribers as the settings allow."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"this server already serves its limit of {limit} live subscriptions: "
            "try again later, or follow `changes(after:)` instead"
        )
        self.limit = limit


class HubClosed(Exception):
    """The service stopped: its subscriptions end."""


@dataclass(eq=False)
class Subscriber:
    """One follower of the log: woken when the head may have moved."""

    woken: asyncio.Event = field(default_factory=asyncio.Event)
    closed: bool = False


class Hub:
    """The live side of one service: its subscribers and the task that polls for them."""

    def __init__(self, settings: Settings) -> None:
        self.poll_seconds = settings.changes_poll_ms / 1000
        self.limit = settings.max_subscribers
        self.page_size = settings.max_page_size
        self._subscribers: set[Subscriber] = set()
        self._poller: asyncio.Task[None] | None = None
        self._closed = False
        #: The head as the poller last read it (None before its first read).
        self.head: int | None = None

    @property
    def subscribers(self) -> int:
        """How many subscriptions the hub serves now."""
        return len(self._subscribers)

    def has_room(self) -> bool:
        return not self._closed and len(self._subscribers) < self.limit

    def join(self) -> Subscriber:
        """A new subscriber; raises :class:`TooManySubscribers` over the limit. Call
        :meth:`leave` when it ends (that frees its place)."""
        if self._closed:
            raise HubClosed
        if len(self._subscribers) >= self.limit:
            raise TooManySubscribers(self.limit)
        subscriber = Subscriber()
        self._subscribers.add(subscriber)
        if self._poller is None or self._poller.done():
            # Created from the subscriber's task: the poller inherits the service's database
            # context (see cms.app._WithDatabase).
            self._poller = asyncio.create_task(self._poll(), name="cms-changes-poll")
        return subscriber

    def leave(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    async def _poll(self) -> None:
        """Read the head while anyone listens; wake everyone when it moves (or when a read
        fails, so subscribers find out for themselves)."""
        seen: int | None = None
        while self._subscribers:
            try:
                head = await log.head()
            except Exception:  # a database hiccup: subscribers read and report it
                logger.warning("reading the change log's head failed", exc_info=True)
                head = None
            if head is None or head != seen:
                seen = self.head = head
                for subscriber in list(self._subscribers):
                    subscriber.woken.set()
            await asyncio.sleep(self.poll_seconds)

    def open(self) -> None:
        """Take subscribers (again: a service's lifespan may be entered more than once)."""
        self._closed = False

    async def close(self) -> None:
        """Stop polling and end every subscription (the service is stopping)."""
        self._closed = True
        for subscriber in list(self._subscribers):
            subscriber.closed = True
            subscriber.woken.set()
        poller, self._poller = self._poller, None
        if poller is not None:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller

    async def follow(
        self,
        after: int,
        *,
        preview: bool,
        types: Collection[ContentType] | None = None,
        tags: Collection[str] | None = None,
    ) -> AsyncGenerator[list[Change], None]:
        """Batches of the entries after position ``after`` as this caller sees them, oldest
        first: first those already logged, then each as it commits; until the consumer stops
        (or the hub closes). Raises :class:`TooManySubscribers` over the limit and
        :class:`cms.changes.log.CursorExpired` for a position the log no longer keeps."""
        subscriber = self.join()
        try:
            last = after
            while not subscriber.closed:
                subscriber.woken.clear()
                # Read before the entries: every entry up to it is visible to the reads below.
                known = self.head
                more = True
                while more:
                    found, more = await log.changes_after(
                        last, first=self.page_size, preview=preview, types=types, tags=tags
                    )
                    if found:
                        last = found[-1].position
                        yield found
                if known is not None and known > last:
                    # Entries up to the head that this caller does not see (or its filters
                    # leave out) were read past: the next read starts after them.
                    last = known
                await subscriber.woken.wait()
        finally:
            self.leave(subscriber)

"""The ``Subscription`` root: ``contentChanged``, the change log live, as the caller sees it.

Served over graphql-transport-ws and GraphQL over Server-Sent Events (:mod:`cms.graphql.streams`).
What can be refused is refused before the stream starts, so that it arrives as the
subscription's error (a malformed or expired ``after``, a full server); the entries then come
from the service's hub (:mod:`cms.changes.live`): those after ``after`` first, then each as it
commits, with no gap and no repeat between the two.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import strawberry
from graphql import GraphQLError

from cms.changes import log
from cms.changes.live import Hub, HubClosed, TooManySubscribers
from cms.changes.log import CursorExpired
from cms.graphql.changes import ContentChange, cursor_expired, position_of
from cms.graphql.context import Context, Info
from cms.models import ContentType
from cms.read.visibility import Viewer
from cms.timeutil import utcnow


def too_many(error: TooManySubscribers) -> GraphQLError:
    return GraphQLError(
        str(error), extensions={"code": "TOO_MANY_SUBSCRIBERS", "limit": error.limit}
    )


def hub_of(info: Info) -> Hub:
    """The hub of the service running this operation (kept on its schema)."""
    hub: Hub = info.schema.live  # type: ignore[attr-defined]
    return hub


async def content_changed(
    info: Info,
    after: str | None = None,
    types: list[ContentType] | None = None,
    tags: list[str] | None = None,
) -> AsyncIterator[ContentChange]:
    hub = hub_of(info)
    preview = info.context.viewer.preview
    position = position_of(after)
    if not hub.has_room():
        raise too_many(TooManySubscribers(hub.limit))
    if position is None:
        position = await log.head()
    else:
        try:  # only to learn whether the log still keeps it
            await log.changes_after(position, first=0, preview=preview)
        except CursorExpired as exc:
            raise cursor_expired(exc) from None
    return _events(hub, info.context, position, preview, types, tags)


async def _events(
    hub: Hub,
    context: Context,
    position: int,
    preview: bool,
    types: list[ContentType] | None,
    tags: list[str] | None,
) -> AsyncGenerator[Any, None]:
    """The entries after ``position``; each batch resolves what it shows as it is now (a
    socket keeps one context for its whole life: its clock and loaders are renewed here)."""
    follow = hub.follow(position, preview=preview, types=types, tags=tags)
    try:
        async with contextlib.aclosing(follow):
            async for batch in follow:
                context.viewer = Viewer(now=utcnow(), preview=preview)
                context.reset_loaders()
                for change in batch:
                    yield change
    except CursorExpired as exc:
        raise cursor_expired(exc) from None
    except TooManySubscribers as exc:
        raise too_many(exc) from None
    except HubClosed:
        return


@strawberry.type
class Subscription:
    content_changed = strawberry.subscription(
        resolver=content_changed,
        description="Changes as they are committed, as the caller sees content; `after` "
        "replays what was missed first.",
    )

"""Fan-out: turning new change log entries into deliveries, per endpoint.

Each endpoint remembers how far into the log it has been fanned out (``position``). Reading on
from there, creating the deliveries its filters take and moving ``position`` happen in one
transaction, which one process at a time runs per endpoint: PostgreSQL skips an endpoint row
another process has locked (``FOR UPDATE SKIP LOCKED``); on SQLite the transaction holds the
write lock from its start. The conditional update of ``position`` is a last guard: a
transaction that finds it moved rolls back. Entries commit in position order (see
:mod:`cms.changes.log`), so nothing is skipped and nothing is fanned out twice.
"""

from __future__ import annotations

import logging
import uuid

from tortoise.transactions import in_transaction

from cms.changes import log
from cms.models import ContentType, WebhookDelivery, WebhookEndpoint
from cms.timeutil import utcnow
from cms.webhooks import events

logger = logging.getLogger("cms.webhooks")

#: Entries read per endpoint per transaction.
BATCH = 100


class _Moved(Exception):
    """Another process fanned the endpoint out meanwhile (rolls the transaction back)."""


def new_message_id() -> str:
    """A ``webhook-id``: ``msg_`` and 128 random bits, kept by every attempt of a delivery."""
    return f"msg_{uuid.uuid4().hex}"


async def fan_out(endpoint_id: int) -> tuple[int, bool]:
    """Fan the endpoint out by up to :data:`BATCH` entries. Returns the deliveries created and
    whether more entries wait (False too when another process holds the endpoint)."""
    try:
        async with in_transaction("default"):
            return await _fan_out(endpoint_id)
    except _Moved:
        return 0, False


async def _fan_out(endpoint_id: int) -> tuple[int, bool]:
    endpoint = (
        await WebhookEndpoint.filter(id=endpoint_id, enabled=True)
        .select_for_update(skip_locked=True)
        .first()
    )
    if endpoint is None:
        return 0, False
    # Read before the entries: every position up to it has committed, so once the read
    # below has nothing more, the endpoint has seen everything up to here.
    head = await log.head()
    types = [ContentType(t) for t in endpoint.types] or None
    try:
        changes, more = await log.changes_after(
            endpoint.position, first=BATCH, preview=False, types=types
        )
    except log.CursorExpired as exc:
        logger.warning(
            "webhook endpoint %s fell behind what the change log keeps: the changes through "
            "position %s were pruned before it was sent them, and are skipped",
            endpoint.id,
            exc.pruned_through,
            extra={"endpoint": endpoint.id, "pruned_through": exc.pruned_through},
        )
        await _move(endpoint, exc.pruned_through)
        return 0, False
    now = utcnow()
    rows = [
        WebhookDelivery(
            endpoint_id=endpoint.id,
            position=change.position,
            message_id=new_message_id(),
            event_type=events.event_type(change),
            payload=events.body(change),
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
        for change in changes
        if events.wanted(change, endpoint.events)
    ]
    if rows:
        await WebhookDelivery.bulk_create(rows)
    last = changes[-1].position if changes else endpoint.position
    await _move(endpoint, last if more else max(head, last))
    return len(rows), more


async def _move(endpoint: WebhookEndpoint, position: int) -> None:
    if position == endpoint.position:
        return
    moved = await WebhookEndpoint.filter(id=endpoint.id, position=endpoint.position).update(
        position=position
    )
    if not moved:
        raise _Moved

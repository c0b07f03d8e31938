"""Managing webhook endpoints and their deliveries: what ``cms webhooks`` does.

An endpoint gets the changes committed after it was added (it starts at the log's head). Its
secret, in the Standard Webhooks format (``whsec_`` and 32 random bytes in base64), is given
back once by :func:`add`; receivers verify signatures with it.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.functions import Count

from cms.changes import log
from cms.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from cms.settings import Settings
from cms.timeutil import utcnow
from cms.webhooks import urls

#: Most deliveries ``cms webhooks deliveries`` shows (the newest).
DELIVERIES_SHOWN = 50


class WebhookError(Exception):
    """A webhook command that cannot be done; the message is one line saying why."""


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


async def add(
    url: str, *, events: Sequence[str] = (), types: Sequence[str] = (), settings: Settings
) -> WebhookEndpoint:
    """A new endpoint for ``url`` (checked: see :mod:`cms.webhooks.urls`), delivered the
    changes committed from now on that ``events`` and ``types`` take (empty: all)."""
    try:
        await urls.check(url, allow_private=settings.webhook_allow_private)
    except urls.UrlRefused as exc:
        raise WebhookError(str(exc)) from None
    return await WebhookEndpoint.create(
        url=url,
        secret=new_secret(),
        events=list(events),
        types=list(types),
        position=await log.head(),
    )


@dataclass(frozen=True, slots=True)
class EndpointSummary:
    endpoint: WebhookEndpoint
    pending: int
    delivered: int
    failed: int


async def summaries() -> list[EndpointSummary]:
    """Every endpoint, oldest first, with how many of its deliveries stand where."""
    endpoints = await WebhookEndpoint.all().order_by("id")
    counts: dict[tuple[int, str], int] = {}
    rows = (
        await WebhookDelivery.all()
        .group_by("endpoint_id", "status")
        .annotate(count=Count("id"))
        .values_list("endpoint_id", "status", "count")
    )
    for endpoint_id, status, count in rows:
        counts[(int(endpoint_id), str(status))] = int(count)
    return [
        EndpointSummary(
            endpoint,
            counts.get((endpoint.id, DeliveryStatus.PENDING.value), 0),
            counts.get((endpoint.id, DeliveryStatus.DELIVERED.value), 0),
            counts.get((endpoint.id, DeliveryStatus.FAILED.value), 0),
        )
        for endpoint in endpoints
    ]


async def _endpoint(endpoint_id: int) -> WebhookEndpoint:
    endpoint = await WebhookEndpoint.get_or_none(id=endpoint_id)
    if endpoint is None:
        raise WebhookError(f"no webhook endpoint {endpoint_id}: `cms webhooks list` shows them")
    return endpoint


async def remove(endpoint_id: int) -> WebhookEndpoint:
    """Delete an endpoint with its deliveries and their log."""
    endpoint = await _endpoint(endpoint_id)
    await endpoint.delete()
    return endpoint


async def enable(endpoint_id: int) -> WebhookEndpoint:
    """Turn a disabled endpoint (one that answered 410 Gone) back on. It gets the changes
    committed from now on; deliveries made before it was disabled and still pending go on."""
    endpoint = await _endpoint(endpoint_id)
    if endpoint.enabled:
        raise WebhookError(f"webhook endpoint {endpoint_id} is enabled already")
    await WebhookEndpoint.filter(id=endpoint_id).update(
        enabled=True, disabled_at=None, disabled_reason=None, position=await log.head()
    )
    await endpoint.refresh_from_db()
    return endpoint


async def deliveries(
    *, failed: bool = False, endpoint_id: int | None = None, limit: int = DELIVERIES_SHOWN
) -> list[WebhookDelivery]:
    """The newest deliveries (only failed ones, of one endpoint), each with its attempts
    (``attempt_log``) oldest first."""
    query = WebhookDelivery.all()
    if failed:
        query = query.filter(status=DeliveryStatus.FAILED)
    if endpoint_id is not None:
        await _endpoint(endpoint_id)
        query = query.filter(endpoint_id=endpoint_id)
    rows = await query.order_by("-id").limit(limit).prefetch_related("attempt_log")
    return list(rows)


async def redeliver(delivery_id: int) -> WebhookDelivery:
    """Send a delivery again, as soon as its endpoint's earlier deliveries are done, with the
    same ``webhook-id`` (and a fresh round of attempts)."""
    delivery = await WebhookDelivery.get_or_none(id=delivery_id)
    if delivery is None:
        raise WebhookError(
            f"no webhook delivery {delivery_id}: `cms webhooks deliveries` shows them"
        )
    now = utcnow()
    if delivery.lease_until is not None and delivery.lease_until > now:
        raise WebhookError(f"webhook delivery {delivery_id} is being sent right now")
    updated = await WebhookDelivery.filter(id=delivery_id, attempts=delivery.attempts).update(
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        lease_until=None,
        lease_owner=None,
        updated_at=now,
    )
    if not updated:
        raise WebhookError(f"webhook delivery {delivery_id} is being sent right now")
    await delivery.refresh_from_db()
    return delivery

"""One attempt at a delivery: claim it, sign and send it, record what came back.

Claiming is a conditional update (the delivery is still pending, due, and has the attempt count
this process read), so however many processes race for it, one makes the attempt. The claim is
a lease: it moves ``next_attempt_at`` to when the lease runs out, so a process killed mid-attempt
leaves a delivery that another takes over then, with the same ``webhook-id``. Only the lease's
holder records the outcome.

Signing follows Standard Webhooks: ``webhook-id`` (the delivery's message id),
``webhook-timestamp`` (this attempt's time, in seconds) and ``webhook-signature``
(``v1,<base64 HMAC-SHA256 of id.timestamp.body>``), made by the ``standardwebhooks`` library.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from standardwebhooks.webhooks import Webhook
from tortoise.transactions import in_transaction

from cms.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from cms.settings import Settings
from cms.timeutil import utcnow
from cms.webhooks import urls

logger = logging.getLogger("cms.webhooks")

USER_AGENT = "cms-webhooks"


def lease_seconds(settings: Settings) -> float:
    """How long a claim holds a delivery: the attempt's time limit, and as much again for
    resolving the host and recording the outcome."""
    return 2 * settings.webhook_timeout_seconds + 1


def retry_delay(settings: Settings, attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th failed attempt: the setting, doubled for
    each attempt after the first."""
    return float(settings.webhook_retry_seconds * 2 ** max(attempts - 1, 0))


@dataclass(frozen=True, slots=True)
class Claim:
    """A delivery this process holds the lease of, with what an attempt needs."""

    delivery_id: int
    endpoint_id: int
    attempt_id: int
    #: This attempt's number (1 for the first).
    number: int
    token: str
    message_id: str
    payload: str
    url: str
    secret: str


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


async def claim(
    delivery: WebhookDelivery, endpoint: WebhookEndpoint, settings: Settings
) -> Claim | None:
    """Take the lease of ``delivery`` (as read, with its endpoint) for one attempt; None when
    another process took it first or it is no longer due."""
    now = utcnow()
    until = now + timedelta(seconds=lease_seconds(settings))
    token = secrets.token_hex(16)
    number = delivery.attempts + 1
    async with in_transaction("default"):
        taken = await WebhookDelivery.filter(
            id=delivery.id,
            status=DeliveryStatus.PENDING,
            attempts=delivery.attempts,
            next_attempt_at__lte=now,
        ).update(
            attempts=number,
            next_attempt_at=until,
            lease_until=until,
            lease_owner=token,
            updated_at=now,
        )
        if not taken:
            return None
        attempt = await WebhookAttempt.create(
            delivery_id=delivery.id, number=number, started_at=now
        )
    return Claim(
        delivery_id=delivery.id,
        endpoint_id=endpoint.id,
        attempt_id=attempt.id,
        number=number,
        token=token,
        message_id=delivery.message_id,
        payload=delivery.payload,
        url=endpoint.url,
        secret=endpoint.secret,
    )


def signed_headers(claim: Claim, when: datetime) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt at ``when`` (whole seconds)."""
    timestamp = datetime.fromtimestamp(int(when.timestamp()), UTC)
    signature = Webhook(claim.secret).sign(claim.message_id, timestamp, claim.payload)
    return {
        "webhook-id": claim.message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


async def send(claim: Claim, client: httpx.AsyncClient, settings: Settings) -> Outcome:
    """Make the attempt: check the URL again, then POST the signed message to the address
    checked, within the timeout. Redirects are not followed (a 3xx is a failure)."""
    started = time.monotonic()
    timeout = settings.webhook_timeout_seconds
    code: int | None = None
    error: str | None = None
    try:
        async with asyncio.timeout(timeout):
            target = await urls.check(claim.url, allow_private=settings.webhook_allow_private)
            headers = {**signed_headers(claim, utcnow()), "host": target.host_header}
            extensions = {"sni_hostname": target.host} if target.url.scheme == "https" else {}
            async with client.stream(
                "POST",
                target.url,
                content=claim.payload.encode(),
                headers=headers,
                extensions=extensions,
            ) as response:
                code = response.status_code
    except urls.UrlRefused as exc:
        error = f"refused: {exc}"
    except (TimeoutError, httpx.TimeoutException):
        error = f"timed out after {timeout:g} s"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return Outcome(code, error, round((time.monotonic() - started) * 1000))


async def record(claim: Claim, outcome: Outcome, settings: Settings) -> DeliveryStatus | None:
    """Record the attempt and what it means: delivered (2xx); failed for good (``410 Gone``,
    which also disables the endpoint, or the last attempt); else retried after the backoff.
    Returns the delivery's status, or None when the lease was lost (another process took the
    delivery over: its attempt counts, not this one's)."""
    now = utcnow()
    error = outcome.error
    disable = outcome.status_code == 410
    if outcome.delivered:
        status, next_at = DeliveryStatus.DELIVERED, now
    elif disable or claim.number >= settings.webhook_max_attempts:
        status, next_at = DeliveryStatus.FAILED, now
    else:
        status = DeliveryStatus.PENDING
        next_at = now + timedelta(seconds=retry_delay(settings, claim.number))
    async with in_transaction("default"):
        await WebhookAttempt.filter(id=claim.attempt_id).update(
            duration_ms=outcome.duration_ms, status_code=outcome.status_code, error=error
        )
        held = await WebhookDelivery.filter(id=claim.delivery_id, lease_owner=claim.token).update(
            status=status,
            next_attempt_at=next_at,
            lease_until=None,
            lease_owner=None,
            last_status_code=outcome.status_code,
            last_error=error,
            updated_at=now,
        )
        if not held:
            logger.warning(
                "webhook delivery %s: the attempt outlived its lease; another process took it over",
                claim.delivery_id,
                extra={"delivery": claim.delivery_id},
            )
            return None
        if disable:
            await WebhookEndpoint.filter(id=claim.endpoint_id, enabled=True).update(
                enabled=False,
                disabled_at=now,
                disabled_reason=f"the receiver answered 410 Gone to {claim.message_id}",
            )
    return status

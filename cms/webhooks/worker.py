"""The delivery worker: the loop every app process (or ``cms webhooks worker``) runs.

Every ``CMS_CHANGES_POLL_MS`` it asks the database one question: which enabled endpoints are
behind the log's head, and which endpoints' oldest pending delivery is due. Endpoints behind
are fanned out (:mod:`.fanout`); each due delivery is claimed and sent in a task of its own
(:mod:`.delivery`), so a slow receiver holds up only its own endpoint. An endpoint has one
delivery in flight at a time, its oldest pending one: deliveries go out in log order, the next
waiting until the one before is delivered or given up. However many processes run the loop,
each attempt is made by one of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging

import httpx

from cms.models import DeliveryStatus, WebhookDelivery
from cms.read.sql import fetch
from cms.settings import Settings
from cms.timeutil import utcnow
from cms.webhooks import delivery, fanout

logger = logging.getLogger("cms.webhooks")

#: Most attempts one process has in flight at once (one per endpoint); more wait for a look
#: after one ends, or go to another process.
_MOST_IN_FLIGHT = 100

#: Endpoints behind the log's head, and the oldest pending delivery of each endpoint when
#: it is due: one statement, cheap when there is nothing to do (the log's MAX is an index
#: lookup; pending deliveries are few and indexed).
_WORK = """
SELECT 'fan_out', e.id FROM webhook_endpoint e
WHERE e.enabled AND e.position < (SELECT COALESCE(MAX(position), 0) FROM change_entry)
UNION ALL
SELECT 'send', d.id FROM webhook_delivery d JOIN webhook_endpoint e ON e.id = d.endpoint_id
WHERE e.enabled AND d.status = ? AND d.next_attempt_at <= ?
AND NOT EXISTS (
    SELECT 1 FROM webhook_delivery p
    WHERE p.endpoint_id = d.endpoint_id AND p.status = ? AND p.position < d.position
)
"""


class Worker:
    """One process's delivery loop, with the attempts it has in flight (one per endpoint)."""

    def __init__(self, settings: Settings, client: httpx.AsyncClient) -> None:
        self.settings = settings
        self.client = client
        self.in_flight: dict[int, asyncio.Task[None]] = {}
        #: Set when an attempt ends: the endpoint's next delivery may be due at once.
        self.woken = asyncio.Event()

    async def look(self) -> bool:
        """Fan out what is new and start what is due; whether to look again at once."""
        pending = DeliveryStatus.PENDING.value
        rows = await fetch(_WORK, [pending, utcnow(), pending], quick=False, primary=True)
        behind = [int(id_) for kind, id_ in rows if kind == "fan_out"]
        due = [int(id_) for kind, id_ in rows if kind == "send"]
        again = False
        for endpoint_id in behind:
            _, more = await fanout.fan_out(endpoint_id)
            again = again or more
        if behind:  # the deliveries just made may be due
            rows = await fetch(_WORK, [pending, utcnow(), pending], quick=False, primary=True)
            due = [int(id_) for kind, id_ in rows if kind == "send"]
        await self.start(due)
        return again

    async def start(self, ids: list[int]) -> None:
        """Claim the due deliveries ``ids`` and send each in a task of its own."""
        room = _MOST_IN_FLIGHT - len(self.in_flight)
        if not ids or room <= 0:
            return
        rows = await WebhookDelivery.filter(id__in=ids).select_related("endpoint").order_by("id")
        for row in rows:
            if row.endpoint_id in self.in_flight or len(self.in_flight) >= _MOST_IN_FLIGHT:
                continue
            claim = await delivery.claim(row, row.endpoint, self.settings)
            if claim is None:
                continue
            task = asyncio.create_task(self.attempt(claim))
            self.in_flight[claim.endpoint_id] = task
            task.add_done_callback(functools.partial(self._done, claim.endpoint_id))

    def _done(self, endpoint_id: int, task: asyncio.Task[None]) -> None:
        self.in_flight.pop(endpoint_id, None)
        self.woken.set()

    async def attempt(self, claim: delivery.Claim) -> None:
        try:
            outcome = await delivery.send(claim, self.client, self.settings)
            status = await delivery.record(claim, outcome, self.settings)
        except Exception:
            # The lease runs out and the delivery is tried again, with the same webhook-id.
            logger.exception("webhook delivery %s: the attempt failed", claim.delivery_id)
            return
        if status is not DeliveryStatus.DELIVERED:
            logger.info(
                "webhook delivery %s to endpoint %s: attempt %s %s",
                claim.delivery_id,
                claim.endpoint_id,
                claim.number,
                outcome.error or f"answered {outcome.status_code}",
                extra={"delivery": claim.delivery_id, "status": str(status)},
            )

    async def run(self) -> None:
        """Look, then wait for the poll interval (or an attempt's end), until cancelled."""
        interval = self.settings.changes_poll_ms / 1000
        try:
            while True:
                self.woken.clear()
                again = False
                try:
                    again = await self.look()
                except Exception:
                    logger.exception("webhook delivery: looking for work failed; trying again")
                if again:
                    continue
                # Not asyncio.wait_for: on Python 3.11 it can swallow a cancellation that
                # arrives as the wait ends, and the loop would never stop.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(interval):
                        await self.woken.wait()
        finally:
            tasks = list(self.in_flight.values())
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


async def run_deliveries(settings: Settings) -> None:
    """Deliver webhooks until cancelled; errors are logged and the loop goes on."""
    timeout = httpx.Timeout(settings.webhook_timeout_seconds)
    async with httpx.AsyncClient(
        timeout=timeout, follow_redirects=False, trust_env=False
    ) as client:
        await Worker(settings, client).run()

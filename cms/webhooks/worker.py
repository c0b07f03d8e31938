"""The delivery worker (stub: the webhooks helper replaces it)."""

from __future__ import annotations

import asyncio

from cms.settings import Settings


async def run_deliveries(settings: Settings) -> None:
    """Deliver webhooks until cancelled."""
    await asyncio.Event().wait()

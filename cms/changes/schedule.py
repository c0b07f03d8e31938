"""The scheduler (stub: replaced by the lead shortly)."""

from __future__ import annotations

import asyncio

from cms.settings import Settings


async def run_scheduler(settings: Settings) -> None:
    """Append scheduled publications' entries when due, and prune the log, until cancelled."""
    await asyncio.Event().wait()

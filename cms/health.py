"""Health checks for orchestrators and load balancers.

``GET /healthz`` says the process is alive and answers without touching the database, even
when it is not open. ``GET /readyz`` says the service can serve: the database answers a
``SELECT 1`` and every migration is applied; otherwise it answers 503 with the reason. Neither
needs a token. Both are among :attr:`cms.app.ContentService.routes`, so a host that mounts the
service under ``/content`` serves them as ``/content/healthz`` and ``/content/readyz``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route
from starlette.types import Scope
from tortoise.connection import get_connection

from cms import db

logger = logging.getLogger("cms.health")

HEALTHZ = "/healthz"
READYZ = "/readyz"
#: Paths answered even while the database is closed (``/readyz`` then says so itself).
HEALTH_PATHS = frozenset({HEALTHZ, READYZ})
#: Seconds ``/readyz`` waits for the database before calling it unavailable.
READY_TIMEOUT_SECONDS = 5.0

_NO_STORE = {"Cache-Control": "no-store"}


def relative_path(scope: Scope) -> str:
    """The path ``scope`` asks for, relative to where the service is mounted."""
    path: str = scope.get("path", "")
    root_path: str = scope.get("root_path", "")
    if root_path and path.startswith(root_path):
        path = path[len(root_path) :]
    return path


def _unavailable(reason: str) -> JSONResponse:
    return JSONResponse(
        {"status": "unavailable", "reason": reason}, status_code=503, headers=_NO_STORE
    )


async def _not_ready_because() -> str | None:
    """Why the open database cannot serve, or None when it can."""
    try:
        await get_connection("default").execute_query("SELECT 1")
    except Exception as exc:
        logger.warning("readiness check: the database is unreachable", exc_info=True)
        return f"database unreachable ({type(exc).__name__})"
    try:
        pending = await db.pending_migrations()
    except Exception as exc:
        logger.warning("readiness check: the migration state is unreadable", exc_info=True)
        return f"migration state unreadable ({type(exc).__name__})"
    if pending:
        return f"migrations pending: {', '.join(pending)}; run `cms migrate`"
    return None


def health_routes(
    database_open: Callable[[], bool], timeout: float = READY_TIMEOUT_SECONDS
) -> list[BaseRoute]:
    """The ``/healthz`` and ``/readyz`` routes; ``database_open`` says if the lifespan runs."""

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"}, headers=_NO_STORE)

    async def readyz(request: Request) -> JSONResponse:
        if not database_open():
            return _unavailable("the database is not open")
        try:
            async with asyncio.timeout(timeout):
                reason = await _not_ready_because()
        except TimeoutError:
            logger.warning("readiness check: the database did not answer in %ss", timeout)
            reason = f"the database did not answer within {timeout:g} s"
        if reason is not None:
            return _unavailable(reason)
        return JSONResponse({"status": "ready"}, headers=_NO_STORE)

    return [
        Route(HEALTHZ, healthz, methods=["GET"], name="healthz"),
        Route(READYZ, readyz, methods=["GET"], name="readyz"),
    ]

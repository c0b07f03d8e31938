"""Request ids and structured request logs.

:class:`RequestLogMiddleware` gives every HTTP request an id: the caller's ``X-Request-ID``
when it is sane (1-128 characters of ``A-Z a-z 0-9 . _ -``), else a fresh one. The id is
returned in the response's ``X-Request-ID``, readable during the request through
:func:`current_request_id` (internal GraphQL errors quote it), and logged with one line per
request on the ``cms.access`` logger: method, path, status, duration_ms, request_id, client.

:func:`configure_logging` sends the ``cms`` loggers to stderr, one JSON object a line
(:class:`JSONFormatter`) or plain text, as ``settings.log_json`` says; under ``cms serve``,
:func:`uvicorn_log_config` sends uvicorn's own lines (startup, errors, shutdown) the same way.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cms.settings import Settings

HEADER = "X-Request-ID"
_HEADER_KEY = HEADER.lower().encode("latin-1")
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")

access_logger = logging.getLogger("cms.access")
error_logger = logging.getLogger("cms.http")

GRAPHQL_RESPONSE = "application/graphql-response+json"

_request_id: ContextVar[str | None] = ContextVar("cms_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the HTTP request being served, or None outside one."""
    return _request_id.get()


def request_id_for(incoming: str | None) -> str:
    """``incoming`` when it is a sane request id, else a new one (32 hex digits)."""
    if incoming is not None and _SANE_ID.fullmatch(incoming):
        return incoming
    return os.urandom(16).hex()


class RequestLogMiddleware:
    """Pure ASGI middleware: request id in and out, and one access log line per request
    (at DEBUG for the ``quiet`` paths, relative to where the service is mounted: a scraper's
    requests every few seconds would drown the others)."""

    def __init__(self, app: ASGIApp, *, quiet: Iterable[str] = ()) -> None:
        self.app = app
        self.quiet = frozenset(quiet)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for key, value in scope.get("headers", ()):
            if key.lower() == _HEADER_KEY:
                incoming = value.decode("latin-1")
                break
        request_id = request_id_for(incoming)
        status = 500  # what the caller sees if the app fails before it responds
        started = time.perf_counter()

        started_response = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                started_response = True
                status = message["status"]
                headers = [h for h in message.get("headers", ()) if h[0].lower() != _HEADER_KEY]
                headers.append((_HEADER_KEY, request_id.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        token = _request_id.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # Whatever escaped the app is ours to log (as a JSON line when configured so),
            # not the server's to print as a traceback; the caller gets JSON either way.
            error_logger.exception(
                "unexpected error in %s %s (request id %s)",
                scope.get("method", ""),
                scope.get("path", ""),
                request_id,
                extra={"request_id": request_id},
            )
            if not started_response:
                await internal_error(scope, request_id)(scope, receive, send_with_id)
        finally:
            _request_id.reset(token)
            seconds = time.perf_counter() - started
            if self.quiet and _relative_path(scope) in self.quiet:
                if access_logger.isEnabledFor(logging.DEBUG):
                    _log_request(scope, status, seconds, request_id, logging.DEBUG)
            else:
                _log_request(scope, status, seconds, request_id, logging.INFO)


def internal_error(scope: Scope, request_id: str | None) -> Response:
    """The answer to a request that failed on our side: a GraphQL-over-HTTP error in JSON with
    its code and the request id (which finds the logged traceback), never a text page."""
    accept = b""
    for key, value in scope.get("headers", ()):
        if key.lower() == b"accept":
            accept = value
    media = GRAPHQL_RESPONSE if GRAPHQL_RESPONSE.encode() in accept else "application/json"
    message = "Internal server error" + (f" (request id {request_id})" if request_id else "")
    extensions: dict[str, Any] = {"code": "INTERNAL_SERVER_ERROR"}
    if request_id:
        extensions["requestId"] = request_id
    body = {"errors": [{"message": message, "extensions": extensions}]}
    return Response(orjson.dumps(body), status_code=500, media_type=media)


async def internal_error_handler(request: Request, exc: Exception) -> Response:
    """Starlette's handler for an unexpected exception: :func:`internal_error` (the request log
    middleware logs the exception once Starlette raises it again)."""
    return internal_error(request.scope, current_request_id())


def _relative_path(scope: Scope) -> str:
    path: str = scope.get("path", "")
    root_path: str = scope.get("root_path", "")
    return path[len(root_path) :] if root_path and path.startswith(root_path) else path


def _log_request(scope: Scope, status: int, seconds: float, request_id: str, level: int) -> None:
    client = scope.get("client")
    address = f"{client[0]}:{client[1]}" if client else None
    method: str = scope.get("method", "")
    path: str = scope.get("path", "")
    duration_ms = round(seconds * 1000, 2)
    access_logger.log(
        level,
        "%s %s %d %.2fms request_id=%s client=%s",
        method,
        path,
        status,
        duration_ms,
        request_id,
        address or "-",
        extra={
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": duration_ms,
            "request_id": request_id,
            "client": address,
        },
    )


#: Attributes every LogRecord has; anything else on a record came from ``extra``
#: (but for uvicorn's ``color_message``, the message again with terminal colours).
_RECORD_ATTRIBUTES = frozenset(
    logging.LogRecord("", logging.INFO, "", 0, "", None, None).__dict__
) | {"message", "asctime", "color_message"}


class JSONFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the record's ``extra`` fields,
    the current request id (when there is one) and any traceback."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_"):
                payload[key] = value
        if "request_id" not in payload and (request_id := current_request_id()) is not None:
            payload["request_id"] = request_id
        if record.exc_info:
            payload["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            payload["stack_info"] = self.formatStack(record.stack_info)
        try:
            return orjson.dumps(payload, default=str).decode()
        except TypeError:  # a lone surrogate a caller sent, quoted in a message: escape it
            return json.dumps(payload, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is when a record arrives (as test runners swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)

    def flush(self) -> None:
        self.stream = sys.stderr
        super().flush()


def configure_logging(settings: Settings) -> None:
    """Send the ``cms`` loggers (INFO and up, unless set otherwise) to stderr, formatted as
    ``settings.log_json`` says. Calling it again reformats; it never adds a second handler."""
    logger = logging.getLogger("cms")
    handler = next((h for h in logger.handlers if isinstance(h, _StderrHandler)), None)
    if handler is None:
        handler = _StderrHandler()
        logger.addHandler(handler)
    handler.setFormatter(JSONFormatter() if settings.log_json else logging.Formatter(TEXT_FORMAT))
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)


def uvicorn_log_config(settings: Settings) -> dict[str, Any]:
    """uvicorn's logging configuration for ``cms serve``: with ``settings.log_json``, uvicorn's
    loggers write JSON lines to stderr through :class:`JSONFormatter`, like cms's own;
    otherwise uvicorn's usual plain text. Each worker process applies it on start."""
    from uvicorn.config import LOGGING_CONFIG

    if not settings.log_json:
        return LOGGING_CONFIG
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JSONFormatter"}},
        "handlers": {"stderr": {"()": f"{__name__}._StderrHandler", "formatter": "json"}},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO"},
            "uvicorn.access": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        },
    }

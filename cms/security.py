"""Browser-facing HTTP hygiene: CORS for the configured origins, and safe default headers."""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cms.settings import Settings

#: Headers every response carries (the GraphiQL page adds its own Content-Security-Policy).
DEFAULT_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

_RAW_DEFAULTS = [
    (name.lower().encode("latin-1"), value.encode("latin-1"))
    for name, value in DEFAULT_HEADERS.items()
]


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(item for item in _RAW_DEFAULTS if item[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def secured(app: ASGIApp, settings: Settings) -> ASGIApp:
    """``app`` with the default headers, and CORS when origins are configured."""
    wrapped: ASGIApp = SecurityHeaders(app)
    if settings.cors_origins:
        wrapped = CORSMiddleware(
            wrapped,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID", "If-None-Match"],
            expose_headers=["X-Request-ID", "ETag"],
            max_age=600,
        )
    return wrapped

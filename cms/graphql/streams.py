"""Live updates over WebSocket (graphql-transport-ws) and Server-Sent Events: what the view adds
for them.

:class:`Streams` is mixed into :class:`cms.graphql.view.GraphQLView`. Both transports follow the
token rules of queries: on a socket, the ``Authorization`` of the upgrade request, or the one in
the ``connection_init`` payload (``{"Authorization": "Bearer …"}``), which wins; credentials
that are refused close the socket with 4403 (never a fall-back to anonymous). An SSE request
with refused credentials gets a 401 with a JSON error before any stream starts. Idle streams
carry heartbeats every ``subscription_heartbeat_seconds``: SSE comment lines (Strawberry's
transport), graphql-transport-ws ``ping`` messages (sent here: Strawberry sends none).
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from functools import cached_property
from typing import Any, cast

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.websockets import WebSocket
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.streaming import HTTPStreamTransport, SSETransport
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage
from strawberry.types.unset import UNSET, UnsetType

from cms.auth import ANONYMOUS, AuthenticationError, authenticate
from cms.changes.live import Hub
from cms.graphql.cachetags import CacheTags
from cms.graphql.context import Context
from cms.graphql.loaders import Loaders
from cms.graphql.permissions import accepts_event_stream
from cms.graphql.schema import Schema
from cms.read.visibility import Viewer
from cms.settings import Settings
from cms.timeutil import utcnow


class LiveSocket(BaseGraphQLTransportWSHandler[Context, None]):
    """Strawberry's graphql-transport-ws handler, with the token of ``connection_init`` and
    pings on the socket while it is open."""

    _pinger: asyncio.Task[None] | None = None

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        payload = message.get("payload")
        if (
            isinstance(payload, dict)
            and not self.connection_init_received
            and not self.connection_timed_out
        ):
            authorization = payload.get("Authorization", payload.get("authorization"))
            if authorization is not None:
                view = cast("Streams", self.view)
                self.context = await view.socket_context(self.context, authorization)
        await super().handle_connection_init(message)
        if self.connection_acknowledged and self._pinger is None:
            self._pinger = asyncio.create_task(self._ping())

    async def _ping(self) -> None:
        interval = cast("Streams", self.view).settings.subscription_heartbeat_seconds
        with contextlib.suppress(Exception):  # the socket closed: nothing left to keep alive
            while True:
                await asyncio.sleep(interval)
                await self.send_message({"type": "ping"})

    async def shutdown(self) -> None:
        if self._pinger is not None:
            self._pinger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pinger
        await super().shutdown()


class Streams:
    """The view's WebSocket and SSE side."""

    settings: Settings
    schema: Schema
    graphql_transport_ws_handler_class: type[BaseGraphQLTransportWSHandler[Context, None]] = (
        LiveSocket
    )

    @property
    def live(self) -> Hub:
        """The service's hub: the subscribers this view serves (close it when the service
        stops)."""
        return self.schema.live

    @cached_property
    def _stream_transport_map(self) -> dict[str, HTTPStreamTransport]:
        """Strawberry's streaming transports by protocol (it builds them without arguments,
        with its own heartbeat interval): SSE, with ours."""
        transport = SSETransport(heartbeat_interval=self.settings.subscription_heartbeat_seconds)
        return {transport.protocol: transport}

    async def run(self, request: Any, context: Any = None, root_value: Any = None) -> Any:
        """Strawberry's ``run``, refusing an SSE request whose credentials are refused with a
        401 before anything streams."""
        if isinstance(request, Request) and accepts_event_stream(request):
            authorization = request.headers.get("authorization")
            identify = getattr(request, "identify", None)
            try:
                if identify is not None:  # the view's Exchange authenticates once
                    _, refused = await identify()
                else:
                    await authenticate(authorization)
                    refused = None
            except AuthenticationError as exc:
                refused = str(exc)
            if refused is not None:
                return JSONResponse(
                    {"errors": [{"message": refused, "extensions": {"code": "UNAUTHENTICATED"}}]},
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
        kwargs: dict[str, Any] = {}
        if context is not None:
            kwargs["context"] = context
        if root_value is not None:
            kwargs["root_value"] = root_value
        return await super().run(request, **kwargs)  # type: ignore[misc]

    async def on_ws_connect(self, context: Context) -> UnsetType:
        """Refuse the socket (4403) when its credentials were refused."""
        if context.auth_error is not None:
            raise ConnectionRejectionError({"message": context.auth_error})
        return cast("UnsetType", UNSET)

    async def socket_context(self, context: Context, authorization: object) -> Context:
        """The socket's context for the token of its ``connection_init``."""
        if not isinstance(authorization, str):
            return self._context(context.request, None, None, "Authorization must be a string")
        return await self.streaming_context(context.request, None, authorization)

    async def streaming_context(
        self, request: Any, response: Response | WebSocket | None, authorization: Any = ...
    ) -> Context:
        """The context of a WebSocket connection (or of a request made outside the view's
        HTTP pipeline), for the request's ``Authorization`` unless another is given."""
        if authorization is ...:
            authorization = request.headers.get("authorization")
        try:
            return self._context(request, response, await authenticate(authorization), None)
        except AuthenticationError as exc:
            return self._context(request, response, None, str(exc))

    def _context(
        self,
        request: Any,
        response: Response | WebSocket | None,
        caller: Any,
        auth_error: str | None,
        cache_tags: CacheTags | None = None,
        now: datetime | None = None,
    ) -> Context:
        """The context of one request or connection (``cache_tags``: where the loaders note
        what the answer shows, for a cacheable HTTP answer; ``now``: the time it runs at)."""
        caller = ANONYMOUS if caller is None else caller
        viewer = Viewer(now=now or utcnow(), preview=caller.can_preview)
        return Context(
            request=request,
            response=response if isinstance(response, Response) else None,
            settings=self.settings,
            caller=caller,
            viewer=viewer,
            loaders=Loaders(viewer, cache_tags),
            auth_error=auth_error,
        )

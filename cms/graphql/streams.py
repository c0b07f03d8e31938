"""Live updates over WebSocket (graphql-transport-ws): what the view adds for them.

:class:`Streams` is mixed into :class:`cms.graphql.view.GraphQLView`; the context of a
WebSocket connection is made here.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.websockets import WebSocket

from cms.auth import ANONYMOUS, AuthenticationError, authenticate
from cms.graphql.context import Context
from cms.graphql.loaders import Loaders
from cms.read.visibility import Viewer
from cms.settings import Settings
from cms.timeutil import utcnow


class Streams:
    """The view's WebSocket side."""

    settings: Settings

    async def streaming_context(self, request: Any, response: Response | WebSocket) -> Context:
        """The context of a WebSocket connection (or of a request made outside the view's
        HTTP pipeline)."""
        auth_error = None
        try:
            caller = await authenticate(request.headers.get("authorization"))
        except AuthenticationError as exc:
            caller, auth_error = ANONYMOUS, str(exc)
        viewer = Viewer(now=utcnow(), preview=caller.can_preview)
        return Context(
            request=request,
            response=response if isinstance(response, Response) else None,
            settings=self.settings,
            caller=caller,
            viewer=viewer,
            loaders=Loaders(viewer),
            auth_error=auth_error,
        )

"""Our GraphQL HTTP/WebSocket view: Strawberry's ASGI view, with the request context we need.

HTTP behaviour Strawberry lacks (response media types, status codes, persisted queries)
belongs here.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from cms.auth import ANONYMOUS, AuthenticationError, authenticate
from cms.graphiql.page import render_page
from cms.graphql.context import Context
from cms.graphql.errors import formatted
from cms.graphql.loaders import Loaders
from cms.graphql.schema import schema
from cms.read.visibility import Viewer
from cms.settings import Settings
from cms.timeutil import utcnow


class GraphQLView(GraphQL[Context, None]):
    def __init__(self, settings: Settings) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql else None,
            allow_queries_via_get=True,
        )
        self.settings = settings

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response: GraphQLHTTPResponse = {"data": result.data}
        if result.errors:
            response["errors"] = [formatted(error) for error in result.errors]
        if result.extensions:
            response["extensions"] = result.extensions
        return response

    async def render_graphql_ide(self, request: Request) -> Response:
        """Our own GraphiQL page: assets served by the app, not a CDN."""
        return render_page()

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
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

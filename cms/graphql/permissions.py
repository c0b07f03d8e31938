"""Who may run an operation: refused credentials fail every operation, and mutations need a
token of scope ``write``; a WebSocket carries subscriptions only. Checked once per operation,
before anything executes."""

from __future__ import annotations

from graphql import GraphQLError
from starlette.websockets import WebSocket
from strawberry.types.graphql import OperationType


def accepts_event_stream(request: object) -> bool:
    """Whether an HTTP request asks for Server-Sent Events (GraphQL over SSE)."""
    headers = getattr(request, "headers", None)
    accept = headers.get("accept", "") if headers is not None else ""
    return any(
        part.split(";", 1)[0].strip().lower() == "text/event-stream" for part in accept.split(",")
    )


def refusal(context: object, operation: OperationType | None) -> GraphQLError | None:
    """The error that stops this operation, or None when the caller may run it."""
    request = getattr(context, "request", None)
    if (
        operation is OperationType.SUBSCRIPTION
        and not isinstance(request, WebSocket)
        and not accepts_event_stream(request)
    ):
        return GraphQLError(
            "subscriptions are served over WebSocket (graphql-transport-ws) and Server-Sent "
            "Events (`Accept: text/event-stream`), not in a single HTTP response",
            extensions={"code": "BAD_REQUEST"},
        )
    if isinstance(request, WebSocket) and operation is not OperationType.SUBSCRIPTION:
        # A socket keeps one context for its whole life (caller, clock, loaders), so a query's
        # answers would go stale; subscriptions renew what they read for every entry
        # (cms.graphql.subscriptions), and HTTP serves everything else.
        return GraphQLError(
            "queries and mutations are served over HTTP, not WebSocket: the socket carries "
            "subscriptions",
            extensions={"code": "BAD_REQUEST"},
        )
    auth_error = getattr(context, "auth_error", None)
    if auth_error:
        return GraphQLError(auth_error, extensions={"code": "UNAUTHENTICATED"})
    if operation is OperationType.MUTATION:
        caller = getattr(context, "caller", None)
        scope = getattr(caller, "scope", None)
        if scope is None:
            return GraphQLError(
                "mutations need an access token of scope `write` "
                "(header `Authorization: Bearer <token>`)",
                extensions={"code": "UNAUTHENTICATED"},
            )
        if not getattr(caller, "can_write", False):
            return GraphQLError(
                f"this token has scope `{scope}`; mutations need scope `write`",
                extensions={"code": "FORBIDDEN"},
            )
    return None

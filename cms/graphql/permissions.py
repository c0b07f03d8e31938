"""Who may run an operation: refused credentials fail every operation, and mutations need a
token of scope ``write``. Checked once per operation, before anything executes."""

from __future__ import annotations

from graphql import GraphQLError
from starlette.websockets import WebSocket
from strawberry.types.graphql import OperationType


def refusal(context: object, operation: OperationType | None) -> GraphQLError | None:
    """The error that stops this operation, or None when the caller may run it."""
    if isinstance(getattr(context, "request", None), WebSocket):
        # A socket keeps one context for its whole life (caller, clock, loaders), so its
        # answers would go stale; with no subscriptions in the schema, HTTP serves everything.
        return GraphQLError(
            "queries and mutations are served over HTTP, not WebSocket",
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

"""Errors that help and leak nothing: every error leaves with an ``extensions.code``, and
unexpected exceptions are logged with their traceback but shown only as "Internal server error"
with the request id (also in ``extensions.requestId``), which finds the log record.
"""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError
from strawberry.schema.exceptions import CannotGetOperationTypeError

from cms.observability import current_request_id
from cms.read.pages import UserInputError

logger = logging.getLogger("cms.graphql")

INTERNAL = "INTERNAL_SERVER_ERROR"

#: How graphql-core's messages begin when it refuses an argument's value (``values.py``).
_ARGUMENT_REFUSALS = ("Argument '", "Variable '$")
#: What its messages say when it refuses a variable's value; validation's messages about
#: variables ("is never used", "used in position expecting") are about the document.
_VARIABLE_REFUSALS = (
    "invalid value",
    "invalid default value",
    "was not provided",
    "must not be null",
    "nested too deeply",
    "got invalid",
)


def code_for(error: GraphQLError) -> str:
    extensions = error.extensions or {}
    if isinstance(extensions.get("code"), str):
        return str(extensions["code"])
    original = error.original_error
    if isinstance(original, UserInputError):
        return "BAD_USER_INPUT"
    if isinstance(original, CannotGetOperationTypeError):
        # A subscription's operationName that names no operation (over SSE or WebSocket,
        # where Strawberry raises this instead of its usual error).
        return "OPERATION_RESOLUTION_FAILURE"
    if (
        isinstance(original, GraphQLError)
        and original.original_error is None
        and original.message.startswith(_ARGUMENT_REFUSALS)
    ):
        # graphql-core refusing an argument's value as it executes a field (a null variable
        # for a non-null argument, say): the caller's input. Its checks of what our resolvers
        # return ("Expected Iterable", ...) stay internal.
        return "BAD_USER_INPUT"
    before_execution = error.path is None and (
        original is None or isinstance(original, (GraphQLError, ValueError, TypeError))
    )
    if before_execution:  # the document, its validation, or the variables' values
        if error.message.startswith("Syntax Error"):
            return "GRAPHQL_PARSE_FAILED"
        if error.message.startswith("Variable ") and any(
            phrase in error.message for phrase in _VARIABLE_REFUSALS
        ):
            return "BAD_USER_INPUT"
        return "GRAPHQL_VALIDATION_FAILED"
    return INTERNAL


def formatted(error: GraphQLError) -> dict[str, Any]:
    """The error as sent: with its code, and masked when it was not meant for the caller."""
    code = code_for(error)
    result: dict[str, Any] = dict(error.formatted)
    extensions: dict[str, Any] = {**(result.get("extensions") or {}), "code": code}
    if code == INTERNAL:
        request_id = current_request_id()
        if request_id is None:  # executed outside an HTTP request
            result["message"] = "Internal server error"
        else:
            result["message"] = f"Internal server error (request id {request_id})"
            extensions["requestId"] = request_id
    result["extensions"] = extensions
    return result


def log_unexpected(errors: list[GraphQLError]) -> None:
    """Log what went wrong on our side (user mistakes are not worth a log line)."""
    for error in errors:
        if code_for(error) == INTERNAL:
            original = error.original_error or error
            request_id = current_request_id()
            logger.error(
                "unexpected error in %s (request id %s): %s",
                ".".join(str(p) for p in error.path or []) or "operation",
                request_id or "-",
                error.message,
                exc_info=(type(original), original, original.__traceback__),
                extra={"request_id": request_id},
            )

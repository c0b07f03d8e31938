"""Error codes: every GraphQL error leaves with an ``extensions.code``."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from cms.read.pages import UserInputError


def code_for(error: GraphQLError) -> str:
    original = error.original_error
    if isinstance(original, UserInputError):
        return "BAD_USER_INPUT"
    if original is None:
        return "GRAPHQL_VALIDATION_FAILED" if error.locations or error.nodes else "BAD_REQUEST"
    return "INTERNAL_SERVER_ERROR"


class ErrorCodes(SchemaExtension):
    """Adds ``extensions.code`` to errors that do not carry one yet."""

    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context
        errors = list(context.pre_execution_errors or [])
        if context.result is not None and context.result.errors:
            errors.extend(context.result.errors)
        for error in errors:
            extensions = dict(error.extensions or {})
            extensions.setdefault("code", code_for(error))
            error.extensions = extensions

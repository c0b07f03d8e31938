"""The schema: the Query root, the DateTime scalar, and the per-request extensions."""

from __future__ import annotations

from datetime import datetime

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from cms.graphql.errors import log_unexpected
from cms.graphql.mutations import Mutation
from cms.graphql.permissions import AccessControl
from cms.graphql.queries import Query
from cms.graphql.scalars import DateTime
from cms.graphql.types import Article, Contributor, ImageCredit, Tag

#: Distinct operation texts whose parsed documents and validation results are cached.
OPERATION_CACHE_SIZE = 512


def _parser_cache() -> ParserCache:
    return ParserCache(maxsize=OPERATION_CACHE_SIZE)


def _validation_cache() -> ValidationCache:
    return ValidationCache(maxsize=OPERATION_CACHE_SIZE)


class Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_unexpected(errors)


schema = Schema(
    query=Query,
    mutation=Mutation,
    types=[Article, Tag, Contributor, ImageCredit],
    scalar_overrides={datetime: DateTime},
    extensions=[_parser_cache, _validation_cache, AccessControl],
    config=StrawberryConfig(auto_camel_case=True),
)


def sdl() -> str:
    """The schema in SDL, as committed in ``schema/schema.graphql``."""
    return schema.as_str() + "\n"

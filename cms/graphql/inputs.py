"""Enums and input types of the read API."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from cms.models import ArticleStatus, TagKind
from cms.read.articles import ArticleFilter as Filter
from cms.read.articles import SortField

ArticleStatusEnum = strawberry.enum(ArticleStatus, name="ArticleStatus")
TagKindEnum = strawberry.enum(TagKind, name="TagKind")
ArticleSortField = strawberry.enum(SortField, name="ArticleSortField")


@strawberry.enum
class BodyFormat(Enum):
    MARKDOWN = "MARKDOWN"
    HTML = "HTML"
    TEXT = "TEXT"


@strawberry.enum
class SortDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.input
class ArticleFilter:
    status: ArticleStatus | None = None
    tags: list[str] | None = strawberry.field(
        default=None, description="Tag slugs; an article matches when it carries all of them."
    )
    contributor: str | None = strawberry.field(
        default=None,
        description="A contributor's slug; matches articles with an image credited to them.",
    )
    published_after: datetime | None = strawberry.field(
        default=None, description="Articles published at or after this time."
    )
    published_before: datetime | None = strawberry.field(
        default=None, description="Articles published before this time."
    )

    def to_filter(self) -> Filter:
        return Filter(
            status=self.status,
            tags=tuple(self.tags or ()),
            contributor=self.contributor,
            published_after=self.published_after,
            published_before=self.published_before,
        )


@strawberry.input
class ArticleOrder:
    field: SortField
    direction: SortDirection = SortDirection.DESC

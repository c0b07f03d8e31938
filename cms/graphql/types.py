"""The GraphQL object types. Fields are declared once and resolve from read-layer rows.

Every type that implements ``Node`` says which rows it stands for (``is_type_of``), since
resolvers return rows, not instances of these classes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from cms.graphql import resolvers
from cms.graphql.connections import Connection, PageInfo
from cms.graphql.context import Info
from cms.models import ArticleStatus, TagKind
from cms.read.rows import ArticleRow, ContributorRow, CreditRow, TagRow


@strawberry.interface
class Node:
    id: strawberry.ID


@strawberry.type
class ArticleRevision:
    """The state of an article before one of its changes."""

    version: int = strawberry.field(description="The version the article had in this state.")
    created_at: datetime = strawberry.field(description="When this state was replaced.")
    changed_fields: list[str] = strawberry.field(
        description='Fields that the change replacing this state touched, e.g. ["title", "tags"].'
    )
    slug: str
    title: str
    summary: str | None
    body: str = strawberry.field(resolver=resolvers.article_body)
    status: ArticleStatus
    published_at: datetime | None
    tags: list[str] = strawberry.field(description="Tag slugs, in order.")


@strawberry.type
class Article(Node):
    id: strawberry.ID = strawberry.field(resolver=resolvers.article_id)
    slug: str
    title: str
    summary: str | None
    body: str = strawberry.field(resolver=resolvers.article_body)
    status: ArticleStatus
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int = strawberry.field(description="Starts at 1 and grows by one on every change.")
    word_count: int
    reading_time_minutes: int = strawberry.field(
        resolver=resolvers.article_reading_time,
        description="Minutes to read the body at 200 words per minute, at least 1.",
    )
    image_credits: list[ImageCredit] = strawberry.field(resolver=resolvers.article_credits)
    tags: list[Tag] = strawberry.field(resolver=resolvers.article_tags)
    revisions: Connection[ArticleRevision] | None = strawberry.field(
        resolver=resolvers.article_revisions,
        description="Earlier states, newest first; null for callers without a preview or "
        "write token.",
    )

    @classmethod
    def is_type_of(cls, obj: Any, info: Info) -> bool:
        return isinstance(obj, ArticleRow)


@strawberry.type(
    description="The credit for an image shown with an article, as printed and as parsed."
)
class ImageCredit(Node):
    id: strawberry.ID = strawberry.field(resolver=resolvers.credit_id)
    text: str = strawberry.field(
        description='The credit line as printed, e.g. "CGTN’s Reporter You Yang, Cai Jingxuan".'
    )
    organization: str | None
    role: str | None
    contributors: list[Contributor] = strawberry.field(resolver=resolvers.credit_contributors)
    image_url: str | None
    caption: str | None
    alt_text: str | None
    article: Article = strawberry.field(resolver=resolvers.credit_article)

    @classmethod
    def is_type_of(cls, obj: Any, info: Info) -> bool:
        return isinstance(obj, CreditRow)


@strawberry.type(description="A person credited for images.")
class Contributor(Node):
    id: strawberry.ID = strawberry.field(resolver=resolvers.contributor_id)
    slug: str
    name: str
    image_credits: Connection[ImageCredit] = strawberry.field(
        resolver=resolvers.contributor_credits,
        description="Credits on articles the caller may see, newest article first.",
    )

    @classmethod
    def is_type_of(cls, obj: Any, info: Info) -> bool:
        return isinstance(obj, ContributorRow)


@strawberry.type
class Tag(Node):
    id: strawberry.ID = strawberry.field(resolver=resolvers.tag_id)
    slug: str
    name: str
    kind: TagKind
    description: str | None
    article_count: int = strawberry.field(
        resolver=resolvers.tag_article_count,
        description="How many articles the caller may see carry this tag.",
    )
    articles: Connection[Article] = strawberry.field(resolver=resolvers.tag_articles)

    @classmethod
    def is_type_of(cls, obj: Any, info: Info) -> bool:
        return isinstance(obj, TagRow)


@strawberry.type
class SearchHit:
    cursor: str
    node: Article = strawberry.field(resolver=resolvers.hit_article)
    snippet: str = strawberry.field(
        resolver=resolvers.hit_snippet,
        description="A short extract around the matches, with each match wrapped in <mark></mark>.",
    )
    score: float = strawberry.field(
        resolver=resolvers.hit_score, description="Higher is more relevant."
    )


@strawberry.type
class SearchConnection:
    edges: list[SearchHit]
    page_info: PageInfo
    total_count: int = strawberry.field(resolver=resolvers.total_count)

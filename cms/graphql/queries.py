"""The ``Query`` root: every read field of the contract, each handed to a resolver function."""

from __future__ import annotations

import strawberry

from cms.graphql import resolvers
from cms.graphql.changes import ContentChangeConnection, changes_after, changes_head
from cms.graphql.connections import Connection
from cms.graphql.types import Article, Contributor, Node, SearchConnection, Tag


@strawberry.type
class Query:
    node: Node | None = strawberry.field(
        resolver=resolvers.node,
        description="Any object by its global id; null for an unknown, malformed or invisible id.",
    )
    article: Article | None = strawberry.field(resolver=resolvers.article)
    articles: Connection[Article] = strawberry.field(
        resolver=resolvers.articles_,
        description="`offset` skips that many articles, for page-number navigation; it cannot "
        "be combined with `after` or `before`.",
    )
    tag: Tag | None = strawberry.field(resolver=resolvers.tag)
    tags: Connection[Tag] = strawberry.field(resolver=resolvers.tags_)
    contributor: Contributor | None = strawberry.field(resolver=resolvers.contributor)
    contributors: Connection[Contributor] = strawberry.field(resolver=resolvers.contributors_)
    search: SearchConnection = strawberry.field(
        resolver=resolvers.search_,
        description="Full-text search over title, summary and body, best match first.",
    )
    changes: ContentChangeConnection = strawberry.field(
        resolver=changes_after,
        description="Entries of the change log after `after` (from the oldest kept one when "
        "not given), oldest first.",
    )
    changes_head: str = strawberry.field(
        resolver=changes_head,
        description="The cursor of the newest entry now: read the content, then follow "
        "`changes(after:)` from here.",
    )

"""The change log in GraphQL: its types and the sync API (``changes``, ``changesHead``).

A :class:`ContentChange` resolves straight from a :class:`cms.changes.log.Change` (one entry as
the caller sees it); what it changed, as it is now, comes through the request's loaders, which
apply the caller's visibility, so a page of changes costs one statement per kind of content
whatever its size. The subscription (:mod:`cms.graphql.subscriptions`) yields the same type.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from graphql import GraphQLError

from cms.changes import log
from cms.changes.log import Change, CursorExpired
from cms.graphql.connections import PageInfo
from cms.graphql.context import Info
from cms.graphql.ids import to_global_id
from cms.graphql.types import Article, Tag
from cms.models import ChangeKind as ChangeKindValue
from cms.models import ContentType as ContentTypeValue
from cms.read.pages import UserInputError, page_size

ChangeKind = strawberry.enum(
    ChangeKindValue,
    name="ChangeKind",
    description="How a change looks to the caller.",
)
ContentType = strawberry.enum(ContentTypeValue, name="ContentType")


def change_id(root: strawberry.Parent[Change]) -> strawberry.ID:
    name = "Article" if root.type is ContentTypeValue.ARTICLE else "Tag"
    return to_global_id(name, root.content_id)


async def change_article(root: strawberry.Parent[Change], info: Info) -> Any:
    if root.type is not ContentTypeValue.ARTICLE:
        return None
    return await info.context.loaders.article.load(root.content_id)


async def change_tag(root: strawberry.Parent[Change], info: Info) -> Any:
    if root.type is not ContentTypeValue.TAG:
        return None
    return await info.context.loaders.tag.load(root.content_id)


@strawberry.type(name="ContentChange")
class ContentChange:
    """One entry of the change log, as the caller sees content (resolved from a
    :class:`~cms.changes.log.Change`)."""

    cursor: str = strawberry.field(
        description="Opaque position in the change log: pass it as `after` to continue after "
        "this entry."
    )
    kind: ChangeKindValue
    type: ContentTypeValue
    id: strawberry.ID = strawberry.field(
        resolver=change_id, description="The global ID of what changed (given after REMOVED too)."
    )
    slug: str = strawberry.field(
        description="Its slug when the change took effect (for REMOVED: the last slug the "
        "caller could see)."
    )
    at: datetime = strawberry.field(
        description="When the change took effect; for a scheduled publication, its publishedAt."
    )
    article: Article | None = strawberry.field(
        resolver=change_article,
        description="The article as it is now, when type is ARTICLE and the caller can see it; "
        "else null.",
    )
    tag: Tag | None = strawberry.field(
        resolver=change_tag,
        description="The tag as it is now, when type is TAG and the caller can see it; else null.",
    )
    cache_tags: list[str] = strawberry.field(
        description="Keys that a CDN should purge for this change (values of the Cache-Tag header)."
    )


@strawberry.type(name="ContentChangeEdge")
class ContentChangeEdge:
    cursor: str
    node: ContentChange


@strawberry.type(name="ContentChangeConnection")
class ContentChangeConnection:
    edges: list[ContentChangeEdge]
    page_info: PageInfo


def cursor_expired(error: CursorExpired) -> GraphQLError:
    """The GraphQL error for a cursor older than the log keeps."""
    return GraphQLError(
        str(error), extensions={"code": "CURSOR_EXPIRED", "prunedThrough": error.pruned_through}
    )


def position_of(after: str | None) -> int | None:
    """The position ``after`` names (None when not given); refuses a cursor that is not one
    of the change log's."""
    if after is None:
        return None
    position = log.decode_cursor(after)
    if position is None:
        raise UserInputError(
            "`after` is not a change log cursor: pass a `cursor` of `changes` or "
            "`contentChanged`, or `changesHead`"
        )
    return position


async def changes_after(
    info: Info,
    after: str | None = None,
    first: int | None = None,
    types: list[ContentTypeValue] | None = None,
) -> ContentChangeConnection:
    size = page_size(first, info.context.settings)
    position = position_of(after)
    try:
        found, more = await log.changes_after(
            position or 0, first=size, preview=info.context.viewer.preview, types=types
        )
    except CursorExpired as exc:
        raise cursor_expired(exc) from None
    edges = [ContentChangeEdge(cursor=change.cursor, node=change) for change in found]  # type: ignore[arg-type]
    page_info = PageInfo(
        has_next_page=more,
        has_previous_page=False,  # paging forwards: Relay allows false
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )
    return ContentChangeConnection(edges=edges, page_info=page_info)


async def changes_head(info: Info) -> str:
    return log.encode_cursor(await log.head())

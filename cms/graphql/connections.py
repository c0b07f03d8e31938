"""Relay connections as the contract describes them (edges, pageInfo, totalCount).

Resolvers build :class:`Connection` values from a :class:`~cms.read.pages.Page`; the GraphQL
name comes from the node type (``Connection[Article]`` is ``ArticleConnection``). The total is
a coroutine run only when ``totalCount`` is selected.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import strawberry

from cms.read.pages import Page

T = TypeVar("T")


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field
    async def total_count(self) -> int:
        return await self.count()


def page_info(page: Page[Any]) -> PageInfo:
    return PageInfo(
        has_next_page=page.has_next,
        has_previous_page=page.has_previous,
        start_cursor=page.cursors[0] if page.cursors else None,
        end_cursor=page.cursors[-1] if page.cursors else None,
    )


def connection(page: Page[Any], count: Callable[[], Awaitable[int]]) -> Connection[Any]:
    edges = [Edge(cursor=c, node=row) for c, row in zip(page.cursors, page.rows, strict=True)]
    return Connection(edges=edges, page_info=page_info(page), count=count)

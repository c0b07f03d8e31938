"""Relay connections as the contract describes them (edges, pageInfo, totalCount).

Resolvers build :class:`Connection` values from a :class:`~cms.read.pages.Page`; the GraphQL
name comes from the node type (``Connection[Article]`` is ``ArticleConnection``). The total is
a coroutine run only when ``totalCount`` is selected; a resolver that can read the total
alongside the page starts it first (:class:`Started`), when :func:`selects` says it is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Generic, TypeVar

import strawberry
from strawberry.types.nodes import SelectedField, Selection

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


def selects(info: strawberry.Info[Any, Any], name: str) -> bool:
    """Whether the field being resolved selects ``name`` on its value, directly or through
    fragments, as ``@skip`` and ``@include`` leave it (the field's type is an object type, so
    every fragment on it applies)."""
    return any(_selects(field.selections, name) for field in info.selected_fields)


def _selects(selections: Iterable[Selection], name: str) -> bool:
    for selection in selections:
        directives = selection.directives
        if directives.get("skip", {}).get("if") is True:
            continue
        if directives.get("include", {}).get("if") is False:
            continue
        if isinstance(selection, SelectedField):
            if selection.name == name:
                return True
        elif _selects(selection.selections, name):
            return True
    return False


class Started:
    """A total already running, so that it and the page are read at once (on PostgreSQL each
    statement takes its own pooled connection): ``totalCount`` awaits it, and the resolver
    cancels it when the page fails."""

    def __init__(self, count: Awaitable[int]) -> None:
        self._task = asyncio.ensure_future(count)
        # A failure is raised to totalCount; if nothing awaits it (the page failed), it is not
        # worth a "never retrieved" warning.
        self._task.add_done_callback(_retrieve)

    async def __call__(self) -> int:
        return await self._task

    def cancel(self) -> None:
        self._task.cancel()


def _retrieve(task: asyncio.Future[int]) -> None:
    if not task.cancelled():
        task.exception()

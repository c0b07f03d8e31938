"""Request-scoped DataLoaders: every relation is fetched in batches, once per request.

Loaders live in the request context (never in a module global, which would serve stale rows
after a write). Each batch function returns results in key order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from cms.read import articles, contributors, credits, revisions, tags
from cms.read.listing import Listing, Ordering, count, fetch_pages
from cms.read.pages import Page, Window
from cms.read.revisions import RevisionRow
from cms.read.rows import ArticleRow, ContributorRow, CreditRow, TagRow
from cms.read.visibility import Viewer

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
R = TypeVar("R")

PageKey = tuple[int, Window, Ordering]


def _in_key_order(
    fetch: Callable[[list[K]], Awaitable[dict[K, V]]], default: Any = None
) -> Callable[[list[K]], Awaitable[list[V]]]:
    async def load(keys: list[K]) -> list[V]:
        found = await fetch(list(dict.fromkeys(keys)))
        return [found.get(key, default) for key in keys]

    return load


def _pages(
    listing: Callable[[], Listing[R]],
) -> Callable[[list[PageKey]], Awaitable[list[Page[R]]]]:
    """Pages of a per-parent listing; keys sharing a window and ordering share one statement."""

    async def load(keys: list[PageKey]) -> list[Page[R]]:
        groups: dict[tuple[Window, Ordering], list[int]] = defaultdict(list)
        for parent, window, ordering in keys:
            groups[(window, ordering)].append(parent)
        found: dict[PageKey, Page[R]] = {}
        for (window, ordering), parents in groups.items():
            unique = list(dict.fromkeys(parents))
            pages = await fetch_pages(listing(), ordering, window, unique)
            for parent in unique:
                found[(parent, window, ordering)] = pages[parent]
        return [found[key] for key in keys]

    return load


def _counts(listing: Callable[[], Listing[Any]]) -> Callable[[list[int]], Awaitable[list[int]]]:
    async def load(keys: list[int]) -> list[int]:
        found = await count(listing(), list(dict.fromkeys(keys)))
        return [found[key] for key in keys]

    return load


def _grouped(
    fetch: Callable[[Sequence[int]], Awaitable[dict[int, list[V]]]],
) -> Callable[[list[int]], Awaitable[list[list[V]]]]:
    async def load(keys: list[int]) -> list[list[V]]:
        found = await fetch(list(dict.fromkeys(keys)))
        return [found.get(key, []) for key in keys]

    return load


@dataclass
class Loaders:
    """One set per request; ``viewer`` decides what every loader may return."""

    viewer: Viewer
    article: DataLoader[int, ArticleRow | None] = field(init=False)
    article_by_slug: DataLoader[str, ArticleRow | None] = field(init=False)
    body_of_article: DataLoader[int, str] = field(init=False)
    tags_of_article: DataLoader[int, list[TagRow]] = field(init=False)
    credits_of_article: DataLoader[int, list[CreditRow]] = field(init=False)
    contributors_of_credit: DataLoader[int, list[ContributorRow]] = field(init=False)
    tag: DataLoader[int, TagRow | None] = field(init=False)
    tag_by_slug: DataLoader[str, TagRow | None] = field(init=False)
    contributor: DataLoader[int, ContributorRow | None] = field(init=False)
    contributor_by_slug: DataLoader[str, ContributorRow | None] = field(init=False)
    credit: DataLoader[int, CreditRow | None] = field(init=False)
    articles_of_tag: DataLoader[PageKey, Page[ArticleRow]] = field(init=False)
    article_count_of_tag: DataLoader[int, int] = field(init=False)
    credits_of_contributor: DataLoader[PageKey, Page[CreditRow]] = field(init=False)
    credit_count_of_contributor: DataLoader[int, int] = field(init=False)
    revisions_of_article: DataLoader[PageKey, Page[RevisionRow]] = field(init=False)
    revision_count_of_article: DataLoader[int, int] = field(init=False)

    def __post_init__(self) -> None:
        viewer = self.viewer
        self.article = DataLoader(_in_key_order(lambda ids: articles.by_ids(viewer, ids)))
        self.article_by_slug = DataLoader(
            _in_key_order(lambda slugs: articles.by_slugs(viewer, slugs))
        )
        self.body_of_article = DataLoader(_in_key_order(articles.bodies))
        self.tags_of_article = DataLoader(_grouped(tags.by_articles))
        self.credits_of_article = DataLoader(_grouped(credits.by_articles))
        self.contributors_of_credit = DataLoader(_grouped(contributors.by_credits))
        self.tag = DataLoader(_in_key_order(tags.by_ids))
        self.tag_by_slug = DataLoader(_in_key_order(tags.by_slugs))
        self.contributor = DataLoader(_in_key_order(lambda ids: contributors.by_ids(viewer, ids)))
        self.contributor_by_slug = DataLoader(
            _in_key_order(lambda slugs: contributors.by_slugs(viewer, slugs))
        )
        self.credit = DataLoader(_in_key_order(lambda ids: credits.by_ids(viewer, ids)))
        self.articles_of_tag = DataLoader(_pages(lambda: articles.by_tag(viewer)))
        self.article_count_of_tag = DataLoader(_counts(lambda: articles.by_tag(viewer)))
        self.credits_of_contributor = DataLoader(_pages(lambda: credits.by_contributor(viewer)))
        self.credit_count_of_contributor = DataLoader(
            _counts(lambda: credits.by_contributor(viewer))
        )
        self.revisions_of_article = DataLoader(_pages(revisions.by_article))
        self.revision_count_of_article = DataLoader(_counts(revisions.by_article))

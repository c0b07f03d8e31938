"""Request-scoped DataLoaders: every relation is fetched in batches, once per request.

Loaders live in the request context (never in a module global, which would serve stale rows
after a write). Each batch function returns results in key order, and notes what it found in
the request's :class:`~cms.graphql.cachetags.CacheTags` (a lookup that found nothing notes the
list key of its kind: a later publication must purge it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from typing import Any, Generic, TypeVar, overload

from strawberry.dataloader import DataLoader

from cms.graphql.cachetags import ARTICLES, CONTRIBUTORS, TAGS, CacheTags
from cms.read import articles, contributors, credits, revisions, tags
from cms.read.listing import Listing, Ordering, count, fetch_pages
from cms.read.pages import Page, Window
from cms.read.revisions import RevisionRow
from cms.read.rows import ArticleRow, ContributorRow, CreditRow, TagRow
from cms.read.visibility import Viewer

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
R = TypeVar("R")
L = TypeVar("L")

PageKey = tuple[int, Window, Ordering]


def _in_key_order(
    fetch: Callable[[list[K]], Awaitable[dict[K, V]]], default: Any = None
) -> Callable[[list[K]], Awaitable[list[V]]]:
    async def load(keys: list[K]) -> list[V]:
        found = await fetch(list(dict.fromkeys(keys)))
        return [found.get(key, default) for key in keys]

    return load


def _noting(
    fetch: Callable[[list[K]], Awaitable[dict[K, V]]],
    note: Callable[[Iterable[Any]], None],
    seen: CacheTags,
    missing: str,
) -> Callable[[list[K]], Awaitable[dict[K, V]]]:
    """``fetch``, noting the primary keys of the rows found (``note``), and ``missing`` (a list
    key) when a key found nothing."""

    async def load(keys: list[K]) -> dict[K, V]:
        found = await fetch(keys)
        note([row.pk for row in found.values()])  # type: ignore[attr-defined]
        if len(found) < len(keys):
            seen.add_list(missing)
        return found

    return load


def _pages(
    listing: Callable[[], Listing[R]], note: Callable[[Iterable[int]], None] | None = None
) -> Callable[[list[PageKey]], Awaitable[list[Page[R]]]]:
    """Pages of a per-parent listing; keys sharing a window and ordering share one statement.
    ``note`` is told the primary keys of the rows on them."""

    async def load(keys: list[PageKey]) -> list[Page[R]]:
        groups: dict[tuple[Window, Ordering], list[int]] = defaultdict(list)
        for parent, window, ordering in keys:
            groups[(window, ordering)].append(parent)
        found: dict[PageKey, Page[R]] = {}
        for (window, ordering), parents in groups.items():
            unique = list(dict.fromkeys(parents))
            pages = await fetch_pages(listing(), ordering, window, unique)
            for parent in unique:
                page = found[(parent, window, ordering)] = pages[parent]
                if note is not None:
                    note([row.pk for row in page.rows])  # type: ignore[attr-defined]
        return [found[key] for key in keys]

    return load


def _counts(listing: Callable[[], Listing[Any]]) -> Callable[[list[int]], Awaitable[list[int]]]:
    async def load(keys: list[int]) -> list[int]:
        found = await count(listing(), list(dict.fromkeys(keys)))
        return [found[key] for key in keys]

    return load


def _contributors_shown(seen: CacheTags) -> Callable[[Iterable[int]], None]:
    """Contributors are named by one list key (their pages and credits' people). A function of
    ``seen``, not a method: a loader holding a bound method of the :class:`Loaders` that hold it
    is a reference cycle, and the request's rows would wait for a full collection."""
    return lambda pks: seen.add_list(CONTRIBUTORS)


def _grouped(
    fetch: Callable[[Sequence[int]], Awaitable[dict[int, list[V]]]],
    note: Callable[[Iterable[int]], None] | None = None,
) -> Callable[[list[int]], Awaitable[list[list[V]]]]:
    async def load(keys: list[int]) -> list[list[V]]:
        found = await fetch(list(dict.fromkeys(keys)))
        if note is not None:
            note([row.pk for rows in found.values() for row in rows])  # type: ignore[attr-defined]
        return [found.get(key, []) for key in keys]

    return load


class _made_once(Generic[L]):
    """Like :func:`functools.cached_property` without its lock (Python 3.11 takes one on
    every first access, and each request makes its loaders anew): the method runs on first
    access and its value replaces the attribute on the instance."""

    def __init__(self, make: Callable[[Any], L]) -> None:
        self.make = make
        self.name = make.__name__

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> _made_once[L]: ...
    @overload
    def __get__(self, instance: object, owner: type[Any]) -> L: ...
    def __get__(self, instance: object | None, owner: type[Any]) -> L | _made_once[L]:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.make(instance)
        return value


class Loaders:
    """One set per request; ``viewer`` decides what every loader may return, and ``seen``
    collects the cache keys of what they found (kept when the loaders are made anew after a
    write). Each loader is made when a resolver first asks for it (a request uses a few)."""

    def __init__(self, viewer: Viewer, seen: CacheTags | None = None) -> None:
        self.viewer = viewer
        self.seen = CacheTags() if seen is None else seen

    @_made_once
    def article(self) -> DataLoader[int, ArticleRow | None]:
        viewer = self.viewer
        seen = self.seen
        by_ids = _noting(
            lambda ids: articles.by_ids(viewer, ids), seen.add_articles, seen, ARTICLES
        )
        return DataLoader(_in_key_order(by_ids))

    @_made_once
    def article_by_slug(self) -> DataLoader[str, ArticleRow | None]:
        viewer = self.viewer
        seen = self.seen
        by_slugs = _noting(
            lambda slugs: articles.by_slugs(viewer, slugs), seen.add_articles, seen, ARTICLES
        )
        return DataLoader(_in_key_order(by_slugs))

    @_made_once
    def body_of_article(self) -> DataLoader[int, str]:
        return DataLoader(_in_key_order(articles.bodies))

    @_made_once
    def tags_of_article(self) -> DataLoader[int, list[TagRow]]:
        return DataLoader(_grouped(tags.by_articles, self.seen.add_tags))

    @_made_once
    def credits_of_article(self) -> DataLoader[int, list[CreditRow]]:
        return DataLoader(_grouped(credits.by_articles))

    @_made_once
    def contributors_of_credit(self) -> DataLoader[int, list[ContributorRow]]:
        return DataLoader(_grouped(contributors.by_credits, _contributors_shown(self.seen)))

    @_made_once
    def tag(self) -> DataLoader[int, TagRow | None]:
        viewer = self.viewer
        seen = self.seen
        by_ids = _noting(lambda ids: tags.by_ids(viewer, ids), seen.add_tags, seen, TAGS)
        return DataLoader(_in_key_order(by_ids))

    @_made_once
    def tag_by_slug(self) -> DataLoader[str, TagRow | None]:
        viewer = self.viewer
        seen = self.seen
        by_slugs = _noting(lambda slugs: tags.by_slugs(viewer, slugs), seen.add_tags, seen, TAGS)
        return DataLoader(_in_key_order(by_slugs))

    @_made_once
    def contributor(self) -> DataLoader[int, ContributorRow | None]:
        viewer = self.viewer
        by_ids = _noting(
            lambda ids: contributors.by_ids(viewer, ids),
            _contributors_shown(self.seen),
            self.seen,
            CONTRIBUTORS,
        )
        return DataLoader(_in_key_order(by_ids))

    @_made_once
    def contributor_by_slug(self) -> DataLoader[str, ContributorRow | None]:
        viewer = self.viewer
        by_slugs = _noting(
            lambda slugs: contributors.by_slugs(viewer, slugs),
            _contributors_shown(self.seen),
            self.seen,
            CONTRIBUTORS,
        )
        return DataLoader(_in_key_order(by_slugs))

    @_made_once
    def credit(self) -> DataLoader[int, CreditRow | None]:
        viewer = self.viewer
        seen = self.seen

        def shown(credit_rows: Iterable[CreditRow]) -> None:
            seen.add_articles(row.article_id for row in credit_rows)

        async def by_ids(ids: list[int]) -> dict[int, CreditRow]:
            found = await credits.by_ids(viewer, ids)
            shown(found.values())
            if len(found) < len(ids):  # a credit appears when its article is published
                seen.add_list(ARTICLES)
            return found

        return DataLoader(_in_key_order(by_ids))

    @_made_once
    def articles_of_tag(self) -> DataLoader[PageKey, Page[ArticleRow]]:
        viewer = self.viewer
        return DataLoader(_pages(lambda: articles.by_tag(viewer), self.seen.add_articles))

    @_made_once
    def article_count_of_tag(self) -> DataLoader[int, int]:
        viewer = self.viewer
        return DataLoader(_counts(lambda: articles.by_tag(viewer)))

    @_made_once
    def credits_of_contributor(self) -> DataLoader[PageKey, Page[CreditRow]]:
        viewer = self.viewer
        return DataLoader(
            _pages(lambda: credits.by_contributor(viewer), _contributors_shown(self.seen))
        )

    @_made_once
    def credit_count_of_contributor(self) -> DataLoader[int, int]:
        viewer = self.viewer
        return DataLoader(_counts(lambda: credits.by_contributor(viewer)))

    @_made_once
    def revisions_of_article(self) -> DataLoader[PageKey, Page[RevisionRow]]:
        return DataLoader(_pages(revisions.by_article))

    @_made_once
    def revision_count_of_article(self) -> DataLoader[int, int]:
        return DataLoader(_counts(revisions.by_article))

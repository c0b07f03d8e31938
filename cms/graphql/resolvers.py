"""Plain resolver functions: they check arguments, call the read layer and return rows.

Types in :mod:`cms.graphql.types` declare the fields; the work happens here. Relations go
through the request's DataLoaders, so a list of any length costs the same few statements.
What a response shows is noted as cache keys (:mod:`cms.graphql.cachetags`): by the loaders,
and here for the top-level listings, which read without them.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import strawberry
from strawberry import Parent
from strawberry.dataloader import DataLoader

from cms import caches
from cms.content.markdown import reading_time_minutes, render_html, render_text
from cms.graphql.cachetags import ARTICLES, CONTRIBUTORS, TAGS
from cms.graphql.connections import Connection, Edge, Started, connection, selects
from cms.graphql.context import Info
from cms.graphql.ids import from_global_id, to_global_id
from cms.graphql.inputs import ArticleFilter, ArticleOrder, BodyFormat, SortDirection
from cms.models import TagKind
from cms.read import articles, contributors, credits, listing, revisions, search, tags
from cms.read.pages import Page, window
from cms.read.revisions import RevisionRow
from cms.read.rows import ArticleRow, ContributorRow, CreditRow, TagRow
from cms.read.search import Hit
from cms.read.sql import dialect


def _article_ordering(order: ArticleOrder | None) -> listing.Ordering:
    if order is None:
        return articles.ordering()
    return articles.ordering(order.field, order.direction is SortDirection.DESC)


async def _top_level(
    info: Info, rows: listing.Listing[Any], ordering: listing.Ordering, paging: dict[str, Any]
) -> Connection[Any]:
    """A top-level connection: one page of ``rows``, and their count when it is selected."""
    page_window = window(info.context.settings, ordering.name, **paging)
    page = (await listing.fetch_pages(rows, ordering, page_window))[listing.TOP]

    async def total() -> int:
        return (await listing.count(rows))[listing.TOP]

    return connection(page, total)


# -- Query -----------------------------------------------------------------------------------


async def node(
    info: Info, id: strawberry.ID
) -> ArticleRow | TagRow | ContributorRow | CreditRow | None:
    decoded = from_global_id(id)
    if decoded is None:
        return None
    type_name, pk = decoded
    loaders = info.context.loaders
    by_type: dict[str, DataLoader[int, Any]] = {
        "Article": loaders.article,
        "Tag": loaders.tag,
        "Contributor": loaders.contributor,
        "ImageCredit": loaders.credit,
    }
    loader = by_type.get(type_name)
    return None if loader is None else await loader.load(pk)


async def article(info: Info, slug: str) -> ArticleRow | None:
    return await info.context.loaders.article_by_slug.load(slug)


async def articles_(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    offset: int | None = None,
    filter: ArticleFilter | None = None,
    order_by: ArticleOrder | None = None,
) -> Connection[Any]:
    rows = articles.listing(info.context.viewer, filter.to_filter() if filter else None)
    paging = {"first": first, "after": after, "last": last, "before": before, "offset": offset}
    found = await _top_level(info, rows, _article_ordering(order_by), paging)
    seen = info.context.cache_tags
    seen.add_list(ARTICLES)
    seen.add_articles([edge.node.pk for edge in found.edges])
    return found


async def tag(info: Info, slug: str) -> TagRow | None:
    return await info.context.loaders.tag_by_slug.load(slug)


async def tags_(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    kind: TagKind | None = None,
) -> Connection[Any]:
    paging = {"first": first, "after": after, "last": last, "before": before}
    rows = tags.listing(info.context.viewer, kind)
    found = await _top_level(info, rows, tags.ordering(), paging)
    seen = info.context.cache_tags
    seen.add_list(TAGS)
    seen.add_tags([edge.node.pk for edge in found.edges])
    return found


async def contributor(info: Info, slug: str) -> ContributorRow | None:
    return await info.context.loaders.contributor_by_slug.load(slug)


async def contributors_(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[Any]:
    paging = {"first": first, "after": after, "last": last, "before": before}
    rows = contributors.listing(info.context.viewer)
    info.context.cache_tags.add_list(CONTRIBUTORS)
    return await _top_level(info, rows, contributors.ordering(), paging)


async def search_(
    info: Info,
    query: str,
    first: int | None = None,
    after: str | None = None,
    filter: ArticleFilter | None = None,
) -> Connection[Any]:
    context = info.context
    page_window = window(context.settings, search.ORDERING, first=first, after=after)
    article_filter = filter.to_filter() if filter else None

    async def total() -> int:
        return await search.count(context.viewer, query, article_filter)

    # A count of every match takes about as long as the ranking: read both at once when the
    # database can and the count is selected.
    started = None
    if search.COUNT_ALONGSIDE[dialect()] and selects(info, "totalCount"):
        started = Started(total())
    try:
        hits, _ = await search.search(context.viewer, query, article_filter, page_window)
    except BaseException:
        if started is not None:
            started.cancel()
        raise
    seen = context.cache_tags
    seen.add_list(ARTICLES)
    seen.add_articles([hit.article.pk for hit in hits.rows])
    return connection(hits, total if started is None else started)


# -- SearchConnection ------------------------------------------------------------------------


async def total_count(root: Parent[Connection[Any]]) -> int:
    return await root.count()


def hit_article(root: Parent[Edge[Hit]]) -> ArticleRow:
    return root.node.article


def hit_snippet(root: Parent[Edge[Hit]]) -> str:
    return root.node.snippet


def hit_score(root: Parent[Edge[Hit]]) -> float:
    return root.node.score


# -- Article ---------------------------------------------------------------------------------


def article_id(root: Parent[ArticleRow]) -> strawberry.ID:
    return to_global_id("Article", root.pk)


#: Rendered bodies are kept by format and Markdown text with the service's caches
#: (:attr:`cms.caches.Caches.rendered`): rendering (markdown-it, then nh3) costs more than the
#: rest of an article page, and the text itself is the key, so an edit can never be served
#: stale. Bounded in bytes (``CMS_RENDER_CACHE_BYTES``).
_RENDERERS = {BodyFormat.HTML: render_html, BodyFormat.TEXT: render_text}


def article_body(
    root: Parent[ArticleRow | RevisionRow], info: Info, format: BodyFormat = BodyFormat.MARKDOWN
) -> str | Awaitable[str]:
    if root.body is None:  # read by a list, which leaves bodies out: load them in one batch
        return _formatted_later(info.context.loaders.body_of_article.load(root.pk), format)
    return _formatted(root.body, format)


async def _formatted_later(body: Awaitable[str], format: BodyFormat) -> str:
    return _formatted(await body, format)


def _formatted(body: str, format: BodyFormat) -> str:
    render = _RENDERERS.get(format)
    if render is None:
        return body
    kept = caches.current()
    if kept is None:  # outside a service's request: nothing to keep it in
        return render(body)
    key = (format, body)
    found = kept.rendered.get(key)
    if found is None:
        kept.rendered_misses += 1
        found = render(body)
        # Characters weigh one to four bytes: count two for the text and its rendering.
        kept.rendered.put(key, found, 256 + 2 * (len(body) + len(found)))
    else:
        kept.rendered_hits += 1
    return found


def article_reading_time(root: Parent[ArticleRow]) -> int:
    return reading_time_minutes(root.word_count)


# Relations that are a DataLoader lookup return the loader's future itself: no coroutine and no
# task per parent object.


def article_tags(root: Parent[ArticleRow], info: Info) -> Awaitable[list[TagRow]]:
    return info.context.loaders.tags_of_article.load(root.pk)


def article_credits(root: Parent[ArticleRow], info: Info) -> Awaitable[list[CreditRow]]:
    return info.context.loaders.credits_of_article.load(root.pk)


async def article_revisions(
    root: Parent[ArticleRow], info: Info, first: int | None = None, after: str | None = None
) -> Connection[Any] | None:
    """Earlier states, newest first: for preview and write tokens only (null for others)."""
    if not info.context.viewer.preview:
        return None
    loaders = info.context.loaders
    ordering = revisions.ordering()
    page_window = window(info.context.settings, ordering.name, first=first, after=after)
    page: Page[RevisionRow] = await loaders.revisions_of_article.load(
        (root.pk, page_window, ordering)
    )
    return connection(page, lambda: loaders.revision_count_of_article.load(root.pk))


# -- ImageCredit -----------------------------------------------------------------------------


def credit_id(root: Parent[CreditRow]) -> strawberry.ID:
    return to_global_id("ImageCredit", root.pk)


def credit_contributors(root: Parent[CreditRow], info: Info) -> Awaitable[list[ContributorRow]]:
    return info.context.loaders.contributors_of_credit.load(root.pk)


async def credit_article(root: Parent[CreditRow], info: Info) -> ArticleRow:
    row = await info.context.loaders.article.load(root.article_id)
    if row is None:  # the credit was reached through a visible article or a visibility check
        raise LookupError(f"article {root.article_id} of credit {root.pk} is not visible")
    return row


# -- Contributor -----------------------------------------------------------------------------


def contributor_id(root: Parent[ContributorRow]) -> strawberry.ID:
    return to_global_id("Contributor", root.pk)


async def contributor_credits(
    root: Parent[ContributorRow],
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[Any]:
    loaders = info.context.loaders
    ordering = credits.ordering()
    page_window = window(
        info.context.settings, ordering.name, first=first, after=after, last=last, before=before
    )
    page: Page[CreditRow] = await loaders.credits_of_contributor.load(
        (root.pk, page_window, ordering)
    )
    return connection(page, lambda: loaders.credit_count_of_contributor.load(root.pk))


# -- Tag -------------------------------------------------------------------------------------


def tag_id(root: Parent[TagRow]) -> strawberry.ID:
    return to_global_id("Tag", root.pk)


def tag_article_count(root: Parent[TagRow], info: Info) -> Awaitable[int]:
    return info.context.loaders.article_count_of_tag.load(root.pk)


async def tag_articles(
    root: Parent[TagRow],
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    order_by: ArticleOrder | None = None,
) -> Connection[Any]:
    loaders = info.context.loaders
    ordering = _article_ordering(order_by)
    page_window = window(
        info.context.settings, ordering.name, first=first, after=after, last=last, before=before
    )
    page: Page[ArticleRow] = await loaders.articles_of_tag.load((root.pk, page_window, ordering))
    return connection(page, lambda: loaders.article_count_of_tag.load(root.pk))

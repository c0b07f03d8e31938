"""What a response shows, as the cache keys of :mod:`cms.changes.keys`, collected while it is
resolved and sent in ``Cache-Tag`` (comma-separated, as Cloudflare reads it) and
``Surrogate-Key`` (space-separated, as Fastly reads it).

Loaders and resolvers note the primary keys of the articles and tags they return, and the list
keys of listings and of lookups that found nothing (a later publication must purge those):
plain integers in sets, so collecting costs a few set updates per request. The keys are
spelled out only when a cacheable response is sent, and a response that shows too much to name
within ``cache_tag_max_bytes`` falls back to a coarser key of the same kind (every article key
becomes ``articles``, then every tag key ``tags``): a CDN purging by key then drops it with
every change of that kind, never keeps it past one whose key was cut off.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from cms.changes.keys import ARTICLES, CONTRIBUTORS, TAGS, article_key, tag_key

#: Keys spelled out are kept per primary key (a base64 global id each time would cost more
#: than the rest of the header).
_article_key = lru_cache(maxsize=1 << 16)(article_key)
_tag_key = lru_cache(maxsize=1 << 16)(tag_key)

__all__ = ["ARTICLES", "CONTRIBUTORS", "NONE", "TAGS", "CacheTags", "Keys"]


@dataclass(frozen=True, slots=True)
class Keys:
    """The keys one response carries, and its two headers."""

    keys: frozenset[str]
    #: The ``Cache-Tag`` value.
    cache_tag: str
    #: The ``Surrogate-Key`` value.
    surrogate_key: str

    def headers(self) -> dict[str, str]:
        if not self.keys:
            return {}
        return {"Cache-Tag": self.cache_tag, "Surrogate-Key": self.surrogate_key}


NONE = Keys(frozenset(), "", "")


class CacheTags:
    """One request's collector: what it showed, by primary key and list key."""

    __slots__ = ("articles", "lists", "tags")

    def __init__(self) -> None:
        #: Primary keys of the articles shown.
        self.articles: set[int] = set()
        #: Primary keys of the tags shown.
        self.tags: set[int] = set()
        #: List keys (``articles``, ``tags``, ``contributors``).
        self.lists: set[str] = set()

    def add_articles(self, pks: Iterable[int]) -> None:
        self.articles.update(pks)

    def add_tags(self, pks: Iterable[int]) -> None:
        self.tags.update(pks)

    def add_list(self, key: str) -> None:
        self.lists.add(key)

    def keys(self, max_bytes: int) -> Keys:
        """The keys to send, within ``max_bytes`` for either header (falling back to list keys
        when naming every article, then every tag, would not fit)."""
        if not (self.articles or self.tags or self.lists):
            return NONE
        lists = set(self.lists)
        articles = [_article_key(pk) for pk in sorted(self.articles)]
        tags = [_tag_key(pk) for pk in sorted(self.tags)]
        if _length(lists, articles, tags) > max_bytes:
            lists.add(ARTICLES)
            articles = []
            if _length(lists, articles, tags) > max_bytes:
                lists.add(TAGS)
                tags = []
        names = [*sorted(lists), *articles, *tags]
        return Keys(frozenset(names), ",".join(names), " ".join(names))


def _length(lists: set[str], articles: list[str], tags: list[str]) -> int:
    count = len(lists) + len(articles) + len(tags)
    size = sum(map(len, lists)) + sum(map(len, articles)) + sum(map(len, tags))
    return size + max(count - 1, 0)

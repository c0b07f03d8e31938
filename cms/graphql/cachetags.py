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

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from cms.changes.keys import ARTICLES, CONTRIBUTORS, TAGS, article_key, tag_key

__all__ = ["ARTICLES", "CONTRIBUTORS", "NONE", "TAGS", "CacheTags", "Keys"]

#: Most spelled-out keys kept per kind (then they are spelled anew).
_SPELLED_MAX = 1 << 16


class _Spelled(dict[int, str]):
    """Keys spelled out, by primary key (a base64 global id each time would cost more than
    the rest of the header); read with ``map(spelled.__getitem__, pks)``, at C speed."""

    def __init__(self, spell: Callable[[int], str]) -> None:
        super().__init__()
        self.spell = spell

    def __missing__(self, pk: int) -> str:
        if len(self) >= _SPELLED_MAX:
            self.clear()
        name = self[pk] = self.spell(pk)
        return name


_article_keys = _Spelled(article_key)
_tag_keys = _Spelled(tag_key)


@dataclass(frozen=True, slots=True)
class Keys:
    """The keys one response carries (in no particular order), as its ``Cache-Tag`` value."""

    names: tuple[str, ...]
    #: The ``Cache-Tag`` value (``Surrogate-Key`` is the same, space-separated).
    cache_tag: str
    #: Both headers, encoded once (a cache hit sends them as they are): none without keys.
    raw_headers: tuple[tuple[bytes, bytes], ...]


def _keys(names: tuple[str, ...], cache_tag: str) -> Keys:
    value = cache_tag.encode("latin-1")
    raw = ((b"cache-tag", value), (b"surrogate-key", value.replace(b",", b" ")))
    return Keys(names, cache_tag, raw if names else ())


NONE = Keys((), "", ())


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
        """The keys to send, within ``max_bytes`` (falling back to list keys when naming every
        article, then every tag, would not fit)."""
        lists = self.lists
        if not (self.articles or self.tags or lists):
            return NONE
        names = (
            *lists,
            *map(_article_keys.__getitem__, self.articles),
            *map(_tag_keys.__getitem__, self.tags),
        )
        header = ",".join(names)
        if len(header) > max_bytes:
            coarser = lists | {ARTICLES}
            names = (*coarser, *map(_tag_keys.__getitem__, self.tags))
            header = ",".join(names)
            if len(header) > max_bytes:
                names = tuple(coarser | {TAGS})
                header = ",".join(names)
        return _keys(names, header)

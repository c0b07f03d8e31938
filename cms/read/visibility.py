"""Who sees which articles and tags: the one place the rules live.

Anonymous callers (and ``read`` tokens) see PUBLISHED articles whose publishedAt is not in the
future; ``preview`` and ``write`` tokens see everything. Every list, count, relation, node
lookup and search applies :meth:`Viewer.articles` to the article table, or (a tag's articles)
to the tag links, which hold a copy of each article's status and publishedAt under the same
column names (kept in step by triggers: migration 0011).

A tag is seen by the same callers only while an article they may see carries it (a tag made
for a draft or a scheduled article would otherwise announce its topic early); ``preview`` and
``write`` tokens see every tag. :meth:`Viewer.tags` says so in SQL, from :meth:`Viewer.articles`,
so both rules change together. Both depend on the content and the request time only, so what
is derived from them may be kept per content version until the next scheduled publication.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cms.models import ArticleStatus


@dataclass(frozen=True)
class Viewer:
    """The caller of one request, and the time that request runs at."""

    now: datetime
    #: Sees drafts, archived and scheduled articles, and every tag.
    preview: bool = False

    def articles(self, alias: str = "a") -> tuple[str, list[Any]]:
        """An SQL condition (and its parameters) true for the articles this viewer may see."""
        if self.preview:
            return "1 = 1", []
        return (
            f"{alias}.status = ? AND {alias}.published_at <= ?",
            [ArticleStatus.PUBLISHED.value, self.now],
        )

    def tags(self, alias: str = "t") -> tuple[str, list[Any]]:
        """An SQL condition (and its parameters) true for the tags this viewer may see: those
        an article it may see carries. One correlated ``EXISTS`` in the caller's statement,
        never a statement of its own; it applies :meth:`articles` to the links' copy of their
        articles' visibility, so it probes the links' (tag, status, published_at) index and
        reads no article row."""
        if self.preview:
            return "1 = 1", []
        visible, params = self.articles("vtl")
        return (
            f"EXISTS (SELECT 1 FROM article_tag vtl WHERE vtl.tag_id = {alias}.id AND {visible})",
            params,
        )

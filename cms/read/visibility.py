"""Who sees which articles: the one place the rule lives.

Anonymous callers (and ``read`` tokens) see PUBLISHED articles whose publishedAt is not in the
future; ``preview`` and ``write`` tokens see everything. Every list, count, relation, node
lookup and search applies :meth:`Viewer.articles` to the article table.
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
    #: Sees drafts, archived and scheduled articles.
    preview: bool = False

    def articles(self, alias: str = "a") -> tuple[str, list[Any]]:
        """An SQL condition (and its parameters) true for the articles this viewer may see."""
        if self.preview:
            return "1 = 1", []
        return (
            f"{alias}.status = ? AND {alias}.published_at <= ?",
            [ArticleStatus.PUBLISHED.value, self.now],
        )

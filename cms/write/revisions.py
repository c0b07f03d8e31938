"""Revisions: the state an article had before each change."""

from __future__ import annotations

from datetime import datetime

from cms.fixtures.snapshot import StoredArticle
from cms.models import ArticleRevision


def revision_row(before: StoredArticle, changed: list[str], now: datetime) -> ArticleRevision:
    """The revision that keeps ``before`` (unsaved), replaced at ``now`` by a change of
    ``changed`` (API field names)."""
    state = before.state
    return ArticleRevision(
        article_id=before.id,
        version=before.meta.version,
        created_at=now,
        changed_fields=changed,
        slug=state.slug,
        title=state.title,
        summary=state.summary,
        body=state.body,
        status=state.status,
        published_at=state.published_at,
        tags=list(state.tags),
    )

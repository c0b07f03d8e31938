"""An article's revisions, newest first (for preview and write callers only)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cms.models import ArticleStatus
from cms.read.listing import Key, Listing, Ordering
from cms.read.sql import Row, as_datetime


@dataclass(slots=True)
class RevisionRow:
    pk: int
    article_id: int
    version: int
    created_at: datetime
    changed_fields: list[str]
    slug: str
    title: str
    summary: str | None
    body: str
    status: ArticleStatus
    published_at: datetime | None
    tags: list[str]


COLUMNS = (
    "r.id, r.article_id, r.version, r.created_at, r.changed_fields, r.slug, r.title, r.summary,"
    " r.body, r.status, r.published_at, r.tags"
)


def _json(value: Any) -> list[str]:
    loaded = json.loads(value) if isinstance(value, (str, bytes)) else value
    return [str(item) for item in loaded or []]


def revision_row(r: Row) -> RevisionRow:
    return RevisionRow(
        r[0],
        r[1],
        r[2],
        as_datetime(r[3]),  # type: ignore[arg-type]
        _json(r[4]),
        r[5],
        r[6],
        r[7],
        r[8],
        ArticleStatus(r[9]),
        as_datetime(r[10]),
        _json(r[11]),
    )


def ordering() -> Ordering:
    """Newest first: by version, descending (unique per article)."""
    return Ordering("revisions:newest", (Key("r.version", True),))


def by_article() -> Listing[RevisionRow]:
    """Per article (partition ``r.article_id``): its revisions."""
    return Listing(COLUMNS, revision_row, "article_revision r", partition="r.article_id")

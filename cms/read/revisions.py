"""An article's revisions, newest first (for preview and write callers only)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cms.models import ArticleStatus
from cms.read.columns import Column, Table
from cms.read.listing import Key, Listing, Ordering
from cms.read.rows import STATUSES
from cms.read.sql import as_datetime


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


def _json(value: Any) -> list[str]:
    loaded = json.loads(value) if isinstance(value, (str, bytes)) else value
    return [str(item) for item in loaded or []]


#: Revisions, aliased ``r``.
REVISIONS = Table(
    RevisionRow,
    "article_revision",
    "r",
    [
        Column("pk", "id"),
        Column("article_id", "article_id"),
        Column("version", "version"),
        Column("created_at", "created_at", as_datetime),
        Column("changed_fields", "changed_fields", _json),
        Column("slug", "slug"),
        Column("title", "title"),
        Column("summary", "summary"),
        Column("body", "body"),
        Column("status", "status", STATUSES),
        Column("published_at", "published_at", as_datetime),
        Column("tags", "tags", _json),
    ],
)
REVISION = REVISIONS.select()


def ordering() -> Ordering:
    """Newest first: by version, descending (unique per article)."""
    return Ordering("revisions:newest", (Key("r.version", True),))


def by_article() -> Listing[RevisionRow]:
    """Per article (partition ``r.article_id``): its revisions."""
    return Listing(REVISION, "article_revision r", partition="r.article_id")

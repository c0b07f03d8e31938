"""An article's state as stored: what a change compares, a fixture carries and a revision keeps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cms.models import ArticleStatus


@dataclass(frozen=True)
class CreditState:
    """An image credit as stored; ``contributors`` are contributor slugs, in order."""

    text: str
    organization: str | None = None
    role: str | None = None
    contributors: tuple[str, ...] = ()
    image_url: str | None = None
    caption: str | None = None
    alt_text: str | None = None


@dataclass(frozen=True)
class ArticleState:
    """An article's content as stored (everything a change bumps the version for)."""

    slug: str
    title: str
    body: str
    summary: str | None = None
    status: ArticleStatus = ArticleStatus.DRAFT
    published_at: datetime | None = None
    tags: tuple[str, ...] = ()
    image_credits: tuple[CreditState, ...] = ()


@dataclass(frozen=True)
class ArticleMeta:
    """An article's bookkeeping, which a fixture may give and a load then keeps as given."""

    created_at: datetime
    updated_at: datetime
    version: int


#: Article state fields by the names the API uses for them (for a revision's changedFields).
API_NAMES = {
    "slug": "slug",
    "title": "title",
    "summary": "summary",
    "body": "body",
    "status": "status",
    "published_at": "publishedAt",
    "tags": "tags",
    "image_credits": "imageCredits",
}


def changed_fields(before: ArticleState, after: ArticleState) -> list[str]:
    """The API names of the fields that differ, in a stable order."""
    return [api for name, api in API_NAMES.items() if getattr(before, name) != getattr(after, name)]

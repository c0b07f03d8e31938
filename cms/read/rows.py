"""Row types the read queries return and the GraphQL types resolve from, each with the
declaration of its columns (see :mod:`cms.read.columns`) and the selections queries use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cms.models import ArticleStatus, TagKind
from cms.read.columns import Column, Table
from cms.read.sql import as_datetime

#: Stored values to enum members (a dict lookup: calling the enum class costs ~10x more).
STATUSES = {status.value: status for status in ArticleStatus}
KINDS = {kind.value: kind for kind in TagKind}


@dataclass(slots=True)
class ArticleRow:
    pk: int
    slug: str
    title: str
    summary: str | None
    #: None when read by a list (see LISTED_ARTICLE): the resolver then loads it when selected.
    body: str | None
    status: ArticleStatus
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int
    word_count: int


#: Articles, aliased ``a``.
ARTICLES = Table(
    ArticleRow,
    "article",
    "a",
    [
        Column("pk", "id"),
        Column("slug", "slug"),
        Column("title", "title"),
        Column("summary", "summary"),
        Column("body", "body", omissible=True),
        Column("status", "status", STATUSES),
        Column("published_at", "published_at", as_datetime),
        Column("created_at", "created_at", as_datetime),
        Column("updated_at", "updated_at", as_datetime),
        Column("version", "version"),
        Column("word_count", "word_count"),
    ],
)
#: Whole articles, for lookups by id or slug.
FULL_ARTICLE = ARTICLES.select()
#: Articles without their bodies, for lists and pages: bodies are kilobytes each, carried
#: through sorts and window functions and rarely asked for in a list (ArticleRow.body is then
#: None, and the resolver loads it when selected).
LISTED_ARTICLE = ARTICLES.select(omit={"body"})


@dataclass(slots=True)
class TagRow:
    pk: int
    slug: str
    name: str
    kind: TagKind
    description: str | None


#: Tags, aliased ``t``.
TAGS = Table(
    TagRow,
    "tag",
    "t",
    [
        Column("pk", "id"),
        Column("slug", "slug"),
        Column("name", "name"),
        Column("kind", "kind", KINDS),
        Column("description", "description"),
    ],
)
TAG = TAGS.select()


@dataclass(slots=True)
class ContributorRow:
    pk: int
    slug: str
    name: str


#: Contributors, aliased ``c``.
CONTRIBUTORS = Table(
    ContributorRow,
    "contributor",
    "c",
    [Column("pk", "id"), Column("slug", "slug"), Column("name", "name")],
)
CONTRIBUTOR = CONTRIBUTORS.select()


@dataclass(slots=True)
class CreditRow:
    pk: int
    article_id: int
    position: int
    text: str
    organization: str | None
    role: str | None
    image_url: str | None
    caption: str | None
    alt_text: str | None


#: Image credits, aliased ``ic``.
CREDITS = Table(
    CreditRow,
    "image_credit",
    "ic",
    [
        Column("pk", "id"),
        Column("article_id", "article_id"),
        Column("position", "position"),
        Column("text", "text"),
        Column("organization", "organization"),
        Column("role", "role"),
        Column("image_url", "image_url"),
        Column("caption", "caption"),
        Column("alt_text", "alt_text"),
    ],
)
CREDIT = CREDITS.select()

"""An article's state as stored (what a change compares, a fixture carries and a revision
keeps), and the fields a change gives (what validation checks and the write core applies).

Field names are the domain's (snake_case); the edges (GraphQL, fixture files) map them to the
API's names, e.g. with :func:`api_path`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias, TypeVar

from cms.models import ArticleStatus, TagKind


class Omitted(enum.Enum):
    """The type of :data:`OMITTED`."""

    OMITTED = "OMITTED"

    def __repr__(self) -> str:
        return "OMITTED"


#: A field the input left out: the stored value stays (None, by contrast, clears it).
OMITTED = Omitted.OMITTED

T = TypeVar("T")
#: A value, or :data:`OMITTED`.
Maybe: TypeAlias = T | Omitted


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


@dataclass(frozen=True)
class TagState:
    """A tag as stored."""

    slug: str
    name: str
    kind: TagKind = TagKind.TOPIC
    description: str | None = None


@dataclass(frozen=True)
class CreditFields:
    """An image credit as an input gives it. ``organization``, ``role`` and ``contributors``
    left out are parsed from ``text``; None (or no contributors) means none. ``contributors``
    are names or slugs as written."""

    text: str
    organization: Maybe[str | None] = OMITTED
    role: Maybe[str | None] = OMITTED
    contributors: Maybe[tuple[str, ...] | None] = OMITTED
    image_url: str | None = None
    caption: str | None = None
    alt_text: str | None = None


@dataclass(frozen=True)
class ArticleFields:
    """The article fields an input gives; :data:`OMITTED` ones stay as stored (a new article
    gets the default). ``tags`` are tag slugs or names as written."""

    slug: Maybe[str | None] = OMITTED
    title: Maybe[str | None] = OMITTED
    summary: Maybe[str | None] = OMITTED
    body: Maybe[str | None] = OMITTED
    status: Maybe[ArticleStatus | None] = OMITTED
    published_at: Maybe[datetime | None] = OMITTED
    tags: Maybe[tuple[str, ...] | None] = OMITTED
    image_credits: Maybe[tuple[CreditFields, ...] | None] = OMITTED


@dataclass(frozen=True)
class TagFields:
    """The tag fields an input gives; :data:`OMITTED` ones stay as stored."""

    slug: Maybe[str | None] = OMITTED
    name: Maybe[str | None] = OMITTED
    kind: Maybe[TagKind | None] = OMITTED
    description: Maybe[str | None] = OMITTED


def api_name(name: str) -> str:
    """A domain field name as the API spells it: ``image_credits`` -> ``imageCredits``."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def api_path(path: str | None) -> str | None:
    """A dotted domain field path in the API's names: ``image_credits.0.alt_text`` ->
    ``imageCredits.0.altText``."""
    return None if path is None else ".".join(api_name(part) for part in path.split("."))


#: Article state fields by the names the API uses for them (for a revision's changedFields).
API_NAMES = {
    name: api_name(name)
    for name in (
        "slug",
        "title",
        "summary",
        "body",
        "status",
        "published_at",
        "tags",
        "image_credits",
    )
}


def changed_fields(before: ArticleState, after: ArticleState) -> list[str]:
    """The API names of the fields that differ, in a stable order."""
    return [api for name, api in API_NAMES.items() if getattr(before, name) != getattr(after, name)]

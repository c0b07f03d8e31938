"""The writes the service accepts, as typed commands with the domain's field names.

The edges build them: the GraphQL mutations from their inputs, fixture loads from their
records. Content fields travel as :class:`~cms.content.state.ArticleFields` /
:class:`~cms.content.state.TagFields`, where :data:`~cms.content.state.OMITTED` means "left
out, keep the stored value" and None means "clear it".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from cms.content.state import ArticleFields, TagFields


@dataclass(frozen=True)
class CreateArticle:
    fields: ArticleFields


@dataclass(frozen=True)
class UpdateArticle:
    id: int
    fields: ArticleFields
    #: When given and not the stored version, nothing is written (CONFLICT).
    expected_version: int | None = None


@dataclass(frozen=True)
class PublishArticle:
    id: int
    expected_version: int | None = None
    #: None: the publication time it has when already published, else now.
    published_at: datetime | None = None


@dataclass(frozen=True)
class UnpublishArticle:
    id: int
    expected_version: int | None = None


@dataclass(frozen=True)
class RestoreArticle:
    """Bring back revision ``version``'s state as a new version."""

    id: int
    version: int
    expected_version: int | None = None


@dataclass(frozen=True)
class DeleteArticle:
    id: int
    expected_version: int | None = None


@dataclass(frozen=True)
class CreateTag:
    fields: TagFields


@dataclass(frozen=True)
class UpdateTag:
    id: int
    fields: TagFields


@dataclass(frozen=True)
class DeleteTag:
    id: int


@dataclass(frozen=True)
class Bookkeeping:
    """What a fixture record may say about an article besides its content (None: not given)."""

    created_at: datetime | None = None
    updated_at: datetime | None = None
    version: int | None = None


@dataclass(frozen=True)
class LoadArticle:
    """A fixture's article record: create the article with this slug, or update it.

    ``fields.slug`` is unused: the record's slug is ``slug``, already made from the title when
    the record gave none.
    """

    slug: str
    fields: ArticleFields
    given: Bookkeeping = field(default_factory=Bookkeeping)


@dataclass(frozen=True)
class LoadTag:
    """A fixture's tag record: create the tag with this slug, or update it."""

    slug: str
    fields: TagFields


@dataclass(frozen=True)
class LoadContributor:
    """A fixture's contributor record: create the contributor with this slug, or rename it."""

    slug: str
    name: str

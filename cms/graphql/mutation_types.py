"""Inputs and payloads of the mutations (Relay style: one input and one payload each).

Input fields left out are ``UNSET`` and leave the stored value as it is: the converters at the
end turn inputs into the domain's typed fields (``UNSET`` becomes ``OMITTED``), so nothing
below this edge sees the API's names. Payloads resolve from plain outcome values, like every
other type here resolves from rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

import strawberry

from cms.content.state import (
    OMITTED,
    ArticleFields,
    CreditFields,
    Omitted,
    TagFields,
)
from cms.content.validation import ErrorCode, FieldError
from cms.graphql.types import Article, Tag
from cms.models import ArticleStatus, TagKind
from cms.read.rows import ArticleRow, TagRow

T = TypeVar("T")

UserErrorCode = strawberry.enum(ErrorCode, name="UserErrorCode")


@strawberry.type
class UserError:
    field: str | None = strawberry.field(
        description='The input field at fault, e.g. "slug" or "imageCredits.0.text"; null when '
        "the whole input is at fault."
    )
    message: str
    code: ErrorCode


@strawberry.input
class ImageCreditInput:
    text: str = strawberry.field(
        description="The credit line as printed; organization, role and contributors are parsed "
        "from it when not given."
    )
    organization: str | None = strawberry.UNSET
    role: str | None = strawberry.UNSET
    contributors: list[str] | None = strawberry.UNSET
    image_url: str | None = strawberry.UNSET
    caption: str | None = strawberry.UNSET
    alt_text: str | None = strawberry.UNSET


@strawberry.input
class CreateArticleInput:
    slug: str | None = strawberry.field(
        default=strawberry.UNSET, description="Made from the title when not given."
    )
    title: str
    summary: str | None = strawberry.UNSET
    body: str
    status: ArticleStatus = ArticleStatus.DRAFT
    published_at: datetime | None = strawberry.UNSET
    tags: list[str] | None = strawberry.field(
        default=strawberry.UNSET,
        description="Tag slugs or names; unknown ones are created as TOPIC tags.",
    )
    image_credits: list[ImageCreditInput] | None = strawberry.UNSET


@strawberry.input(
    description="Fields left out stay as they are; lists given replace the old lists."
)
class UpdateArticleInput:
    id: strawberry.ID
    expected_version: int | None = strawberry.field(
        default=strawberry.UNSET,
        description="When given and not the article's current version, nothing is written and "
        "the error code is CONFLICT.",
    )
    slug: str | None = strawberry.UNSET
    title: str | None = strawberry.UNSET
    summary: str | None = strawberry.UNSET
    body: str | None = strawberry.UNSET
    status: ArticleStatus | None = strawberry.UNSET
    published_at: datetime | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET
    image_credits: list[ImageCreditInput] | None = strawberry.UNSET


@strawberry.input
class PublishArticleInput:
    id: strawberry.ID
    expected_version: int | None = strawberry.UNSET
    published_at: datetime | None = strawberry.field(
        default=strawberry.UNSET,
        description="When given in the future, the article is scheduled: visible to anonymous "
        "callers from then on.",
    )


@strawberry.input
class UnpublishArticleInput:
    id: strawberry.ID
    expected_version: int | None = strawberry.UNSET


@strawberry.input
class DeleteArticleInput:
    id: strawberry.ID
    expected_version: int | None = strawberry.UNSET


@strawberry.input
class RestoreArticleRevisionInput:
    id: strawberry.ID
    version: int = strawberry.field(
        description="The revision's version to bring back; the article gets a new version with "
        "that state."
    )
    expected_version: int | None = strawberry.UNSET


@strawberry.input
class CreateTagInput:
    slug: str | None = strawberry.UNSET
    name: str
    kind: TagKind = TagKind.TOPIC
    description: str | None = strawberry.UNSET


@strawberry.input
class UpdateTagInput:
    id: strawberry.ID
    slug: str | None = strawberry.UNSET
    name: str | None = strawberry.UNSET
    kind: TagKind | None = strawberry.UNSET
    description: str | None = strawberry.UNSET


@strawberry.input
class DeleteTagInput:
    id: strawberry.ID


@dataclass
class Result:
    """What a mutation resolver returns; the payload types below read from it."""

    article: ArticleRow | None = None
    tag: TagRow | None = None
    deleted_id: str | None = None
    errors: list[FieldError] = field(default_factory=list)


@strawberry.type
class CreateArticlePayload:
    article: Article | None
    errors: list[UserError]


@strawberry.type
class UpdateArticlePayload:
    article: Article | None
    errors: list[UserError]


@strawberry.type
class PublishArticlePayload:
    article: Article | None
    errors: list[UserError]


@strawberry.type
class UnpublishArticlePayload:
    article: Article | None
    errors: list[UserError]


@strawberry.type
class RestoreArticleRevisionPayload:
    article: Article | None
    errors: list[UserError]


@strawberry.type
class DeleteArticlePayload:
    deleted_id: strawberry.ID | None
    errors: list[UserError]


@strawberry.type
class CreateTagPayload:
    tag: Tag | None
    errors: list[UserError]


@strawberry.type
class UpdateTagPayload:
    tag: Tag | None
    errors: list[UserError]


@strawberry.type
class DeleteTagPayload:
    deleted_id: strawberry.ID | None
    errors: list[UserError]


# (Strawberry types UNSET as Any, so a field of type ``str | None`` may hold it.)
def _given(value: T) -> T | Omitted:
    return OMITTED if value is strawberry.UNSET else value


def _strings(value: list[str] | None) -> tuple[str, ...] | Omitted | None:
    if value is strawberry.UNSET:
        return OMITTED
    return None if value is None else tuple(value)


def _optional(value: T | None) -> T | None:
    return None if value is strawberry.UNSET else value


def credit_fields(credit: ImageCreditInput) -> CreditFields:
    """An ``ImageCreditInput`` as the domain's credit fields."""
    return CreditFields(
        text=credit.text,
        organization=_given(credit.organization),
        role=_given(credit.role),
        contributors=_strings(credit.contributors),
        image_url=_optional(credit.image_url),
        caption=_optional(credit.caption),
        alt_text=_optional(credit.alt_text),
    )


def article_fields(article: CreateArticleInput | UpdateArticleInput) -> ArticleFields:
    """The article fields an input gives (left-out ones :data:`OMITTED`)."""
    credits = article.image_credits
    return ArticleFields(
        slug=_given(article.slug),
        title=_given(article.title),
        summary=_given(article.summary),
        body=_given(article.body),
        status=_given(article.status),
        published_at=_given(article.published_at),
        tags=_strings(article.tags),
        image_credits=OMITTED
        if credits is strawberry.UNSET
        else None
        if credits is None
        else tuple(credit_fields(credit) for credit in credits),
    )


def tag_fields(tag: CreateTagInput | UpdateTagInput) -> TagFields:
    """The tag fields an input gives (left-out ones :data:`OMITTED`)."""
    return TagFields(
        slug=_given(tag.slug),
        name=_given(tag.name),
        kind=_given(tag.kind),
        description=_given(tag.description),
    )

"""Validation of the article, tag and credit fields a change gives, shared by every edge.

Input is typed (:class:`~cms.content.state.ArticleFields` and friends, with domain field
names); the edges have already turned the API's JSON or GraphQL values into it, checking JSON
types on the way. Problems come back as :class:`FieldError` values with a dotted domain path
(``"image_credits.0.text"``), never as exceptions, so a caller can report all of them; the
edges rename the paths for their callers (``imageCredits.0.text``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit

from cms.content import limits
from cms.content.slugs import MAX_SLUG_LENGTH, is_valid_slug
from cms.content.state import OMITTED, ArticleFields, CreditFields, Maybe, TagFields
from cms.content.text import unstorable
from cms.timeutil import parse_datetime


class ErrorCode(StrEnum):
    INVALID = "INVALID"
    DUPLICATE = "DUPLICATE"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"


@dataclass(frozen=True)
class FieldError:
    """One problem with an input; ``field`` is None when the whole input is at fault."""

    field: str | None
    message: str
    code: ErrorCode = ErrorCode.INVALID


class _Checker:
    """Collects errors while walking one input."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self.errors: list[FieldError] = []

    def fail(self, key: str, message: str) -> None:
        self.errors.append(FieldError(f"{self.prefix}{key}", message))

    def string(
        self,
        key: str,
        value: Maybe[str | None],
        *,
        required: bool = False,
        nullable: bool = True,
        max_length: int,
        allow_blank: bool = True,
    ) -> str | None:
        if value is OMITTED or value is None:
            if required:
                self.fail(key, "is required")
            elif value is None and not nullable:
                self.fail(key, "must not be null")
            return None
        if not allow_blank and not value.strip():
            self.fail(key, "must not be empty")
        elif len(value) > max_length:
            self.fail(key, f"must be at most {max_length} characters (got {len(value)})")
        elif problem := unstorable(value):
            self.fail(key, problem)
            return None
        return value

    def slug(self, key: str, value: Maybe[str | None], *, nullable: bool = True) -> None:
        value = self.string(
            key, value, nullable=nullable, max_length=MAX_SLUG_LENGTH, allow_blank=False
        )
        if value and value.strip() and len(value) <= MAX_SLUG_LENGTH and not is_valid_slug(value):
            self.fail(
                key, "must be lowercase letters, digits and single hyphens, e.g. 'state-visit'"
            )

    def not_null(self, key: str, value: object) -> None:
        if value is None:
            self.fail(key, "must not be null")

    def datetime(self, key: str, value: Maybe[datetime | None]) -> None:
        if isinstance(value, datetime) and value.tzinfo is None:
            self.fail(key, "must carry a UTC offset")

    def strings(
        self, key: str, values: Maybe[tuple[str, ...] | None], *, max_items: int, max_length: int
    ) -> None:
        if values is OMITTED or values is None:
            return
        if len(values) > max_items:
            self.fail(key, f"must hold at most {max_items} items (got {len(values)})")
        for index, value in enumerate(values):
            if not value.strip():
                self.fail(f"{key}.{index}", "must be a non-empty string")
            elif len(value) > max_length:
                self.fail(f"{key}.{index}", f"must be at most {max_length} characters")
            elif problem := unstorable(value):
                self.fail(f"{key}.{index}", problem)


def enum_problem(value: object, enum: type[StrEnum]) -> str | None:
    """Why ``value`` is not one of ``enum``'s values (for edges that read plain text)."""
    if isinstance(value, str):
        try:
            enum(value)
        except ValueError:
            pass
        else:
            return None
    allowed = ", ".join(member.value for member in enum)
    return f"must be one of {allowed} (got {value!r})"


def datetime_problem(value: object) -> str | None:
    """Why ``value`` is not an ISO-8601 date-time string with a UTC offset."""
    if not isinstance(value, str):
        return "must be an ISO-8601 date-time string with a UTC offset"
    try:
        parse_datetime(value)
    except ValueError as exc:
        return f"must be an ISO-8601 date-time with a UTC offset: {exc}"
    return None


def validate_image_url(value: str) -> str | None:
    """Why ``value`` is not an acceptable image URL, or None when it is."""
    parts = urlsplit(value.strip())
    if parts.scheme.lower() not in limits.IMAGE_URL_SCHEMES or not parts.netloc:
        schemes = " or ".join(limits.IMAGE_URL_SCHEMES)
        return f"must be an absolute {schemes} URL"
    return None


def validate_credit(credit: CreditFields, prefix: str) -> list[FieldError]:
    """Check one image credit (``prefix``: its path, ending in a dot)."""
    check = _Checker(prefix)
    check.string(
        "text",
        credit.text,
        required=True,
        max_length=limits.MAX_CREDIT_FIELD_LENGTH,
        allow_blank=False,
    )
    check.string("organization", credit.organization, max_length=limits.MAX_NAME_LENGTH)
    check.string("role", credit.role, max_length=limits.MAX_NAME_LENGTH)
    check.strings(
        "contributors",
        credit.contributors,
        max_items=limits.MAX_CONTRIBUTORS_PER_CREDIT,
        max_length=limits.MAX_NAME_LENGTH,
    )
    url = check.string("image_url", credit.image_url, max_length=limits.MAX_CREDIT_FIELD_LENGTH)
    if url is not None and (problem := validate_image_url(url)):
        check.fail("image_url", problem)
    check.string("caption", credit.caption, max_length=limits.MAX_CREDIT_FIELD_LENGTH)
    check.string("alt_text", credit.alt_text, max_length=limits.MAX_CREDIT_FIELD_LENGTH)
    return check.errors


def validate_article(fields: ArticleFields, *, partial: bool = False) -> list[FieldError]:
    """Check an article's fields (``partial``: an update, nothing required, and what cannot
    be empty cannot be null)."""
    check = _Checker()
    check.slug("slug", fields.slug, nullable=not partial)
    check.string(
        "title",
        fields.title,
        required=not partial,
        nullable=False,
        max_length=limits.MAX_TITLE_LENGTH,
        allow_blank=False,
    )
    check.string("summary", fields.summary, max_length=limits.MAX_SUMMARY_LENGTH)
    check.string(
        "body", fields.body, required=not partial, nullable=False, max_length=limits.MAX_BODY_LENGTH
    )
    check.not_null("status", fields.status)
    check.datetime("published_at", fields.published_at)
    check.strings(
        "tags",
        fields.tags,
        max_items=limits.MAX_TAGS_PER_ARTICLE,
        max_length=limits.MAX_NAME_LENGTH,
    )
    credits = fields.image_credits
    if credits is not OMITTED and credits is not None:
        most = limits.MAX_CREDITS_PER_ARTICLE
        if len(credits) > most:
            check.fail("image_credits", f"must hold at most {most} items (got {len(credits)})")
        for index, credit in enumerate(credits):
            check.errors.extend(validate_credit(credit, f"image_credits.{index}."))
    return check.errors


def validate_tag(fields: TagFields, *, partial: bool = False) -> list[FieldError]:
    """Check a tag's fields (``partial``: an update)."""
    check = _Checker()
    check.slug("slug", fields.slug, nullable=not partial)
    check.string(
        "name",
        fields.name,
        required=not partial,
        nullable=False,
        max_length=limits.MAX_NAME_LENGTH,
        allow_blank=False,
    )
    check.not_null("kind", fields.kind)
    check.string("description", fields.description, max_length=limits.MAX_DESCRIPTION_LENGTH)
    return check.errors


def validate_contributor(slug: str | None, name: str | None) -> list[FieldError]:
    """Check a contributor's slug (None: made from the name) and name."""
    check = _Checker()
    check.slug("slug", slug)
    check.string("name", name, required=True, max_length=limits.MAX_NAME_LENGTH, allow_blank=False)
    return check.errors

"""Validation of article, tag and credit input, shared by the fixture loader and the mutations.

Input is the camelCase shape of the GraphQL inputs (``CreateArticleInput`` and friends), as
plain mappings. Problems come back as :class:`FieldError` values with a dotted path into the
input (``"imageCredits.0.text"``), never as exceptions, so a caller can report all of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from cms.content import limits
from cms.content.slugs import MAX_SLUG_LENGTH, is_valid_slug
from cms.content.text import unstorable
from cms.models import ArticleStatus, TagKind
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

    def __init__(self, data: Mapping[str, Any], prefix: str = "") -> None:
        self.data = data
        self.prefix = prefix
        self.errors: list[FieldError] = []

    def path(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def fail(self, key: str, message: str) -> None:
        self.errors.append(FieldError(self.path(key), message))

    def string(
        self, key: str, *, required: bool = False, max_length: int, allow_blank: bool = True
    ) -> str | None:
        if key not in self.data or self.data[key] is None:
            if required:
                self.fail(key, "is required")
            return None
        value = self.data[key]
        if not isinstance(value, str):
            self.fail(key, "must be a string")
            return None
        if not allow_blank and not value.strip():
            self.fail(key, "must not be empty")
        elif len(value) > max_length:
            self.fail(key, f"must be at most {max_length} characters (got {len(value)})")
        elif problem := unstorable(value):
            self.fail(key, problem)
            return None
        return value

    def slug(self, key: str) -> None:
        value = self.string(key, max_length=MAX_SLUG_LENGTH, allow_blank=False)
        if value and value.strip() and len(value) <= MAX_SLUG_LENGTH and not is_valid_slug(value):
            self.fail(
                key, "must be lowercase letters, digits and single hyphens, e.g. 'state-visit'"
            )

    def enum(self, key: str, enum: type[StrEnum]) -> None:
        if key in self.data and self.data[key] is not None:
            value = self.data[key]
            if value not in {member.value for member in enum}:
                allowed = ", ".join(member.value for member in enum)
                self.fail(key, f"must be one of {allowed} (got {value!r})")

    def datetime(self, key: str) -> None:
        value = self.data.get(key)
        if value is None:
            return
        if isinstance(value, datetime):  # already parsed (by the GraphQL DateTime scalar)
            if value.tzinfo is None:
                self.fail(key, "must carry a UTC offset")
            return
        if not isinstance(value, str):
            self.fail(key, "must be an ISO-8601 date-time string with a UTC offset")
            return
        try:
            parse_datetime(value)
        except ValueError as exc:
            self.fail(key, f"must be an ISO-8601 date-time with a UTC offset: {exc}")

    def string_list(self, key: str, *, max_items: int, max_length: int) -> list[str] | None:
        if key not in self.data or self.data[key] is None:
            return None
        values = self.data[key]
        if not isinstance(values, list):
            self.fail(key, "must be a list of strings")
            return None
        if len(values) > max_items:
            self.fail(key, f"must hold at most {max_items} items (got {len(values)})")
        for index, value in enumerate(values):
            if not isinstance(value, str) or not value.strip():
                self.fail(f"{key}.{index}", "must be a non-empty string")
            elif len(value) > max_length:
                self.fail(f"{key}.{index}", f"must be at most {max_length} characters")
            elif problem := unstorable(value):
                self.fail(f"{key}.{index}", problem)
        return [v for v in values if isinstance(v, str) and not unstorable(v)]


def validate_image_url(value: str) -> str | None:
    """Why ``value`` is not an acceptable image URL, or None when it is."""
    parts = urlsplit(value.strip())
    if parts.scheme.lower() not in limits.IMAGE_URL_SCHEMES or not parts.netloc:
        schemes = " or ".join(limits.IMAGE_URL_SCHEMES)
        return f"must be an absolute {schemes} URL"
    return None


def validate_credit(data: Any, prefix: str) -> list[FieldError]:
    """Check one ``ImageCreditInput``-shaped mapping."""
    if not isinstance(data, Mapping):
        return [FieldError(prefix.rstrip("."), "must be an object")]
    check = _Checker(data, prefix)
    check.string(
        "text", required=True, max_length=limits.MAX_CREDIT_FIELD_LENGTH, allow_blank=False
    )
    check.string("organization", max_length=limits.MAX_NAME_LENGTH)
    check.string("role", max_length=limits.MAX_NAME_LENGTH)
    check.string_list(
        "contributors",
        max_items=limits.MAX_CONTRIBUTORS_PER_CREDIT,
        max_length=limits.MAX_NAME_LENGTH,
    )
    url = check.string("imageUrl", max_length=limits.MAX_CREDIT_FIELD_LENGTH)
    if url is not None and (problem := validate_image_url(url)):
        check.fail("imageUrl", problem)
    check.string("caption", max_length=limits.MAX_CREDIT_FIELD_LENGTH)
    check.string("altText", max_length=limits.MAX_CREDIT_FIELD_LENGTH)
    return check.errors


def validate_article(data: Mapping[str, Any], *, partial: bool = False) -> list[FieldError]:
    """Check a ``CreateArticleInput``-shaped mapping (``partial``: an update, nothing required)."""
    check = _Checker(data)
    check.slug("slug")
    check.string(
        "title", required=not partial, max_length=limits.MAX_TITLE_LENGTH, allow_blank=False
    )
    if partial and "title" in data and data["title"] is None:
        check.fail("title", "must not be null")
    check.string("summary", max_length=limits.MAX_SUMMARY_LENGTH)
    check.string("body", required=not partial, max_length=limits.MAX_BODY_LENGTH)
    check.enum("status", ArticleStatus)
    check.datetime("publishedAt")
    check.string_list(
        "tags", max_items=limits.MAX_TAGS_PER_ARTICLE, max_length=limits.MAX_NAME_LENGTH
    )
    credits = data.get("imageCredits")
    if credits is not None:
        if not isinstance(credits, Sequence) or isinstance(credits, str):
            check.fail("imageCredits", "must be a list of image credits")
        else:
            most = limits.MAX_CREDITS_PER_ARTICLE
            if len(credits) > most:
                check.fail("imageCredits", f"must hold at most {most} items (got {len(credits)})")
            for index, credit in enumerate(credits):
                check.errors.extend(validate_credit(credit, f"imageCredits.{index}."))
    return check.errors


def validate_tag(data: Mapping[str, Any], *, partial: bool = False) -> list[FieldError]:
    """Check a ``CreateTagInput``-shaped mapping."""
    check = _Checker(data)
    check.slug("slug")
    check.string("name", required=not partial, max_length=limits.MAX_NAME_LENGTH, allow_blank=False)
    check.enum("kind", TagKind)
    check.string("description", max_length=limits.MAX_DESCRIPTION_LENGTH)
    return check.errors


def validate_contributor(data: Mapping[str, Any]) -> list[FieldError]:
    """Check a ``{slug, name}`` contributor mapping."""
    check = _Checker(data)
    check.slug("slug")
    check.string("name", required=True, max_length=limits.MAX_NAME_LENGTH, allow_blank=False)
    return check.errors

"""Validation of typed fields: domain field paths, and what may be null where."""

from __future__ import annotations

from datetime import datetime

import pytest

from cms.content.state import (
    ArticleFields,
    CreditFields,
    TagFields,
    api_path,
)
from cms.content.validation import (
    FieldError,
    validate_article,
    validate_contributor,
    validate_tag,
)
from cms.models import TagKind


def fields_of(errors: list[FieldError]) -> list[str | None]:
    return [error.field for error in errors]


def test_paths_are_the_domain_s_and_the_edges_rename_them() -> None:
    errors = validate_article(
        ArticleFields(
            title="T",
            body="B",
            image_credits=(
                CreditFields(text="ok"),
                CreditFields(text=" ", image_url="ftp://x", alt_text="\x00"),
            ),
        )
    )
    paths = fields_of(errors)
    assert paths == [
        "image_credits.1.text",
        "image_credits.1.image_url",
        "image_credits.1.alt_text",
    ]
    assert [api_path(path) for path in paths] == [
        "imageCredits.1.text",
        "imageCredits.1.imageUrl",
        "imageCredits.1.altText",
    ]
    assert api_path("expected_version") == "expectedVersion" and api_path(None) is None


def test_a_new_article_needs_title_and_body() -> None:
    errors = validate_article(ArticleFields())
    assert [(e.field, e.message) for e in errors] == [
        ("title", "is required"),
        ("body", "is required"),
    ]
    assert validate_article(ArticleFields(slug=None, title="T", body="B")) == []


@pytest.mark.parametrize("name", ["slug", "title", "body", "status"])
def test_an_update_may_not_clear_what_cannot_be_empty(name: str) -> None:
    errors = validate_article(ArticleFields(**{name: None}), partial=True)
    assert [(e.field, e.message) for e in errors] == [(name, "must not be null")]


def test_an_update_may_clear_the_optional_fields_and_leave_out_anything() -> None:
    cleared = ArticleFields(summary=None, published_at=None, tags=None, image_credits=None)
    assert validate_article(cleared, partial=True) == []
    assert validate_article(ArticleFields(), partial=True) == []


def test_a_publication_time_must_carry_an_offset() -> None:
    errors = validate_article(ArticleFields(title="T", body="B", published_at=datetime(2026, 1, 1)))
    assert fields_of(errors) == ["published_at"]


def test_list_items_are_checked_one_by_one() -> None:
    errors = validate_article(
        ArticleFields(
            title="T",
            body="B",
            tags=("ok", " ", "x" * 201),
            image_credits=(CreditFields(text="A", contributors=("Ann", "")),),
        )
    )
    assert fields_of(errors) == ["tags.1", "tags.2", "image_credits.0.contributors.1"]


def test_tags_and_contributors() -> None:
    assert fields_of(validate_tag(TagFields())) == ["name"]
    assert validate_tag(TagFields(name="Peru", kind=TagKind.PLACE, description=None)) == []
    nulls = validate_tag(TagFields(slug=None, name=None, kind=None), partial=True)
    assert [(e.field, e.message) for e in nulls] == [
        ("slug", "must not be null"),
        ("name", "must not be null"),
        ("kind", "must not be null"),
    ]
    assert fields_of(validate_contributor("Bad Slug", "Ann")) == ["slug"]
    assert fields_of(validate_contributor(None, None)) == ["name"]

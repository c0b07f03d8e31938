"""Tests for cms.content.slugs."""

from __future__ import annotations

import pytest

from cms.content.slugs import MAX_SLUG_LENGTH, SLUG_PATTERN, is_valid_slug, slugify


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "Peruvian President Dina Boluarte Arrives in Beijing for Landmark State Visit",
            "peruvian-president-dina-boluarte-arrives-in-beijing-for-landmark-state-visit",
        ),
        ("Boluarte\u2019s Visit", "boluartes-visit"),
        ("Boluarte's Visit", "boluartes-visit"),
        ("Boluarte\u02bcs Visit", "boluartes-visit"),
        ("\u2018Quoted\u2019 word", "quoted-word"),
        ("Rock `n` roll", "rock-n-roll"),
        ("Caf\u00e9 \u00f1and\u00fa \u00fcber", "cafe-nandu-uber"),
        ("Cafe\u0301 decomposed", "cafe-decomposed"),
        ("Stra\u00dfe \u00d8resund \u0130stanbul", "strasse-oresund-istanbul"),
        ("Tom & Jerry", "tom-and-jerry"),
        ("AT&T", "at-and-t"),
        ("  Hello,   World!  ", "hello-world"),
        ("--already-a-slug--", "already-a-slug"),
        ("snake_case and dots.too", "snake-case-and-dots-too"),
        ("Version 2.0 (beta)", "version-2-0-beta"),
        ("\u5317\u4eac Beijing", "beijing"),
        ("Ligatures \ufb01 \u00c6sir", "ligatures-fi-aesir"),
        ("", ""),
        ("   ", ""),
        ("!!! ??? ---", ""),
        ("\u5317\u4eac", ""),
        ("\u2019\u2019", ""),
    ],
)
def test_slugify(value: str, expected: str) -> None:
    assert slugify(value) == expected


@pytest.mark.parametrize(
    ("value", "max_length", "expected"),
    [
        ("aaa bbb ccc", 11, "aaa-bbb-ccc"),
        ("aaa bbb ccc", 10, "aaa-bbb"),
        ("aaa bbb ccc", 8, "aaa-bbb"),
        ("aaa bbb ccc", 7, "aaa-bbb"),
        ("aaa bbb ccc", 6, "aaa"),
        ("aaa bbb ccc", 4, "aaa"),
        ("aaa bbb ccc", 3, "aaa"),
        ("aaaaaaaaaa", 4, "aaaa"),
        ("aaaaaaaaaa bbb", 4, "aaaa"),
        ("a", 1, "a"),
    ],
)
def test_slugify_truncates_at_hyphen_boundary(value: str, max_length: int, expected: str) -> None:
    assert slugify(value, max_length=max_length) == expected


def test_slugify_default_length_limit() -> None:
    slug = slugify("word " * 100)
    assert len(slug) <= MAX_SLUG_LENGTH
    assert is_valid_slug(slug)


@pytest.mark.parametrize("max_length", [0, -1])
def test_slugify_rejects_non_positive_max_length(max_length: int) -> None:
    with pytest.raises(ValueError, match="max_length"):
        slugify("anything", max_length=max_length)


@pytest.mark.parametrize(
    "value",
    [
        "Peruvian President Dina Boluarte \u2014 Beijing!",
        "\u00c9t\u00e9 & Hiver",
        "x" * 500,
        "a" * 150 + " " + "b" * 150,
        "  --  ",
    ],
)
def test_slugify_output_is_valid_or_empty(value: str) -> None:
    slug = slugify(value)
    assert slug == "" or is_valid_slug(slug)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("hello", True),
        ("hello-world", True),
        ("a1-2b", True),
        ("2024", True),
        ("a" * MAX_SLUG_LENGTH, True),
        ("a" * (MAX_SLUG_LENGTH + 1), False),
        ("", False),
        ("Hello", False),
        ("hello--world", False),
        ("-hello", False),
        ("hello-", False),
        ("hello world", False),
        ("hello_world", False),
        ("caf\u00e9", False),
        ("hello\n", False),
    ],
)
def test_is_valid_slug(value: str, expected: bool) -> None:
    assert is_valid_slug(value) is expected


def test_slug_pattern_is_anchored() -> None:
    assert SLUG_PATTERN.pattern == r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
    assert SLUG_PATTERN.match("ok-slug x") is None

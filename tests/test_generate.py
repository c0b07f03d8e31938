"""Tests for the deterministic synthetic content generator (cms.generate)."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cms.content.credits import parse_credit
from cms.content.slugs import slugify
from cms.generate import FORMAT, generate

NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
IMAGE_URL = re.compile(r"^https://images\.example\.com/[0-9a-f]+\.jpg$")
KINDS = {"TOPIC", "PERSON", "PLACE", "ORGANIZATION"}


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return generate(2000, seed=42, now=NOW)


@pytest.fixture(scope="module")
def articles(doc: dict[str, Any]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = doc["articles"]
    return result


def parse_time(value: str) -> datetime:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", value), value
    parsed = datetime.fromisoformat(value)
    assert parsed.utcoffset() == timedelta(0)
    return parsed


def credits(articles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [credit for article in articles for credit in article["imageCredits"]]


# -- determinism and shape ---------------------------------------------------------------


def test_same_seed_gives_identical_output() -> None:
    first = generate(60, seed=7, now=NOW)
    assert first == generate(60, seed=7, now=NOW)
    assert json.dumps(first) == json.dumps(generate(60, seed=7, now=NOW))


def test_different_seed_gives_different_output() -> None:
    first, second = generate(60, seed=7, now=NOW), generate(60, seed=8, now=NOW)
    assert first["articles"] != second["articles"]
    assert first["tags"] != second["tags"]


def test_now_defaults_to_start_of_current_utc_day() -> None:
    for _ in range(3):  # retried in case the test runs across midnight
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        result = generate(30, seed=3)
        if today == datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0):
            assert result == generate(30, seed=3, now=today)
            return
    pytest.fail("the day kept changing")  # pragma: no cover


def test_naive_now_is_utc() -> None:
    assert generate(20, seed=1, now=NOW.replace(tzinfo=None)) == generate(20, seed=1, now=NOW)


def test_now_shifts_dates() -> None:
    first = generate(20, seed=1, now=NOW)["articles"]
    later = generate(20, seed=1, now=NOW + timedelta(days=1))["articles"]
    assert [a["title"] for a in first] == [a["title"] for a in later]
    assert first[0]["createdAt"] != later[0]["createdAt"]


@pytest.mark.parametrize("count", [0, 1, 19, 250])
def test_article_count(count: int) -> None:
    result = generate(count, seed=5, now=NOW)
    assert len(result["articles"]) == count
    if count == 0:
        assert result["contributors"] == []


def test_negative_count_is_rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        generate(-1, seed=0)


def test_document_is_json_with_expected_keys(doc: dict[str, Any]) -> None:
    assert json.loads(json.dumps(doc)) == doc
    assert doc["format"] == FORMAT == "cms-fixture/1"
    assert set(doc) == {"format", "tags", "contributors", "articles"}
    article_keys = {"slug", "title", "body", "status", "createdAt"}
    article_keys |= {"updatedAt", "version", "tags", "imageCredits"}
    optional = {"summary", "publishedAt"}  # left out when there is none, never null
    credit_keys = {"text", "organization", "role", "contributors", "imageUrl", "caption"}
    credit_keys |= {"altText"}
    for article in doc["articles"]:
        assert article_keys <= set(article) <= article_keys | optional
        assert all(article[key] is not None for key in optional & set(article))
        for credit in article["imageCredits"]:
            assert set(credit) == credit_keys


# -- tags and contributors ---------------------------------------------------------------


def test_tags(doc: dict[str, Any]) -> None:
    tags = doc["tags"]
    assert 250 <= len(tags) <= 350
    slugs = [tag["slug"] for tag in tags]
    assert slugs == sorted(slugs)
    assert len(set(slugs)) == len(slugs)
    assert Counter(tag["kind"] for tag in tags).keys() == KINDS
    for tag in tags:
        # A tag without a description leaves the key out: null would clear a stored one.
        assert set(tag) in ({"slug", "name", "kind"}, {"slug", "name", "kind", "description"})
        assert SLUG.fullmatch(tag["slug"]) and tag["slug"] == slugify(tag["name"])
        assert tag.get("description", ".").endswith(".")
    described = sum("description" in tag for tag in tags)
    assert 0 < described < len(tags) / 3


def test_article_tags_exist_and_are_distinct(doc: dict[str, Any]) -> None:
    known = {tag["slug"] for tag in doc["tags"]}
    for article in doc["articles"]:
        assert 2 <= len(article["tags"]) <= 6
        assert len(set(article["tags"])) == len(article["tags"])
        assert set(article["tags"]) <= known
    counts = Counter(len(article["tags"]) for article in doc["articles"])
    assert set(counts) == {2, 3, 4, 5, 6}


def test_contributors_are_exactly_those_credited(doc: dict[str, Any]) -> None:
    contributors = doc["contributors"]
    slugs = [person["slug"] for person in contributors]
    names = [person["name"] for person in contributors]
    assert slugs == sorted(slugs) and len(set(slugs)) == len(slugs)
    assert len(set(names)) == len(names)
    assert all(person["slug"] == slugify(person["name"]) for person in contributors)
    credited = {name for credit in credits(doc["articles"]) for name in credit["contributors"]}
    assert credited == set(names)
    assert 100 <= len(names) <= 250


# -- articles ----------------------------------------------------------------------------


def test_status_proportions(articles: list[dict[str, Any]]) -> None:
    statuses = Counter(article["status"] for article in articles)
    assert set(statuses) == {"DRAFT", "PUBLISHED", "ARCHIVED"}
    assert 0.05 <= statuses["DRAFT"] / len(articles) <= 0.15
    assert 0.01 <= statuses["ARCHIVED"] / len(articles) <= 0.05
    scheduled = [a for a in articles if "publishedAt" in a and parse_time(a["publishedAt"]) > NOW]
    assert 1 <= len(scheduled) <= 0.03 * len(articles)


@pytest.mark.parametrize("seed", range(5))
def test_twenty_articles_include_a_scheduled_one(seed: int) -> None:
    result = generate(20, seed=seed, now=NOW)["articles"]
    assert any("publishedAt" in a and parse_time(a["publishedAt"]) > NOW for a in result)


def test_dates(articles: list[dict[str, Any]]) -> None:
    five_years_ago = NOW - timedelta(days=5 * 365)
    for article in articles:
        created, updated = parse_time(article["createdAt"]), parse_time(article["updatedAt"])
        assert five_years_ago - timedelta(days=3) <= created <= updated <= NOW
        assert article["version"] in (1, 2, 3, 4)
        if article["version"] > 1:
            assert updated > created
        if article["status"] == "DRAFT":
            assert "publishedAt" not in article
            continue
        published = parse_time(article["publishedAt"])
        assert created < published
        if article["status"] == "ARCHIVED":
            assert published < updated
        if published > NOW:
            assert NOW + timedelta(days=1) <= published <= NOW + timedelta(days=60)
            assert article["status"] == "PUBLISHED"
        else:
            assert five_years_ago <= published
    years = Counter(parse_time(a["publishedAt"]).year for a in articles if "publishedAt" in a)
    assert len(years) >= 5


def test_slugs_and_titles(articles: list[dict[str, Any]]) -> None:
    slugs = [article["slug"] for article in articles]
    titles = [article["title"] for article in articles]
    assert len(set(slugs)) == len(slugs)
    assert len(set(titles)) == len(titles)
    for article in articles:
        assert SLUG.fullmatch(article["slug"])
        base = slugify(article["title"])
        assert article["slug"] == base or re.fullmatch(rf"{base}-\d+", article["slug"])
        assert 6 <= len(article["title"].split()) <= 12


def test_summaries(articles: list[dict[str, Any]]) -> None:
    missing = sum("summary" not in article for article in articles)
    assert 0.05 <= missing / len(articles) <= 0.15
    for article in articles:
        summary = article.get("summary", "A.")
        assert summary[0].isupper() or summary[0] == '"'
        assert summary.endswith(".") and "\n" not in summary


def test_bodies(articles: list[dict[str, Any]]) -> None:
    paragraph_counts: Counter[int] = Counter()
    words: list[int] = []
    for article in articles:
        blocks = article["body"].split("\n\n")
        assert 3 <= len(blocks) <= 12
        paragraph_counts[len(blocks)] += 1
        for block in blocks:
            prose = [line for line in block.split("\n") if not line.startswith(("## ", "- "))]
            assert len(prose) == 1
            words.append(len(prose[0].split()))
            assert "{" not in block and "}" not in block
    assert set(paragraph_counts) == set(range(3, 13))
    assert min(words) >= 30 and max(words) <= 150
    assert sum(40 <= count <= 120 for count in words) >= 0.95 * len(words)
    text = "\n\n".join(article["body"] for article in articles)
    assert re.search(r"\*\*[^*]+\*\*", text)
    assert re.search(r"(?<!\*)\*[^*]+\*(?!\*)", text)
    assert re.search(r"\[[^\]]+\]\(https://example\.com/[a-z]+/[a-z0-9-]+\)", text)
    assert re.search(r"(?m)^## \w", text)
    assert re.search(r"(?m)^- \w", text)


# -- image credits -----------------------------------------------------------------------


def test_credit_counts(articles: list[dict[str, Any]]) -> None:
    per_article = Counter(len(article["imageCredits"]) for article in articles)
    assert set(per_article) == {0, 1, 2, 3}
    per_credit = Counter(len(credit["contributors"]) for credit in credits(articles))
    assert set(per_credit) == {1, 2, 3}


def test_credits_agree_with_parse_credit(articles: list[dict[str, Any]]) -> None:
    organizations: Counter[str] = Counter()
    for credit in credits(articles):
        parsed = parse_credit(credit["text"])
        assert parsed.text == credit["text"]
        assert parsed.organization == credit["organization"], credit["text"]
        assert parsed.role == credit["role"], credit["text"]
        assert list(parsed.contributors) == credit["contributors"], credit["text"]
        assert len(set(credit["contributors"])) == len(credit["contributors"])
        organizations[credit["organization"]] += 1
    assert {"AP", "Reuters", "Xinhua", "CGTN", "The Guardian"} <= set(organizations)


def test_credit_fields(articles: list[dict[str, Any]]) -> None:
    urls = [credit["imageUrl"] for credit in credits(articles)]
    assert len(set(urls)) == len(urls)
    for credit in credits(articles):
        assert IMAGE_URL.fullmatch(credit["imageUrl"])
        assert credit["caption"].endswith(".") and "{" not in credit["caption"]
        assert 1 <= len(credit["altText"].split()) <= 8
    texts = [credit["text"] for credit in credits(articles)]
    assert any("\u2019s " in text for text in texts)
    assert any(text.startswith("Photo: ") for text in texts)
    assert any(text.startswith("Photo by ") for text in texts)
    assert any(" and " in text for text in texts)

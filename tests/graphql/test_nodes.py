"""Relay global ids and `node(id:)` for every Node type; lookups by slug; article fields."""

from __future__ import annotations

import pytest

from cms.graphql.ids import from_global_id, to_global_id
from tests.conftest import SEED_SLUG
from tests.graphql.conftest import GraphQLClient

NODE = """
query($id: ID!) {
  node(id: $id) {
    __typename id
    ... on Article { slug }
    ... on Tag { slug }
    ... on Contributor { slug }
    ... on ImageCredit { text }
  }
}
"""


async def test_every_node_type_round_trips(seeded: GraphQLClient) -> None:
    data = await seeded.data(
        """query($slug: String!) {
          article(slug: $slug) { id slug tags { id slug }
            imageCredits { id text contributors { id slug } } }
        }""",
        {"slug": SEED_SLUG},
    )
    article = data["article"]
    credit = article["imageCredits"][0]
    cases = [
        (article["id"], "Article", {"slug": SEED_SLUG}),
        (article["tags"][0]["id"], "Tag", {"slug": "dina-boluarte"}),
        (credit["id"], "ImageCredit", {"text": credit["text"]}),
        (credit["contributors"][0]["id"], "Contributor", {"slug": "you-yang"}),
    ]
    for global_id, type_name, fields in cases:
        assert from_global_id(global_id) is not None
        node = (await seeded.data(NODE, {"id": global_id}))["node"]
        assert node == {"__typename": type_name, "id": global_id, **fields}


@pytest.mark.parametrize(
    "bad_id",
    [
        "",
        "not base64 at all!",
        "QXJ0aWNsZQ==",  # "Article" without a pk
        to_global_id("Article", 999),
        to_global_id("Unknown", 1),
        "VXNlcjox",  # "User:1"
        "QXJ0aWNsZTotMQ==",  # "Article:-1"
    ],
)
async def test_unknown_or_malformed_ids_are_null(seeded: GraphQLClient, bad_id: str) -> None:
    result = await seeded.post(NODE, {"id": bad_id})
    assert result == {"data": {"node": None}}


async def test_lookups_by_unknown_slug_are_null(seeded: GraphQLClient) -> None:
    data = await seeded.data(
        '{ article(slug: "nope") { id } tag(slug: "nope") { id } contributor(slug: "nope") { id } }'
    )
    assert data == {"article": None, "tag": None, "contributor": None}


async def test_seed_article_fields(seeded: GraphQLClient) -> None:
    data = await seeded.data(
        """query($slug: String!) { article(slug: $slug) {
            title summary status publishedAt createdAt updatedAt version wordCount
            readingTimeMinutes markdown: body text: body(format: TEXT)
            tags { slug name kind } imageCredits { text organization role imageUrl caption altText
              contributors { name slug } article { slug } } } }""",
        {"slug": SEED_SLUG},
    )
    article = data["article"]
    assert article["title"].startswith("Peruvian President Dina Boluarte Arrives in Beijing")
    assert article["status"] == "PUBLISHED"
    assert article["publishedAt"] == "2024-06-27T00:00:00Z"
    assert (article["createdAt"], article["updatedAt"], article["version"]) == (
        "2024-06-27T00:00:00Z",
        "2024-06-27T00:00:00Z",
        1,
    )
    assert article["summary"] is None
    assert article["wordCount"] == len(article["text"].split())
    assert article["readingTimeMinutes"] == 2
    assert article["markdown"] == article["text"]  # plain paragraphs: Markdown is the text
    assert "Boluarte’s" in article["markdown"]
    assert [t["slug"] for t in article["tags"]][:4] == [
        "dina-boluarte",
        "xi-jinping",
        "li-qiang",
        "zhao-leji",
    ]
    assert {t["kind"] for t in article["tags"]} == {"PERSON", "PLACE", "ORGANIZATION", "TOPIC"}
    assert article["imageCredits"] == [
        {
            "text": "CGTN’s Reporter You Yang, Cai Jingxuan",
            "organization": "CGTN",
            "role": "Reporter",
            "imageUrl": None,
            "caption": None,
            "altText": None,
            "contributors": [
                {"name": "You Yang", "slug": "you-yang"},
                {"name": "Cai Jingxuan", "slug": "cai-jingxuan"},
            ],
            "article": {"slug": SEED_SLUG},
        }
    ]


async def test_body_formats_sanitize_html(client: GraphQLClient, tmp_path: object) -> None:
    import json
    from pathlib import Path

    from cms.fixtures.service import load_files

    body = (
        "# Heading\n\nSome *emphasis* and a [link](https://example.com) and "
        "[bad](javascript:alert(1)).\n\n<script>alert('x')</script>\n\n"
        '<img src="x" onerror="alert(1)">'
    )
    path = Path(str(tmp_path)) / "xss.json"
    document = {
        "articles": [
            {
                "title": "XSS",
                "body": body,
                "status": "PUBLISHED",
                "publishedAt": "2024-01-01T00:00:00Z",
            }
        ]
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    await load_files([path])
    data = await client.data(
        '{ article(slug: "xss") { md: body(format: MARKDOWN) html: body(format: HTML)'
        " text: body(format: TEXT) } }"
    )
    article = data["article"]
    assert article["md"] == body
    html = article["html"]
    assert "<h1>Heading</h1>" in html and "<em>emphasis</em>" in html
    assert 'href="https://example.com"' in html
    for forbidden in ("<script", "onerror", 'href="javascript:'):
        assert forbidden not in html.lower()
    assert article["text"].startswith("Heading\n\nSome emphasis and a link and ")
    assert "<" not in article["text"] and "*" not in article["text"]

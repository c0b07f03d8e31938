"""Anonymous callers see only published, due articles: in lists, counts, relations and lookups."""

from __future__ import annotations

import pytest

from cms.graphql.ids import to_global_id
from cms.models import Article, Contributor, ImageCredit, Tag
from tests.graphql.conftest import GraphQLClient

HIDDEN = ["delta", "echo", "foxtrot"]  # draft, scheduled, archived


@pytest.mark.parametrize("slug", HIDDEN)
async def test_hidden_articles_are_not_found(newsroom: GraphQLClient, slug: str) -> None:
    data = await newsroom.data(
        "query($slug: String!) { article(slug: $slug) { slug } }", {"slug": slug}
    )
    assert data["article"] is None
    pk = (await Article.get(slug=slug)).id
    data = await newsroom.data(
        "query($id: ID!) { node(id: $id) { id } }", {"id": to_global_id("Article", pk)}
    )
    assert data["node"] is None


async def test_counts_only_count_what_the_caller_sees(newsroom: GraphQLClient) -> None:
    data = await newsroom.data(
        """{ tag(slug: "peru") { articleCount articles { totalCount edges { node { slug } } } } }"""
    )
    tag = data["tag"]
    assert tag["articleCount"] == 2
    assert tag["articles"]["totalCount"] == 2
    assert [e["node"]["slug"] for e in tag["articles"]["edges"]] == ["bravo", "alpha"]


async def test_people_credited_only_on_hidden_articles_are_hidden(
    newsroom: GraphQLClient,
) -> None:
    data = await newsroom.data("{ contributors { totalCount edges { node { slug } } } }")
    slugs = [e["node"]["slug"] for e in data["contributors"]["edges"]]
    assert slugs == ["jane-roe", "john-doe"]
    assert data["contributors"]["totalCount"] == 2
    data = await newsroom.data('{ contributor(slug: "secret-person") { slug } }')
    assert data["contributor"] is None
    secret = await Contributor.get(slug="secret-person")
    data = await newsroom.data(
        "query($id: ID!) { node(id: $id) { id } }", {"id": to_global_id("Contributor", secret.id)}
    )
    assert data["node"] is None


async def test_tags_no_visible_article_carries_are_hidden(newsroom: GraphQLClient) -> None:
    """The newsroom's "xi-jinping" tag is carried by no article (tests/graphql/
    test_tag_visibility.py covers drafts, scheduled and archived articles, and every path)."""
    data = await newsroom.data("{ tags { totalCount edges { node { slug } } } }")
    assert [e["node"]["slug"] for e in data["tags"]["edges"]] == ["china", "peru", "trade"]
    assert data["tags"]["totalCount"] == 3
    data = await newsroom.data('{ tag(slug: "xi-jinping") { slug } }')
    assert data["tag"] is None
    hidden = await Tag.get(slug="xi-jinping")
    data = await newsroom.data(
        "query($id: ID!) { node(id: $id) { id } }", {"id": to_global_id("Tag", hidden.id)}
    )
    assert data["node"] is None


async def test_credits_of_hidden_articles_are_hidden(newsroom: GraphQLClient) -> None:
    hidden = await ImageCredit.get(article__slug="delta")
    data = await newsroom.data(
        "query($id: ID!) { node(id: $id) { id } }", {"id": to_global_id("ImageCredit", hidden.id)}
    )
    assert data["node"] is None
    visible = await ImageCredit.get(article__slug="alpha")
    data = await newsroom.data(
        "query($id: ID!) { node(id: $id) { ... on ImageCredit { text article { slug } } } }",
        {"id": to_global_id("ImageCredit", visible.id)},
    )
    assert data["node"] == {"text": "Reuters/Jane Roe", "article": {"slug": "alpha"}}


async def test_a_scheduled_article_appears_when_due(
    newsroom: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime

    from cms.graphql import view

    monkeypatch.setattr(view, "utcnow", lambda: datetime(2099, 1, 1, tzinfo=UTC))
    data = await newsroom.data('{ article(slug: "echo") { slug } articles { totalCount } }')
    assert data == {"article": {"slug": "echo"}, "articles": {"totalCount": 5}}


async def test_revisions_are_null_for_anonymous_callers(seeded: GraphQLClient) -> None:
    data = await seeded.data("{ articles { edges { node { revisions { totalCount } } } } }")
    assert data["articles"]["edges"] == [{"node": {"revisions": None}}]

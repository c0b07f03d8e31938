"""Tokens: who may read what and who may write (the visibility matrix and the refusals)."""

from __future__ import annotations

import pytest

from cms.models import Article, Tag
from tests.graphql.conftest import GraphQLClient, as_caller

CREATE = """
mutation($input: CreateArticleInput!) {
  createArticle(input: $input) { article { slug } errors { field message code } }
}
"""

#: newsroom slugs by status: draft, scheduled, published, archived
CASES = {"draft": "delta", "scheduled": "echo", "published": "alpha", "archived": "foxtrot"}
SEES_ALL = {"draft": True, "scheduled": True, "published": True, "archived": True}
PUBLIC = {"draft": False, "scheduled": False, "published": True, "archived": False}
MATRIX = {None: PUBLIC, "read": PUBLIC, "preview": SEES_ALL, "write": SEES_ALL}


@pytest.mark.parametrize("scope", [None, "read", "preview", "write"])
async def test_visibility_matrix(
    newsroom: GraphQLClient, tokens: dict[str, str], scope: str | None
) -> None:
    caller = as_caller(newsroom, tokens[scope] if scope else None)
    expected = MATRIX[scope]
    for case, slug in CASES.items():
        data = await caller.data(
            "query($slug: String!) { article(slug: $slug) { slug revisions { totalCount } } }",
            {"slug": slug},
        )
        assert (data["article"] is not None) is expected[case], (scope, case)
        if data["article"] is not None:
            # Revisions are for preview and write tokens only.
            assert (data["article"]["revisions"] is not None) is (scope in ("preview", "write"))
    listed = await caller.data('{ articles { totalCount } tag(slug: "peru") { articleCount } }')
    assert listed["articles"]["totalCount"] == (7 if expected["draft"] else 4)
    assert listed["tag"]["articleCount"] == (5 if expected["draft"] else 2)
    people = await caller.data("{ contributors { totalCount } }")
    assert people["contributors"]["totalCount"] == (3 if expected["draft"] else 2)


@pytest.mark.parametrize(
    ("token", "code"),
    [(None, "UNAUTHENTICATED"), ("read", "FORBIDDEN"), ("preview", "FORBIDDEN")],
)
async def test_mutations_need_a_write_token(
    client: GraphQLClient, tokens: dict[str, str], token: str | None, code: str
) -> None:
    caller = as_caller(client, tokens[token] if token else None)
    result = await caller.post(CREATE, {"input": {"title": "Nope", "body": "x"}})
    assert result["data"] is None
    (error,) = result["errors"]
    assert error["extensions"]["code"] == code
    assert "write" in error["message"]
    assert await Article.all().count() == 0


@pytest.mark.parametrize(
    "header",
    [
        "Bearer cms_000000000000_" + "x" * 43,  # well-formed, unknown
        "Bearer not-a-token",
        "Basic dXNlcjpwYXNz",
        "Bearer",
    ],
)
async def test_bad_credentials_are_refused_not_ignored(client: GraphQLClient, header: str) -> None:
    caller = GraphQLClient(client.http, {"Authorization": header})
    for query in ("{ articles { totalCount } }", CREATE):
        result = await caller.post(query, {"input": {"title": "Nope", "body": "x"}})
        assert result["data"] is None
        assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await Article.all().count() == 0


async def test_a_revoked_token_is_refused(client: GraphQLClient, tokens: dict[str, str]) -> None:
    caller = as_caller(client, tokens["revoked"])
    result = await caller.post("{ articles { totalCount } }")
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "revoked" in result["errors"][0]["message"]


async def test_a_tampered_secret_is_refused(client: GraphQLClient, tokens: dict[str, str]) -> None:
    token = tokens["write"]
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    result = await as_caller(client, tampered).post(CREATE, {"input": {"title": "T", "body": "x"}})
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await Article.all().count() == 0 and await Tag.all().count() == 0


async def test_write_token_writes(writer: GraphQLClient) -> None:
    data = await writer.data(CREATE, {"input": {"title": "Hello", "body": "x"}})
    assert data["createArticle"] == {"article": {"slug": "hello"}, "errors": []}

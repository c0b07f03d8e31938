"""A real GraphQL client against a real server: Python's ``gql`` (async, over httpx) talking to
``cms serve`` on a seeded database, as a front end or another service would."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from gql import Client, GraphQLRequest, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXAsyncTransport
from graphql import GraphQLError

from tests.conftest import REPO, SEED_SLUG, free_port, running, seeded_env
from tests.databases import Databases, FreshDatabases

OPERATIONS = REPO / "schema" / "operations"
#: Synthetic articles loaded next to the seed, so that the article list has several pages.
GENERATED_ARTICLES = 45
PAGE = 10


@dataclass(frozen=True)
class Live:
    """A running ``cms serve``: its GraphQL URL and the environment that points at its database."""

    url: str
    env: dict[str, str]

    def cms(self, *args: str) -> str:
        """Run the ``cms`` command line on the server's database; returns its stdout."""
        done = subprocess.run(
            [sys.executable, "-m", "cms", *args],
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout

    def write_token(self, name: str) -> str:
        token = self.cms("tokens", "create", "--name", name, "--scope", "write").splitlines()[-1]
        assert token.strip() == token and len(token) >= 20, token
        return token


@pytest.fixture(scope="module")
def live(session_databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """Like the ``server`` fixture (seeded database, two workers), plus generated articles, and
    with the environment, so that tests can run ``cms`` on the same database. One server for
    the module: the tests only read, or write drafts that anonymous callers cannot see."""
    databases = FreshDatabases(session_databases)
    try:
        env = seeded_env(databases)
        generated = tmp_path_factory.mktemp("gql") / "generated.json"
        generate = ["generate", "--articles", str(GENERATED_ARTICLES), "--seed", "3"]
        for command in (
            ["fixtures", *generate, "-o", str(generated)],
            ["fixtures", "load", str(generated)],
        ):
            subprocess.run(
                [sys.executable, "-m", "cms", *command], env=env, check=True, capture_output=True
            )
        port = free_port()
        args = [sys.executable, "-m", "cms", "serve", "--port", str(port), "--workers", "2"]
        with running(args, env, f"http://127.0.0.1:{port}/graphql") as url:
            yield Live(url, env)
    finally:
        databases.close()


def client(url: str, *, token: str | None = None, schema: bool = True) -> Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    transport = HTTPXAsyncTransport(url=url, headers=headers, timeout=30)
    return Client(transport=transport, fetch_schema_from_transport=schema)


def operation(name: str, **variables: Any) -> GraphQLRequest:
    text = (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")
    return GraphQLRequest(text, variable_values=variables)


async def test_schema_is_fetched_by_introspection(live: Live) -> None:
    gql_client = client(live.url)
    async with gql_client as session:
        result = await session.execute(gql("{ __typename }"))
    assert result == {"__typename": "Query"}
    schema = gql_client.schema
    assert schema is not None
    assert schema.query_type is not None and schema.mutation_type is not None
    assert {"node", "article", "articles", "tag", "tags", "search"} <= set(schema.query_type.fields)
    assert {"createArticle", "updateArticle", "deleteTag"} <= set(schema.mutation_type.fields)
    article = schema.get_type("Article")
    assert article is not None and "Node" in {i.name for i in getattr(article, "interfaces", [])}


async def test_seed_article_with_variables(live: Live) -> None:
    async with client(live.url) as session:
        result = await session.execute(operation("ArticlePage", slug=SEED_SLUG))
        missing = await session.execute(operation("ArticlePage", slug="no-such-article"))
    article = result["article"]
    assert article["slug"] == SEED_SLUG
    assert article["title"].startswith("Peruvian President Dina Boluarte Arrives in Beijing")
    assert article["body"].startswith("<") and "<script" not in article["body"]
    assert article["readingTimeMinutes"] >= 1
    assert "peru" in {tag["slug"] for tag in article["tags"]}
    assert article["imageCredits"] and article["imageCredits"][0]["contributors"]
    assert missing == {"article": None}


async def test_articles_paginated_by_end_cursor(live: Live) -> None:
    pages: list[list[dict[str, Any]]] = []
    after: str | None = None
    total: int | None = None
    async with client(live.url) as session:
        while True:
            result = await session.execute(operation("ListPage", first=PAGE, after=after))
            connection = result["articles"]
            total = connection["totalCount"] if total is None else total
            assert connection["totalCount"] == total
            pages.append([edge["node"] for edge in connection["edges"]])
            info = connection["pageInfo"]
            if not info["hasNextPage"]:
                break
            assert info["endCursor"] == connection["edges"][-1]["cursor"]
            after = info["endCursor"]
            assert len(pages) < 20, "pagination does not end"
    nodes = [node for page in pages for node in page]
    # The seed and most generated articles are visible: several full pages and a last one.
    assert total is not None and total > 2 * PAGE
    assert len(pages) == -(-total // PAGE)
    assert all(len(page) == PAGE for page in pages[:-1]) and 1 <= len(pages[-1]) <= PAGE
    assert len(nodes) == total == len({node["id"] for node in nodes})
    assert SEED_SLUG in {node["slug"] for node in nodes}
    published = [node["publishedAt"] for node in nodes]
    assert all(published), "anonymous callers see only published articles"
    # Newest first: ISO-8601 UTC timestamps in one format sort as text.
    assert published == sorted(published, reverse=True)


async def test_invalid_query_rejected_by_client_and_server(live: Live) -> None:
    invalid = gql("{ articles(first: 1) { edges { node { title noSuchField } } } }")
    # With the schema fetched, gql validates locally and sends nothing.
    async with client(live.url) as session:
        with pytest.raises(GraphQLError, match="noSuchField"):
            await session.execute(invalid)
    # Without it, the query reaches the server, which refuses it with a validation error.
    async with client(live.url, schema=False) as session:
        with pytest.raises(TransportQueryError) as raised:
            await session.execute(invalid)
        # A value over the documented limit is valid GraphQL: the server says what is wrong.
        with pytest.raises(TransportQueryError) as too_many:
            await session.execute(operation("ListPage", first=101))
    errors = raised.value.errors
    assert errors and "noSuchField" in errors[0]["message"]
    assert errors[0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert not raised.value.data
    assert too_many.value.errors
    assert too_many.value.errors[0]["extensions"]["code"] == "BAD_USER_INPUT"


CREATE = gql(
    """
    mutation Create($input: CreateArticleInput!) {
      createArticle(input: $input) {
        article { id slug title status version tags { slug } }
        errors { field message code }
      }
    }
    """
)
DRAFT = gql("query Draft($slug: String!) { article(slug: $slug) { slug status } }")


async def test_mutation_needs_and_works_with_a_write_token(live: Live) -> None:
    token = live.write_token("gql-client")
    draft = {"title": "Written through gql", "body": "A *draft*.", "tags": ["peru", "Gql Test"]}

    async with client(live.url) as anonymous:
        with pytest.raises(TransportQueryError) as refused:
            await anonymous.execute(GraphQLRequest(CREATE, variable_values={"input": draft}))
        assert refused.value.errors
        assert refused.value.errors[0]["extensions"]["code"] == "UNAUTHENTICATED"

    async with client(live.url, token=token) as writer:
        created = await writer.execute(GraphQLRequest(CREATE, variable_values={"input": draft}))
        payload = created["createArticle"]
        assert payload["errors"] == []
        article = payload["article"]
        assert article["slug"] == "written-through-gql"
        assert (article["title"], article["status"], article["version"]) == (
            "Written through gql",
            "DRAFT",
            1,
        )
        assert [tag["slug"] for tag in article["tags"]] == ["peru", "gql-test"]

        duplicate = await writer.execute(GraphQLRequest(CREATE, variable_values={"input": draft}))
        assert duplicate["createArticle"]["article"] is None
        assert [error["code"] for error in duplicate["createArticle"]["errors"]] == ["DUPLICATE"]

        seen = await writer.execute(
            GraphQLRequest(DRAFT, variable_values={"slug": "written-through-gql"})
        )
        assert seen == {"article": {"slug": "written-through-gql", "status": "DRAFT"}}

    # The draft exists, but anonymous callers do not see it.
    async with client(live.url) as anonymous:
        hidden = await anonymous.execute(
            GraphQLRequest(DRAFT, variable_values={"slug": "written-through-gql"})
        )
    assert hidden == {"article": None}

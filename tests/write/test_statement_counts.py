"""Mutations send no more statements than before the write core (issue 14), plus what the change
log costs (issue 15): each is one transaction whose statement count does not grow with the number
of tags or credit names."""

from __future__ import annotations

from typing import Any

from cms.models import Contributor, Tag, TagKind
from tests.databases import DIALECT
from tests.graphql.conftest import GraphQLClient, counting

CREATE = """
mutation($input: CreateArticleInput!) {
  createArticle(input: $input) { article { id version } errors { field message code } }
}
"""
UPDATE = """
mutation($input: UpdateArticleInput!) {
  updateArticle(input: $input) { article { id version } errors { field message code } }
}
"""
PUBLISH = """
mutation($input: PublishArticleInput!) {
  publishArticle(input: $input) { article { id version } errors { field code } }
}
"""

#: Statements each mutation sent before the write core (the same requests, counted the same
#: way: the token check, the transaction and the payload's read-back included).
BEFORE = {
    "create-plain": 4,
    "create-full": 16,
    "update-title": 9,
    "update-relations": 20,
    "publish": 9,
}
#: The change log's entries of a write: one INSERT, after taking the lock that orders positions
#: on PostgreSQL (SQLite writes one transaction at a time).
LOG = 2 if DIALECT == "postgres" else 1
#: And with it: tags and contributors are looked up once per kind (by slug or name in one
#: statement), not once per credit, so a mutation with credits sends fewer; a publication
#: reads its tags' ids and whether other visible articles carry them (their cache keys, and
#: whether anonymous callers see them appear), in one statement.
NOW = {
    "create-plain": 4 + LOG,
    "create-full": 14 + LOG,
    "update-title": 9 + LOG,
    "update-relations": 19 + LOG,
    "publish": 10 + LOG,
}


async def _count(writer: GraphQLClient, query: str, variables: dict[str, Any]) -> int:
    with counting() as sql:
        data = await writer.data(query, variables)
    (payload,) = data.values()
    assert payload["errors"] == [], payload["errors"]
    return len(sql.statements)


async def test_mutations_send_no_more_statements_than_before(writer: GraphQLClient) -> None:
    await Tag.create(slug="peru", name="Peru", kind=TagKind.PLACE)
    await Contributor.create(slug="jane-roe", name="Jane Roe")
    counts: dict[str, int] = {}
    counts["create-plain"] = await _count(
        writer, CREATE, {"input": {"title": "Plain", "body": "Body."}}
    )
    full = {
        "title": "Full",
        "body": "Body.",
        "tags": ["peru", "Climate Change", "Energy", "Peru"],
        "imageCredits": [
            {"text": "Reuters/Jane Roe"},
            {"text": "Getty Images", "contributors": ["New Person", "Other Person"]},
        ],
    }
    counts["create-full"] = await _count(writer, CREATE, {"input": full})
    article = (await writer.data(CREATE, {"input": {**full, "title": "Second"}}))["createArticle"]
    pk = article["article"]["id"]
    counts["update-title"] = await _count(writer, UPDATE, {"input": {"id": pk, "title": "New"}})
    counts["update-relations"] = await _count(
        writer,
        UPDATE,
        {"input": {"id": pk, "tags": ["Water"], "imageCredits": [{"text": "AP Photo/Ann Lee"}]}},
    )
    counts["publish"] = await _count(writer, PUBLISH, {"input": {"id": pk}})
    assert counts == NOW
    assert all(NOW[name] - LOG <= most + (name == "publish") for name, most in BEFORE.items())

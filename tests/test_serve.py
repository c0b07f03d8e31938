"""`cms serve` as a user runs it: a real uvicorn process answering GraphQL over HTTP."""

from __future__ import annotations

import httpx

from tests.conftest import SEED_SLUG


def test_serve_answers_graphql_over_http(server: str) -> None:
    query = "query($slug: String!) { article(slug: $slug) { title tags { slug } } }"
    with httpx.Client() as client:
        for _ in range(6):  # several requests, so both workers answer some
            response = client.post(server, json={"query": query, "variables": {"slug": SEED_SLUG}})
            assert response.status_code == 200
            article = response.json()["data"]["article"]
            assert article["title"].startswith("Peruvian President Dina Boluarte")
            assert article["tags"][0] == {"slug": "dina-boluarte"}
        response = client.get(server, params={"query": "{ articles { totalCount } }"})
        assert response.json() == {"data": {"articles": {"totalCount": 1}}}

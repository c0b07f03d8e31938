"""GraphQL over HTTP: media types, status codes, methods, malformed requests, body size."""

from __future__ import annotations

import httpx
import pytest

from cms.app import ContentService
from cms.settings import Settings
from tests.graphql.conftest import GraphQLClient

GRAPHQL_RESPONSE = "application/graphql-response+json"


async def test_json_by_default(seeded: GraphQLClient) -> None:
    response = await seeded.http.post("/graphql", json={"query": "{ articles { totalCount } }"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"data": {"articles": {"totalCount": 1}}}


async def test_graphql_response_media_type(seeded: GraphQLClient) -> None:
    headers = {"Accept": f"{GRAPHQL_RESPONSE}, application/json;q=0.9"}
    ok = await seeded.http.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
    assert (ok.status_code, ok.headers["content-type"]) == (200, GRAPHQL_RESPONSE)
    assert ok.json() == {"data": {"__typename": "Query"}}
    for query in ("{ articles(", "{ nope }"):
        bad = await seeded.http.post("/graphql", json={"query": query}, headers=headers)
        assert (bad.status_code, bad.headers["content-type"]) == (400, GRAPHQL_RESPONSE)
        assert "data" not in bad.json() and bad.json()["errors"]
    # A field error during execution is not a request error: 200 with partial data.
    partial = await seeded.http.post(
        "/graphql", json={"query": "{ articles(first: 101) { totalCount } }"}, headers=headers
    )
    assert partial.status_code == 200 and partial.json()["data"] is None
    refused = await seeded.http.post(
        "/graphql",
        json={"query": "{ __typename }"},
        headers={**headers, "Authorization": "Bearer cms_000000000000_" + "x" * 43},
    )
    assert refused.status_code == 401


async def test_application_json_keeps_200_for_request_errors(seeded: GraphQLClient) -> None:
    response = await seeded.http.post("/graphql", json={"query": "{ nope }"})
    assert response.status_code == 200
    assert response.json()["data"] is None


async def test_mutations_are_never_run_over_get(seeded: GraphQLClient) -> None:
    query = 'mutation { deleteTag(input: {id: "VGFnOjE="}) { deletedId } }'
    response = await seeded.http.get("/graphql", params={"query": query})
    assert response.status_code == 405
    assert "POST" in response.headers["allow"]
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


async def test_queries_over_get(seeded: GraphQLClient) -> None:
    response = await seeded.http.get(
        "/graphql",
        params={
            "query": "query($n: Int) { articles(first: $n) { totalCount } }",
            "variables": '{"n": 1}',
        },
    )
    assert response.json() == {"data": {"articles": {"totalCount": 1}}}


@pytest.mark.parametrize(
    ("content", "content_type", "status", "message"),
    [
        (b"{not json", "application/json", 400, "Unable to parse request body as JSON"),
        (b'{"query": "{ __typename }"}', "text/plain", 415, "Unsupported content type"),
        (b"{}", "application/json", 400, "No GraphQL query found"),
        (b'{"query": 42}', "application/json", 400, ""),
    ],
)
async def test_malformed_requests_are_clear_4xx(
    seeded: GraphQLClient, content: bytes, content_type: str, status: int, message: str
) -> None:
    response = await seeded.http.post(
        "/graphql", content=content, headers={"Content-Type": content_type}
    )
    assert response.status_code == status
    assert message in response.json()["errors"][0]["message"]


async def test_request_body_limit(db_settings: Settings) -> None:
    small = Settings(database_url=db_settings.database_url, max_body_bytes=200)
    service = ContentService(small)
    async with service.lifespan():
        transport = httpx.ASGITransport(app=service.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            under = {"query": "{ __typename }", "variables": {"pad": "x" * 100}}
            response = await client.post("/graphql", json=under)
            assert response.status_code == 200, response.text
            over = {"query": "{ __typename }", "variables": {"pad": "x" * 200}}
            response = await client.post("/graphql", json=over)
            assert response.status_code == 413
            assert "200 bytes" in response.json()["errors"][0]["message"]
            # The server answers normally afterwards.
            response = await client.post("/graphql", json=under)
            assert response.status_code == 200


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        (f"{GRAPHQL_RESPONSE};q=0.9, application/json;q=0.8", GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE};q=0.5", GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE};q=0, application/json", "application/json"),
        ("application/json", "application/json"),
    ],
)
async def test_accept_quality_values(seeded: GraphQLClient, accept: str, media: str) -> None:
    response = await seeded.http.post(
        "/graphql", json={"query": "{ nope }"}, headers={"Accept": accept}
    )
    assert response.headers["content-type"] == media
    assert response.status_code == (400 if media == GRAPHQL_RESPONSE else 200)


@pytest.mark.parametrize("body", [b"3", b"null", b'"text"', b"true", b"[" * 100_000])
async def test_json_that_is_not_an_object_is_400(seeded: GraphQLClient, body: bytes) -> None:
    response = await seeded.http.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    deep = await seeded.http.get(
        "/graphql", params={"query": "{ __typename }", "variables": "[" * 5_000}
    )
    assert deep.status_code == 400


def test_operations_over_websocket_are_refused() -> None:
    from starlette.websockets import WebSocket

    from cms.graphql.permissions import refusal

    async def nothing() -> dict[str, str]:
        return {}

    async def ignore(message: object) -> None:
        return None

    class Context:
        request = WebSocket({"type": "websocket", "headers": []}, nothing, ignore)

    error = refusal(Context(), None)
    assert error is not None and "WebSocket" in error.message

"""Nothing a caller sends makes the service grow without bound or hold the event loop:
query texts have a byte limit, every per-process cache is bounded in bytes, persisted
queries register only texts that parse and validate, and a document's expanded shape and its
introspection are measured before anything costly looks at them."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from graphql import get_introspection_query

from cms.app import ContentService
from cms.fixtures.service import load_files
from cms.settings import Settings
from tests.conftest import SEED_JSON

HUGE = "{ __typename } #" + "x" * 7_000_000


def persisted(text: str) -> dict[str, Any]:
    digest = hashlib.sha256(text.encode()).hexdigest()
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


@dataclasses.dataclass
class Served:
    service: ContentService
    http: httpx.AsyncClient

    async def post(self, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.http.post("/graphql", json=body)
        assert response.status_code < 500, response.text
        result: dict[str, Any] = response.json()
        return result

    async def code(self, query: str) -> str:
        result = await self.post({"query": query})
        return str(result["errors"][0]["extensions"]["code"]) if "errors" in result else "ok"


async def serve(settings: Settings) -> AsyncIterator[Served]:
    service = ContentService(settings)
    async with service.lifespan():
        await load_files([SEED_JSON])
        transport = httpx.ASGITransport(app=service.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield Served(service, http)


@pytest.fixture
async def served(db_settings: Settings) -> AsyncIterator[Served]:
    async for served in serve(db_settings):
        yield served


# --- Memory ---


async def test_a_query_over_the_byte_limit_is_refused_before_parsing(served: Served) -> None:
    for body in ({"query": HUGE}, {"query": HUGE, "extensions": persisted(HUGE)}):
        result = await served.post(body)
        (error,) = result["errors"]
        assert error["extensions"]["code"] == "QUERY_TOO_LARGE", error
        assert error["extensions"]["limit"] == 64 * 1024
    response = await served.http.post(
        "/graphql",
        json={"query": HUGE},
        headers={"Accept": "application/graphql-response+json"},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_LARGE"
    view = served.service.view
    assert view.schema.operations.kept.bytes < 1024 * 1024  # nothing of it was kept
    assert len(view.persisted.cache) == 0


async def test_apq_registers_only_texts_that_parse_and_validate(served: Served) -> None:
    for text in ("{ articles { nope } }", "{ articles(", "{ __typename } #" + "y" * 70_000):
        await served.post({"query": text, "extensions": persisted(text)})
        again = await served.post({"extensions": persisted(text)})
        assert again["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    good = "{ articles { totalCount } }"
    await served.post({"query": good, "extensions": persisted(good)})
    assert await served.post({"extensions": persisted(good)}) == {
        "data": {"articles": {"totalCount": 1}}
    }


async def test_caches_stay_within_their_budgets_and_keep_what_is_hot(
    db_settings: Settings,
) -> None:
    settings = dataclasses.replace(
        db_settings,
        operation_cache_bytes=2 * 1024 * 1024,
        persisted_queries_bytes=256 * 1024,
        response_cache_bytes=512 * 1024,
    )
    async for served in serve(settings):
        view = served.service.view
        hot = "query Hot { articles(first: 5) { edges { node { slug } } } }"
        for _ in range(3):
            assert "errors" not in await served.post({"query": hot})
        hot_document = view.schema.operations.kept.peek(hot)
        assert hot_document is not None
        padding = "#" + "p" * 2_000 + "\n"
        for n in range(200):  # one-off texts of about 2 KB (200 KB parsed): over the budgets
            text = f"{padding}query OneOff{n} {{ articles {{ totalCount }} a{n}: __typename }}"
            assert "errors" not in await served.post({"query": text, "extensions": persisted(text)})
        assert view.schema.operations.kept.bytes <= 2 * 1024 * 1024
        assert view.persisted.cache.bytes <= 256 * 1024
        assert view.cache is not None and view.cache.entries.bytes <= 512 * 1024
        kept = view.schema.operations.kept
        assert kept.peek(hot) is hot_document  # the hot text survived the flood
        assert len(kept) > 3  # and one-off texts were kept too, within the budget


async def test_the_response_cache_keeps_no_entry_over_its_limit(db_settings: Settings) -> None:
    settings = dataclasses.replace(db_settings, response_cache_entry_bytes=1_000)
    async for served in serve(settings):
        big = "{ articles { edges { node { body } } } }"  # the seed article: about 5 KB
        small = "{ articles { totalCount } }"
        await served.post({"query": big})
        await served.post({"query": small})
        cache = served.service.view.cache
        assert cache is not None and len(cache.entries) == 1


# --- CPU ---

INTROSPECTION_FRAGMENTS = """
fragment T on __Type { name kind ofType { name kind ofType { name kind ofType { name } } } }
fragment F on __Type {
  name kind
  fields { name args { name type { ...T } } type { ...T fields { name type { ...T } } } }
  interfaces { ...T fields { name type { ...T } } }
  possibleTypes { ...T fields { name type { ...T } } }
  inputFields { name type { ...T } }
}
"""


def introspection_abuse(copies: int) -> str:
    aliased = " ".join(f"a{i}: __schema {{ types {{ ...F }} }}" for i in range(copies))
    return "{ " + aliased + " }" + INTROSPECTION_FRAGMENTS


async def test_introspection_counts_toward_the_limits(served: Served) -> None:
    assert await served.code(introspection_abuse(1)) == "ok"
    assert await served.code(introspection_abuse(3)) == "QUERY_TOO_COMPLEX"
    assert await served.code(introspection_abuse(30)) == "GRAPHQL_VALIDATION_FAILED"
    result = await served.post({"query": introspection_abuse(30)})
    assert "fragments are expanded" in result["errors"][0]["message"]
    assert await served.code(get_introspection_query(descriptions=True)) == "ok"


async def test_exponential_fragments_are_refused_before_validation(served: Served) -> None:
    # Eight fragments, each spreading the next six times: 336,000 fields once expanded, from
    # half a kilobyte of text (Strawberry's depth limiter alone took a second on it).
    fragments = " ".join(
        f"fragment F{i} on Tag {{ name {' '.join([f'...F{i + 1}'] * 6)} }}" for i in range(7)
    )
    query = "{ tags { edges { node { ...F0 } } } } " + fragments + " fragment F7 on Tag { name }"
    result = await served.post({"query": query})
    (error,) = result["errors"]
    assert "more than 1000 fields" in error["message"], error
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_measuring_a_document_stops_at_the_field_limit(served: Served) -> None:
    # One fragment of 900 fields spread 1,000 times in 17 KB: measured to the end, merging the
    # spreads' field names took 0.4 s; it stops at the second spread now.
    fields = " ".join(f"f{i}: __typename" for i in range(900))
    query = "{ " + "...A " * 1_000 + "} fragment A on Query { " + fields + " }"
    result = await served.post({"query": query})
    messages = [error["message"] for error in result["errors"]]
    assert any("more than 1000 fields" in m or "tokens" in m for m in messages), messages
    from cms.graphql.shape import Limits, shape_errors

    document = served.service.view.schema.operations.document(
        "{ " + "...A " * 500 + "} fragment A on Query { " + " ".join(["__typename"] * 900) + " }"
    )
    (error,) = shape_errors(document, Limits(10, 30, 1_000, 10))
    assert "more than 1000 fields" in error.message


async def test_a_field_asked_for_many_times_is_refused_before_validation(
    served: Served,
) -> None:
    # graphql-core compares fields of one name pairwise: 250 of these took 0.8 s to validate.
    query = "{ " + " ".join(["articles { edges { node { slug } } }"] * 250) + " }"
    result = await served.post({"query": query})
    (error,) = result["errors"]
    assert "same field 250 times" in error["message"]
    assert await served.code("{ " + " ".join(["articles { totalCount }"] * 10) + " }") == "ok"


async def test_a_thousand_aliases_are_refused(served: Served) -> None:
    aliases = " ".join(f"a{i}: articles {{ totalCount }}" for i in range(1000))
    result = await served.post({"query": "{ " + aliases + " }"})
    assert result["errors"][0]["extensions"]["code"] in {
        "GRAPHQL_PARSE_FAILED",  # over the token limit first
        "GRAPHQL_VALIDATION_FAILED",
    }
    few = " ".join(f"a{i}: articles {{ totalCount }}" for i in range(31))
    result = await served.post({"query": "{ " + few + " }"})
    assert result["errors"][0]["message"] == "31 aliases found. Allowed: 30"


async def test_a_refused_text_keeps_nothing_of_the_request_that_sent_it(served: Served) -> None:
    text = "{ syntax error"
    for _ in range(3):
        result = await served.post({"query": text, "variables": {"junk": "x" * 1_000_000}})
        assert result["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    kept = served.service.view.schema.operations.kept.peek(text)
    assert kept is not None and kept.refusal is not None
    assert kept.refusal.__traceback__ is None  # a traceback's frames would hold the request


async def test_variables_an_operation_does_not_declare_weigh_nothing(served: Served) -> None:
    query = "query Count($first: Int) { articles(first: $first) { totalCount } }"
    junk = {"first": 5, "junk": ["x"] * 200_000}  # 1.4 MB the operation never reads
    served.service.view.schema.operations.kept.clear()  # the schema's, shared by other tests
    for _ in range(3):
        assert await served.post({"query": query, "variables": junk}) == {
            "data": {"articles": {"totalCount": 1}}
        }
    view = served.service.view
    assert view.schema.operations.kept.bytes < 64 * 1024
    assert view.cache is not None and view.cache.entries.bytes < 64 * 1024
    # The same declared values with other junk: the same cached response.
    response = await served.http.post(
        "/graphql", json={"query": query, "variables": {"first": 5, "other": 1}}
    )
    assert response.headers.get("etag") is not None

"""Hand-backs from the fast executor to graphql-core (:mod:`cms.graphql.fallbacks`): each one
counted on the schema, in total and by reason; a WARNING once per operation text."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator

import httpx
import pytest

from cms.app import ContentService
from cms.fixtures.service import load_files
from cms.graphql.fallbacks import FIELD_ERROR, Fallbacks
from cms.settings import Settings
from tests.conftest import SEED_JSON
from tests.graphql.test_direct import COSTLY

FAILING = "{ articles(first: -1) { totalCount } }"


@pytest.fixture
async def fast(db_settings: Settings) -> AsyncIterator[tuple[ContentService, httpx.AsyncClient]]:
    service = ContentService(
        dataclasses.replace(db_settings, fast_executor=True, response_cache=False)
    )
    async with service.lifespan():
        await load_files([SEED_JSON])
        transport = httpx.ASGITransport(app=service.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            yield service, http


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "cms.graphql.execution" and record.levelno == logging.WARNING
    ]


async def test_a_hand_back_is_counted_every_time_and_logged_once_per_text(
    fast: tuple[ContentService, httpx.AsyncClient], caplog: pytest.LogCaptureFixture
) -> None:
    service, http = fast
    schema = service.view.schema
    assert schema.fallbacks == 0
    caplog.set_level(logging.WARNING, logger="cms.graphql.execution")
    for sent in range(1, 4):
        body = (await http.post("/graphql", json={"query": FAILING})).json()
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert schema.fallbacks == sent
        assert schema.fallback_reasons[FIELD_ERROR] == sent
        (warning,) = _warnings(caplog)  # the first time only
        assert "field_error" in warning and "`first` must not be negative" in warning
    assert FAILING in warning
    other = 'query Named { tags(after: "bad") { totalCount } }'
    await http.post("/graphql", json={"query": other})
    assert schema.fallbacks == 4 and len(_warnings(caplog)) == 2
    assert "query Named runs in graphql-core" in _warnings(caplog)[1]


async def test_what_the_fast_path_answers_or_leaves_to_graphql_core_is_no_hand_back(
    fast: tuple[ContentService, httpx.AsyncClient], caplog: pytest.LogCaptureFixture
) -> None:
    service, http = fast
    caplog.set_level(logging.WARNING, logger="cms.graphql.execution")
    for query in (
        "{ articles(first: 2) { edges { node { slug tags { slug } } } } }",
        "{ __schema { queryType { name } } articles(first: 1) { totalCount } }",  # introspection
        COSTLY,  # refused before execution
        'mutation { deleteTag(input: {id: "x"}) { deletedId } }',  # not a query
    ):
        await http.post("/graphql", json={"query": query})
    assert service.view.schema.fallbacks == 0 and _warnings(caplog) == []


def test_texts_logged_are_remembered_within_a_budget() -> None:
    fallbacks = Fallbacks(seen_bytes=2_000)  # room for a handful of texts
    error = ValueError("x")
    for text in (f"{{ a{n} }}" for n in range(100)):
        fallbacks.record(text, None, FIELD_ERROR, error)
    assert fallbacks.count == 100
    assert len(fallbacks._seen) <= 10 and fallbacks._seen.bytes <= 2_000

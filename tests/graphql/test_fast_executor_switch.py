"""``CMS_FAST_EXECUTOR=false`` runs every operation through graphql-core's executor and
Strawberry's general path: no fast executor, no short path, and the same answers."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from cms.app import ContentService
from cms.auth import create_token
from cms.fixtures.service import load_files
from cms.graphql import view
from cms.graphql.execution import Executor
from cms.models import TokenScope
from cms.settings import Settings, load_settings
from tests.conftest import SEED_JSON
from tests.graphql.test_direct import PROBLEMS, _comparable, _plain_requests


def test_the_setting_is_read_from_the_environment(
    db_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CMS_FAST_EXECUTOR", "false")
    settings = dataclasses.replace(load_settings(), database_url=db_settings.database_url)
    assert settings.fast_executor is False
    off = ContentService(settings).view
    assert not issubclass(off.schema.execution_context_class, Executor)
    assert off.short_path is False
    monkeypatch.setenv("CMS_FAST_EXECUTOR", "true")
    settings = dataclasses.replace(load_settings(), database_url=db_settings.database_url)
    on = ContentService(settings).view
    assert on.schema.execution_context_class is Executor and on.short_path is True


@pytest.fixture
async def clients(
    db_settings: Settings,
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient, dict[str, str]]]:
    """Clients of two services over the seed: the fast executor on, and off; and tokens."""
    on = ContentService(dataclasses.replace(db_settings, fast_executor=True))
    off = ContentService(dataclasses.replace(db_settings, fast_executor=False))
    async with on.lifespan(), off.lifespan():
        await load_files([SEED_JSON])
        tokens = {
            scope.value: (await create_token(f"{scope.value}-token", scope))[1]
            for scope in TokenScope
        }
        async with (
            httpx.AsyncClient(transport=httpx.ASGITransport(app=on.app), base_url="http://t") as a,
            httpx.AsyncClient(transport=httpx.ASGITransport(app=off.app), base_url="http://t") as b,
        ):
            yield a, b, tokens


async def _send(http: httpx.AsyncClient, method: str, arguments: dict[str, Any]) -> httpx.Response:
    arguments = dict(arguments)
    token = arguments.get("headers", {}).get("Authorization")
    if token is not None and not token.startswith("Bearer"):
        arguments["headers"] = {**arguments["headers"], "Authorization": f"Bearer {token}"}
    return await http.request(method, "/graphql", **arguments)


async def test_off_everything_runs_in_graphql_core_with_the_same_answers(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    on, off, tokens = clients
    requests = [
        *_plain_requests(tokens),
        *((method, arguments) for method, arguments, _ in PROBLEMS),
    ]
    fast = [_comparable(await _send(on, *request)) for request in requests]

    def no_fast_executor(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the fast executor ran")

    async def no_short_path(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the short path ran")

    monkeypatch.setattr(Executor, "execute_operation", no_fast_executor)
    monkeypatch.setattr(view, "respond", no_short_path)
    slow = [_comparable(await _send(off, *request)) for request in requests]
    for request, mine, theirs in zip(requests, fast, slow, strict=True):
        assert mine == theirs, request
    assert any(status == 200 and "errors" not in body for status, _, _, body in slow)

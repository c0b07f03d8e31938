"""A page's objects are freed when it is sent, not left for the cyclic collector.

Garbage in reference cycles (loaders, the executor, the request's version read) outlives the
young generations while the request runs, reaches the oldest one and makes every full
collection walk it: under load those pauses held the event loop for 15-40 ms (bench/stalls.py).
"""

from __future__ import annotations

import dataclasses
import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from cms.app import ContentService
from cms.fixtures.service import load_files
from cms.settings import Settings
from tests.conftest import REPO, SEED_JSON

SEED_SLUG = "peruvian-president-dina-boluarte-arrives-in-beijing-for-landmark-state-visit"
#: Where the objects of a request's own work come from (the test client's are not counted).
SERVER_MODULES = ("cms.", "strawberry.", "graphql.", "starlette.")


def _body(operation: str, variables: dict[str, Any]) -> bytes:
    text = (REPO / "schema" / "operations" / f"{operation}.graphql").read_text(encoding="utf-8")
    return json.dumps({"query": text, "operationName": operation, "variables": variables}).encode()


async def _post(service: ContentService, body: bytes) -> dict[str, Any]:
    """POST /graphql straight to the ASGI app (an HTTP client would add cycles of its own)."""
    sent: list[dict[str, Any]] = []
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"test"), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 1234),
        "server": ("test", 80),
    }
    await service.app(scope, receive, send)  # type: ignore[arg-type]
    assert sent[0]["status"] == 200, sent
    answer: dict[str, Any] = json.loads(b"".join(m.get("body", b"") for m in sent[1:]))
    assert "errors" not in answer, answer
    return answer


@contextmanager
def cyclic_garbage() -> Iterator[list[Any]]:
    """The objects the cyclic collector would free, made inside the block."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    found: list[Any] = []
    try:
        yield found
        gc.collect()
        found.extend(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was_enabled:
            gc.enable()


@pytest.mark.parametrize(
    ("operation", "variables"),
    [("ListPage", {"first": 20}), ("ArticlePage", {"slug": SEED_SLUG})],
)
async def test_a_page_leaves_no_cyclic_garbage(
    db_settings: Settings, operation: str, variables: dict[str, Any]
) -> None:
    settings = dataclasses.replace(db_settings, response_cache=False, fast_executor=True)
    service = ContentService(settings)
    async with service.lifespan():
        await load_files([SEED_JSON])
        body = _body(operation, variables)
        for _ in range(2):  # what the first requests build and keep is not garbage
            await _post(service, body)
        with cyclic_garbage() as garbage:
            answer = await _post(service, body)
        assert answer["data"]
        ours = sorted(
            {
                f"{type(o).__module__}.{type(o).__qualname__}"
                for o in garbage
                if type(o).__module__.startswith(SERVER_MODULES)
            }
        )
        assert ours == [], f"a request left objects in reference cycles: {ours}"

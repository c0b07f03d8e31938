"""A real webhook receiver for the tests: a small ASGI app served by uvicorn in a thread.

It records every request (headers, body, arrival time) and answers with the status codes it
is told to, in order (204 once they run out); it can hang on requests, as a receiver that never
answers does. Signatures are checked by the tests with ``standardwebhooks``.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from standardwebhooks.webhooks import Webhook

from tests.conftest import free_port


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    #: time.time() on arrival.
    at: float

    @property
    def message_id(self) -> str:
        return self.headers["webhook-id"]

    def verified(self, secret: str) -> Any:
        """The payload, once ``standardwebhooks`` has checked the signature with ``secret``
        (raises WebhookVerificationError when it does not match)."""
        return Webhook(secret).verify(self.body, self.headers)


class Receiver:
    def __init__(self) -> None:
        self.received: list[Received] = []
        #: Status codes to answer with, in order; 204 once they run out.
        self.answers: list[int] = []
        #: How many of the next requests hang (until :meth:`close`).
        self.hang_next = 0
        self.url = ""
        self._lock = threading.Lock()
        self._released = threading.Event()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        with self._lock:
            self.received.append(Received(headers, body, time.time()))
            hang = self.hang_next > 0
            self.hang_next -= int(hang)
            status = self.answers.pop(0) if self.answers and not hang else 204
        if hang:
            await asyncio.to_thread(self._released.wait, 60)
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def wait_for(self, count: int, within: float = 10) -> list[Received]:
        """The first ``count`` requests, once they have arrived (AssertionError after
        ``within`` seconds)."""
        deadline = time.monotonic() + within
        while len(self.received) < count:
            assert time.monotonic() < deadline, f"{len(self.received)} of {count} arrived"
            await asyncio.sleep(0.01)
        return self.received[:count]

    def release(self) -> None:
        self._released.set()


@contextmanager
def receiving() -> Iterator[Receiver]:
    """A receiver listening on 127.0.0.1 until the block ends."""
    receiver = Receiver()
    port = free_port()
    config = uvicorn.Config(
        receiver, host="127.0.0.1", port=port, lifespan="off", log_level="error", loop="asyncio"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the receiver did not start"
        time.sleep(0.01)
    receiver.url = f"http://127.0.0.1:{port}/hook"
    try:
        yield receiver
    finally:
        receiver.release()
        server.should_exit = True
        thread.join(10)

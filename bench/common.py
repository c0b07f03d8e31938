"""Helpers the benchmark scripts share: ports, `cms` commands, stopping servers, logs,
percentiles, a keep-alive HTTP/1.1 connection (for one-at-a-time latency, not for load)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
#: Longest a setup step (generate, migrate, load) may take.
STEP_TIMEOUT_S = 900.0
#: Timeout of one request on a Connection.
REQUEST_TIMEOUT_S = 30.0


def run_cli(args: list[str], env: dict[str, str]) -> float:
    """Run one `cms` command to completion; raise with its stderr if it fails. Its seconds."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "cms", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"cms {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return time.perf_counter() - start


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGINT (uvicorn's graceful shutdown), then SIGTERM, then SIGKILL to its process group."""
    if process.poll() is not None:
        return
    for sig, grace in ((signal.SIGINT, 10.0), (signal.SIGTERM, 5.0)):
        process.send_signal(sig)
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=5.0)


def tail(log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list (NaN when empty)."""
    if not sorted_values:
        return float("nan")
    rank = max(0, min(len(sorted_values) - 1, math.ceil(fraction * len(sorted_values)) - 1))
    return sorted_values[rank]


class StatementLog(logging.Handler):
    """Counts the statements Tortoise sends to the database (its db_client debug log)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


@contextlib.contextmanager
def counting_tortoise() -> Iterator[StatementLog]:
    """Count the statements Tortoise sends inside the block."""
    logger = logging.getLogger("tortoise.db_client")
    previous = logger.level
    handler = StatementLog()
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


class Connection:
    """One keep-alive HTTP/1.1 connection that sends a prepared request and reads the answer."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(HOST, self.port)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def send(self, request: bytes) -> tuple[int, bytes]:
        """Send ``request`` and read the answer. A kept-alive connection the server closed while
        it idled (Node closes them after 5 s; the other servers' rounds take longer) is opened
        again and the request sent once more, as HTTP clients do: not an error of the server."""
        reused = self.reader is not None
        try:
            return await self._exchange(request)
        except (asyncio.IncompleteReadError, ConnectionResetError, BrokenPipeError) as exc:
            partial = exc.partial if isinstance(exc, asyncio.IncompleteReadError) else b""
            if not reused or partial:
                raise
            await self.close()
            return await self._exchange(request)

    async def _exchange(self, request: bytes) -> tuple[int, bytes]:
        if self.reader is None or self.writer is None:
            await self.open()
        assert self.reader is not None and self.writer is not None
        async with asyncio.timeout(REQUEST_TIMEOUT_S):
            self.writer.write(request)
            head = await self.reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            lowered = head.lower()
            at = lowered.find(b"\r\ncontent-length:")
            if at < 0:
                raise ValueError("a response without Content-Length")
            length = int(lowered[at + 17 : lowered.index(b"\r\n", at + 2)])
            body = await self.reader.readexactly(length)
        return status, body


def http_request(port: int, body: dict[str, Any]) -> bytes:
    content = json.dumps(body).encode()
    head = (
        f"POST /graphql HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/json\r\n"
        f"Accept: application/json\r\nContent-Length: {len(content)}\r\n\r\n"
    )
    return head.encode() + content

"""What an operator sees when a command cannot use its database or its port: one line on
stderr that names the database (password hidden) and the fix, status 1, within seconds;
never a traceback, never a hang. Every command runs as a real process, bounded in time."""

from __future__ import annotations

import os
import socket
import sqlite3
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from cms import db
from tests.databases import POSTGRES_URL, FreshDatabases

#: Seconds a command may take before the test calls it a hang.
HANG = 30.0
#: Seconds a command that cannot reach its database may take (the connect timeout is 5 s).
PROMPT = 15.0

COMMANDS = [
    ["migrate"],
    ["fixtures", "load"],
    ["fixtures", "dump"],
    ["tokens", "create", "--name", "ci", "--scope", "read"],
    ["tokens", "list"],
    ["tokens", "revoke", "ci"],
]
#: Commands that need a database that exists and is migrated (all but migrate).
USERS = COMMANDS[1:]


def cms(
    args: list[str],
    *,
    url: str | None = None,
    cwd: Path | None = None,
    prelude: str = "",
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``cms args`` (``url`` as ``--database-url``) after ``prelude`` in a fresh process."""
    clean = {k: v for k, v in os.environ.items() if k != "CMS_DATABASE_URL"}
    code = f"{prelude}\nfrom cms.cli import app\napp(prog_name='cms')"
    extra = ["--database-url", url] if url is not None else []
    return subprocess.run(
        [sys.executable, "-c", code, *args, *extra],
        cwd=cwd,
        env={**clean, "PYTHONPATH": str(Path(__file__).resolve().parent.parent), **(env or {})},
        capture_output=True,
        text=True,
        timeout=HANG,
    )


def one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    """The single ``error: ...`` line ``result`` printed; it must hold every fragment."""
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output, output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), output
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_a_missing_directory(args: list[str], tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'missing-dir' / 'cms.sqlite3'}"
    result = cms(args, url=url)
    one_line_error(result, f"directory {tmp_path / 'missing-dir'} does not exist", url)
    assert not (tmp_path / "missing-dir").exists()


@pytest.mark.parametrize("args", [["migrate"], ["tokens", "list"]], ids=" ".join)
@pytest.mark.parametrize(
    ("make", "reason"),
    [("directory", "unable to open database file"), ("text", "file is not a database")],
)
def test_a_file_sqlite_cannot_open(args: list[str], make: str, reason: str, tmp_path: Path) -> None:
    """Besides the one line, aiosqlite's thread used to print a traceback on the way out."""
    path = tmp_path / "cms.sqlite3"
    if make == "directory":
        path.mkdir()
    else:
        path.write_text("not a database\n", encoding="utf-8")
    one_line_error(cms(args, url=f"sqlite://{path}"), f"cannot open sqlite://{path}: {reason}")


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("url", ["notaurl", "mysql://cms:secret@db.example/cms"])
def test_a_url_cms_cannot_use(url: str, args: list[str]) -> None:
    line = one_line_error(cms(args, url=url), "sqlite://PATH or postgres://", "--database-url")
    assert "secret" not in line
    if url.startswith("mysql"):
        assert line.startswith("error: mysql://cms:***@db.example/cms: cms does not run on mysql")


def test_a_missing_driver_says_what_to_install() -> None:
    url = "postgres://cms:secret@127.0.0.1:5432/cms"
    result = cms(["tokens", "list"], url=url, prelude="import sys; sys.modules['asyncpg'] = None")
    line = one_line_error(result, "postgres://cms:***@127.0.0.1:5432/cms", "asyncpg")
    assert line.endswith("is not installed: pip install 'cms[postgres]'")
    assert "secret" not in line


@pytest.fixture
def refusing_server() -> Iterator[tuple[int, list[tuple[str, str]]]]:
    """A PostgreSQL server that refuses every login with the error its test puts in the list
    (SQLSTATE, message), as a real one does for an unknown role or database."""
    errors: list[tuple[str, str]] = []
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def read(conn: socket.socket, size: int) -> bytes:
        data = b""
        while len(data) < size and (chunk := conn.recv(size - len(data))):
            data += chunk
        return data

    def answer(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(HANG)
            while len(head := read(conn, 8)) == 8:
                length, code = struct.unpack("!ii", head)
                if code == 80877103:  # SSLRequest: no SSL here
                    conn.sendall(b"N")
                    continue
                read(conn, length - 8)  # the rest of the startup message
                sqlstate, message = errors[0]
                fields = b"".join(
                    tag + value.encode() + b"\0"
                    for tag, value in ((b"S", "FATAL"), (b"C", sqlstate), (b"M", message))
                )
                body = fields + b"\0"
                conn.sendall(b"E" + struct.pack("!i", len(body) + 4) + body)
                return

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=answer, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], errors
    finally:
        stop.set()
        thread.join()
        listener.close()


#: Where to try an unknown role: the fake server, and the suite's own PostgreSQL when it has one.
LOGIN_SERVERS = ["fake", *(["postgres"] if POSTGRES_URL else [])]


@pytest.mark.parametrize("server", LOGIN_SERVERS)
@pytest.mark.parametrize("args", [["migrate"], ["tokens", "list"]], ids=" ".join)
def test_a_refused_login(
    refusing_server: tuple[int, list[tuple[str, str]]], args: list[str], server: str
) -> None:
    port, errors = refusing_server
    errors.append(("28000", 'role "nosuchrole" does not exist'))
    host = f"127.0.0.1:{port}"
    if server == "postgres" and POSTGRES_URL:
        host = urlsplit(POSTGRES_URL).netloc.rpartition("@")[2]
    url = f"postgres://nosuchrole:secret@{host}/test"
    line = one_line_error(
        cms(args, url=url),
        f"cannot log in to postgres://nosuchrole:***@{host}/test",
        'role "nosuchrole" does not exist',
        "check the user and password",
    )
    assert "secret" not in line


def test_a_database_the_server_does_not_have(
    refusing_server: tuple[int, list[tuple[str, str]]],
) -> None:
    port, errors = refusing_server
    errors.append(("3D000", 'database "nosuch" does not exist'))
    one_line_error(
        cms(["migrate"], url=f"postgres://cms@127.0.0.1:{port}/nosuch"),
        f"the database postgres://cms@127.0.0.1:{port}/nosuch does not exist",
        "createdb",
    )


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_server_that_is_not_there() -> None:
    port = closed_port()
    started = time.monotonic()
    result = cms(["tokens", "list"], url=f"postgres://cms:secret@127.0.0.1:{port}/cms")
    one_line_error(result, f"cannot reach postgres://cms:***@127.0.0.1:{port}/cms", "host and port")
    assert time.monotonic() - started < PROMPT


def test_a_server_that_never_answers_times_out() -> None:
    """A host that takes the connection and says nothing (a firewall, a hung server): the
    command gives up after the connect timeout instead of asyncpg's minute."""
    with socket.create_server(("127.0.0.1", 0)) as silent:  # listens, never accepts
        port = silent.getsockname()[1]
        started = time.monotonic()
        result = cms(["migrate"], url=f"postgres://cms@127.0.0.1:{port}/cms")
        elapsed = time.monotonic() - started
    one_line_error(result, f"cannot reach postgres://cms@127.0.0.1:{port}/cms", "timed out")
    assert db.CONNECT_TIMEOUT_SECONDS <= elapsed < PROMPT


@pytest.mark.parametrize("args", USERS, ids=" ".join)
def test_a_database_file_that_does_not_exist_is_not_created(
    args: list[str], tmp_path: Path
) -> None:
    """Run from another directory with the default URL, a command used to create an empty
    ./cms.sqlite3 and then complain that it was not migrated."""
    result = cms(args, cwd=tmp_path)
    one_line_error(
        result, f"the database sqlite://{tmp_path / 'cms.sqlite3'} does not exist", "cms migrate"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", USERS, ids=" ".join)
def test_a_database_that_is_not_migrated(args: list[str], databases: FreshDatabases) -> None:
    url = databases.empty().database_url
    if url.startswith("sqlite://"):
        sqlite3.connect(url.removeprefix("sqlite://")).close()  # an empty database file
    one_line_error(
        cms(args, url=url), f"the database {db.describe(url)} is not migrated", "run `cms migrate`"
    )


def test_version() -> None:
    result = cms(["--version"])
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"cms {version('cms')}\n"


def serve(port: int, url: str) -> subprocess.CompletedProcess[str]:
    return cms(["serve", "--port", str(port), "--workers", "2"], url=url)


def test_serve_refuses_a_database_that_is_not_migrated(databases: FreshDatabases) -> None:
    """It used to start, and answer GraphQL with a text/plain 500."""
    url = databases.empty().database_url
    if url.startswith("sqlite://"):
        sqlite3.connect(url.removeprefix("sqlite://")).close()
    result = serve(closed_port(), url)
    one_line_error(result, f"the database {db.describe(url)} is not migrated", "cms migrate")
    assert result.stdout == ""


@pytest.mark.parametrize(
    "url",
    [
        "notaurl",
        "postgres://cms:secret@127.0.0.1:{port}/cms",
        "sqlite://{tmp}/missing-dir/cms.sqlite3",
    ],
)
def test_serve_refuses_a_database_it_cannot_reach(url: str, tmp_path: Path) -> None:
    """A missing directory used to start a server that answered requests only at shutdown."""
    started = time.monotonic()
    line = one_line_error(serve(closed_port(), url.format(port=closed_port(), tmp=tmp_path)))
    assert time.monotonic() - started < PROMPT
    assert "secret" not in line and "GraphiQL" not in line


def test_serve_says_the_port_is_in_use_before_anything_else(
    databases: FreshDatabases,
) -> None:
    """It used to print the GraphiQL URL (and, with one worker, "Application startup
    complete") before failing to bind."""
    url = databases.new().database_url
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        for workers in ("1", "2"):
            result = cms(["serve", "--port", str(port), "--workers", workers], url=url)
            one_line_error(result, f"port {port} on 127.0.0.1 is in use: Address already in use")
            assert result.stdout == ""

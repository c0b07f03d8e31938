"""The ``cms`` command line: migrations, fixtures (load, dump, generate), tokens, webhooks,
serving.

A command that cannot go on prints one line, ``error: ...``, on stderr and exits with status 1:
a database that cannot be used says which one and how to fix it (:class:`cms.db.DatabaseError`),
never with a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import socket
import sys
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cms import auth, db
from cms.fixtures.apply import LoadSummary
from cms.fixtures.bundled import bundled_fixtures
from cms.fixtures.records import FixtureError
from cms.fixtures.service import dump as dump_fixtures
from cms.fixtures.service import load_batch, read_files
from cms.models import ArticleStatus, TokenScope
from cms.settings import Settings, load_settings
from cms.timeutil import format_datetime, parse_datetime
from cms.webhooks import endpoints, events

T = TypeVar("T")

app = typer.Typer(
    help="cms: a headless content service with a GraphQL API.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
fixtures_app = typer.Typer(help="Load, dump and generate content fixtures.", no_args_is_help=True)
app.add_typer(fixtures_app, name="fixtures")
schema_app = typer.Typer(help="The GraphQL schema.", no_args_is_help=True)
app.add_typer(schema_app, name="schema")
tokens_app = typer.Typer(
    help="Access tokens for the API (read, preview, write).", no_args_is_help=True
)
app.add_typer(tokens_app, name="tokens")
webhooks_app = typer.Typer(
    help="Signed webhooks: endpoints that receive content changes, and their deliveries.",
    no_args_is_help=True,
)
app.add_typer(webhooks_app, name="webhooks")

err = Console(stderr=True, soft_wrap=True)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"cms {package_version('cms')}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """cms: a headless content service with a GraphQL API."""


def fail(message: str) -> NoReturn:
    """Print ``error: message`` as one line on stderr and exit with status 1."""
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(1)


def _run(work: Coroutine[Any, Any, T]) -> T:
    """Run ``work``; a database that cannot be used, or a token problem, ends the command
    with one line instead of a traceback."""
    try:
        return asyncio.run(work)
    except (db.DatabaseError, auth.TokenError, endpoints.WebhookError) as exc:
        fail(str(exc))


#: Loads of at least this many articles show a progress bar.
PROGRESS_THRESHOLD = 200

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="CMS_DATABASE_URL",
        help="Tortoise database URL (default: sqlite://cms.sqlite3).",
        show_default=False,
    ),
]


def _settings(database_url: str | None) -> Settings:
    try:
        settings = load_settings()
    except ValueError as exc:  # an environment variable that cannot be read
        fail(str(exc))
    if database_url:
        settings = Settings(**{**settings.__dict__, "database_url": database_url})
    return settings


def check_port(host: str, port: int) -> None:
    """Fail with one line unless ``host:port`` can be bound now (as uvicorn will bind it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            reason = exc.strerror or str(exc)
            if exc.errno == errno.EADDRINUSE:
                fail(
                    f"port {port} on {host} is in use: {reason}; stop what listens there or "
                    "give another --port"
                )
            fail(f"cannot listen on {host} port {port}: {reason}; check --host and --port")


@app.command()
def serve(
    host: Annotated[str, typer.Option(envvar="CMS_HOST", help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="CMS_PORT", help="Port to listen on.")] = 8000,
    workers: Annotated[
        int, typer.Option(envvar="CMS_WORKERS", min=1, help="Worker processes.")
    ] = 1,
    reload: Annotated[
        bool, typer.Option(help="Restart when the code changes (development).")
    ] = False,
    access_log: Annotated[
        bool,
        typer.Option(help="Also write uvicorn's access log (cms logs every request itself)."),
    ] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Serve the GraphQL API (and GraphiQL) with uvicorn.

    It refuses to start, with one line and status 1, when the port is taken or the database
    cannot be served (unreachable, missing, not migrated). On SIGTERM (or Ctrl-C) it stops
    accepting connections, lets requests in flight finish (for up to
    CMS_GRACEFUL_SHUTDOWN_SECONDS) and closes the database; after SIGTERM it exits 0.
    """
    import logging
    import os
    import signal
    from types import FrameType

    import uvicorn

    from cms.observability import configure_logging, uvicorn_log_config

    if database_url:
        os.environ["CMS_DATABASE_URL"] = database_url  # worker processes read the environment
    settings = _settings(None)
    configure_logging(settings)
    check_port(host, port)
    _run(db.check(settings))

    def exit_cleanly(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    # uvicorn shuts down gracefully on SIGTERM, then raises it again with the handler it found
    # installed: a graceful stop ends with status 0, as it does with several workers.
    signal.signal(signal.SIGTERM, exit_cleanly)
    url = f"http://{host}:{port}/graphql"
    logging.getLogger("cms.serve").info("GraphQL API and GraphiQL: %s", url, extra={"url": url})
    uvicorn.run(
        "cms.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        log_level="info",
        log_config=uvicorn_log_config(settings),
        access_log=access_log,
        timeout_graceful_shutdown=settings.graceful_shutdown_seconds,
    )


@schema_app.command("export")
def export_schema(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")
    ] = None,
) -> None:
    """Write the served schema as SDL (committed as schema/schema.graphql)."""
    from cms.graphql.schema import sdl

    text = sdl()
    if output is None or str(output) == "-":
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


@app.command()
def migrate(database_url: DatabaseUrl = None) -> None:
    """Create or upgrade the database schema by applying pending migrations."""
    settings = _settings(database_url)
    applied = _run(db.migrate(settings))
    for name in applied:
        typer.echo(f"applied {name}")
    typer.echo(f"database is up to date ({len(applied)} migration(s) applied)")


def _parse_when(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_datetime(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--published-at") from None


async def _load(
    settings: Settings,
    paths: list[Path],
    status: ArticleStatus | None,
    published_at: datetime | None,
) -> LoadSummary:
    batch = read_files(paths, status=status, published_at=published_at)
    async with db.database(settings, check=True):
        if len(batch.articles) < PROGRESS_THRESHOLD:
            return await load_batch(batch)
        with Progress(
            TextColumn("loading articles"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
        ) as bar:
            task = bar.add_task("load", total=len(batch.articles))
            return await load_batch(batch, progress=lambda n: bar.advance(task, n))


@fixtures_app.command("load")
def load(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="JSON fixtures or plain-text articles (default: the bundled ones)."),
    ] = None,
    status: Annotated[
        ArticleStatus | None,
        typer.Option(help="Status for plain-text articles (default PUBLISHED)."),
    ] = None,
    published_at: Annotated[
        str | None,
        typer.Option(
            "--published-at",
            help="Publication time for plain-text articles, ISO-8601 with an offset "
            "(default: the time of their first load, kept on later loads).",
        ),
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Load fixtures, all or nothing: upsert by slug, so loading twice changes nothing."""
    settings = _settings(database_url)
    files = list(paths) if paths else bundled_fixtures()
    when = _parse_when(published_at)
    try:
        summary = _run(_load(settings, files, status, when))
    except FixtureError as exc:
        err.print("[bold red]error:[/] nothing was loaded:", highlight=False)
        for problem in exc.problems:
            err.print(f"  {problem}", markup=False, highlight=False)
        raise typer.Exit(1) from None
    for kind in ("articles", "tags", "contributors"):
        counts = getattr(summary, kind)
        typer.echo(
            f"{kind}: {counts.created} created, {counts.updated} updated, "
            f"{counts.unchanged} unchanged"
        )


async def _dump(settings: Settings) -> dict[str, object]:
    async with db.database(settings, check=True):
        return await dump_fixtures()


def _write_json(document: object, output: Path | None) -> None:
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if output is None or str(output) == "-":
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


@fixtures_app.command("dump")
def dump(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Write everything stored as a JSON fixture that `cms fixtures load` takes back unchanged."""
    document = _run(_dump(_settings(database_url)))
    _write_json(document, output)


@fixtures_app.command("generate")
def generate(
    articles: Annotated[int, typer.Option(min=0, help="How many articles.")] = 100,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same file.")] = 1,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")
    ] = None,
    now: Annotated[
        str | None,
        typer.Option(help="Reference time for publish dates (default: today 00:00 UTC)."),
    ] = None,
) -> None:
    """Generate deterministic, realistic synthetic content as a JSON fixture."""
    from cms.generate import generate as make

    reference = None
    if now is not None:
        try:
            reference = parse_datetime(now)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--now") from None
    _write_json(make(articles, seed, reference), output)


async def _in_database(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    async with db.database(settings, check=True):
        return await work()


def _run_in(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    """Run ``work`` with the database open (checked: it exists, answers and is migrated)."""
    return _run(_in_database(settings, work))


@tokens_app.command("create")
def tokens_create(
    name: Annotated[str, typer.Option(help="A unique name, e.g. the client that uses it.")],
    scope: Annotated[
        TokenScope,
        typer.Option(help="read: published content; preview: also drafts; write: also changes."),
    ],
    database_url: DatabaseUrl = None,
) -> None:
    """Create a token; it is printed once, as the last line (only its hash is stored)."""
    row, token = _run_in(_settings(database_url), lambda: auth.create_token(name, scope))
    typer.echo(f"created {row.scope} token {row.name!r}; store it now, it is not shown again:")
    typer.echo(token)


@tokens_app.command("list")
def tokens_list(database_url: DatabaseUrl = None) -> None:
    """List tokens: name, scope, created, revoked (never the secrets)."""
    rows = _run_in(_settings(database_url), auth.list_tokens)
    if not rows:
        typer.echo("no tokens")
    for row in rows:
        revoked = f"revoked {format_datetime(row.revoked_at)}" if row.revoked_at else "active"
        typer.echo(f"{row.name}\t{row.scope}\tcreated {format_datetime(row.created_at)}\t{revoked}")


@tokens_app.command("revoke")
def tokens_revoke(
    name: Annotated[str, typer.Argument(help="The token's name.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Revoke a token: requests that use it are refused from now on."""
    row = _run_in(_settings(database_url), lambda: auth.revoke_token(name))
    typer.echo(f"revoked token {row.name!r}")


def _choices(value: str | None, parse: Callable[[list[str]], list[str]], option: str) -> list[str]:
    if value is None:
        return []
    try:
        chosen = parse([value])
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from None
    if not chosen:
        raise typer.BadParameter("name at least one, or leave the option out", param_hint=option)
    return chosen


@webhooks_app.command("add")
def webhooks_add(
    url: Annotated[str, typer.Option(help="The receiver's http(s) URL.")],
    events_: Annotated[
        str | None,
        typer.Option(
            "--events",
            help=f"Comma-separated event types (default: all): {', '.join(events.EVENT_TYPES)}.",
        ),
    ] = None,
    types: Annotated[
        str | None,
        typer.Option(help="Comma-separated content types (default: all): ARTICLE, TAG."),
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Add an endpoint: it receives the changes committed from now on, signed (Standard
    Webhooks). Its secret is printed once, as the last line."""
    chosen_events = _choices(events_, events.parse_events, "--events")
    chosen_types = _choices(types, events.parse_types, "--types")
    settings = _settings(database_url)
    row = _run_in(
        settings,
        lambda: endpoints.add(url, events=chosen_events, types=chosen_types, settings=settings),
    )
    typer.echo(f"added webhook endpoint {row.id} for {row.url}")
    typer.echo("its signing secret; store it now, it is not shown again:")
    typer.echo(row.secret)


def _endpoint_line(summary: endpoints.EndpointSummary) -> str:
    row = summary.endpoint
    if row.enabled:
        state = "enabled"
    else:
        when = format_datetime(row.disabled_at) if row.disabled_at else "?"
        state = f"DISABLED {when} ({row.disabled_reason}; `cms webhooks enable {row.id}`)"
    return "\t".join(
        [
            str(row.id),
            row.url,
            state,
            f"events: {','.join(row.events) or 'all'}",
            f"types: {','.join(row.types) or 'all'}",
            f"pending {summary.pending}, delivered {summary.delivered}, failed {summary.failed}",
        ]
    )


@webhooks_app.command("list")
def webhooks_list(database_url: DatabaseUrl = None) -> None:
    """List endpoints: id, URL, enabled or disabled (and why), filters, deliveries by status."""
    rows = _run_in(_settings(database_url), endpoints.summaries)
    if not rows:
        typer.echo("no webhook endpoints")
    for summary in rows:
        typer.echo(_endpoint_line(summary))


@webhooks_app.command("remove")
def webhooks_remove(
    endpoint_id: Annotated[int, typer.Argument(metavar="ID", help="The endpoint's id.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Remove an endpoint, with its deliveries and their log."""
    row = _run_in(_settings(database_url), lambda: endpoints.remove(endpoint_id))
    typer.echo(f"removed webhook endpoint {row.id} ({row.url})")


@webhooks_app.command("enable")
def webhooks_enable(
    endpoint_id: Annotated[int, typer.Argument(metavar="ID", help="The endpoint's id.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Enable an endpoint that was disabled (its receiver answered 410 Gone): it gets the
    changes committed from now on."""
    row = _run_in(_settings(database_url), lambda: endpoints.enable(endpoint_id))
    typer.echo(f"enabled webhook endpoint {row.id} ({row.url}): it gets changes from now on")


def _attempt_line(attempt: Any) -> str:
    if attempt.status_code is not None:
        outcome = f"answered {attempt.status_code}"
    elif attempt.error is not None:
        outcome = attempt.error
    else:
        outcome = "no outcome (the process stopped, or it is running now)"
    took = f" in {attempt.duration_ms} ms" if attempt.duration_ms is not None else ""
    return f"  attempt {attempt.number} at {format_datetime(attempt.started_at)}: {outcome}{took}"


@webhooks_app.command("deliveries")
def webhooks_deliveries(
    failed: Annotated[bool, typer.Option("--failed", help="Only those given up.")] = False,
    endpoint: Annotated[
        int | None, typer.Option("--endpoint", metavar="ID", help="Only this endpoint's.")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """The delivery log, newest first: each delivery's status and every attempt's outcome
    (status code or error, and how long it took)."""
    rows = _run_in(
        _settings(database_url),
        lambda: endpoints.deliveries(failed=failed, endpoint_id=endpoint),
    )
    if not rows:
        typer.echo("no deliveries")
    for row in rows:
        status = str(row.status.value)
        if status == "PENDING" and row.attempts:
            status += f" (next attempt {format_datetime(row.next_attempt_at)})"
        typer.echo(
            f"{row.id}\tendpoint {row.endpoint_id}\t{row.event_type}\t{row.message_id}\t"
            f"{status}\tcreated {format_datetime(row.created_at)}"
        )
        for attempt in row.attempt_log:
            typer.echo(_attempt_line(attempt))


@webhooks_app.command("redeliver")
def webhooks_redeliver(
    delivery_id: Annotated[int, typer.Argument(metavar="ID", help="The delivery's id.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Send a delivery again (same webhook-id), after its endpoint's earlier deliveries."""
    row = _run_in(_settings(database_url), lambda: endpoints.redeliver(delivery_id))
    typer.echo(f"delivery {row.id} ({row.message_id}) will be sent again")


async def _deliver(settings: Settings) -> None:
    import signal

    from cms.webhooks.worker import run_deliveries

    async with db.database(settings, check=True):
        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await run_deliveries(settings)


@webhooks_app.command("worker")
def webhooks_worker(database_url: DatabaseUrl = None) -> None:
    """Deliver webhooks until stopped (Ctrl-C or SIGTERM, which exit 0), for setups that run
    the app processes with CMS_WEBHOOK_DELIVERY=false. Any number may run: each attempt is
    made by one of them."""
    import logging
    import signal
    from types import FrameType

    from cms.observability import configure_logging

    settings = _settings(database_url)
    configure_logging(settings)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt  # before the loop runs; then _deliver's handler stops it

    signal.signal(signal.SIGTERM, stop)
    logging.getLogger("cms.webhooks").info("delivering webhooks (Ctrl-C to stop)")
    with contextlib.suppress(KeyboardInterrupt):
        _run(_deliver(settings))

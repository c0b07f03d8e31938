"""The ``cms`` command line: migrations, fixtures (load, dump, generate), tokens, webhooks,
serving.

A command that cannot go on prints one line, ``error: ...``, on stderr and exits with status 1:
a database that cannot be used says which one and how to fix it (:class:`cms.db.DatabaseError`),
never with a traceback.
"""

from __future__ import annotations

import errno
import json
import socket
import sys
from datetime import datetime
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cms import auth, db
from cms.cli.common import DatabaseUrl, err, fail, run, run_in, settings_from
from cms.cli.webhooks import app as webhooks_app
from cms.fixtures.apply import LoadSummary
from cms.fixtures.bundled import bundled_fixtures
from cms.fixtures.records import FixtureError
from cms.fixtures.service import dump as dump_fixtures
from cms.fixtures.service import load_batch, read_files
from cms.models import ArticleStatus, TokenScope
from cms.settings import Settings
from cms.timeutil import format_datetime, parse_datetime

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
app.add_typer(webhooks_app, name="webhooks")


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


#: Loads of at least this many articles show a progress bar.
PROGRESS_THRESHOLD = 200


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
    settings = settings_from(None)
    configure_logging(settings)
    check_port(host, port)
    run(db.check(settings))

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
    settings = settings_from(database_url)
    applied = run(db.migrate(settings))
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
    settings = settings_from(database_url)
    files = list(paths) if paths else bundled_fixtures()
    when = _parse_when(published_at)
    try:
        summary = run(_load(settings, files, status, when))
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
    document = run(_dump(settings_from(database_url)))
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
    row, token = run_in(settings_from(database_url), lambda: auth.create_token(name, scope))
    typer.echo(f"created {row.scope} token {row.name!r}; store it now, it is not shown again:")
    typer.echo(token)


@tokens_app.command("list")
def tokens_list(database_url: DatabaseUrl = None) -> None:
    """List tokens: name, scope, created, revoked (never the secrets)."""
    rows = run_in(settings_from(database_url), auth.list_tokens)
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
    row = run_in(settings_from(database_url), lambda: auth.revoke_token(name))
    typer.echo(f"revoked token {row.name!r}")

"""What every command shares: the one-line error, running a command's work (with the database
open), and the --database-url option."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from cms import auth, db
from cms.settings import Settings, load_settings
from cms.webhooks import endpoints

T = TypeVar("T")

#: Where errors go: stderr, one line each.
err = Console(stderr=True, soft_wrap=True)


def fail(message: str) -> NoReturn:
    """Print ``error: message`` as one line on stderr and exit with status 1."""
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(1)


def run(work: Coroutine[Any, Any, T]) -> T:
    """Run ``work``; a database that cannot be used, or a token problem, ends the command
    with one line instead of a traceback."""
    try:
        return asyncio.run(work)
    except (db.DatabaseError, auth.TokenError, endpoints.WebhookError) as exc:
        fail(str(exc))


DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="CMS_DATABASE_URL",
        help="Tortoise database URL (default: sqlite://cms.sqlite3).",
        show_default=False,
    ),
]


def settings_from(database_url: str | None) -> Settings:
    try:
        settings = load_settings()
    except ValueError as exc:  # an environment variable that cannot be read
        fail(str(exc))
    if database_url:
        settings = Settings(**{**settings.__dict__, "database_url": database_url})
    return settings


async def _in_database(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    async with db.database(settings, check=True):
        return await work()


def run_in(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    """Run ``work`` with the database open (checked: it exists, answers and is migrated)."""
    return run(_in_database(settings, work))

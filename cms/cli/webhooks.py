"""``cms webhooks``: endpoints that receive content changes, their deliveries, and the worker
that sends them."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable
from typing import Annotated, Any

import typer

from cms import db
from cms.cli.common import DatabaseUrl, run, run_in, settings_from
from cms.settings import Settings
from cms.timeutil import format_datetime
from cms.webhooks import endpoints, events

app = typer.Typer(
    help="Signed webhooks: endpoints that receive content changes, and their deliveries.",
    no_args_is_help=True,
)


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


@app.command("add")
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
    settings = settings_from(database_url)
    row = run_in(
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


@app.command("list")
def webhooks_list(database_url: DatabaseUrl = None) -> None:
    """List endpoints: id, URL, enabled or disabled (and why), filters, deliveries by status."""
    rows = run_in(settings_from(database_url), endpoints.summaries)
    if not rows:
        typer.echo("no webhook endpoints")
    for summary in rows:
        typer.echo(_endpoint_line(summary))


@app.command("remove")
def webhooks_remove(
    endpoint_id: Annotated[int, typer.Argument(metavar="ID", help="The endpoint's id.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Remove an endpoint, with its deliveries and their log."""
    row = run_in(settings_from(database_url), lambda: endpoints.remove(endpoint_id))
    typer.echo(f"removed webhook endpoint {row.id} ({row.url})")


@app.command("enable")
def webhooks_enable(
    endpoint_id: Annotated[int, typer.Argument(metavar="ID", help="The endpoint's id.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Enable an endpoint that was disabled (its receiver answered 410 Gone): it gets the
    changes committed from now on."""
    row = run_in(settings_from(database_url), lambda: endpoints.enable(endpoint_id))
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


@app.command("deliveries")
def webhooks_deliveries(
    failed: Annotated[bool, typer.Option("--failed", help="Only those given up.")] = False,
    endpoint: Annotated[
        int | None, typer.Option("--endpoint", metavar="ID", help="Only this endpoint's.")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """The delivery log, newest first: each delivery's status and every attempt's outcome
    (status code or error, and how long it took)."""
    rows = run_in(
        settings_from(database_url),
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


@app.command("redeliver")
def webhooks_redeliver(
    delivery_id: Annotated[int, typer.Argument(metavar="ID", help="The delivery's id.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Send a delivery again (same webhook-id), after its endpoint's earlier deliveries."""
    row = run_in(settings_from(database_url), lambda: endpoints.redeliver(delivery_id))
    typer.echo(f"delivery {row.id} ({row.message_id}) will be sent again")


async def _deliver(settings: Settings) -> None:

    from cms.webhooks.worker import run_deliveries

    async with db.database(settings, check=True):
        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await run_deliveries(settings)


@app.command("worker")
def webhooks_worker(database_url: DatabaseUrl = None) -> None:
    """Deliver webhooks until stopped (Ctrl-C or SIGTERM, which exit 0), for setups that run
    the app processes with CMS_WEBHOOK_DELIVERY=false. Any number may run: each attempt is
    made by one of them."""
    import logging
    from types import FrameType

    from cms.observability import configure_logging

    settings = settings_from(database_url)
    configure_logging(settings)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt  # before the loop runs; then _deliver's handler stops it

    signal.signal(signal.SIGTERM, stop)
    logging.getLogger("cms.webhooks").info("delivering webhooks (Ctrl-C to stop)")
    with contextlib.suppress(KeyboardInterrupt):
        run(_deliver(settings))

"""Time helpers: every timestamp the service writes is an aware UTC datetime."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, in UTC, to the microsecond."""
    return datetime.now(UTC)


def parse_datetime(value: str) -> datetime:
    """Parse an ISO-8601 date-time that carries a UTC offset (``Z`` or ``+hh:mm``).

    Raises ``ValueError`` for a malformed value or one without an offset.
    """
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"not an ISO-8601 date-time: {value!r}") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError(f"date-time without a UTC offset: {value!r}")
    return parsed.astimezone(UTC)


def format_datetime(value: datetime) -> str:
    """ISO-8601 in UTC with a ``Z`` suffix; microseconds only when present."""
    text = value.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"

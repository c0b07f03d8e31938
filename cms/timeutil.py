"""Time helpers: every timestamp the service writes is an aware UTC datetime."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, in UTC, to the microsecond."""
    return datetime.now(UTC)


def parse_datetime(value: str) -> datetime:
    """Parse an ISO-8601 date-time that carries a UTC offset (``Z`` or ``+hh:mm``).

    Raises ``ValueError`` for a malformed value, one without an offset, or one that falls
    outside the years 1-9999 in UTC.
    """
    shown = repr(value[:64] + "…" if isinstance(value, str) and len(value) > 64 else value)
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"not an ISO-8601 date-time: {shown}") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError(f"date-time without a UTC offset: {shown}")
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is before the first representable time
        raise ValueError(f"date-time out of range: {shown}") from None


def format_datetime(value: datetime) -> str:
    """ISO-8601 in UTC with a ``Z`` suffix; microseconds only when present."""
    text = value.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"

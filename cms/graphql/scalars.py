"""The ``DateTime`` scalar of the contract: ISO-8601 with a UTC offset, in and out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from cms.timeutil import format_datetime, parse_datetime


def _parse(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("DateTime must be an ISO-8601 string with a UTC offset")
    return parse_datetime(value)


DateTime = strawberry.scalar(
    name="DateTime",
    description="An ISO-8601 date and time with a UTC offset.",
    serialize=format_datetime,
    parse_value=_parse,
)

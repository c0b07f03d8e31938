"""Webhook event types and the message each change log entry becomes.

A message carries the change as anonymous callers see it (:func:`cms.changes.log.changes_after`
with ``preview=False``): what appeared, changed or went away for the public, its global id,
slug, time, cursor and cache keys. Never content itself: a receiver that wants the article
reads it through the API, with its own visibility.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from cms.changes.log import Change
from cms.content.globalid import global_id
from cms.models import ChangeKind, ContentType
from cms.timeutil import format_datetime

#: Every event type, e.g. ``article.published`` (a content type and a kind, lowercased).
EVENT_TYPES: tuple[str, ...] = tuple(
    f"{type_.value.lower()}.{kind.value.lower()}" for type_ in ContentType for kind in ChangeKind
)

_TYPE_NAMES = {ContentType.ARTICLE: "Article", ContentType.TAG: "Tag"}


def event_type(change: Change) -> str:
    return f"{change.type.value.lower()}.{change.kind.value.lower()}"


def parse_events(text: Iterable[str]) -> list[str]:
    """Event types named (comma-separated items allowed), checked, in :data:`EVENT_TYPES`
    order; ValueError naming an unknown one."""
    named = {item.strip().lower() for part in text for item in part.split(",") if item.strip()}
    if unknown := sorted(named - set(EVENT_TYPES)):
        raise ValueError(
            f"unknown event type {', '.join(unknown)}: choose from {', '.join(EVENT_TYPES)}"
        )
    return [name for name in EVENT_TYPES if name in named]


def parse_types(text: Iterable[str]) -> list[str]:
    """Content types named (comma-separated items allowed, any case), checked; ValueError
    naming an unknown one."""
    named = {item.strip().upper() for part in text for item in part.split(",") if item.strip()}
    known = [t.value for t in ContentType]
    if unknown := sorted(named - set(known)):
        raise ValueError(
            f"unknown content type {', '.join(unknown)}: choose from {', '.join(known)}"
        )
    return [name for name in known if name in named]


def wanted(change: Change, events: Iterable[str]) -> bool:
    """Whether an endpoint that asked for ``events`` (empty: all) gets ``change``."""
    chosen = set(events)
    return not chosen or event_type(change) in chosen


def message(change: Change) -> dict[str, Any]:
    """The Standard Webhooks payload of ``change``: ``type``, ``timestamp`` (when the change
    took effect) and ``data``."""
    at = format_datetime(change.at)
    return {
        "type": event_type(change),
        "timestamp": at,
        "data": {
            "type": change.type.value,
            "kind": change.kind.value,
            "id": global_id(_TYPE_NAMES[change.type], change.content_id),
            "slug": change.slug,
            "at": at,
            "cursor": change.cursor,
            "cacheTags": list(change.cache_tags),
        },
    }


def body(change: Change) -> str:
    """The message as the exact JSON text sent (and signed) on every attempt."""
    return orjson.dumps(message(change)).decode()

"""Relay global IDs: ``base64("Type:pk")``, encoded and decoded in this one place."""

from __future__ import annotations

import base64
import binascii
import re

import strawberry

from cms.content.globalid import global_id

#: A primary key as we write it: ASCII digits only (``str.isdigit`` accepts "²" and "١").
_PK = re.compile(r"[0-9]{1,18}")


def to_global_id(type_name: str, pk: int) -> strawberry.ID:
    return strawberry.ID(global_id(type_name, pk))


def from_global_id(value: str) -> tuple[str, int] | None:
    """``(type name, pk)``, or None for anything that is not one of our ids."""
    try:
        raw = base64.b64decode(value.encode(), validate=True).decode()
    except (binascii.Error, UnicodeError, ValueError):
        return None
    type_name, sep, pk = raw.partition(":")
    if not sep or not type_name or not _PK.fullmatch(pk):
        return None
    return type_name, int(pk)

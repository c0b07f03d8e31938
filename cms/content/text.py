"""Text that no database here can store: NUL characters (PostgreSQL refuses them in text) and
lone surrogates (a JSON ``"\\ud800"`` escape decodes to one; it is not Unicode text, and UTF-8
cannot encode it). Writes refuse such text, naming the field; reads treat it as unknown."""

from __future__ import annotations


def unstorable(text: str) -> str | None:
    """Why ``text`` cannot be stored, or None when it can."""
    if "\x00" in text:
        return "must not contain NUL characters"
    try:
        text.encode()
    except UnicodeEncodeError:
        return "must be valid Unicode (it holds a lone surrogate)"
    return None

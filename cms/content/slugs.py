"""URL slugs: turning titles into slugs and validating slugs."""

from __future__ import annotations

import re
import unicodedata

MAX_SLUG_LENGTH = 200

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

# Apostrophes are removed rather than turned into separators so that possessives and
# contractions stay one word ("Boluarte's" -> "boluartes", not "boluarte-s").
_APOSTROPHES = re.compile("['`\u2018\u2019\u02bc\u02bb\u00b4\u2032]")

# Letters that NFKD does not decompose into an ASCII base letter; without this table they
# would become word separators ("Øresund" -> "resund").
_TRANSLITERATIONS = str.maketrans(
    {
        "\u00e6": "ae",  # ae ligature
        "\u00f8": "o",  # o with stroke
        "\u0153": "oe",  # oe ligature
        "\u0111": "d",  # d with stroke
        "\u00f0": "d",  # eth
        "\u0142": "l",  # l with stroke
        "\u00fe": "th",  # thorn
        "\u0131": "i",  # dotless i
    }
)

_SEPARATORS = re.compile(r"[^a-z0-9]+")


def slugify(value: str, max_length: int = MAX_SLUG_LENGTH) -> str:
    """Return a lowercase ASCII slug for ``value``, or ``""`` when nothing sluggable is left.

    The result is at most ``max_length`` characters, cut at a hyphen when the first word
    fits, and always matches :data:`SLUG_PATTERN` when non-empty.
    """
    if max_length < 1:
        raise ValueError(f"max_length must be positive, got {max_length}")
    # casefold before NFKD: it already maps "ß" to "ss", and lowercasing "İ" yields a
    # combining dot that the combining-mark filter below then drops.
    text = unicodedata.normalize("NFKD", value.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _APOSTROPHES.sub("", text.translate(_TRANSLITERATIONS))
    text = text.replace("&", " and ")
    slug = _SEPARATORS.sub("-", text).strip("-")
    return _truncate(slug, max_length)


def _truncate(slug: str, max_length: int) -> str:
    if len(slug) <= max_length:
        return slug
    head = slug[:max_length]
    if slug[max_length] != "-":
        boundary = head.rfind("-")
        # A single word longer than max_length has no boundary; a hard cut beats "".
        if boundary > 0:
            head = head[:boundary]
    return head.strip("-")


def is_valid_slug(value: str) -> bool:
    """Return whether ``value`` is a well-formed slug no longer than :data:`MAX_SLUG_LENGTH`."""
    # fullmatch, because "$" alone would accept a trailing newline.
    return len(value) <= MAX_SLUG_LENGTH and SLUG_PATTERN.fullmatch(value) is not None

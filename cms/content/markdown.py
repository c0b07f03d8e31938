"""Markdown bodies: sanitized HTML, plain text, word counts and reading time."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

#: Average adult silent reading speed used for reading-time estimates.
WORDS_PER_MINUTE = 200

# Raw HTML stays enabled in the parser so harmless inline tags survive; everything that
# comes out of markdown-it goes through the nh3 allow-list below before it is served.
_MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"])

_ALLOWED_TAGS = frozenset(
    {"p", "br", "hr", "em", "strong", "s", "del", "code", "pre", "blockquote", "a", "img"}
    | {"ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6"}
    | {"table", "thead", "tbody", "tr", "th", "td"}
)
_ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    # No "rel" here: nh3 sets it on every link itself and refuses to also allow it.
    "a": frozenset({"href", "title"}),
    "img": frozenset({"src", "alt", "title"}),
    "ol": frozenset({"start"}),
    "code": frozenset({"class"}),
    "th": frozenset({"style"}),
    "td": frozenset({"style"}),
}
_CODE_LANGUAGE_CLASS = re.compile(r"language-[\w+#.-]+")


def _filter_attribute(element: str, attribute: str, value: str) -> str | None:
    # Only markdown-it's "language-xxx" fence class is kept, for client-side highlighting.
    if element == "code" and attribute == "class":
        return value if _CODE_LANGUAGE_CLASS.fullmatch(value) else None
    return value


_SANITIZER = nh3.Cleaner(
    tags=_ALLOWED_TAGS,
    # Elements whose content is code or markup, not prose, are removed with their content.
    clean_content_tags=frozenset({"script", "style", "iframe"}),
    attributes=_ALLOWED_ATTRIBUTES,
    attribute_filter=_filter_attribute,
    link_rel="noopener noreferrer",
    url_schemes=frozenset({"http", "https", "mailto"}),
    # Table alignment is the only inline style markdown-it emits.
    filter_style_properties=frozenset({"text-align"}),
)

_BLOCK_SEPARATOR = "\n\n"
_CELL_SEPARATOR = "\t"
_CONTAINER_OPENERS = frozenset({"bullet_list_open", "ordered_list_open", "table_open"})
_CONTAINER_CLOSERS = frozenset({"bullet_list_close", "ordered_list_close", "table_close"})


def render_html(markdown: str) -> str:
    """Render CommonMark (plus tables and strikethrough) to sanitized HTML."""
    return _SANITIZER.clean(_MARKDOWN.render(markdown))


def render_text(markdown: str) -> str:
    """Render Markdown to plain text: blocks separated by a blank line, no markup.

    List items and table rows each take one line of their block; table cells are
    tab-separated. Raw HTML is dropped, entities are decoded, images become their alt text.
    """
    blocks: list[str] = []
    # Lines of the outermost list or table being walked; nested ones share it.
    lines: list[str] = []
    cells: list[str] | None = None
    depth = 0
    for token in _MARKDOWN.parse(markdown):
        if token.type in _CONTAINER_OPENERS:
            depth += 1
        elif token.type in _CONTAINER_CLOSERS:
            depth -= 1
            if depth == 0 and lines:
                blocks.append("\n".join(lines))
                lines = []
        elif token.type == "tr_open":
            cells = []
        elif token.type == "tr_close" and cells is not None:
            lines.append(_CELL_SEPARATOR.join(cells))
            cells = None
        elif token.type in {"inline", "fence", "code_block"}:
            text = (
                _inline_text(token.children or [])
                if token.type == "inline"
                else token.content.rstrip("\n")
            )
            if cells is not None:
                # Empty cells are kept so columns stay aligned.
                cells.append(text)
            elif text:
                (lines if depth else blocks).append(text)
    return _BLOCK_SEPARATOR.join(blocks)


def word_count(markdown: str) -> int:
    """Count the words of the plain text; tokens without a letter or digit don't count."""
    return count_words(render_text(markdown))


#: A whitespace-delimited token, and what makes one a word: a letter or a digit. Two linear
#: scans: one pattern for both (``\S*[^\W_]\S*``) backtracks on every position of a long run
#: of symbols, which took 25 s for 50,000 emoji.
_TOKEN = re.compile(r"\S+")
_LETTER_OR_DIGIT = re.compile(r"[^\W_]")


def count_words(text: str) -> int:
    """Words of already plain ``text`` (see :func:`word_count`)."""
    return sum(1 for token in _TOKEN.findall(text) if _LETTER_OR_DIGIT.search(token))


def reading_time_minutes(words: int) -> int:
    """Return the estimated reading time for ``words`` words, at least one minute."""
    return max(1, math.ceil(words / WORDS_PER_MINUTE))


def _inline_text(tokens: Sequence[Token]) -> str:
    parts: list[str] = []
    for token in tokens:
        if token.type in {"text", "code_inline"}:
            parts.append(token.content)
        elif token.type == "softbreak":
            parts.append(" ")
        elif token.type == "hardbreak":
            parts.append("\n")
        elif token.type == "image":
            parts.append(_inline_text(token.children or []))
    return "".join(parts)


def derived_columns(body: str) -> dict[str, object]:
    """The article columns derived from its Markdown body, set on every write."""
    text = render_text(body)
    return {"body": body, "body_text": text, "word_count": count_words(text)}

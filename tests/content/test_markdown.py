"""Tests for cms.content.markdown."""

from __future__ import annotations

import re

import pytest

from cms.content.markdown import (
    WORDS_PER_MINUTE,
    reading_time_minutes,
    render_html,
    render_text,
    word_count,
)

SEED_PARAGRAPHS = [
    "Peruvian President Dina Boluarte arrived in Beijing on Tuesday for a state visit.",
    "It is Boluarte\u2019s first trip to China \u2014 \u201ca landmark,\u201d officials said.",
    "The two sides are expected to sign agreements on trade, mining and infrastructure.",
]

# Markup that must never reach a browser; plain text mentioning "javascript:" is harmless.
_DANGEROUS = re.compile(
    r"<(?:script|style|iframe|svg)|\son\w+\s*=|=\s*\"?\s*(?:java|vb)script:", re.I
)


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("Hello *world*", "<p>Hello <em>world</em></p>\n"),
        ("**bold** and `code`", "<p><strong>bold</strong> and <code>code</code></p>\n"),
        ("# Title", "<h1>Title</h1>\n"),
        ("###### Six", "<h6>Six</h6>\n"),
        ("> quoted", "<blockquote>\n<p>quoted</p>\n</blockquote>\n"),
        ("- a\n- b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n"),
        ("3. c\n4. d", '<ol start="3">\n<li>c</li>\n<li>d</li>\n</ol>\n'),
        ("---", "<hr>\n"),
        ("line  \nbreak", "<p>line<br>\nbreak</p>\n"),
        ("~~gone~~", "<p><s>gone</s></p>\n"),
        (
            '[site](https://example.com "Title")',
            '<p><a href="https://example.com" title="Title" rel="noopener noreferrer">'
            "site</a></p>\n",
        ),
        ("[rel](/articles/x)", '<p><a href="/articles/x" rel="noopener noreferrer">rel</a></p>\n'),
        (
            "[mail](mailto:a@example.com)",
            '<p><a href="mailto:a@example.com" rel="noopener noreferrer">mail</a></p>\n',
        ),
        (
            '![An image](https://example.com/a.png "Caption")',
            '<p><img src="https://example.com/a.png" alt="An image" title="Caption"></p>\n',
        ),
        ("```python\nx = 1\n```", '<pre><code class="language-python">x = 1\n</code></pre>\n'),
        ("    indented", "<pre><code>indented\n</code></pre>\n"),
        (
            "| a | b |\n|:--|--:|\n| 1 | 2 |",
            '<table>\n<thead>\n<tr>\n<th style="text-align:left">a</th>\n'
            '<th style="text-align:right">b</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n'
            '<td style="text-align:left">1</td>\n<td style="text-align:right">2</td>\n'
            "</tr>\n</tbody>\n</table>\n",
        ),
        ("Boluarte\u2019s visit", "<p>Boluarte\u2019s visit</p>\n"),
        ("", ""),
    ],
)
def test_render_html_formatting(markdown: str, expected: str) -> None:
    assert render_html(markdown) == expected


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("<script>alert(1)</script>", ""),
        ("Hi <script>alert(1)</script> there", "<p>Hi  there</p>\n"),
        ("<style>p { color: red }</style>", ""),
        ('<iframe src="https://evil.example">x</iframe>', ""),
        ("<img src=x onerror=alert(1)>", '<img src="x">'),
        ("[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>\n"),
        ('<a href="JaVaScRiPt:alert(1)">x</a>', '<p><a rel="noopener noreferrer">x</a></p>\n'),
        ('<a href="vbscript:msgbox(1)">x</a>', '<p><a rel="noopener noreferrer">x</a></p>\n'),
        ('<a href="&#106;avascript:alert(1)">x</a>', '<p><a rel="noopener noreferrer">x</a></p>\n'),
        ('<a href="https://ok.example" onclick="x()">ok</a>',
         '<p><a href="https://ok.example" rel="noopener noreferrer">ok</a></p>\n'),
        ('<a href="https://ok.example" rel="opener" target="_blank">ok</a>',
         '<p><a href="https://ok.example" rel="noopener noreferrer">ok</a></p>\n'),
        ("![x](data:image/png;base64,AAAA)", '<p><img alt="x"></p>\n'),
        ('<img src="data:text/html,<script>alert(1)</script>">', "<img>"),
        ('<p style="position:fixed" class="x" id="y">para</p>', "<p>para</p>"),
        ('<svg onload="alert(1)"><circle></circle></svg>', "<p></p>\n"),
        ('<form action="https://evil.example"><input name="q"></form>', ""),
        ('<code class="language-js onload">x</code>', "<p><code>x</code></p>\n"),
        ("<!-- hidden -->", ""),
        ("<div>kept text</div>", "kept text"),
    ],
)  # fmt: skip
def test_render_html_sanitizes(markdown: str, expected: str) -> None:
    html = render_html(markdown)
    assert html == expected
    assert _DANGEROUS.search(html) is None


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("", ""),
        ("Plain paragraph.", "Plain paragraph."),
        ("One.\n\nTwo.\n\n\n\nThree.", "One.\n\nTwo.\n\nThree."),
        ("soft\nbreak", "soft break"),
        ("hard  \nbreak", "hard\nbreak"),
        ("hard\\\nbreak", "hard\nbreak"),
        ("*em* **strong** ~~s~~ `code`", "em strong s code"),
        ("[link text](https://example.com)", "link text"),
        ("<https://example.com>", "https://example.com"),
        ("![alt *text*](a.png) after", "alt text after"),
        ("# Heading\n\nBody", "Heading\n\nBody"),
        ("Setext\n======\n\nBody", "Setext\n\nBody"),
        ("- a\n- b\n\n1. c\n2. d", "a\nb\n\nc\nd"),
        ("- a\n  - nested\n- b", "a\nnested\nb"),
        ("- loose\n\n- items", "loose\nitems"),
        ("Intro\n\n- a\n- b\n\nOutro", "Intro\n\na\nb\n\nOutro"),
        ("> quoted\n>\n> twice", "quoted\n\ntwice"),
        ("```\ncode\nblock\n```", "code\nblock"),
        ("| h1 | h2 |\n|----|----|\n| 1 |  |", "h1\th2\n1\t"),
        ("<div>\nraw block\n</div>\n\nafter", "after"),
        ("inline <b>html</b> dropped", "inline html dropped"),
        ("&amp; &copy; &#8212; &quot;", '& \u00a9 \u2014 "'),
        ("\\*not emphasis\\*", "*not emphasis*"),
        ("a\n\n---\n\nb", "a\n\nb"),
        ("Boluarte\u2019s \u201cvisit\u201d \u2014 \u2018done\u2019",
         "Boluarte\u2019s \u201cvisit\u201d \u2014 \u2018done\u2019"),
    ],
)  # fmt: skip
def test_render_text(markdown: str, expected: str) -> None:
    assert render_text(markdown) == expected


def test_render_text_keeps_plain_paragraphs_character_for_character() -> None:
    body = "\n\n".join(SEED_PARAGRAPHS)
    assert render_text(body) == body


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("", 0),
        ("   \n\n  ", 0),
        ("one", 1),
        ("one two three", 3),
        ("one \u2014 two - three", 3),
        ("Boluarte\u2019s visit", 2),
        ("*em* [link text](https://example.com/a-b-c)", 3),
        ("<script>alert(one two)</script>", 0),
        ("- a\n- b\n\n# c", 3),
        ("2024 \u2116 7 \u2026", 2),
        ("\n\n".join(SEED_PARAGRAPHS), 37),
    ],
)
def test_word_count(markdown: str, expected: int) -> None:
    assert word_count(markdown) == expected


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (0, 1),
        (1, 1),
        (WORDS_PER_MINUTE - 1, 1),
        (200, 1),
        (201, 2),
        (400, 2),
        (401, 3),
        (1000, 5),
        (-5, 1),
    ],
)
def test_reading_time_minutes(words: int, expected: int) -> None:
    assert reading_time_minutes(words) == expected


def test_words_per_minute() -> None:
    assert WORDS_PER_MINUTE == 200

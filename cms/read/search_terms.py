"""What a search looks for: the words of the user's text, as each database's query.

The user's text is words, never engine syntax: it is split into word tokens, so quotes, ``-``,
``:``, ``*``, ``NEAR`` and ``AND`` are searched as plain text (or dropped when they are
punctuation). All words must match; English stems match ("visits" finds "visit") and accents
do not matter.

SQLite: FTS5 MATCH texts, each word a quoted FTS5 string. PostgreSQL: ``plainto_tsquery``
(plain words only, all of which must match) and the same words' lexemes joined by OR.
"""

from __future__ import annotations

import re

#: Words beyond this many are ignored (a pasted paragraph is not a useful query).
MAX_QUERY_WORDS = 32

_WORD = re.compile(r"\w+", re.UNICODE)
#: SQLite: the search index's columns that make an article's head (its title and summary).
_HEAD_COLUMNS = "{title summary}"


def words(query: str) -> list[str]:
    """The words of ``query`` (letters, digits, underscores), at most :data:`MAX_QUERY_WORDS`."""
    return _WORD.findall(query)[:MAX_QUERY_WORDS]


def _quoted(found: list[str]) -> list[str]:
    return ['"' + word.replace('"', '""') + '"' for word in found]


def match_expression(query: str) -> str | None:
    """The FTS5 MATCH text for ``query``: its words, each a quoted string, all of which must
    match; None if no words."""
    found = words(query)
    if not found:
        return None
    return " ".join(_quoted(found))


def head_match_expression(query: str) -> str | None:
    """FTS5: the matches with at least one of the words in the title or summary."""
    found = words(query)
    if not found:
        return None
    return f"({' '.join(_quoted(found))}) AND {_HEAD_COLUMNS}: ({' OR '.join(_quoted(found))})"


def body_match_expression(query: str) -> str | None:
    """FTS5: the matches with none of the words in the title or summary."""
    found = words(query)
    if not found:
        return None
    return f"({' '.join(_quoted(found))}) NOT {_HEAD_COLUMNS}: ({' OR '.join(_quoted(found))})"


#: PostgreSQL: the query behind OFFSET 0. Seeing the words, the planner knows a common word
#: matches most articles and reads the whole table, each article's search_vector out of TOAST
#: (1.2 s at 100,000); not seeing them, it goes through the GIN index and reads only matches,
#: and a count reads no vector at all (the index answers plain words without a recheck).
TSQUERY = "(SELECT plainto_tsquery('cms_search', ?) AS query OFFSET 0) AS q"
#: PostgreSQL: the same words' lexemes joined by OR (``ranking``: does an article have any of
#: them, and how well; ``query``, all words, still decides what matches). The lexemes are those
#: plainto_tsquery finds (both parse the text with the same configuration), each quoted as
#: tsquery input requires (quotes and backslashes doubled), so no text is ever read as tsquery
#: syntax; NULL when there are none (then nothing matches either).
OR_LEXEMES = (
    "(SELECT string_agg('''' || replace(replace(lexeme, '\\', '\\\\'), '''', '''''') || '''',"
    " ' | ')::tsquery FROM unnest(tsvector_to_array(to_tsvector('cms_search', ?))) AS lexeme)"
)
#: Both, behind OFFSET 0; takes the text twice.
RANKING_TSQUERY = (
    f"(SELECT plainto_tsquery('cms_search', ?) AS query, {OR_LEXEMES} AS ranking OFFSET 0) AS q"
)

"""The cache keys responses carry in ``Cache-Tag`` / ``Surrogate-Key`` and that each change
purges: one per article and tag shown (``article:<id>``, ``tag:<id>``, with the Relay global
id a client already holds), and a list key per kind of listing whose membership or order a
change can alter (``articles``, ``tags``, ``contributors``). A response that shows too much to
name falls back to the list key of its kind, which every change of that kind purges too."""

from __future__ import annotations

from cms.content.globalid import global_id

#: Listings, searches and lookups that found nothing: what a publication, removal or reorder
#: of any article makes stale.
ARTICLES = "articles"
#: Tag listings (and tag lookups that found nothing).
TAGS = "tags"
#: Everything that shows contributors (their lists and pages, and credits' people).
CONTRIBUTORS = "contributors"


def article_key(pk: int) -> str:
    return f"article:{global_id('Article', pk)}"


def tag_key(pk: int) -> str:
    return f"tag:{global_id('Tag', pk)}"

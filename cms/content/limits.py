"""Caps on what one article may hold; every writer (fixtures, mutations) enforces the same ones."""

from __future__ import annotations

#: Longest title, in characters.
MAX_TITLE_LENGTH = 300
#: Longest summary, in characters.
MAX_SUMMARY_LENGTH = 2_000
#: Longest Markdown body, in characters (about 100,000 words).
MAX_BODY_LENGTH = 1_000_000
#: Most tags on one article.
MAX_TAGS_PER_ARTICLE = 50
#: Most image credits on one article.
MAX_CREDITS_PER_ARTICLE = 50
#: Most contributors named on one image credit.
MAX_CONTRIBUTORS_PER_CREDIT = 20
#: Longest tag, contributor, organization or role name, in characters.
MAX_NAME_LENGTH = 200
#: Longest credit line, caption, alt text or image URL, in characters.
MAX_CREDIT_FIELD_LENGTH = 2_000
#: Longest tag description, in characters.
MAX_DESCRIPTION_LENGTH = 2_000
#: URL schemes an image URL may use.
IMAGE_URL_SCHEMES = ("http", "https")

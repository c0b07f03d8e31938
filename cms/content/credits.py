"""Image credit lines: recognising them and parsing them into organization, role and names.

The parser is deliberately conservative. It understands a handful of common credit shapes
and returns no fields at all for anything else, because a wrong organization or a person
filed as an agency is worse than an unparsed credit that still displays its text.

Recognised shapes (``Role`` is from :data:`ROLES`, matched case-insensitively):

* ``Org/Name[, Name...]`` and ``Org Role/Name`` -- ``Xinhua/Li Xueren``, ``AP Photo/Mark
  Schiefelbein``. ``Org`` must be a known agency or one capitalised token; a right-hand side
  that is a known agency (``Jane Roe/AFP``, ``AFP/Getty Images``) is left unparsed, since the
  reversed ``Name/Agency`` convention makes the two sides indistinguishable.
* ``Org's Role Name[, Name...]`` -- ``CGTN's Reporter You Yang, Cai Jingxuan``.
* ``Role: <credit>`` -- the role added to any other shape: ``Photo: Reuters/Jane Roe``.
* ``Role by Name[ for Org]`` -- ``Photo by John Smith for The Guardian``.
* ``Courtesy [of] Party`` -- the party is recorded as the organization, person or not.
* ``<credit> via Org`` -- the originating organization wins over the distributor
  (``AFP via Getty Images`` gives ``AFP``); the distributor is used only when the left side
  names no organization (``Photo by Jane Roe via Getty Images`` gives ``Getty Images``).
* A bare known agency or all-caps acronym -- ``Getty Images``, ``CGTN``.

Names are split on ``,``, ``;``, ``&`` and ``and``; every part must look like a personal name
or the whole line is left unparsed. A lowercase leading ``the`` is dropped from
organizations (``Courtesy of the Nanshan Museum``); a capitalised ``The`` is part of the
name and kept (``The Guardian``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

CREDIT_LABEL = re.compile(
    r"^\s*(?:(?:image|photo|picture)\s+)?credits?\s*[,:]\s*",
    re.IGNORECASE,
)

#: Roles understood in credit lines, in their canonical spelling.
ROLES: tuple[str, ...] = (
    "Photo",
    "Photos",
    "Photograph",
    "File Photo",
    "Staff Photo",
    "Photographer",
    "Staff Photographer",
    "Reporter",
    "Staff Reporter",
    "Correspondent",
    "Illustration",
    "Illustrator",
    "Video",
    "Graphic",
    "Graphics",
    "Screenshot",
    "Handout",
    "Courtesy",
)

#: Agencies and outlets accepted as organizations wherever one may appear.
KNOWN_AGENCIES: tuple[str, ...] = (
    "AFP",
    "Agence France-Presse",
    "ANSA",
    "AP",
    "Associated Press",
    "Bloomberg",
    "CCTV",
    "CGTN",
    "China Daily",
    "China News Service",
    "CNS",
    "dpa",
    "EPA",
    "EPA-EFE",
    "Getty Images",
    "IC",
    "Kyodo",
    "NASA",
    "Reuters",
    "Shutterstock",
    "TASS",
    "UPI",
    "VCG",
    "Visual China Group",
    "Xinhua",
    "Yonhap",
)

_ROLE_BY_KEY = {role.casefold(): role for role in ROLES}
_AGENCY_KEYS = frozenset(agency.casefold() for agency in KNOWN_AGENCIES)

# Longest alternatives first so "Staff Photographer" is not read as "Staff" + rest.
_ROLE = "|".join(
    re.escape(role).replace(r"\ ", r"\s+") for role in sorted(ROLES, key=len, reverse=True)
)
_APOSTROPHE = "['\u2019\u02bc]"

_ROLE_PREFIX = re.compile(rf"^(?P<role>{_ROLE})\s*:\s*(?P<rest>.+)$", re.IGNORECASE)
_ROLE_BY = re.compile(
    rf"^(?P<role>{_ROLE})\s+by\s+(?P<names>.+?)(?:\s+for\s+(?P<org>.+))?$", re.IGNORECASE
)
_COURTESY = re.compile(r"^courtesy(?:\s+of)?\s+(?P<party>.+)$", re.IGNORECASE)
_POSSESSIVE = re.compile(rf"^(?P<org>.+?){_APOSTROPHE}s\s+(?P<rest>.+)$")
_LEADING_ROLE = re.compile(rf"^(?P<role>{_ROLE})\s+(?P<names>.+)$", re.IGNORECASE)
_TRAILING_ROLE = re.compile(rf"^(?:(?P<org>.+?)\s+)?(?P<role>{_ROLE})$", re.IGNORECASE)
_VIA = re.compile(r"\s+via\s+", re.IGNORECASE)

_ACRONYM = re.compile(r"^[A-Z][A-Z0-9]{2,7}(?:-[A-Z0-9]{2,8})?$")
_ORG_TOKEN = re.compile(r"^[A-Z][\w.&-]*$")
_ORG_WORD = re.compile(r"^[\w.&'\u2019()-]+$")
_ORG_CONNECTORS = frozenset({"of", "the", "and", "for", "&", "de", "du", "des", "la", "le"})
# Letters only (no digits or underscore), then letters and in-name punctuation.
_NAME_WORD = re.compile(r"^[^\W\d_](?:[^\W\d_]|[.'\u2019\u02bc-])*$")
_NAME_PARTICLES = frozenset(
    {"al", "bin", "da", "das", "de", "del", "della", "den", "der", "di", "do", "dos", "du"}
    | {"la", "le", "ten", "ter", "van", "von", "y"}
)
_MAX_NAME_WORDS = 5
_MAX_ORG_WORDS = 8
_NAME_SEPARATOR = re.compile(r"\s*(?:[,;&]|\band\b)\s*")


@dataclass(frozen=True)
class ParsedCredit:
    """A credit line split into its parts; unparsed lines keep only ``text``."""

    text: str
    organization: str | None
    role: str | None
    contributors: tuple[str, ...]


class _Fields(NamedTuple):
    organization: str | None
    role: str | None
    contributors: tuple[str, ...]


def strip_label(line: str) -> str:
    """Return ``line`` without a leading "Image Credit," style label, whitespace trimmed."""
    return CREDIT_LABEL.sub("", line, count=1).strip()


def is_credit_line(line: str) -> bool:
    """Return whether ``line`` starts with a credit label such as "Image credit:"."""
    return CREDIT_LABEL.match(line) is not None


def parse_credit(line: str) -> ParsedCredit:
    """Parse a credit line; anything not recognised confidently gets no fields."""
    text = strip_label(line)
    fields = _parse(" ".join(text.split()))
    if fields is None:
        return ParsedCredit(text=text, organization=None, role=None, contributors=())
    return ParsedCredit(
        text=text,
        organization=fields.organization,
        role=fields.role,
        contributors=fields.contributors,
    )


def _parse(text: str) -> _Fields | None:
    if not text:
        return None
    for parser in (
        _parse_via,
        _parse_role_prefix,
        _parse_courtesy,
        _parse_role_by,
        _parse_possessive,
        _parse_slash,
        _parse_bare_organization,
    ):
        fields = parser(text)
        if fields is not None:
            return fields
    return None


def _parse_via(text: str) -> _Fields | None:
    parts = _VIA.split(text)
    if len(parts) != 2:
        return None
    source, distributor = parts[0], _drop_article(parts[1])
    fields = _parse(source)
    if fields is None or not _is_org_phrase(distributor):
        return None
    if fields.organization is None:
        return fields._replace(organization=distributor)
    return fields


def _parse_role_prefix(text: str) -> _Fields | None:
    match = _ROLE_PREFIX.match(text)
    if match is None:
        return None
    fields = _parse(match["rest"])
    if fields is None or fields.role is not None:
        return None
    return fields._replace(role=_canonical_role(match["role"]))


def _parse_courtesy(text: str) -> _Fields | None:
    match = _COURTESY.match(text)
    if match is None:
        return None
    party = _drop_article(match["party"])
    if not _is_org_phrase(party):
        return None
    return _Fields(organization=party, role="Courtesy", contributors=())


def _parse_role_by(text: str) -> _Fields | None:
    match = _ROLE_BY.match(text)
    if match is None:
        return None
    role = _canonical_role(match["role"])
    names: str = match["names"]
    organization: str | None = match["org"]
    if organization is None:
        if _is_known_agency(names):
            return _Fields(organization=names, role=role, contributors=())
    else:
        organization = _drop_article(organization)
        if not _is_org_phrase(organization):
            return None
    contributors = _split_names(names)
    if contributors is None:
        return None
    return _Fields(organization=organization, role=role, contributors=contributors)


def _parse_possessive(text: str) -> _Fields | None:
    match = _POSSESSIVE.match(text)
    if match is None or not _is_slash_org(match["org"]):
        return None
    rest = _LEADING_ROLE.match(match["rest"])
    if rest is None:
        return None
    contributors = _split_names(rest["names"])
    if contributors is None:
        return None
    return _Fields(
        organization=match["org"],
        role=_canonical_role(rest["role"]),
        contributors=contributors,
    )


def _parse_slash(text: str) -> _Fields | None:
    parts = [part.strip() for part in text.split("/")]
    if len(parts) != 2 or not all(parts):
        return None
    source, names = parts
    if _is_known_agency(names):
        return None
    contributors = _split_names(names)
    if contributors is None:
        return None
    trailing = _TRAILING_ROLE.match(source)
    if trailing is not None:
        organization: str | None = trailing["org"]
        if organization is not None and not _is_slash_org(organization):
            return None
        role: str | None = _canonical_role(trailing["role"])
    elif _is_slash_org(source):
        organization, role = source, None
    else:
        return None
    return _Fields(organization=organization, role=role, contributors=contributors)


def _parse_bare_organization(text: str) -> _Fields | None:
    if _is_known_agency(text) or _ACRONYM.match(text):
        return _Fields(organization=text, role=None, contributors=())
    return None


def _canonical_role(matched: str) -> str:
    return _ROLE_BY_KEY[" ".join(matched.split()).casefold()]


def _is_known_agency(text: str) -> bool:
    return text.casefold() in _AGENCY_KEYS


def _is_slash_org(text: str) -> bool:
    # In "X/Name" the organization must be unmistakable: a known agency or one capitalised
    # token. "Jane Roe/..." has a space and so is never read as an organization.
    return _is_known_agency(text) or _ORG_TOKEN.match(text) is not None


def _is_org_phrase(text: str) -> bool:
    words = text.split()
    if not 1 <= len(words) <= _MAX_ORG_WORDS or words[0].islower():
        return False
    return all(
        _ORG_WORD.match(word) and (word in _ORG_CONNECTORS or not word[0].islower())
        for word in words
    )


def _drop_article(text: str) -> str:
    # Only a lowercase "the" is an article of the sentence; "The Guardian" is a name.
    return text[4:].lstrip() if text.startswith("the ") else text


def _split_names(text: str) -> tuple[str, ...] | None:
    names = tuple(name for name in _NAME_SEPARATOR.split(text) if name)
    if not names or not all(_is_personal_name(name) for name in names):
        return None
    return names


def _is_personal_name(name: str) -> bool:
    if name.casefold() in _ROLE_BY_KEY or _is_known_agency(name):
        return False
    words = name.split()
    if not 1 <= len(words) <= _MAX_NAME_WORDS:
        return False
    if not all(_NAME_WORD.match(word) for word in words):
        return False
    capitalised = [word for word in words if word not in _NAME_PARTICLES]
    return bool(capitalised) and all(not word[0].islower() for word in capitalised)

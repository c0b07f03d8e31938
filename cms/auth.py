"""Access tokens: creating, listing and revoking them, and authenticating a request's bearer.

A token reads ``cms_<key>_<secret>``. The key finds the row; the secret is checked against the
stored SHA-256 with a constant-time comparison. The secret itself is never stored and is shown
once, when the token is created. An unknown, malformed or revoked token is an error, never a
silent fall-back to anonymous access.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError

from cms.models import AccessToken, TokenScope
from cms.timeutil import utcnow

PREFIX = "cms"
_TOKEN = re.compile(r"^cms_([0-9a-f]{12})_([A-Za-z0-9_-]{20,100})$")
#: Longest token name.
MAX_NAME_LENGTH = 100


class AuthenticationError(Exception):
    """The request carries credentials that do not identify a live token."""


class TokenError(ValueError):
    """A token cannot be created or revoked as asked."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_token(name: str, scope: TokenScope) -> tuple[AccessToken, str]:
    """A new token; returns the row and the token text (shown once, never stored)."""
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise TokenError(f"a token name must be 1 to {MAX_NAME_LENGTH} characters")
    key, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    try:
        row = await AccessToken.create(
            name=name, scope=scope, key=key, secret_hash=_hash(secret), created_at=utcnow()
        )
    except IntegrityError:
        raise TokenError(f"a token named {name!r} already exists; pick another name") from None
    return row, f"{PREFIX}_{key}_{secret}"


async def list_tokens() -> list[AccessToken]:
    return await AccessToken.all().order_by("name")


async def revoke_token(name: str) -> AccessToken:
    """Revoke the token called ``name`` (from the next request on, it is refused)."""
    row = await AccessToken.get_or_none(name=name)
    if row is None:
        raise TokenError(f"no token named {name!r}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        await row.save(update_fields=["revoked_at"])
    return row


@dataclass(frozen=True)
class Caller:
    """Who is asking: ``scope`` None for anonymous callers."""

    scope: TokenScope | None = None
    token_name: str | None = None

    @property
    def can_preview(self) -> bool:
        return self.scope in (TokenScope.PREVIEW, TokenScope.WRITE)

    @property
    def can_write(self) -> bool:
        return self.scope is TokenScope.WRITE


ANONYMOUS = Caller()


async def authenticate(authorization: str | None) -> Caller:
    """The caller an ``Authorization`` header stands for; raise for bad credentials."""
    if authorization is None or not authorization.strip():
        return ANONYMOUS
    scheme, _, credentials = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise AuthenticationError("the Authorization header must be `Bearer <token>`")
    match = _TOKEN.match(credentials.strip())
    row = await AccessToken.get_or_none(key=match[1]) if match else None
    # Compare even when nothing matched, so timing says nothing about which part was wrong.
    expected = row.secret_hash if row else _hash("")
    given = _hash(match[2]) if match else _hash("-")
    if row is None or not hmac.compare_digest(expected, given):
        raise AuthenticationError("unknown access token")
    if row.revoked_at is not None:
        raise AuthenticationError("this access token has been revoked")
    return Caller(scope=TokenScope(row.scope), token_name=row.name)

"""Access tokens from the command line, and how a bearer header is authenticated."""

from __future__ import annotations

import hashlib

import pytest
from typer.testing import CliRunner

from cms.auth import AuthenticationError, authenticate, create_token, revoke_token
from cms.cli import app
from cms.models import AccessToken, TokenScope
from cms.settings import Settings
from tests.databases import FreshDatabases

runner = CliRunner()


@pytest.fixture
def db_url(db_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("CMS_DATABASE_URL", db_settings.database_url)
    return db_settings.database_url


def test_tokens_create_list_revoke(db_url: str) -> None:
    result = runner.invoke(app, ["tokens", "create", "--name", "frontend", "--scope", "preview"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("cms_") and len(token) > 40

    listed = runner.invoke(app, ["tokens", "list"])
    assert listed.exit_code == 0, listed.output
    assert "frontend\tpreview" in listed.output and "active" in listed.output
    # cms_<key>_<secret>: the key is hex, the secret may itself contain "_"
    secret = token.split("_", 2)[2]
    assert len(secret) >= 20
    assert token not in listed.output and secret not in listed.output

    again = runner.invoke(app, ["tokens", "create", "--name", "frontend", "--scope", "write"])
    assert again.exit_code == 1 and "already exists" in again.output

    revoked = runner.invoke(app, ["tokens", "revoke", "frontend"])
    assert revoked.exit_code == 0, revoked.output
    assert "revoked" in runner.invoke(app, ["tokens", "list"]).output
    missing = runner.invoke(app, ["tokens", "revoke", "nobody"])
    assert missing.exit_code == 1 and "no token named 'nobody'" in missing.output

    bad_scope = runner.invoke(app, ["tokens", "create", "--name", "x", "--scope", "admin"])
    assert bad_scope.exit_code == 2


async def test_only_a_hash_of_the_secret_is_stored(database: Settings) -> None:
    row, token = await create_token("ci", TokenScope.WRITE)
    _, key, secret = token.split("_", 2)
    stored = await AccessToken.get(id=row.id)
    assert stored.key == key
    assert stored.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(await AccessToken.all().values())


async def test_authenticate(database: Settings) -> None:
    _, token = await create_token("reader", TokenScope.READ)
    caller = await authenticate(f"Bearer {token}")
    assert (caller.scope, caller.token_name, caller.can_preview) == (
        TokenScope.READ,
        "reader",
        False,
    )
    assert (await authenticate(None)).scope is None
    assert (await authenticate(f"bearer   {token}  ")).scope is TokenScope.READ
    for header in ("Bearer", "Token abc", f"Bearer {token}x", f"Bearer {token[:-2]}"):
        with pytest.raises(AuthenticationError):
            await authenticate(header)
    await revoke_token("reader")
    with pytest.raises(AuthenticationError, match="revoked"):
        await authenticate(f"Bearer {token}")


def test_tokens_need_a_migrated_database(
    databases: FreshDatabases, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CMS_DATABASE_URL", databases.empty().database_url)
    result = runner.invoke(app, ["tokens", "list"])
    assert result.exit_code == 1 and "cms migrate" in result.output

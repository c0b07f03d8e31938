"""Webhook URL checks: http(s) only, and only public addresses unless allowed."""

from __future__ import annotations

import httpx
import pytest

from cms.webhooks.urls import UrlRefused, check


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",  # loopback
        "http://localhost:8080/hook",  # a name for loopback
        "http://10.1.2.3/hook",  # private
        "http://192.168.0.10/hook",
        "http://172.16.0.1/hook",
        "http://100.64.0.1/hook",  # shared address space (carrier-grade NAT)
        "http://169.254.169.254/latest/meta-data",  # link-local: cloud metadata
        "http://0.0.0.0/hook",  # unspecified
        "http://224.0.0.1/hook",  # multicast
        "http://240.0.0.1/hook",  # reserved
        "http://[::1]/hook",
        "http://[fe80::1]/hook",
        "http://[fc00::1]/hook",  # unique local
        "http://[::ffff:127.0.0.1]/hook",  # loopback, mapped into IPv6
    ],
)
async def test_non_public_addresses_are_refused_unless_allowed(url: str) -> None:
    with pytest.raises(UrlRefused, match=r"non-public address.*CMS_WEBHOOK_ALLOW_PRIVATE=true"):
        await check(url, allow_private=False)
    target = await check(url, allow_private=True)
    assert target.url.path == httpx.URL(url).path


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://93.184.215.14/hook", "must be http or https"),
        ("file:///etc/passwd", "must be http or https"),
        ("/relative/hook", "must be http or https"),
        ("http:///hook", "no host"),
        ("http://user:secret@93.184.215.14/hook", "credentials"),
        ("http://no-such-host.invalid/hook", "cannot resolve the host"),
    ],
)
async def test_urls_that_are_not_http_to_a_host_are_refused(url: str, reason: str) -> None:
    with pytest.raises(UrlRefused, match=reason):
        await check(url, allow_private=True)


async def test_a_public_address_is_the_one_connected_to() -> None:
    """The attempt connects to the address checked (no second resolution to rebind), and
    tells the receiver the host it asked for."""
    target = await check("https://93.184.215.14:8443/hooks/cms?x=1", allow_private=False)
    assert str(target.url) == "https://93.184.215.14:8443/hooks/cms?x=1"
    assert (target.host, target.host_header) == ("93.184.215.14", "93.184.215.14:8443")
    target = await check("http://[::1]:9000/hook", allow_private=True)
    assert target.host_header == "[::1]:9000"


async def test_a_name_is_pinned_to_its_checked_address() -> None:
    target = await check("http://localhost:9000/hook?a=b", allow_private=True)
    assert target.url.host in ("127.0.0.1", "::1")
    assert target.url.port == 9000 and target.url.raw_path == b"/hook?a=b"
    assert (target.host, target.host_header) == ("localhost", "localhost:9000")

"""Which webhook URLs cms sends to: http or https, to hosts on the public internet only.

A receiver URL that reaches the service's own network (a database, a metadata endpoint at
169.254.169.254, localhost) would let whoever adds a webhook make the server send requests
there. So a URL's host is resolved and every address it has must be global, at ``add`` and
again before every attempt; and the attempt then connects to the address that was checked,
so a name that resolves to another address a moment later (DNS rebinding) changes nothing.
``CMS_WEBHOOK_ALLOW_PRIVATE=true`` lifts the address check (for a receiver on the same host or
network, and for tests).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass

import httpx

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class UrlRefused(ValueError):
    """A webhook URL cms will not send to; the message says why."""


@dataclass(frozen=True, slots=True)
class Target:
    """Where one attempt connects: the URL with its host replaced by the checked address,
    and the host name the receiver expects (the ``Host`` header, and TLS's server name)."""

    url: httpx.URL
    host: str
    host_header: str


def _global(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    # is_global leaves out private, loopback, link-local, reserved, shared and unspecified
    # ranges, but not multicast (224.0.0.0/4 counts as global).
    return address.is_global and not address.is_multicast


def parse(url: str) -> httpx.URL:
    """``url`` parsed, if it is an absolute http or https URL with a host; else
    :class:`UrlRefused`."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise UrlRefused(f"{url!r} is not a URL: {exc}") from None
    if parsed.scheme not in ("http", "https"):
        raise UrlRefused(f"{url!r}: webhook URLs must be http or https")
    if not parsed.host:
        raise UrlRefused(f"{url!r}: the URL has no host")
    if parsed.userinfo:
        raise UrlRefused(f"{url!r}: credentials in a webhook URL are not supported")
    return parsed


async def resolve(host: str, port: int) -> list[Address]:
    """Every address ``host`` resolves to (an address literal: itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise UrlRefused(f"cannot resolve the host {host!r}: {exc.strerror or exc}") from None
    found: list[Address] = []
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    if not found:
        raise UrlRefused(f"{host!r} has no address")
    return found


async def check(url: str, *, allow_private: bool) -> Target:
    """The target to send ``url``'s requests to, or :class:`UrlRefused` when the URL is not
    http(s) or (unless ``allow_private``) its host has an address that is not global."""
    parsed = parse(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    addresses = await resolve(parsed.host, port)
    if not allow_private:
        refused = [str(a) for a in addresses if not _global(a)]
        if refused:
            raise UrlRefused(
                f"{url!r} points at a private, loopback, link-local or otherwise non-public "
                f"address ({', '.join(refused)}); set "
                "CMS_WEBHOOK_ALLOW_PRIVATE=true to allow it"
            )
    shown = f"[{parsed.host}]" if ":" in parsed.host else parsed.host
    host_header = shown if parsed.port is None else f"{shown}:{parsed.port}"
    return Target(
        url=parsed.copy_with(host=str(addresses[0])), host=parsed.host, host_header=host_header
    )

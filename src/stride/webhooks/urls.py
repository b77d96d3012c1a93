"""Webhook target URLs: which may be registered, and which addresses may be called (SSRF).

Registration checks what it can without the network: scheme, no credentials, and IP literals
or local names that point inside. Names are resolved at delivery time instead, and every
address they resolve to must be public; the request then goes to that checked address, so a
name cannot resolve to a public address for the check and a private one for the call.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit

from stride.errors import FieldError, InvalidInput

MAX_URL_LENGTH = 2048
_HOST_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63})*\.?")
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]


class TargetRefused(Exception):
    """The target resolves to an address Stride may not call (or does not resolve)."""


@dataclass(frozen=True)
class Target:
    """Where one delivery goes: the checked address, and the name the URL gave."""

    url: str  # the URL with its host replaced by `address`
    host: str  # the original host, for the Host header and TLS (SNI, certificate)
    address: str


def check_url(url: str, allow_private: bool) -> str:
    """The URL, if it may be registered; raises InvalidInput (field `url`) otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise _invalid(f"not a valid URL: {exc}") from exc
    if len(url) > MAX_URL_LENGTH:
        raise _invalid(f"longer than {MAX_URL_LENGTH} characters")
    if any(c.isspace() or not c.isprintable() for c in url):
        raise _invalid("contains spaces or control characters")
    if parts.scheme not in ("http", "https"):
        raise _invalid("must start with http:// or https://")
    if not parts.hostname:
        raise _invalid("has no host")
    if _literal_address(parts.hostname) is None and not _HOST_NAME.fullmatch(parts.hostname):
        raise _invalid("the host is not a DNS name (use punycode for international names)")
    if parts.username is not None or parts.password is not None:
        # Credentials in a URL end up in logs and delivery records; use the signature instead.
        raise _invalid("must not carry credentials (user:password@)")
    if parts.fragment:
        raise _invalid("must not have a #fragment")
    if port == 0:
        raise _invalid("port 0 cannot be called")
    if not allow_private and not _may_name(parts.hostname):
        raise _invalid("points to a private, loopback or link-local address")
    return url


def _invalid(reason: str) -> InvalidInput:
    return InvalidInput(f"The webhook URL is refused: {reason}.", [FieldError("url", reason)])


def _may_name(host: str) -> bool:
    name = host.rstrip(".").lower()
    if name == "localhost" or name.endswith(_LOCAL_SUFFIXES):
        return False
    literal = _literal_address(name)
    return literal is None or is_public(literal)


def _literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        # Legacy IPv4 forms the resolver also accepts: 2130706433, 0x7f.1, 127.1.
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


def is_public(address: IPAddress) -> bool:
    """True for globally routable unicast addresses (IPv4-mapped IPv6 judged as IPv4)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def resolve_target(url: str, allow_private: bool, resolver: Resolver = system_resolver) -> Target:
    """The address to send to; raises TargetRefused when the host may not be called."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in resolver(host, port)]
    except (OSError, UnicodeError, ValueError) as exc:
        raise TargetRefused(f"cannot resolve {host!r}: {exc}") from exc
    if not addresses:
        raise TargetRefused(f"{host!r} resolves to no address")
    # Every address, not only the first: the client could otherwise be steered to another.
    refused = [a for a in addresses if not is_public(a)]
    if refused and not allow_private:
        raise TargetRefused(f"{host!r} resolves to a non-public address ({refused[0]})")
    address = addresses[0]
    shown = f"[{address}]" if address.version == 6 else str(address)
    netloc = f"{shown}:{parts.port}" if parts.port else shown
    return Target(_replace_netloc(parts, netloc), host, str(address))


def _replace_netloc(parts: SplitResult, netloc: str) -> str:
    replaced: Any = parts._replace(netloc=netloc)
    return str(replaced.geturl())

"""Posting to an integrator's callback URL without becoming a way into the bank's own network.

A callback URL is the integrator's to choose, so it is an SSRF door unless checked: it must be
https (http only under PRESCORING_WEBHOOK_ALLOW_HTTP, for a development receiver), its host must
resolve only to public addresses (loopback, private, link-local, multicast, reserved and
unspecified ones are refused, except in PRESCORING_WEBHOOK_ALLOWED_NETWORKS), and the check is made
when the URL is saved and again at every delivery, connecting to the very address that was
checked (a DNS answer that changes between the check and the connection changes nothing).
Redirects are not followed. What is logged of a failure says what kind it was (refused address,
no connection, timeout, TLS, HTTP status), never the operating system's words, which would tell
an administrator-turned-scanner which internal ports are open.
"""
from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings


class CallbackRefused(ValueError):
    """The URL may not be called; the message says why, for the administrator who set it."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the checked IP address to connect to


def _allowed_networks():
    networks = []
    for text in settings.PRESCORING_API.get("WEBHOOK_ALLOWED_NETWORKS", []):
        networks.append(ipaddress.ip_network(text, strict=False))
    return networks


def address_problem(address: str) -> str | None:
    """Why a receiver may not be at this IP address, or None."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if any(ip in network for network in _allowed_networks()):
        return None
    if ip.is_loopback:
        return "loopback address"
    if ip.is_link_local:
        return "link-local address"
    if ip.is_multicast:
        return "multicast address"
    if ip.is_unspecified or ip.is_reserved:
        return "reserved address"
    if ip.is_private or not ip.is_global:
        return "private address"
    return None


def check_url(url: str, *, resolve: bool = True) -> Target:
    """The URL's target after every check; raises CallbackRefused with the reason."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise CallbackRefused("not a valid URL") from None
    scheme = parts.scheme.lower()
    allowed = ("https", "http") if settings.PRESCORING_API.get("WEBHOOK_ALLOW_HTTP") else ("https",)
    if scheme not in allowed:
        raise CallbackRefused("only https URLs are allowed" if scheme != "https" else "not a valid URL")
    if not parts.hostname:
        raise CallbackRefused("the URL has no host")
    if parts.username or parts.password:
        raise CallbackRefused("the URL may not carry a user name or password")
    port = port or (443 if scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if not resolve:
        return Target(scheme, parts.hostname, port, path, "")
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise CallbackRefused("the host name does not resolve") from None
    addresses = sorted({info[4][0] for info in infos})
    for address in addresses:
        problem = address_problem(address)
        if problem:
            raise CallbackRefused(f"the host resolves to a {problem}")
    return Target(scheme, parts.hostname, port, path, addresses[0])


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self._address = target.address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> tuple[int | None, str]:
    """POST body to url once: (HTTP status or None, a short error for the delivery log or "")."""
    try:
        target = check_url(url)
    except CallbackRefused as exc:
        return None, f"refused: {exc}"
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target, timeout)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        reply = connection.getresponse()
        reply.read(64 * 1024)
        status = reply.status
    except TimeoutError:
        return None, "timed out"
    except ssl.SSLError:
        return None, "TLS handshake failed"
    except (OSError, http.client.HTTPException):
        return None, "could not connect"
    finally:
        connection.close()
    if 300 <= status < 400:
        return status, f"HTTP {status} (redirects are not followed)"
    return status, "" if 200 <= status < 300 else f"HTTP {status}"

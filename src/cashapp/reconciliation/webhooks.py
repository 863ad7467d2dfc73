"""Webhook delivery to the ERP: signing, URL checks (SSRF), one attempt, and the retry schedule.

The outbox relay (``reconciliation.outbox``) decides *what* to send and *when*; this module
knows *how* to send one event safely:

- **Signature** (Stripe style): ``X-CashApp-Signature: t=<unix>,v1=<hex>`` where the hex is
  ``HMAC-SHA256(secret, "<unix>." + raw_body)``. The receiver recomputes it, compares in
  constant time and refuses timestamps outside a tolerance (replays). ``Event-Id`` names the
  outbox event so the receiver can drop duplicates: delivery is at least once.
- **URL checks** (OWASP API7, SSRF): https only; every address the host resolves to must be
  public (no loopback, private, link-local, multicast, reserved, CGNAT or cloud-metadata
  address). Checked when the URL is saved *and* again before every send, and the connection
  is pinned to the address that was checked (no DNS rebinding between check and connect).
  Redirects are never followed. ``CASHAPP_WEBHOOK_ALLOW_LOOPBACK=1`` lets tests deliver to a
  plain-http receiver on 127.0.0.1 / ::1 (loopback only: private ranges stay refused).
- **Retries**: exponential backoff with "equal jitter", capped; after ``max_attempts`` the
  delivery is dead and waits for a person (it is never dropped silently).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import random
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

from cashapp.core.errors import InputError

SIGNATURE_HEADER = "X-CashApp-Signature"
TIMESTAMP_HEADER = "X-CashApp-Timestamp"
EVENT_ID_HEADER = "Event-Id"
EVENT_TYPE_HEADER = "X-CashApp-Event-Type"
DEFAULT_TOLERANCE_SECONDS = 300
ALLOW_LOOPBACK_ENV = "CASHAPP_WEBHOOK_ALLOW_LOOPBACK"

# Addresses no webhook may reach even though ``ipaddress`` calls them global.
_METADATA_ADDRESSES = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack metadata
        ipaddress.ip_address("fd00:ec2::254"),  # AWS IPv6 metadata
        ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud metadata
    }
)
_CGNAT = ipaddress.ip_network("100.64.0.0/10")

Resolver = Callable[[str, int], list[str]]


class WebhookUrlRefused(InputError):
    """A webhook URL that cashapp will not call (scheme, host or resolved address refused)."""


class SignatureInvalid(Exception):
    """A webhook signature that does not verify (the receiver's side, used by tests and docs)."""


def loopback_allowed() -> bool:
    """Whether ``CASHAPP_WEBHOOK_ALLOW_LOOPBACK`` is set (tests only)."""
    return os.environ.get(ALLOW_LOOPBACK_ENV, "").strip().lower() in ("1", "true", "yes")


# --- signing -------------------------------------------------------------------------------


def compute_signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>." + body`` under ``secret``."""
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={compute_signature(secret, timestamp, body)}"


def verify_signature(
    secret: str,
    header: str,
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> int:
    """Check a ``X-CashApp-Signature`` header; return its timestamp or raise ``SignatureInvalid``."""
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if sep:
            parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError) as exc:
        raise SignatureInvalid("no timestamp in the signature header") from exc
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise SignatureInvalid("timestamp outside the tolerance")
    expected = compute_signature(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, v) for v in parts.get("v1", [])):
        raise SignatureInvalid("signature mismatch")
    return timestamp


# --- URL checks ----------------------------------------------------------------------------


def _system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def address_refusal(address: str, *, allow_loopback: bool) -> str | None:
    """Why ``address`` may not be called, or ``None`` when it may."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip in _METADATA_ADDRESSES:
        return "a cloud metadata address"
    if ip.is_loopback:
        return None if allow_loopback else "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_private or (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT):
        return "a private address"
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified or not ip.is_global:
        return "a reserved address"
    return None


@dataclass(frozen=True, slots=True)
class CheckedUrl:
    """A URL that passed the checks, with the address it must be called on."""

    url: str
    host: str
    port: int
    address: str

    def pinned_url(self) -> str:
        """The URL with the host replaced by the checked address (the Host header keeps the name)."""
        parts = urlsplit(self.url)
        literal = f"[{self.address}]" if ":" in self.address else self.address
        netloc = f"{literal}:{self.port}"
        return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


def check_webhook_url(
    url: str, *, allow_loopback: bool | None = None, resolver: Resolver | None = None
) -> CheckedUrl:
    """Refuse (``WebhookUrlRefused``) a URL cashapp must not call; else the address to call.

    Every address the host resolves to is checked: one private answer refuses the URL.
    """
    allow = loopback_allowed() if allow_loopback is None else allow_loopback
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise WebhookUrlRefused("not a valid URL", element="url") from exc
    if parts.scheme not in ("https", "http"):
        raise WebhookUrlRefused("the URL must use https", element="url")
    if parts.username or parts.password:
        raise WebhookUrlRefused("credentials in the URL are not allowed", element="url")
    host = parts.hostname
    if not host:
        raise WebhookUrlRefused("the URL has no host", element="url")
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = (resolver or _system_resolver)(host, port)
    except (OSError, UnicodeError) as exc:
        raise WebhookUrlRefused(f"the host {host!r} does not resolve", element="url") from exc
    if not addresses:
        raise WebhookUrlRefused(f"the host {host!r} does not resolve", element="url")
    for address in addresses:
        try:
            refusal = address_refusal(address, allow_loopback=allow)
        except ValueError:
            refusal = "not an IP address"
        if refusal:
            raise WebhookUrlRefused(f"the host {host!r} resolves to {refusal}", element="url")
    all_loopback = all(ipaddress.ip_address(a.split("%", 1)[0]).is_loopback for a in addresses)
    if parts.scheme == "http" and not (allow and all_loopback):
        raise WebhookUrlRefused("the URL must use https", element="url")
    return CheckedUrl(url=url.strip(), host=host, port=port, address=addresses[0])


# --- one attempt ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookEvent:
    """One event to deliver: its id (dedup key for the receiver), type and JSON body bytes."""

    event_id: str
    event_type: str
    body: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class AttemptOutcome:
    """What one POST gave: delivered (2xx) or not, the status if any, and a short error."""

    delivered: bool
    status: int | None = None
    error: str | None = None


def signed_headers(event: WebhookEvent, secret: str, *, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "cashapp-webhooks/1",
        EVENT_ID_HEADER: event.event_id,
        EVENT_TYPE_HEADER: event.event_type,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature_header(secret, timestamp, event.body),
    }


def attempt_delivery(
    url: str,
    secret: str,
    event: WebhookEvent,
    *,
    client: httpx.Client,
    allow_loopback: bool | None = None,
    resolver: Resolver | None = None,
    now: Callable[[], float] = time.time,
) -> AttemptOutcome:
    """POST ``event`` once to ``url``, after checking the URL again (send-time SSRF check).

    Redirects are not followed: a 3xx is a failed attempt. Never raises for network trouble.
    """
    try:
        checked = check_webhook_url(url, allow_loopback=allow_loopback, resolver=resolver)
    except WebhookUrlRefused as exc:
        return AttemptOutcome(delivered=False, error=exc.reason)
    headers = signed_headers(event, secret, timestamp=int(now()))
    default_port = 443 if checked.url.startswith("https") else 80
    headers["Host"] = checked.host if checked.port == default_port else f"{checked.host}:{checked.port}"
    try:
        response = client.post(
            checked.pinned_url(),
            content=event.body,
            headers=headers,
            follow_redirects=False,
            extensions={"sni_hostname": checked.host},
        )
    except httpx.HTTPError as exc:
        return AttemptOutcome(delivered=False, error=f"{type(exc).__name__}: {exc}"[:300])
    if 200 <= response.status_code < 300:
        return AttemptOutcome(delivered=True, status=response.status_code)
    return AttemptOutcome(
        delivered=False, status=response.status_code, error=f"HTTP {response.status_code}"
    )


def make_client(*, timeout: float = 10.0) -> httpx.Client:
    """The HTTP client for deliveries: short timeouts, no redirects, no proxies from the env."""
    return httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False)


# --- retry schedule ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """Exponential backoff with equal jitter: attempt n waits in [d/2, d], d = base * 2**(n-1)."""

    base_seconds: float = 30.0
    cap_seconds: float = 6 * 3600.0
    max_attempts: int = 12  # about two days with the defaults

    def delay(self, attempt: int, *, rng: random.Random | None = None) -> float:
        """Seconds to wait after the ``attempt``-th failed attempt (1-based)."""
        ceiling = min(self.cap_seconds, self.base_seconds * float(2 ** max(0, attempt - 1)))
        jitter: float = (rng or random).uniform(0, ceiling / 2)
        return ceiling / 2 + jitter

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RetryPolicy:
        source = os.environ if env is None else env
        return cls(
            base_seconds=float(source.get("CASHAPP_WEBHOOK_BACKOFF_SECONDS", "30")),
            cap_seconds=float(source.get("CASHAPP_WEBHOOK_BACKOFF_CAP_SECONDS", str(6 * 3600))),
            max_attempts=int(source.get("CASHAPP_WEBHOOK_MAX_ATTEMPTS", "12")),
        )

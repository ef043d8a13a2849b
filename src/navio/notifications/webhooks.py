"""Operators' webhooks: which events an endpoint may take, the body sent, the signature (the
Standard Webhooks spec, www.standardwebhooks.com: `webhook-id`, `webhook-timestamp`,
`webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, made with its reference
library, so any receiver verifies with the library of its language), and the rules for where
Navio may send (no request forgery into the network it runs in). No I/O."""

from __future__ import annotations

import base64
import ipaddress
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from standardwebhooks.webhooks import Webhook

PING = "webhook.ping"
SECRET_PREFIX = "whsec_"
MAX_ENDPOINTS = 10
# after this many deliveries in a row given up, the endpoint is switched off (and says why)
DISABLE_AFTER_DEAD = 5
# the old secret keeps signing beside the new one this long after a rotation
ROTATION_GRACE_HOURS = 24


@dataclass(frozen=True, slots=True)
class Offered:
    description: str
    owner_field: str


# the platform's events an operator can receive, and the field naming whose they are
EVENTS: dict[str, Offered] = {
    "bookings.booking_confirmed": Offered(
        "a booking of your listing confirmed and paid", "operator_id"
    ),
    "bookings.booking_cancelled": Offered("a booking of your listing cancelled", "operator_id"),
    "bookings.booking_expired": Offered("a booking of your listing left unpaid", "operator_id"),
    "marketplace.review_posted": Offered("a review of your listing", "seller_id"),
    "stations.battery_swapped": Offered("a battery swapped at your station", "owner_id"),
    "stations.fault_reported": Offered("a fault reported at your station", "owner_id"),
    "stations.plan_bought": Offered("a swap plan of yours bought", "owner_id"),
}


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def body(event_id: str, name: str, occurred_at: datetime, data: dict[str, Any]) -> str:
    """The JSON sent, as the exact text signed."""
    document = {"id": event_id, "type": name, "occurred_at": occurred_at.isoformat(), "data": data}
    return json.dumps(document, separators=(",", ":"), sort_keys=True, default=str)


def headers(message_id: str, at: datetime, text: str, secrets_in_use: list[str]) -> dict[str, str]:
    """The Standard Webhooks headers; during a rotation both secrets sign (space-separated)."""
    signatures = " ".join(Webhook(secret).sign(message_id, at, text) for secret in secrets_in_use)
    return {
        "content-type": "application/json",
        "user-agent": "Navio-Webhooks/1",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
    }


class TargetRefused(ValueError):
    pass


def public_address(address: str) -> bool:
    """An address on the internet: not loopback, private, link-local (cloud metadata sits
    there), multicast, reserved or unspecified."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str, allow_local: bool) -> str:
    """The URL as kept, or TargetRefused: https (http too when `allow_local`), a host, no
    credentials in it, and an IP literal only if public (any when `allow_local`). Host names
    are resolved and checked again at each delivery."""
    parts = urlsplit(url)
    if parts.scheme not in (("https", "http") if allow_local else ("https",)):
        raise TargetRefused("the URL must start with https://")
    if not parts.hostname:
        raise TargetRefused("the URL has no host")
    if parts.username or parts.password:
        raise TargetRefused("put no credentials in the URL: verify the signature instead")
    if parts.fragment:
        raise TargetRefused("the URL cannot have a #fragment")
    try:
        parts.port  # noqa: B018 (raises on a port out of range)
    except ValueError as exc:
        raise TargetRefused("the URL's port is not a number from 1 to 65535") from exc
    if not allow_local:
        host = parts.hostname.rstrip(".").lower()
        if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
            raise TargetRefused("the URL points inside a private network")
        try:
            literal = public_address(host)
        except ValueError:
            literal = True  # a name: resolved and checked when sending
        if not literal:
            raise TargetRefused("the URL points inside a private network")
    return url

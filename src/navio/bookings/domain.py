"""Booking rules. No I/O.

States: pending -> awaiting_payment -> confirmed -> cancelled | refunded | partially_refunded,
and awaiting_payment -> failed. A wallet booking holds the money while pending and captures it
on confirmation; a card booking is confirmed when its payment succeeds.

Cancellation policy, computed at cancel time: free (full refund) until `free_until_hours`
before the start, then `late_refund_pct` percent (0: nothing back). A refund rounds down to the
minor unit in the traveler's disfavour by at most one unit, never above what was paid.

Tickets: `payload.signature`, both base64url. The payload is JSON with the ticket id, booking id,
key id, issue time and start; the signature is HMAC-SHA256 over the payload with the key named by
`kid`, so a scanner holding the keys verifies a ticket offline; check-in marks it used once.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta


class Status(enum.StrEnum):
    PENDING = "pending"
    AWAITING_PAYMENT = "awaiting_payment"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"
    FAILED = "failed"
    EXPIRED = "expired"  # a card booking not paid in time


CANCELLABLE = frozenset({Status.AWAITING_PAYMENT, Status.CONFIRMED})


class OfferKind(enum.StrEnum):
    LODGING = "lodging"
    ACTIVITY = "activity"
    TRANSPORT_TICKET = "transport_ticket"


@dataclass(frozen=True, slots=True)
class Policy:
    free_until_hours: int = 24
    late_refund_pct: int = 0

    def refund_for(self, paid_minor: int, starts_at: datetime, now: datetime) -> int:
        if now <= starts_at - timedelta(hours=self.free_until_hours):
            return paid_minor
        if now >= starts_at:
            return 0
        return paid_minor * self.late_refund_pct // 100


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_ticket(
    ticket_id: uuid.UUID,
    booking_id: uuid.UUID,
    starts_at: datetime,
    issued_at: datetime,
    kid: str,
    key: bytes,
) -> str:
    payload = json.dumps(
        {
            "t": str(ticket_id),
            "b": str(booking_id),
            "kid": kid,
            "iat": int(issued_at.timestamp()),
            "start": starts_at.isoformat(),
        },
        separators=(",", ":"),
        sort_keys=True,
    ).encode()
    signature = hmac.new(key, payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(signature)}"


class TicketInvalid(ValueError):
    pass


def verify_ticket(qr: str, keys: Mapping[str, bytes]) -> dict[str, str]:
    """The ticket's claims, or TicketInvalid (malformed, unknown key, bad signature)."""
    try:
        encoded, signature = qr.strip().split(".")
        payload = _unb64(encoded)
        claims = json.loads(payload)
        key = keys[claims["kid"]]
        expected = hmac.new(key, payload, hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(signature)):
            raise TicketInvalid("signature does not match")
        return {k: str(v) for k, v in claims.items()}
    except TicketInvalid:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise TicketInvalid("not a ticket this platform issued") from exc

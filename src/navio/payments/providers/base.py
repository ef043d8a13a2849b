"""The payment provider port: one shape for every gateway Navio can take money through.

A provider does four things, all keyed by the caller's idempotency key so a retried request
never charges or refunds twice:

* ``create_intent`` registers an amount to collect (in integer minor units: cents, paise) and
  returns a :class:`ProviderIntent` in ``requires_confirmation``;
* ``confirm`` attaches a payment method and attempts the payment, answering with a
  :class:`ProviderResult` that is final (``succeeded`` / ``failed``), waits on the customer
  (``requires_action`` with ``next_action = {"type": "redirect_to_url", "url": ...}`` for 3-D
  Secure), or waits on the provider (``processing``: the outcome arrives by webhook);
* ``refund`` returns money, fully or partly, never more than was captured in total;
* ``verify_webhook`` authenticates a provider's notification from its raw body and headers and
  normalises it to a :class:`WebhookEvent` whose ``type`` is ``payment.succeeded``,
  ``payment.failed``, ``refund.succeeded`` or ``unknown`` (the provider's own name is kept in
  ``raw_type``, so unknown events can be acknowledged and logged rather than refused).

Failures are plain exceptions with a stable ``code``; the web layer maps them to problem+json.
Every webhook rejection is a :class:`WebhookSignatureInvalid` (a stale or future timestamp is
its subclass :class:`WebhookTimestampOutOfTolerance`), so a handler that answers 400 to one
``except`` clause cannot accidentally accept a forged or replayed notification.

The helpers at the bottom (amount, currency, key and metadata validation, the timestamped
HMAC-SHA256 signature scheme shared by Stripe and the sandbox) are used by every adapter, so all
providers reject the same bad input with the same codes before any network call.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal, Protocol, runtime_checkable

__all__ = [
    "DEFAULT_WEBHOOK_TOLERANCE",
    "EventType",
    "IntentStatus",
    "PaymentProvider",
    "PaymentProviderError",
    "PaymentSignatureInvalid",
    "ProviderError",
    "ProviderIntent",
    "ProviderRefund",
    "ProviderResult",
    "RefundStatus",
    "ResultStatus",
    "WebhookEvent",
    "WebhookPayloadInvalid",
    "WebhookSignatureInvalid",
    "WebhookTimestampOutOfTolerance",
    "check_timestamp",
    "header_value",
    "normalise_currency",
    "parse_timestamped_signature",
    "sign_timestamped",
    "timestamped_signature_matches",
    "validate_amount",
    "validate_idempotency_key",
    "validate_metadata",
]

IntentStatus = Literal[
    "requires_confirmation", "requires_action", "processing", "succeeded", "failed"
]
ResultStatus = Literal["succeeded", "requires_action", "processing", "failed"]
# Card refunds settle at once; some methods (bank debits, Razorpay's normal refunds) report
# "pending" first and finish later, announced by a refund.succeeded webhook.
RefundStatus = Literal["succeeded", "pending", "failed"]
EventType = Literal["payment.succeeded", "payment.failed", "refund.succeeded", "unknown"]

# Stripe's documented default: a signature older than five minutes is refused.
DEFAULT_WEBHOOK_TOLERANCE: Final = 300
MAX_IDEMPOTENCY_KEY_LENGTH: Final = 255

_CURRENCY = re.compile(r"[A-Za-z]{3}")


# ---------------------------------------------------------------- errors


class PaymentProviderError(Exception):
    """Base of every payments-port failure. ``code`` is stable; callers switch on it."""

    code: str = "payment_provider_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class ProviderError(PaymentProviderError):
    """The provider refused an operation or could not be reached.

    Codes: ``invalid_amount``, ``invalid_currency``, ``invalid_idempotency_key``,
    ``invalid_metadata``, ``idempotency_key_reused``, ``intent_not_found``,
    ``intent_unexpected_state``, ``payment_not_refundable``, ``refund_exceeds_payment``,
    ``payment_order_mismatch``, ``provider_invalid_request``, ``provider_authentication_failed``,
    ``provider_rate_limited``, ``provider_unavailable``, ``provider_error``, ``no_webhook``.
    ``provider_code`` keeps the gateway's own code when there is one.
    """

    code = "provider_error"

    def __init__(
        self, message: str, *, code: str | None = None, provider_code: str | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.provider_code = provider_code


class WebhookSignatureInvalid(PaymentProviderError):
    """The notification cannot be trusted: answer 400 and do not act on it.

    Codes: ``webhook_signature_missing`` (no signature header), ``webhook_signature_malformed``
    (the header cannot be parsed), ``webhook_signature_invalid`` (no signature matches), and
    ``webhook_timestamp_out_of_tolerance`` (see the subclass).
    """

    code = "webhook_signature_invalid"


class WebhookTimestampOutOfTolerance(WebhookSignatureInvalid):
    """Correctly signed, but signed too long ago (a replay) or too far in the future."""

    code = "webhook_timestamp_out_of_tolerance"


class WebhookPayloadInvalid(PaymentProviderError):
    """Correctly signed, but the body is not the JSON event the provider documents."""

    code = "webhook_payload_invalid"


class PaymentSignatureInvalid(PaymentProviderError):
    """A checkout callback's signature (Razorpay's ``razorpay_signature``) does not match."""

    code = "payment_signature_invalid"


# ---------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class ProviderIntent:
    provider_ref: str
    status: IntentStatus
    amount_minor: int
    currency: str
    # Handed to the browser SDK (Stripe's client_secret); None when the provider has none.
    client_secret: str | None = None
    # What the client has to do next, e.g. {"type": "razorpay_checkout", "order_id": ...}.
    next_action: dict[str, str] | None = None


@dataclass(frozen=True, slots=True)
class ProviderResult:
    provider_ref: str
    status: ResultStatus
    # "card_declined", "insufficient_funds", "authentication_required", ... when failed.
    failure_code: str | None = None
    failure_message: str | None = None
    # {"type": "redirect_to_url", "url": ...} when status is requires_action (3-D Secure).
    next_action: dict[str, str] | None = None


@dataclass(frozen=True, slots=True)
class ProviderRefund:
    provider_refund_ref: str
    provider_ref: str
    status: RefundStatus
    amount_minor: int
    failure_code: str | None = None


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    # The provider's event id: deliveries are at-least-once, so deduplicate on it.
    event_id: str
    type: EventType
    # The provider's own event name ("payment_intent.succeeded", "payment.captured", ...).
    raw_type: str
    # The intent's provider_ref (Stripe PaymentIntent id, Razorpay order id); None for unknown.
    provider_ref: str | None
    amount_minor: int | None
    # Upper-case ISO 4217 code.
    currency: str | None
    # Unix seconds at which the provider created the event.
    created: int
    raw: dict[str, Any] = field(repr=False)
    provider_refund_ref: str | None = None
    failure_code: str | None = None

    @classmethod
    def unknown(
        cls, event_id: str, raw_type: str, created: int, raw: dict[str, Any]
    ) -> WebhookEvent:
        """An event type Navio does not act on: acknowledged and logged, nothing else."""
        return cls(
            event_id=event_id,
            type="unknown",
            raw_type=raw_type,
            provider_ref=None,
            amount_minor=None,
            currency=None,
            created=created,
            raw=raw,
        )


# ---------------------------------------------------------------- the port


@runtime_checkable
class PaymentProvider(Protocol):
    """What the payments service needs from a gateway. Implementations keep no request state
    beyond what the gateway itself keeps (the sandbox keeps its state in memory)."""

    name: str

    def create_intent(
        self,
        *,
        amount_minor: int,
        currency: str,
        reference: str,
        idempotency_key: str,
        metadata: dict[str, str],
    ) -> ProviderIntent: ...

    def confirm(
        self, *, provider_ref: str, payment_method: str, idempotency_key: str
    ) -> ProviderResult: ...

    def refund(
        self, *, provider_ref: str, amount_minor: int, idempotency_key: str
    ) -> ProviderRefund: ...

    def verify_webhook(
        self, payload: bytes, headers: Mapping[str, str], *, now: int | None = None
    ) -> WebhookEvent: ...


# ---------------------------------------------------------------- shared validation


def validate_amount(amount_minor: int) -> int:
    """A positive integer number of minor units (bools are refused although they are ints)."""
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
        raise ProviderError(
            f"amount_minor must be a positive integer, got {amount_minor!r}",
            code="invalid_amount",
        )
    return amount_minor


def normalise_currency(currency: str) -> str:
    """Three ASCII letters, returned upper-case ("eur" -> "EUR")."""
    if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
        raise ProviderError(
            f"currency must be a three-letter ISO 4217 code, got {currency!r}",
            code="invalid_currency",
        )
    return currency.upper()


def validate_idempotency_key(key: str) -> str:
    """Non-blank printable ASCII, at most 255 characters (Stripe's limit)."""
    if (
        not isinstance(key, str)
        or not key.strip()
        or len(key) > MAX_IDEMPOTENCY_KEY_LENGTH
        or not key.isascii()
        or not key.isprintable()
    ):
        raise ProviderError(
            "idempotency_key must be 1-255 printable ASCII characters",
            code="invalid_idempotency_key",
        )
    return key


def validate_metadata(metadata: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``metadata`` after checking it maps strings to strings."""
    if not isinstance(metadata, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise ProviderError("metadata must map strings to strings", code="invalid_metadata")
    return dict(metadata)


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    """The value of header ``name``, matched case-insensitively (HTTP header names are)."""
    direct = headers.get(name)
    if direct is not None:
        return direct
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def check_timestamp(timestamp: int, *, now: int, tolerance: int) -> None:
    """Refuse a timestamp more than ``tolerance`` seconds before or after ``now``."""
    if abs(now - timestamp) > tolerance:
        raise WebhookTimestampOutOfTolerance(
            f"webhook timestamp {timestamp} is more than {tolerance} s from now ({now})"
        )


# ---------------------------------------------------------------- timestamped HMAC scheme
# Stripe's documented scheme, reused by the sandbox: the header is "t=<unix>,v1=<hex>[,v1=...]"
# and each v1 is hex(HMAC-SHA256(secret, f"{t}.{raw body}")). Several v1 entries appear while a
# secret is being rolled; any one matching is enough. Entries of other schemes are ignored.


def sign_timestamped(payload: bytes, secret: str, timestamp: int) -> str:
    """The hex HMAC-SHA256 of ``f"{timestamp}.{payload}"`` under ``secret``."""
    signed = str(timestamp).encode("ascii") + b"." + payload
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def parse_timestamped_signature(header: str) -> tuple[int, list[str]]:
    """``(t, [v1, ...])`` from a ``t=...,v1=...`` header, or WebhookSignatureInvalid."""
    timestamps: list[str] = []
    signatures: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            timestamps.append(value)
        elif key == "v1":
            signatures.append(value)
    if len(timestamps) != 1 or not timestamps[0].isdigit() or not timestamps[0].isascii():
        raise WebhookSignatureInvalid(
            "signature header needs exactly one numeric t=<unix seconds>",
            code="webhook_signature_malformed",
        )
    if not signatures:
        raise WebhookSignatureInvalid(
            "signature header carries no v1 signature", code="webhook_signature_malformed"
        )
    return int(timestamps[0]), signatures


def timestamped_signature_matches(
    payload: bytes, secret: str, timestamp: int, signatures: list[str]
) -> bool:
    """Whether any of ``signatures`` is the expected one (constant-time comparisons)."""
    expected = sign_timestamped(payload, secret, timestamp).encode("ascii")
    found = False
    for candidate in signatures:
        # compare every candidate, so timing says nothing about which one matched
        found |= hmac.compare_digest(expected, candidate.encode("utf-8", "replace"))
    return found

"""Razorpay, through the official ``razorpay`` SDK (``razorpay.Client(auth=(key_id, key_secret))``).

Flow
----
Razorpay has no server-side confirmation of a card: the customer pays in Razorpay Checkout.

1. ``create_intent`` creates an **order** (``client.order.create``: ``amount`` in paise or the
   currency's minor unit, upper-case ``currency``, ``receipt`` = the reference cut to Razorpay's
   40 characters, ``notes`` = metadata plus ``navio_reference`` and ``navio_idempotency_key``;
   Razorpay allows at most 15 notes of at most 256 characters each). The intent's
   ``provider_ref`` is the order id; it is ``requires_confirmation`` with
   ``next_action = {"type": "razorpay_checkout", "order_id": ..., "key_id": ...}`` for the
   browser. Razorpay's Orders API takes no idempotency key, so a retried ``create_intent`` can
   leave an unused order behind (never charged; Razorpay expires it); keep the returned order
   id against your own key.
2. Checkout hands the browser ``razorpay_order_id``, ``razorpay_payment_id`` and
   ``razorpay_signature``; :meth:`RazorpayProvider.verify_payment_signature` checks the
   signature as Razorpay's checkout docs prescribe: hex HMAC-SHA256 under the **key secret**
   of ``f"{order_id}|{payment_id}"``.
3. ``confirm(provider_ref=order_id, payment_method=payment_id)`` fetches the payment from
   Razorpay (the authority, whatever the browser said), checks it belongs to the order, and
   captures it if it is only ``authorized`` (``client.payment.capture``). Payment status ->
   port: ``captured`` / ``refunded`` -> ``succeeded``; ``created`` / ``authorized`` ->
   ``processing``; ``failed`` -> ``failed`` with Razorpay's ``error_reason`` as the failure code.
4. ``refund`` refunds the order's captured payment (or a ``pay_...`` id given directly) with
   ``client.payment.refund`` (Razorpay's refusal of an amount above what is left unrefunded
   becomes ``refund_exceeds_payment``), and sends the caller's key in Razorpay's documented
   ``X-Refund-Idempotency`` header (used as is when it is at least 10 of ``[A-Za-z0-9_-]``, else
   its SHA-256 hex). Refund status ``processed`` -> ``succeeded``, ``pending`` -> ``pending``,
   ``failed`` -> ``failed``.

Webhooks
--------
Razorpay signs the raw body alone: header ``X-Razorpay-Signature`` = hex HMAC-SHA256 of the body
under the webhook secret (set per endpoint in the dashboard; not the key secret), checked with
``razorpay.Utility.verify_webhook_signature``. The signature covers no timestamp, so freshness
is judged from the signed body's ``created_at`` (event creation, unix seconds). Razorpay retries
a failed delivery with the same body for 24 hours after ``created_at`` (and disables an endpoint
that keeps failing), so the default tolerance here is 25 hours rather than Stripe's 5 minutes: a
stricter window would refuse the retries of an outage and lose those events. Replays inside the
window are stopped by deduplicating on ``event_id``, which comes from the ``X-Razorpay-Event-Id``
header (the same across retries); when that header is absent the id is derived from the body's
SHA-256. The header is not covered by the signature, so handlers must also be idempotent per
payment (a second ``payment.succeeded`` for a paid intent is a no-op).

Events: ``payment.captured`` -> ``payment.succeeded``, ``payment.failed`` -> ``payment.failed``,
``refund.processed`` -> ``refund.succeeded``; ``provider_ref`` is the payment's ``order_id``
(falling back to the payment id), so it matches the intent; anything else is ``unknown``.

Razorpay's test mode has its own test cards and UPI ids (razorpay.com/docs/payments/payments/
test-card-details), used inside Checkout; they never reach this module.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from typing import Any, Final

import razorpay  # type: ignore[import-untyped]
from razorpay.errors import (  # type: ignore[import-untyped]
    BadRequestError,
    GatewayError,
    ServerError,
    SignatureVerificationError,
)

from navio.kernel.clock import Clock
from navio.payments.providers.base import (
    EventType,
    IntentStatus,
    PaymentSignatureInvalid,
    ProviderError,
    ProviderIntent,
    ProviderRefund,
    ProviderResult,
    RefundStatus,
    WebhookEvent,
    WebhookPayloadInvalid,
    WebhookSignatureInvalid,
    check_timestamp,
    header_value,
    normalise_currency,
    validate_amount,
    validate_idempotency_key,
    validate_metadata,
)

__all__ = [
    "EVENT_ID_HEADER",
    "RAZORPAY_WEBHOOK_TOLERANCE",
    "SIGNATURE_HEADER",
    "RazorpayProvider",
    "normalise_event",
]

SIGNATURE_HEADER: Final = "X-Razorpay-Signature"
EVENT_ID_HEADER: Final = "X-Razorpay-Event-Id"
REFUND_IDEMPOTENCY_HEADER: Final = "X-Refund-Idempotency"
# Razorpay's retry window (24 h after created_at) plus an hour of slack for clock skew.
RAZORPAY_WEBHOOK_TOLERANCE: Final = 25 * 3600

MAX_NOTES: Final = 15
MAX_NOTE_LENGTH: Final = 256
MAX_RECEIPT_LENGTH: Final = 40

_HEX_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_REFUND_KEY = re.compile(r"[A-Za-z0-9_-]{10,255}")

_EVENT_TYPES: Final[Mapping[str, EventType]] = {
    "payment.captured": "payment.succeeded",
    "payment.failed": "payment.failed",
    "refund.processed": "refund.succeeded",
}
_ORDER_STATUSES: Final[Mapping[str, IntentStatus]] = {
    "created": "requires_confirmation",
    "attempted": "requires_confirmation",  # a payment was tried and did not go through
    "paid": "succeeded",
}
_REFUND_STATUSES: Final[Mapping[str, RefundStatus]] = {
    "processed": "succeeded",
    "pending": "pending",
    "failed": "failed",
}
_FAILURE_CODES: Final[Mapping[str, str]] = {"authentication_failed": "authentication_required"}


class RazorpayProvider:
    """Razorpay orders, payment capture and refunds; webhooks verified offline."""

    name = "razorpay"

    def __init__(
        self,
        key_id: str,
        key_secret: str,
        webhook_secret: str,
        *,
        tolerance: int = RAZORPAY_WEBHOOK_TOLERANCE,
        clock: Clock | None = None,
        session: object | None = None,
    ) -> None:
        """``session`` replaces the SDK's ``requests.Session`` (tests, proxies)."""
        if not key_id or not key_secret or not webhook_secret:
            raise ValueError("the Razorpay provider needs a key id, key secret and webhook secret")
        if tolerance < 0:
            raise ValueError("tolerance must not be negative")
        self._key_id = key_id
        self._key_secret = key_secret
        self._webhook_secret = webhook_secret
        self._tolerance = tolerance
        self._clock = clock or Clock()
        self._client: Any = razorpay.Client(session=session, auth=(key_id, key_secret))

    # ------------------------------------------------------------ the port

    def create_intent(
        self,
        *,
        amount_minor: int,
        currency: str,
        reference: str,
        idempotency_key: str,
        metadata: dict[str, str],
    ) -> ProviderIntent:
        amount = validate_amount(amount_minor)
        code = normalise_currency(currency)
        key = validate_idempotency_key(idempotency_key)
        notes = {
            **validate_metadata(metadata),
            "navio_reference": reference,
            "navio_idempotency_key": key,
        }
        if len(notes) > MAX_NOTES or any(len(v) > MAX_NOTE_LENGTH for v in notes.values()):
            raise ProviderError(
                f"Razorpay takes at most {MAX_NOTES} notes (metadata plus reference and key) "
                f"of at most {MAX_NOTE_LENGTH} characters",
                code="invalid_metadata",
            )
        order = self._call(
            lambda: self._client.order.create(
                {
                    "amount": amount,
                    "currency": code,
                    "receipt": reference[:MAX_RECEIPT_LENGTH],
                    "notes": notes,
                }
            )
        )
        order_id = _require_str(order, "id")
        status = _ORDER_STATUSES.get(str(order.get("status")), "requires_confirmation")
        return ProviderIntent(
            provider_ref=order_id,
            status=status,
            amount_minor=_require_int(order, "amount"),
            currency=str(order.get("currency", code)).upper(),
            client_secret=None,
            next_action=None
            if status == "succeeded"
            else {"type": "razorpay_checkout", "order_id": order_id, "key_id": self._key_id},
        )

    def confirm(
        self, *, provider_ref: str, payment_method: str, idempotency_key: str
    ) -> ProviderResult:
        """Capture the Checkout payment ``payment_method`` (a ``pay_...`` id) of order
        ``provider_ref``. Capturing is idempotent by state: a captured payment is not captured
        again, so the key is only validated."""
        validate_idempotency_key(idempotency_key)
        payment = self._call(lambda: self._client.payment.fetch(payment_method))
        if payment.get("order_id") != provider_ref:
            raise ProviderError(
                f"payment {payment_method} does not belong to order {provider_ref}",
                code="payment_order_mismatch",
            )
        if payment.get("status") == "authorized":
            amount, currency = _require_int(payment, "amount"), payment.get("currency")
            try:
                payment = self._call(
                    lambda: self._client.payment.capture(
                        payment_method, amount, {"currency": currency}
                    )
                )
            except ProviderError as exc:
                if exc.code != "provider_invalid_request":
                    raise
                # Most likely captured meanwhile by a concurrent confirm: ask again.
                payment = self._call(lambda: self._client.payment.fetch(payment_method))
        return _payment_result(provider_ref, payment)

    def refund(
        self, *, provider_ref: str, amount_minor: int, idempotency_key: str
    ) -> ProviderRefund:
        amount = validate_amount(amount_minor)
        key = validate_idempotency_key(idempotency_key)
        payment = self._refundable_payment(provider_ref)
        payment_id = _require_str(payment, "id")
        refunded = payment.get("amount_refunded")
        remaining = _require_int(payment, "amount") - (refunded if isinstance(refunded, int) else 0)
        header_key = key if _REFUND_KEY.fullmatch(key) else hashlib.sha256(key.encode()).hexdigest()
        try:
            refund = self._call(
                lambda: self._client.payment.refund(
                    payment_id,
                    {"amount": amount, "notes": {"navio_idempotency_key": key[:MAX_NOTE_LENGTH]}},
                    headers={REFUND_IDEMPOTENCY_HEADER: header_key},
                )
            )
        except ProviderError as exc:
            # The request is sent even when it looks too large: a retry of a refund that went
            # through (its response lost) must reach Razorpay to get the original refund back.
            if amount > remaining and exc.code == "provider_invalid_request":
                raise ProviderError(
                    f"refund of {amount} exceeds the {remaining} minor units left on {payment_id}",
                    code="refund_exceeds_payment",
                ) from exc
            raise
        return ProviderRefund(
            provider_refund_ref=_require_str(refund, "id"),
            provider_ref=provider_ref,
            status=_REFUND_STATUSES.get(str(refund.get("status")), "pending"),
            amount_minor=_require_int(refund, "amount"),
        )

    def verify_webhook(
        self, payload: bytes, headers: Mapping[str, str], *, now: int | None = None
    ) -> WebhookEvent:
        signature = header_value(headers, SIGNATURE_HEADER)
        if not signature:
            raise WebhookSignatureInvalid(
                f"missing {SIGNATURE_HEADER} header", code="webhook_signature_missing"
            )
        if not _HEX_SHA256.fullmatch(signature.strip()):
            raise WebhookSignatureInvalid(
                f"{SIGNATURE_HEADER} is not a hex HMAC-SHA256", code="webhook_signature_malformed"
            )
        try:
            body = payload.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WebhookSignatureInvalid("webhook body is not UTF-8") from exc
        try:
            self._client.utility.verify_webhook_signature(
                body, signature.strip(), self._webhook_secret
            )
        except SignatureVerificationError as exc:
            raise WebhookSignatureInvalid("Razorpay signature does not match the body") from exc
        try:
            raw = json.loads(body)
        except json.JSONDecodeError as exc:
            raise WebhookPayloadInvalid(f"webhook body is not JSON: {exc}") from exc
        created = raw.get("created_at") if isinstance(raw, dict) else None
        if not isinstance(created, int) or isinstance(created, bool):
            raise WebhookPayloadInvalid("Razorpay event lacks created_at")
        current = int(self._clock.now().timestamp()) if now is None else now
        check_timestamp(created, now=current, tolerance=self._tolerance)
        event_id = header_value(headers, EVENT_ID_HEADER) or (
            "rzp_evt_" + hashlib.sha256(payload).hexdigest()[:24]
        )
        return normalise_event(raw, event_id=event_id)

    # ------------------------------------------------------------ Checkout

    def verify_payment_signature(self, order_id: str, payment_id: str, signature: str) -> None:
        """Check Checkout's ``razorpay_signature`` for an order and payment, or raise
        :class:`PaymentSignatureInvalid`."""
        if not _HEX_SHA256.fullmatch(signature):
            raise PaymentSignatureInvalid("razorpay_signature is not a hex HMAC-SHA256")
        try:
            self._client.utility.verify_payment_signature(
                {
                    "razorpay_order_id": order_id,
                    "razorpay_payment_id": payment_id,
                    "razorpay_signature": signature,
                }
            )
        except SignatureVerificationError as exc:
            raise PaymentSignatureInvalid(
                f"razorpay_signature does not match order {order_id} and payment {payment_id}"
            ) from exc

    # ------------------------------------------------------------ internals

    def _refundable_payment(self, provider_ref: str) -> dict[str, Any]:
        if provider_ref.startswith("pay_"):
            payment = self._call(lambda: self._client.payment.fetch(provider_ref))
            if payment.get("status") in ("captured", "refunded"):
                return payment
        else:
            listing = self._call(lambda: self._client.order.payments(provider_ref))
            items = listing.get("items")
            for item in items if isinstance(items, list) else []:
                if isinstance(item, dict) and item.get("status") in ("captured", "refunded"):
                    return item
        raise ProviderError(
            f"{provider_ref} has no captured payment to refund", code="payment_not_refundable"
        )

    @staticmethod
    def _call(request: Callable[[], Any]) -> dict[str, Any]:
        try:
            response = request()
        except BadRequestError as exc:
            raise ProviderError(
                f"Razorpay refused the request: {exc}", code="provider_invalid_request"
            ) from exc
        except (GatewayError, ServerError, OSError) as exc:  # requests' errors are OSErrors
            raise ProviderError(
                f"Razorpay is unavailable: {exc}", code="provider_unavailable"
            ) from exc
        except ValueError as exc:  # a response that is not JSON
            raise ProviderError(f"Razorpay answered garbage: {exc}") from exc
        if not isinstance(response, dict):
            raise ProviderError("Razorpay answered something other than a JSON object")
        return response


# ---------------------------------------------------------------- mapping (pure)


def _payment_result(order_id: str, payment: Mapping[str, Any]) -> ProviderResult:
    status = payment.get("status")
    if status in ("captured", "refunded"):
        return ProviderResult(order_id, "succeeded")
    if status == "failed":
        return ProviderResult(
            order_id,
            "failed",
            failure_code=_failure_code(payment),
            failure_message=_str_or_none(payment.get("error_description")),
        )
    return ProviderResult(order_id, "processing")  # created, authorized


def _failure_code(entity: Mapping[str, Any]) -> str:
    reason = _str_or_none(entity.get("error_reason"))
    if reason:
        return _FAILURE_CODES.get(reason, reason)
    code = _str_or_none(entity.get("error_code"))
    return code.lower() if code else "payment_failed"


def normalise_event(raw: Any, *, event_id: str) -> WebhookEvent:
    """The port's event for a decoded Razorpay webhook body (signature already checked)."""
    if not isinstance(raw, dict):
        raise WebhookPayloadInvalid("Razorpay event is not a JSON object")
    raw_type, created = raw.get("event"), raw.get("created_at")
    if not isinstance(raw_type, str) or not isinstance(created, int):
        raise WebhookPayloadInvalid("Razorpay event lacks event or created_at")
    event_type = _EVENT_TYPES.get(raw_type)
    if event_type is None:
        return WebhookEvent.unknown(event_id, raw_type, created, raw)
    payload = raw.get("payload")
    payment = _entity(payload, "payment")
    refund_ref: str | None = None
    failure: str | None = None
    if event_type == "refund.succeeded":
        refund = _entity(payload, "refund")
        if refund is None:
            raise WebhookPayloadInvalid("Razorpay refund event lacks payload.refund.entity")
        source = refund
        provider_ref = (payment or {}).get("order_id") or refund.get("payment_id")
        refund_ref = _str_or_none(refund.get("id"))
    else:
        if payment is None:
            raise WebhookPayloadInvalid("Razorpay payment event lacks payload.payment.entity")
        source = payment
        provider_ref = payment.get("order_id") or payment.get("id")
        if event_type == "payment.failed":
            failure = _failure_code(payment)
    amount, currency = source.get("amount"), source.get("currency")
    if not isinstance(provider_ref, str) or not isinstance(amount, int):
        raise WebhookPayloadInvalid(f"Razorpay {raw_type} event lacks the entity's id or amount")
    return WebhookEvent(
        event_id=event_id,
        type=event_type,
        raw_type=raw_type,
        provider_ref=provider_ref,
        amount_minor=amount,
        currency=currency.upper() if isinstance(currency, str) else None,
        created=created,
        raw=raw,
        provider_refund_ref=refund_ref,
        failure_code=failure,
    )


def _entity(payload: object, name: str) -> dict[str, Any] | None:
    wrapper = payload.get(name) if isinstance(payload, dict) else None
    entity = wrapper.get("entity") if isinstance(wrapper, dict) else None
    return entity if isinstance(entity, dict) else None


def _require_str(obj: Mapping[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise ProviderError(f"Razorpay response lacks {key}")
    return value


def _require_int(obj: Mapping[str, Any], key: str) -> int:
    value = obj.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ProviderError(f"Razorpay response lacks {key}")
    return value


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None

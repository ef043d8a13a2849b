"""Stripe, through the official ``stripe`` SDK (a :class:`stripe.StripeClient` per provider, so
two providers with different keys never share the SDK's global ``stripe.api_key``).

Calls
-----
* ``create_intent`` -> ``PaymentIntent.create`` (amount in minor units, lower-case currency,
  ``metadata`` plus ``navio_reference``) with the caller's key as Stripe's ``Idempotency-Key``.
  Without a ``return_url`` the intent is limited to payment methods that never redirect
  (``automatic_payment_methods.allow_redirects = "never"``), because Stripe refuses a
  server-side confirmation of a redirecting method without one; 3-D Secure for cards still works.
* ``confirm`` -> ``PaymentIntent.confirm`` with the payment method id (``pm_...``, or a test
  token such as ``pm_card_visa``). A decline arrives as ``stripe.CardError`` and becomes a
  ``failed`` result: ``failure_code`` is the issuer's ``decline_code`` when it says more than
  ``generic_decline`` (``insufficient_funds``, ...), else Stripe's ``code`` (``card_declined``);
  ``payment_intent_authentication_failure`` becomes ``authentication_required``.
* ``refund`` -> ``Refund.create(payment_intent=..., amount=...)``, keyed likewise.

Status mapping (PaymentIntent -> port): ``requires_payment_method`` is ``requires_confirmation``
on a fresh intent and ``failed`` once a payment attempt left a ``last_payment_error``;
``requires_confirmation`` / ``requires_action`` / ``processing`` / ``succeeded`` keep their
names; ``requires_capture`` (authorised, not captured) is ``processing``; ``canceled`` is
``failed``. ``next_action.redirect_to_url`` becomes ``{"type": "redirect_to_url", "url": ...}``;
other actions keep only their type (e.g. ``{"type": "use_stripe_sdk"}``).

Webhooks
--------
Stripe signs each delivery with the header ``Stripe-Signature: t=<unix>,v1=<hex>[,v1=...]``
where each ``v1`` is HMAC-SHA256 under the endpoint secret (``whsec_...``) of
``f"{t}.{raw body}"``; several ``v1`` entries appear while a secret is being rolled.
``stripe.Webhook.construct_event`` checks the signature (its ``SignatureVerificationError``
becomes :class:`WebhookSignatureInvalid`); the timestamp is then checked here, against the
injectable ``now``, to within ``tolerance`` seconds in either direction (the SDK would only
check the past, against the wall clock, so its own check is switched off with
``tolerance=0``). Event types: ``payment_intent.succeeded`` -> ``payment.succeeded``,
``payment_intent.payment_failed`` -> ``payment.failed``, ``charge.refunded`` ->
``refund.succeeded`` (``provider_ref`` is the charge's PaymentIntent; ``amount_minor`` is the
charge's cumulative ``amount_refunded``, since the event is about the charge); anything else is
``unknown`` with the type kept in ``raw_type``.

Stripe's documented test cards (4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 declines,
4000 0000 0000 9995 has insufficient funds, 4000 0025 0000 3155 needs 3-D Secure) apply in test
mode through the matching test payment methods (``pm_card_visa``,
``pm_card_visa_chargeDeclined``, ``pm_card_visa_chargeDeclinedInsufficientFunds``,
``pm_card_authenticationRequiredOnSetup``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

import stripe
from stripe.params import PaymentIntentConfirmParams, PaymentIntentCreateParams

from navio.kernel.clock import Clock
from navio.payments.providers.base import (
    DEFAULT_WEBHOOK_TOLERANCE,
    EventType,
    IntentStatus,
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
    parse_timestamped_signature,
    validate_amount,
    validate_idempotency_key,
    validate_metadata,
)

__all__ = ["SIGNATURE_HEADER", "StripeProvider", "failure_code_for"]

SIGNATURE_HEADER: Final = "Stripe-Signature"

_EVENT_TYPES: Final[Mapping[str, EventType]] = {
    "payment_intent.succeeded": "payment.succeeded",
    "payment_intent.payment_failed": "payment.failed",
    "charge.refunded": "refund.succeeded",
}
_INTENT_STATUSES: Final[Mapping[str, IntentStatus]] = {
    "requires_confirmation": "requires_confirmation",
    "requires_action": "requires_action",
    "processing": "processing",
    "requires_capture": "processing",  # authorised, not yet captured
    "succeeded": "succeeded",
    "canceled": "failed",
}
_REFUND_STATUSES: Final[Mapping[str, RefundStatus]] = {
    "succeeded": "succeeded",
    "pending": "pending",
    "requires_action": "pending",
    "failed": "failed",
    "canceled": "failed",
}


class StripeProvider:
    """Stripe PaymentIntents and Refunds; webhooks verified offline with the endpoint secret."""

    name = "stripe"

    def __init__(
        self,
        api_key: str,
        webhook_secret: str,
        *,
        tolerance: int = DEFAULT_WEBHOOK_TOLERANCE,
        return_url: str | None = None,
        clock: Clock | None = None,
        http_client: stripe.HTTPClient | None = None,
    ) -> None:
        if not api_key or not webhook_secret:
            raise ValueError("the Stripe provider needs an API key and a webhook secret")
        if tolerance < 0:
            raise ValueError("tolerance must not be negative")
        self._api_key = api_key
        self._webhook_secret = webhook_secret
        self._tolerance = tolerance
        self._return_url = return_url
        self._clock = clock or Clock()
        self._client = stripe.StripeClient(api_key, http_client=http_client)

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
        meta = {**validate_metadata(metadata), "navio_reference": reference}
        params: PaymentIntentCreateParams = {
            "amount": amount,
            "currency": code.lower(),
            "metadata": meta,
        }
        if self._return_url is None:
            params["automatic_payment_methods"] = {"enabled": True, "allow_redirects": "never"}
        try:
            intent = self._client.v1.payment_intents.create(
                params=params, options={"idempotency_key": key}
            )
        except stripe.StripeError as exc:
            raise provider_error(exc) from exc
        return ProviderIntent(
            provider_ref=intent.id,
            status=_intent_status(intent),
            amount_minor=intent.amount,
            currency=intent.currency.upper(),
            client_secret=_text(intent, "client_secret"),
            next_action=_next_action(intent),
        )

    def confirm(
        self, *, provider_ref: str, payment_method: str, idempotency_key: str
    ) -> ProviderResult:
        key = validate_idempotency_key(idempotency_key)
        params: PaymentIntentConfirmParams = {"payment_method": payment_method}
        if self._return_url is not None:
            params["return_url"] = self._return_url
        try:
            intent = self._client.v1.payment_intents.confirm(
                provider_ref, params=params, options={"idempotency_key": key}
            )
        except stripe.CardError as exc:
            return ProviderResult(
                provider_ref=provider_ref,
                status="failed",
                failure_code=failure_code_for(exc.code, _text(exc.error, "decline_code")),
                failure_message=exc.user_message,
            )
        except stripe.StripeError as exc:
            raise provider_error(exc) from exc
        return _result(intent)

    def refund(
        self, *, provider_ref: str, amount_minor: int, idempotency_key: str
    ) -> ProviderRefund:
        amount = validate_amount(amount_minor)
        key = validate_idempotency_key(idempotency_key)
        try:
            refund = self._client.v1.refunds.create(
                params={"payment_intent": provider_ref, "amount": amount},
                options={"idempotency_key": key},
            )
        except stripe.StripeError as exc:
            raise provider_error(exc) from exc
        return ProviderRefund(
            provider_refund_ref=refund.id,
            provider_ref=provider_ref,
            status=_REFUND_STATUSES.get(_text(refund, "status") or "pending", "pending"),
            amount_minor=refund.amount,
            failure_code=_text(refund, "failure_reason"),
        )

    def verify_webhook(
        self, payload: bytes, headers: Mapping[str, str], *, now: int | None = None
    ) -> WebhookEvent:
        header = header_value(headers, SIGNATURE_HEADER)
        if not header:
            raise WebhookSignatureInvalid(
                f"missing {SIGNATURE_HEADER} header", code="webhook_signature_missing"
            )
        timestamp, _ = parse_timestamped_signature(header)
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WebhookSignatureInvalid("webhook body is not UTF-8") from exc
        try:
            # tolerance=0 switches the SDK's wall-clock check off; ours follows, with `now`.
            stripe.Webhook.construct_event(
                text, header, self._webhook_secret, tolerance=0, api_key=self._api_key
            )
        except stripe.SignatureVerificationError as exc:
            raise WebhookSignatureInvalid(f"Stripe signature rejected: {exc}") from exc
        except ValueError as exc:  # json.JSONDecodeError, or a payload the SDK cannot read
            raise WebhookPayloadInvalid(f"webhook body is not a Stripe event: {exc}") from exc
        current = int(self._clock.now().timestamp()) if now is None else now
        check_timestamp(timestamp, now=current, tolerance=self._tolerance)
        return normalise_event(json.loads(text))


# ---------------------------------------------------------------- mapping (pure)


def failure_code_for(code: str | None, decline_code: str | None) -> str:
    """The port's failure code for a Stripe error ``code`` and issuer ``decline_code``."""
    if code == "payment_intent_authentication_failure":
        return "authentication_required"
    if decline_code and decline_code != "generic_decline":
        return decline_code
    return code or "card_declined"


def provider_error(exc: stripe.StripeError) -> ProviderError:
    """A :class:`ProviderError` for any SDK failure other than a card decline."""
    code = "provider_error"
    if isinstance(exc, stripe.IdempotencyError):
        code = "idempotency_key_reused"
    elif isinstance(exc, stripe.AuthenticationError | stripe.PermissionError):
        code = "provider_authentication_failed"
    elif isinstance(exc, stripe.RateLimitError):
        code = "provider_rate_limited"
    elif isinstance(exc, stripe.APIConnectionError):
        code = "provider_unavailable"
    elif isinstance(exc, stripe.InvalidRequestError):
        code = (
            "refund_exceeds_payment"
            if exc.code == "charge_already_refunded"
            else "provider_invalid_request"
        )
    return ProviderError(
        f"Stripe: {exc.user_message or type(exc).__name__}", code=code, provider_code=exc.code
    )


def _intent_status(intent: stripe.PaymentIntent) -> IntentStatus:
    if intent.status == "requires_payment_method":
        return "failed" if _field(intent, "last_payment_error") else "requires_confirmation"
    # a status Stripe adds later is treated as still in flight
    return _INTENT_STATUSES.get(intent.status, "processing")


def _result(intent: stripe.PaymentIntent) -> ProviderResult:
    status = intent.status
    ref = intent.id
    if status == "succeeded":
        return ProviderResult(ref, "succeeded")
    if status == "requires_action":
        return ProviderResult(ref, "requires_action", next_action=_next_action(intent))
    if status == "requires_confirmation":
        return ProviderResult(ref, "requires_action", next_action={"type": "requires_confirmation"})
    if status in ("requires_payment_method", "canceled"):
        error = _field(intent, "last_payment_error")
        if error is None:
            return ProviderResult(ref, "failed", failure_code=status, failure_message=None)
        return ProviderResult(
            ref,
            "failed",
            failure_code=failure_code_for(_text(error, "code"), _text(error, "decline_code")),
            failure_message=_text(error, "message"),
        )
    return ProviderResult(ref, "processing")


def _next_action(intent: stripe.PaymentIntent) -> dict[str, str] | None:
    action = _field(intent, "next_action")
    if action is None:
        return None
    kind = _text(action, "type") or "unknown"
    url = _text(_field(action, "redirect_to_url"), "url")
    if kind == "redirect_to_url" and url:
        return {"type": "redirect_to_url", "url": url}
    return {"type": kind}


def _field(obj: object, name: str) -> Any:
    """A field of a Stripe object, None when the response left it out (StripeObject raises
    AttributeError for an absent key, and error objects may be None altogether)."""
    return getattr(obj, name, None)


def _text(obj: object, name: str) -> str | None:
    value = _field(obj, name)
    return value if isinstance(value, str) else None


def normalise_event(raw: Any) -> WebhookEvent:
    """The port's event for a decoded Stripe event object (signature already checked)."""
    if not isinstance(raw, dict):
        raise WebhookPayloadInvalid("Stripe event is not a JSON object")
    event_id, raw_type, created = raw.get("id"), raw.get("type"), raw.get("created")
    data = raw.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if (
        not isinstance(event_id, str)
        or not isinstance(raw_type, str)
        or not isinstance(created, int)
        or not isinstance(obj, dict)
    ):
        raise WebhookPayloadInvalid("Stripe event lacks id, type, created or data.object")
    event_type = _EVENT_TYPES.get(raw_type)
    if event_type is None:
        return WebhookEvent.unknown(event_id, raw_type, created, raw)
    currency = obj.get("currency")
    refund_ref: str | None = None
    failure: str | None = None
    if event_type == "refund.succeeded":
        provider_ref = obj.get("payment_intent") or obj.get("id")
        amount = obj.get("amount_refunded")
        refunds = obj.get("refunds")
        listed = refunds.get("data") if isinstance(refunds, dict) else None
        if isinstance(listed, list) and listed and isinstance(listed[0], dict):
            refund_ref = _str_or_none(listed[0].get("id"))  # newest first
    else:
        provider_ref = obj.get("id")
        amount = obj.get("amount")
        if event_type == "payment.succeeded" and _positive_int(obj.get("amount_received")):
            amount = obj["amount_received"]
        error = obj.get("last_payment_error")
        if event_type == "payment.failed" and isinstance(error, dict):
            failure = failure_code_for(
                _str_or_none(error.get("code")), _str_or_none(error.get("decline_code"))
            )
    if not isinstance(provider_ref, str) or not isinstance(amount, int):
        raise WebhookPayloadInvalid(f"Stripe {raw_type} event lacks the object's id or amount")
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


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0

"""The built-in sandbox gateway: deterministic, in memory, no network. The default provider.

Test cards
----------
``confirm(payment_method=...)`` takes a card number (spaces and dashes are ignored). The numbers
and outcomes follow Stripe's documented test cards (docs.stripe.com/testing), except the
asynchronous one, which is Navio's own convention:

==================  =====================================================================
4242424242424242    succeeds at once
4000000000000002    declined: ``failed`` / ``card_declined``
4000000000009995    declined: ``failed`` / ``insufficient_funds``
4000002500003155    3-D Secure: ``requires_action`` with ``next_action =
                    {"type": "redirect_to_url", "url": ...}``; :meth:`complete_action`
                    then plays the customer (``success=False`` fails it with
                    ``authentication_required``)
4000000000000077    asynchronous completion (Navio convention; at Stripe this card
                    settles straight to the available balance): ``confirm`` answers
                    ``processing``, the sandbox settles the payment right after answering,
                    and the outcome reaches the merchant only as a signed
                    ``payment.succeeded`` webhook
any other number    ``failed`` / ``incorrect_number``
==================  =====================================================================

A failed intent may be confirmed again (with a new idempotency key), as a Stripe PaymentIntent
returns to ``requires_payment_method`` after a decline.

Idempotency
-----------
Every operation is keyed by the caller's idempotency key. Refs are derived from it (intent
``"sbx_pi_" + sha256(key)[:24]``, refund ``"sbx_re_" + ...``), and the first response is stored:
repeating a request with the same key and the same parameters returns that response again
without doing anything, as Stripe replays a stored response; the same key with different
parameters (or for another operation) is refused with ``idempotency_key_reused``.

Webhooks
--------
Each terminal outcome (payment succeeded or failed, refund succeeded) queues one event, a
compact JSON object ``{"id", "object": "event", "type", "created", "data": {...}}`` whose
``data`` carries ``provider_ref``, ``amount_minor``, ``currency``, ``reference``, ``metadata``
and, as the case may be, ``failure_code``, ``failure_message`` and ``provider_refund_ref``.
Deliveries are signed when they are handed out (as Stripe signs each delivery attempt) with
Stripe's scheme under the sandbox secret, in the header ``Navio-Sandbox-Signature:
t=<unix>,v1=<hex HMAC-SHA256 of f"{t}.{payload}">``. :meth:`pending_webhooks` drains the queue,
:meth:`webhook_for` re-delivers the latest event of an intent, and :meth:`verify_webhook` checks
them like any other provider's (timestamp within ``tolerance`` seconds of now, either way).

Time comes from a :class:`~navio.kernel.clock.Clock`, so tests can freeze and move it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from navio.kernel.clock import Clock
from navio.payments.providers.base import (
    DEFAULT_WEBHOOK_TOLERANCE,
    EventType,
    IntentStatus,
    ProviderError,
    ProviderIntent,
    ProviderRefund,
    ProviderResult,
    WebhookEvent,
    WebhookPayloadInvalid,
    WebhookSignatureInvalid,
    check_timestamp,
    header_value,
    normalise_currency,
    parse_timestamped_signature,
    sign_timestamped,
    timestamped_signature_matches,
    validate_amount,
    validate_idempotency_key,
    validate_metadata,
)

__all__ = [
    "CARD_3DS_REQUIRED",
    "CARD_ASYNC",
    "CARD_DECLINED",
    "CARD_INSUFFICIENT_FUNDS",
    "CARD_SUCCESS",
    "SIGNATURE_HEADER",
    "SandboxProvider",
]

CARD_SUCCESS: Final = "4242424242424242"
CARD_DECLINED: Final = "4000000000000002"
CARD_INSUFFICIENT_FUNDS: Final = "4000000000009995"
CARD_3DS_REQUIRED: Final = "4000002500003155"
CARD_ASYNC: Final = "4000000000000077"

SIGNATURE_HEADER: Final = "Navio-Sandbox-Signature"
# ".invalid" is reserved (RFC 2606): the URL can never reach a real host.
ACTION_URL: Final = "https://sandbox.navio.invalid/3ds/authenticate/"

_DECLINES: Final[Mapping[str, tuple[str, str]]] = {
    CARD_DECLINED: ("card_declined", "Your card was declined."),
    CARD_INSUFFICIENT_FUNDS: ("insufficient_funds", "Your card has insufficient funds."),
}
# The sandbox already names its events with the normalised names.
_EVENT_TYPES: Final[Mapping[str, EventType]] = {
    "payment.succeeded": "payment.succeeded",
    "payment.failed": "payment.failed",
    "refund.succeeded": "refund.succeeded",
}

_T = TypeVar("_T")


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(slots=True)
class _Intent:
    provider_ref: str
    amount_minor: int
    currency: str
    reference: str
    metadata: dict[str, str]
    client_secret: str
    status: IntentStatus = "requires_confirmation"
    refunded_minor: int = 0
    next_action: dict[str, str] | None = None


@dataclass(frozen=True, slots=True)
class _Event:
    provider_ref: str
    type: str
    payload: bytes


@dataclass(slots=True)
class _State:
    intents: dict[str, _Intent] = field(default_factory=dict)
    # idempotency key -> (request fingerprint, stored response)
    responses: dict[str, tuple[str, object]] = field(default_factory=dict)
    events: list[_Event] = field(default_factory=list)
    outbox: list[_Event] = field(default_factory=list)


class SandboxProvider:
    """A deterministic stand-in for a card gateway; state lives in this instance only."""

    name = "sandbox"

    def __init__(
        self,
        secret: str,
        *,
        clock: Clock | None = None,
        tolerance: int = DEFAULT_WEBHOOK_TOLERANCE,
    ) -> None:
        if not secret:
            raise ValueError("the sandbox provider needs a non-empty webhook signing secret")
        if tolerance < 0:
            raise ValueError("tolerance must not be negative")
        self._secret = secret
        self._clock = clock or Clock()
        self._tolerance = tolerance
        self._state = _State()

    # ------------------------------------------------------------ the port

    def adopt(
        self,
        provider_ref: str,
        *,
        amount_minor: int,
        currency: str,
        reference: str,
        status: IntentStatus,
        refunded_minor: int = 0,
    ) -> None:
        """Know an intent another process of the same deployment created: its state lives in
        the payments table, and any API process may be asked to confirm or refund it."""
        if provider_ref in self._state.intents:
            return
        secret = hmac.new(self._secret.encode(), provider_ref.encode(), hashlib.sha256).hexdigest()
        self._state.intents[provider_ref] = _Intent(
            provider_ref=provider_ref,
            amount_minor=validate_amount(amount_minor),
            currency=normalise_currency(currency),
            reference=reference,
            metadata={},
            client_secret=f"{provider_ref}_secret_{secret[:24]}",
            status=status,
            refunded_minor=refunded_minor,
        )

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
        meta = validate_metadata(metadata)
        fingerprint = _fingerprint("create_intent", amount, code, reference, sorted(meta.items()))
        replay = self._replay(key, fingerprint, ProviderIntent)
        if replay is not None:
            return replay

        ref = "sbx_pi_" + _digest(key)[:24]
        secret = hmac.new(self._secret.encode(), ref.encode(), hashlib.sha256).hexdigest()
        intent = _Intent(
            provider_ref=ref,
            amount_minor=amount,
            currency=code,
            reference=reference,
            metadata=meta,
            client_secret=f"{ref}_secret_{secret[:24]}",
        )
        self._state.intents[ref] = intent
        return self._remember(key, fingerprint, _snapshot(intent))

    def confirm(
        self, *, provider_ref: str, payment_method: str, idempotency_key: str
    ) -> ProviderResult:
        key = validate_idempotency_key(idempotency_key)
        card = "".join(ch for ch in payment_method if ch not in " -")
        fingerprint = _fingerprint("confirm", provider_ref, card)
        replay = self._replay(key, fingerprint, ProviderResult)
        if replay is not None:
            return replay

        intent = self._intent(provider_ref)
        if intent.status not in ("requires_confirmation", "failed"):
            raise ProviderError(
                f"intent {provider_ref} is {intent.status}; only a new or failed intent "
                "can be confirmed",
                code="intent_unexpected_state",
            )
        result: ProviderResult
        if card == CARD_SUCCESS:
            result = self._succeed(intent)
        elif card in _DECLINES:
            failure_code, message = _DECLINES[card]
            result = self._fail(intent, failure_code, message)
        elif card == CARD_3DS_REQUIRED:
            action = {"type": "redirect_to_url", "url": ACTION_URL + intent.provider_ref}
            intent.status = "requires_action"
            intent.next_action = action
            result = ProviderResult(intent.provider_ref, "requires_action", next_action=action)
        elif card == CARD_ASYNC:
            # Answer "processing", then settle "in the background" at once: the merchant
            # learns the outcome from the payment.succeeded webhook queued by _succeed.
            self._succeed(intent)
            result = ProviderResult(intent.provider_ref, "processing")
        else:
            result = self._fail(intent, "incorrect_number", "Unknown sandbox test card number.")
        return self._remember(key, fingerprint, result)

    def refund(
        self, *, provider_ref: str, amount_minor: int, idempotency_key: str
    ) -> ProviderRefund:
        amount = validate_amount(amount_minor)
        key = validate_idempotency_key(idempotency_key)
        fingerprint = _fingerprint("refund", provider_ref, amount)
        replay = self._replay(key, fingerprint, ProviderRefund)
        if replay is not None:
            return replay

        intent = self._intent(provider_ref)
        if intent.status != "succeeded":
            raise ProviderError(
                f"intent {provider_ref} is {intent.status}; only a succeeded payment can be "
                "refunded",
                code="payment_not_refundable",
            )
        remaining = intent.amount_minor - intent.refunded_minor
        if amount > remaining:
            raise ProviderError(
                f"refund of {amount} exceeds the {remaining} {intent.currency} minor units "
                f"left on {provider_ref}",
                code="refund_exceeds_payment",
            )
        intent.refunded_minor += amount
        refund = ProviderRefund(
            provider_refund_ref="sbx_re_" + _digest(key)[:24],
            provider_ref=intent.provider_ref,
            status="succeeded",
            amount_minor=amount,
        )
        self._emit(
            intent,
            "refund.succeeded",
            amount_minor=amount,
            provider_refund_ref=refund.provider_refund_ref,
        )
        return self._remember(key, fingerprint, refund)

    def verify_webhook(
        self, payload: bytes, headers: Mapping[str, str], *, now: int | None = None
    ) -> WebhookEvent:
        header = header_value(headers, SIGNATURE_HEADER)
        if not header:
            raise WebhookSignatureInvalid(
                f"missing {SIGNATURE_HEADER} header", code="webhook_signature_missing"
            )
        timestamp, signatures = parse_timestamped_signature(header)
        if not timestamped_signature_matches(payload, self._secret, timestamp, signatures):
            raise WebhookSignatureInvalid("no signature matches the payload")
        check_timestamp(
            timestamp, now=self._now() if now is None else now, tolerance=self._tolerance
        )
        return _parse_event(payload)

    # ------------------------------------------------------------ sandbox controls

    def complete_action(self, provider_ref: str, success: bool) -> ProviderResult:
        """Play the customer on the 3-D Secure page: authenticate, or fail to."""
        intent = self._intent(provider_ref)
        if intent.status != "requires_action":
            raise ProviderError(
                f"intent {provider_ref} is {intent.status}, not requires_action",
                code="intent_unexpected_state",
            )
        intent.next_action = None
        if success:
            return self._succeed(intent)
        return self._fail(
            intent, "authentication_required", "The customer did not complete 3-D Secure."
        )

    def retrieve(self, provider_ref: str) -> ProviderIntent:
        """The intent as the sandbox sees it now."""
        return _snapshot(self._intent(provider_ref))

    def pending_webhooks(self) -> list[tuple[bytes, dict[str, str]]]:
        """Every event not yet handed out, oldest first, signed now; the queue is emptied."""
        events, self._state.outbox = self._state.outbox, []
        return [self._deliver(event) for event in events]

    def webhook_for(
        self, provider_ref: str, event_type: str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """The latest event of an intent (of ``event_type``, if given), signed now."""
        for event in reversed(self._state.events):
            if event.provider_ref == provider_ref and event_type in (None, event.type):
                return self._deliver(event)
        raise ProviderError(
            f"no webhook event for {provider_ref}"
            + (f" of type {event_type}" if event_type else ""),
            code="no_webhook",
        )

    def sign(self, payload: bytes, *, timestamp: int | None = None) -> dict[str, str]:
        """Headers signing ``payload`` as the sandbox does (for hand-made test events)."""
        t = self._now() if timestamp is None else timestamp
        return {SIGNATURE_HEADER: f"t={t},v1={sign_timestamped(payload, self._secret, t)}"}

    # ------------------------------------------------------------ internals

    def _now(self) -> int:
        return int(self._clock.now().timestamp())

    def _intent(self, provider_ref: str) -> _Intent:
        intent = self._state.intents.get(provider_ref)
        if intent is None:
            raise ProviderError(f"no sandbox intent {provider_ref}", code="intent_not_found")
        return intent

    def _replay(self, key: str, fingerprint: str, kind: type[_T]) -> _T | None:
        stored = self._state.responses.get(key)
        if stored is None:
            return None
        seen, response = stored
        if seen != fingerprint or not isinstance(response, kind):
            raise ProviderError(
                "this idempotency key was already used for a different request",
                code="idempotency_key_reused",
            )
        return response

    def _remember(self, key: str, fingerprint: str, response: _T) -> _T:
        self._state.responses[key] = (fingerprint, response)
        return response

    def _succeed(self, intent: _Intent) -> ProviderResult:
        intent.status = "succeeded"
        self._emit(intent, "payment.succeeded", amount_minor=intent.amount_minor)
        return ProviderResult(intent.provider_ref, "succeeded")

    def _fail(self, intent: _Intent, failure_code: str, message: str) -> ProviderResult:
        intent.status = "failed"
        self._emit(
            intent,
            "payment.failed",
            amount_minor=intent.amount_minor,
            failure_code=failure_code,
            failure_message=message,
        )
        return ProviderResult(
            intent.provider_ref, "failed", failure_code=failure_code, failure_message=message
        )

    def _emit(self, intent: _Intent, event_type: str, **data: str | int) -> None:
        sequence = len(self._state.events)
        body: dict[str, Any] = {
            "id": "evt_sbx_" + _digest(f"{intent.provider_ref}|{event_type}|{sequence}")[:24],
            "object": "event",
            "type": event_type,
            "created": self._now(),
            "data": {
                "provider_ref": intent.provider_ref,
                "currency": intent.currency,
                "reference": intent.reference,
                "metadata": intent.metadata,
                **data,
            },
        }
        payload = json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")
        event = _Event(intent.provider_ref, event_type, payload)
        self._state.events.append(event)
        self._state.outbox.append(event)

    def _deliver(self, event: _Event) -> tuple[bytes, dict[str, str]]:
        headers = {"Content-Type": "application/json", **self.sign(event.payload)}
        return event.payload, headers


def _fingerprint(*parts: object) -> str:
    return json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)


def _snapshot(intent: _Intent) -> ProviderIntent:
    return ProviderIntent(
        provider_ref=intent.provider_ref,
        status=intent.status,
        amount_minor=intent.amount_minor,
        currency=intent.currency,
        client_secret=intent.client_secret,
        next_action=dict(intent.next_action) if intent.next_action else None,
    )


def _parse_event(payload: bytes) -> WebhookEvent:
    try:
        raw = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WebhookPayloadInvalid(f"webhook body is not JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise WebhookPayloadInvalid("webhook body is not a JSON object")
    event_id, raw_type, created, data = (
        raw.get("id"),
        raw.get("type"),
        raw.get("created"),
        raw.get("data"),
    )
    if (
        not isinstance(event_id, str)
        or not isinstance(raw_type, str)
        or not isinstance(created, int)
        or not isinstance(data, dict)
    ):
        raise WebhookPayloadInvalid("webhook body lacks id, type, created or data")
    event_type = _EVENT_TYPES.get(raw_type)
    if event_type is None:
        return WebhookEvent.unknown(event_id, raw_type, created, raw)
    provider_ref, amount, currency = (
        data.get("provider_ref"),
        data.get("amount_minor"),
        data.get("currency"),
    )
    if not isinstance(provider_ref, str) or not isinstance(amount, int):
        raise WebhookPayloadInvalid("webhook data lacks provider_ref or amount_minor")
    return WebhookEvent(
        event_id=event_id,
        type=event_type,
        raw_type=raw_type,
        provider_ref=provider_ref,
        amount_minor=amount,
        currency=currency.upper() if isinstance(currency, str) else None,
        created=created,
        raw=raw,
        provider_refund_ref=_optional_str(data.get("provider_refund_ref")),
        failure_code=_optional_str(data.get("failure_code")),
    )


def _optional_str(value: object) -> str | None:
    return value if isinstance(value, str) else None

"""Payment provider adapters: the sandbox's whole behaviour, Stripe's and Razorpay's webhook and
checkout signatures (computed here independently, as each provider documents them), the
normalised event mapping, the adapters' SDK calls against fake transports, and the registry.

Nothing here touches the network: Stripe's SDK gets a fake HTTP client, Razorpay's a fake
session.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import pytest

from navio.kernel.clock import FrozenClock
from navio.payments.providers import (
    PaymentProvider,
    PaymentSignatureInvalid,
    ProviderError,
    SandboxProvider,
    WebhookPayloadInvalid,
    WebhookSignatureInvalid,
    WebhookTimestampOutOfTolerance,
    build_provider,
)
from navio.payments.providers.sandbox import (
    CARD_3DS_REQUIRED,
    CARD_ASYNC,
    CARD_DECLINED,
    CARD_INSUFFICIENT_FUNDS,
    CARD_SUCCESS,
)

stripe = pytest.importorskip("stripe", reason="the stripe SDK is not installed")
pytest.importorskip("razorpay", reason="the razorpay SDK is not installed")

from navio.payments.providers.razorpay_provider import RazorpayProvider  # noqa: E402
from navio.payments.providers.stripe_provider import (  # noqa: E402
    StripeProvider,
    failure_code_for,
)

START = datetime(2026, 1, 1, tzinfo=UTC)
T0 = int(START.timestamp())
SANDBOX_SECRET = "sbx_test_secret_0123456789"
STRIPE_WHSEC = "whsec_test_5f1d7a0c2b9e4f3a8d6c1b0e9f7a2d4c"
RZP_KEY_ID = "rzp_test_1DP5mmOlF5G5ag"
RZP_KEY_SECRET = "thisissupersecret"
RZP_WEBHOOK_SECRET = "rzp_webhook_secret_abc123"


# ---------------------------------------------------------------- independent signers


def stripe_style_signature(payload: bytes, secret: str, t: int) -> str:
    """hex(HMAC-SHA256(secret, f"{t}.{payload}")), exactly as Stripe documents it."""
    return hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()


def stripe_headers(payload: bytes, secret: str, t: int) -> dict[str, str]:
    return {"Stripe-Signature": f"t={t},v1={stripe_style_signature(payload, secret, t)}"}


def razorpay_signature(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def sandbox(clock: FrozenClock) -> SandboxProvider:
    return SandboxProvider(SANDBOX_SECRET, clock=clock)


def new_intent(
    sandbox: SandboxProvider, key: str = "intent-1", amount: int = 1_000, currency: str = "eur"
) -> str:
    intent = sandbox.create_intent(
        amount_minor=amount,
        currency=currency,
        reference="booking-42",
        idempotency_key=key,
        metadata={"trip": "t-1"},
    )
    return intent.provider_ref


def paid_intent(sandbox: SandboxProvider, amount: int = 1_000) -> str:
    ref = new_intent(sandbox, amount=amount)
    result = sandbox.confirm(provider_ref=ref, payment_method=CARD_SUCCESS, idempotency_key="c-1")
    assert result.status == "succeeded"
    return ref


# ================================================================ sandbox: intents


def test_create_intent_derives_everything_from_the_idempotency_key(
    sandbox: SandboxProvider,
) -> None:
    intent = sandbox.create_intent(
        amount_minor=12_345,
        currency="eur",
        reference="booking-42",
        idempotency_key="intent-1",
        metadata={"trip": "t-1"},
    )
    assert intent.provider_ref == "sbx_pi_" + sha("intent-1")[:24]
    assert intent.status == "requires_confirmation"
    assert intent.amount_minor == 12_345
    assert intent.currency == "EUR"
    assert intent.client_secret is not None
    assert intent.client_secret.startswith(intent.provider_ref + "_secret_")
    assert intent.next_action is None
    assert sandbox.retrieve(intent.provider_ref) == intent


def test_create_intent_retry_with_same_key_returns_the_same_intent(
    sandbox: SandboxProvider,
) -> None:
    kwargs: dict[str, Any] = {
        "amount_minor": 500,
        "currency": "USD",
        "reference": "r",
        "idempotency_key": "k",
        "metadata": {"a": "1"},
    }
    first = sandbox.create_intent(**kwargs)
    assert sandbox.create_intent(**kwargs) == first
    other = sandbox.create_intent(**{**kwargs, "idempotency_key": "k2"})
    assert other.provider_ref != first.provider_ref


@pytest.mark.parametrize(
    "change",
    [{"amount_minor": 501}, {"currency": "GBP"}, {"reference": "r2"}, {"metadata": {"a": "2"}}],
)
def test_reusing_a_key_with_different_parameters_is_refused(
    sandbox: SandboxProvider, change: dict[str, Any]
) -> None:
    kwargs: dict[str, Any] = {
        "amount_minor": 500,
        "currency": "USD",
        "reference": "r",
        "idempotency_key": "k",
        "metadata": {"a": "1"},
    }
    sandbox.create_intent(**kwargs)
    with pytest.raises(ProviderError) as info:
        sandbox.create_intent(**{**kwargs, **change})
    assert info.value.code == "idempotency_key_reused"


def test_a_key_used_for_one_operation_cannot_be_reused_for_another(
    sandbox: SandboxProvider,
) -> None:
    ref = new_intent(sandbox, key="shared")
    with pytest.raises(ProviderError) as info:
        sandbox.confirm(provider_ref=ref, payment_method=CARD_SUCCESS, idempotency_key="shared")
    assert info.value.code == "idempotency_key_reused"


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("amount_minor", 0, "invalid_amount"),
        ("amount_minor", -100, "invalid_amount"),
        ("amount_minor", True, "invalid_amount"),
        ("amount_minor", 10.5, "invalid_amount"),
        ("currency", "EURO", "invalid_currency"),
        ("currency", "€UR", "invalid_currency"),
        ("currency", "", "invalid_currency"),
        ("idempotency_key", "", "invalid_idempotency_key"),
        ("idempotency_key", "   ", "invalid_idempotency_key"),
        ("idempotency_key", "k" * 256, "invalid_idempotency_key"),
        ("idempotency_key", "clé", "invalid_idempotency_key"),
        ("metadata", {"n": 1}, "invalid_metadata"),
    ],
)
def test_invalid_input_is_refused_with_a_stable_code(
    sandbox: SandboxProvider, field: str, value: object, code: str
) -> None:
    kwargs: dict[str, Any] = {
        "amount_minor": 100,
        "currency": "EUR",
        "reference": "r",
        "idempotency_key": "k",
        "metadata": {},
        field: value,
    }
    with pytest.raises(ProviderError) as info:
        sandbox.create_intent(**kwargs)
    assert info.value.code == code


def test_sandbox_needs_a_secret() -> None:
    with pytest.raises(ValueError, match="secret"):
        SandboxProvider("")


# ================================================================ sandbox: test cards


@pytest.mark.parametrize(
    ("card", "status", "failure_code"),
    [
        (CARD_SUCCESS, "succeeded", None),
        ("4242 4242 4242 4242", "succeeded", None),
        (CARD_DECLINED, "failed", "card_declined"),
        (CARD_INSUFFICIENT_FUNDS, "failed", "insufficient_funds"),
        ("4111111111111111", "failed", "incorrect_number"),
    ],
)
def test_test_cards_settle_synchronously(
    sandbox: SandboxProvider, card: str, status: str, failure_code: str | None
) -> None:
    ref = new_intent(sandbox)
    result = sandbox.confirm(provider_ref=ref, payment_method=card, idempotency_key="c-1")
    assert result.provider_ref == ref
    assert result.status == status
    assert result.failure_code == failure_code
    assert (result.failure_message is not None) == (status == "failed")
    assert result.next_action is None
    assert sandbox.retrieve(ref).status == status

    ((payload, headers),) = sandbox.pending_webhooks()
    event = sandbox.verify_webhook(payload, headers)
    assert event.type == ("payment.succeeded" if status == "succeeded" else "payment.failed")
    assert event.provider_ref == ref
    assert event.amount_minor == 1_000
    assert event.currency == "EUR"
    assert event.failure_code == failure_code


def test_confirm_retry_with_same_key_replays_without_charging_again(
    sandbox: SandboxProvider,
) -> None:
    ref = new_intent(sandbox)
    first = sandbox.confirm(provider_ref=ref, payment_method=CARD_SUCCESS, idempotency_key="c-1")
    assert sandbox.confirm(
        provider_ref=ref, payment_method=CARD_SUCCESS, idempotency_key="c-1"
    ) == (first)
    assert len(sandbox.pending_webhooks()) == 1  # one payment, one event
    with pytest.raises(ProviderError) as info:
        sandbox.confirm(provider_ref=ref, payment_method=CARD_DECLINED, idempotency_key="c-1")
    assert info.value.code == "idempotency_key_reused"


def test_a_succeeded_intent_cannot_be_confirmed_again(sandbox: SandboxProvider) -> None:
    ref = paid_intent(sandbox)
    with pytest.raises(ProviderError) as info:
        sandbox.confirm(provider_ref=ref, payment_method=CARD_SUCCESS, idempotency_key="c-2")
    assert info.value.code == "intent_unexpected_state"


def test_a_declined_intent_can_be_retried_with_another_card(sandbox: SandboxProvider) -> None:
    ref = new_intent(sandbox)
    declined = sandbox.confirm(
        provider_ref=ref, payment_method=CARD_DECLINED, idempotency_key="c-1"
    )
    assert declined.status == "failed"
    ok = sandbox.confirm(provider_ref=ref, payment_method=CARD_SUCCESS, idempotency_key="c-2")
    assert ok.status == "succeeded"
    types = [sandbox.verify_webhook(p, h).type for p, h in sandbox.pending_webhooks()]
    assert types == ["payment.failed", "payment.succeeded"]


def test_confirming_an_unknown_intent_fails(sandbox: SandboxProvider) -> None:
    with pytest.raises(ProviderError) as info:
        sandbox.confirm(
            provider_ref="sbx_pi_nope", payment_method=CARD_SUCCESS, idempotency_key="c"
        )
    assert info.value.code == "intent_not_found"


# ---------------------------------------------------------------- 3-D Secure


def test_3ds_card_requires_action_then_completes(sandbox: SandboxProvider) -> None:
    ref = new_intent(sandbox)
    result = sandbox.confirm(
        provider_ref=ref, payment_method=CARD_3DS_REQUIRED, idempotency_key="c-1"
    )
    assert result.status == "requires_action"
    assert result.next_action is not None
    assert result.next_action["type"] == "redirect_to_url"
    assert result.next_action["url"].startswith("https://")
    assert ref in result.next_action["url"]
    assert sandbox.retrieve(ref).status == "requires_action"
    assert sandbox.retrieve(ref).next_action == result.next_action
    assert sandbox.pending_webhooks() == []  # nothing final yet

    with pytest.raises(ProviderError) as info:  # waiting on the customer, not on us
        sandbox.confirm(provider_ref=ref, payment_method=CARD_SUCCESS, idempotency_key="c-2")
    assert info.value.code == "intent_unexpected_state"

    done = sandbox.complete_action(ref, success=True)
    assert done.status == "succeeded"
    assert sandbox.retrieve(ref).status == "succeeded"
    assert sandbox.retrieve(ref).next_action is None
    event = sandbox.verify_webhook(*sandbox.webhook_for(ref))
    assert (event.type, event.provider_ref, event.amount_minor) == ("payment.succeeded", ref, 1_000)

    with pytest.raises(ProviderError) as info:
        sandbox.complete_action(ref, success=True)
    assert info.value.code == "intent_unexpected_state"


def test_3ds_authentication_failure(sandbox: SandboxProvider) -> None:
    ref = new_intent(sandbox)
    sandbox.confirm(provider_ref=ref, payment_method=CARD_3DS_REQUIRED, idempotency_key="c-1")
    failed = sandbox.complete_action(ref, success=False)
    assert failed.status == "failed"
    assert failed.failure_code == "authentication_required"
    event = sandbox.verify_webhook(*sandbox.webhook_for(ref))
    assert event.type == "payment.failed"
    assert event.failure_code == "authentication_required"


def test_complete_action_needs_an_intent_waiting_for_it(sandbox: SandboxProvider) -> None:
    ref = new_intent(sandbox)
    with pytest.raises(ProviderError) as info:
        sandbox.complete_action(ref, success=True)
    assert info.value.code == "intent_unexpected_state"


# ---------------------------------------------------------------- asynchronous completion


def test_async_card_answers_processing_and_completes_by_signed_webhook(
    sandbox: SandboxProvider, clock: FrozenClock
) -> None:
    ref = new_intent(sandbox, amount=4_200)
    result = sandbox.confirm(provider_ref=ref, payment_method=CARD_ASYNC, idempotency_key="c-1")
    assert result.status == "processing"
    assert result.failure_code is None

    clock.advance(timedelta(seconds=30))
    payload, headers = sandbox.webhook_for(ref)
    # The header is Stripe's scheme under the sandbox secret: recompute it independently.
    header = headers["Navio-Sandbox-Signature"]
    t = T0 + 30
    assert header == f"t={t},v1={stripe_style_signature(payload, SANDBOX_SECRET, t)}"

    event = sandbox.verify_webhook(payload, headers)
    assert event.type == "payment.succeeded"
    assert event.raw_type == "payment.succeeded"
    assert event.provider_ref == ref
    assert event.amount_minor == 4_200
    assert event.currency == "EUR"
    assert event.created == T0  # created when settled; signed when delivered
    assert event.event_id.startswith("evt_sbx_")
    assert event.raw["data"]["reference"] == "booking-42"
    assert event.raw["data"]["metadata"] == {"trip": "t-1"}
    assert sandbox.retrieve(ref).status == "succeeded"

    # the same outcome is in the drained queue, once
    delivered = sandbox.pending_webhooks()
    assert [sandbox.verify_webhook(p, h).event_id for p, h in delivered] == [event.event_id]
    assert sandbox.pending_webhooks() == []
    # the processing answer replays for a retried confirm
    assert (
        sandbox.confirm(provider_ref=ref, payment_method=CARD_ASYNC, idempotency_key="c-1")
        == result
    )


def test_webhook_for_without_events(sandbox: SandboxProvider) -> None:
    ref = new_intent(sandbox)
    with pytest.raises(ProviderError) as info:
        sandbox.webhook_for(ref)
    assert info.value.code == "no_webhook"


def test_sandbox_is_deterministic(clock: FrozenClock) -> None:
    def run() -> list[tuple[bytes, dict[str, str]]]:
        provider = SandboxProvider(SANDBOX_SECRET, clock=FrozenClock(START))
        ref = new_intent(provider)
        provider.confirm(provider_ref=ref, payment_method=CARD_DECLINED, idempotency_key="a")
        provider.confirm(provider_ref=ref, payment_method=CARD_SUCCESS, idempotency_key="b")
        provider.refund(provider_ref=ref, amount_minor=10, idempotency_key="r")
        return provider.pending_webhooks()

    first, second = run(), run()
    assert first == second
    assert len({json.loads(p)["id"] for p, _ in first}) == 3


# ================================================================ sandbox: refunds


def test_partial_refunds_up_to_the_captured_amount(sandbox: SandboxProvider) -> None:
    ref = paid_intent(sandbox, amount=1_000)
    sandbox.pending_webhooks()

    first = sandbox.refund(provider_ref=ref, amount_minor=300, idempotency_key="r-1")
    assert first.status == "succeeded"
    assert first.amount_minor == 300
    assert first.provider_ref == ref
    assert first.provider_refund_ref == "sbx_re_" + sha("r-1")[:24]

    # a retry with the same key is the same refund, not a second one
    assert sandbox.refund(provider_ref=ref, amount_minor=300, idempotency_key="r-1") == first
    second = sandbox.refund(provider_ref=ref, amount_minor=700, idempotency_key="r-2")
    assert second.status == "succeeded"

    with pytest.raises(ProviderError) as info:
        sandbox.refund(provider_ref=ref, amount_minor=1, idempotency_key="r-3")
    assert info.value.code == "refund_exceeds_payment"

    events = [sandbox.verify_webhook(p, h) for p, h in sandbox.pending_webhooks()]
    assert [(e.type, e.amount_minor, e.provider_refund_ref) for e in events] == [
        ("refund.succeeded", 300, first.provider_refund_ref),
        ("refund.succeeded", 700, second.provider_refund_ref),
    ]
    assert all(e.provider_ref == ref for e in events)


def test_refund_more_than_the_payment_at_once(sandbox: SandboxProvider) -> None:
    ref = paid_intent(sandbox, amount=1_000)
    with pytest.raises(ProviderError) as info:
        sandbox.refund(provider_ref=ref, amount_minor=1_001, idempotency_key="r-1")
    assert info.value.code == "refund_exceeds_payment"
    # nothing was refunded: the full amount is still available
    full = sandbox.refund(provider_ref=ref, amount_minor=1_000, idempotency_key="r-2")
    assert full.amount_minor == 1_000


def test_refund_key_reuse_with_another_amount_is_refused(sandbox: SandboxProvider) -> None:
    ref = paid_intent(sandbox)
    sandbox.refund(provider_ref=ref, amount_minor=100, idempotency_key="r-1")
    with pytest.raises(ProviderError) as info:
        sandbox.refund(provider_ref=ref, amount_minor=200, idempotency_key="r-1")
    assert info.value.code == "idempotency_key_reused"


@pytest.mark.parametrize("card", [None, CARD_DECLINED, CARD_3DS_REQUIRED])
def test_only_succeeded_payments_can_be_refunded(
    sandbox: SandboxProvider, card: str | None
) -> None:
    ref = new_intent(sandbox)
    if card:
        sandbox.confirm(provider_ref=ref, payment_method=card, idempotency_key="c-1")
    with pytest.raises(ProviderError) as info:
        sandbox.refund(provider_ref=ref, amount_minor=100, idempotency_key="r-1")
    assert info.value.code == "payment_not_refundable"


def test_refund_validation(sandbox: SandboxProvider) -> None:
    ref = paid_intent(sandbox)
    with pytest.raises(ProviderError) as info:
        sandbox.refund(provider_ref=ref, amount_minor=0, idempotency_key="r-1")
    assert info.value.code == "invalid_amount"
    with pytest.raises(ProviderError) as info:
        sandbox.refund(provider_ref="sbx_pi_unknown", amount_minor=1, idempotency_key="r-2")
    assert info.value.code == "intent_not_found"


# ================================================================ sandbox: webhook verification


@pytest.fixture
def sandbox_delivery(sandbox: SandboxProvider) -> tuple[bytes, dict[str, str]]:
    paid_intent(sandbox)
    ((payload, headers),) = sandbox.pending_webhooks()
    return payload, headers


def test_tampered_sandbox_webhook_is_refused(
    sandbox: SandboxProvider, sandbox_delivery: tuple[bytes, dict[str, str]]
) -> None:
    payload, headers = sandbox_delivery
    tampered = payload.replace(b'"amount_minor":1000', b'"amount_minor":9000')
    assert tampered != payload
    with pytest.raises(WebhookSignatureInvalid) as info:
        sandbox.verify_webhook(tampered, headers)
    assert info.value.code == "webhook_signature_invalid"


def test_sandbox_webhook_signed_with_another_secret_is_refused(
    clock: FrozenClock, sandbox_delivery: tuple[bytes, dict[str, str]]
) -> None:
    payload, headers = sandbox_delivery
    other = SandboxProvider("another-secret", clock=clock)
    with pytest.raises(WebhookSignatureInvalid):
        other.verify_webhook(payload, headers)


def test_sandbox_webhook_replayed_out_of_tolerance(
    sandbox: SandboxProvider, clock: FrozenClock, sandbox_delivery: tuple[bytes, dict[str, str]]
) -> None:
    payload, headers = sandbox_delivery
    clock.advance(timedelta(seconds=300))
    sandbox.verify_webhook(payload, headers)  # exactly at the edge: still fine
    clock.advance(timedelta(seconds=1))
    with pytest.raises(WebhookTimestampOutOfTolerance) as info:
        sandbox.verify_webhook(payload, headers)
    assert info.value.code == "webhook_timestamp_out_of_tolerance"
    assert isinstance(info.value, WebhookSignatureInvalid)  # one except clause catches all
    # `now` overrides the clock, and a timestamp from the future is refused as well
    sandbox.verify_webhook(payload, headers, now=T0)
    with pytest.raises(WebhookTimestampOutOfTolerance):
        sandbox.verify_webhook(payload, headers, now=T0 - 301)


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "webhook_signature_missing"),
        ("", "webhook_signature_missing"),
        ("garbage", "webhook_signature_malformed"),
        ("t=abc,v1=00", "webhook_signature_malformed"),
        ("v1=00", "webhook_signature_malformed"),
        (f"t={T0}", "webhook_signature_malformed"),
        (f"t={T0},t={T0},v1=00", "webhook_signature_malformed"),
        (f"t={T0},v1=" + "0" * 64, "webhook_signature_invalid"),
    ],
)
def test_sandbox_webhook_header_problems(
    sandbox: SandboxProvider,
    sandbox_delivery: tuple[bytes, dict[str, str]],
    header: str | None,
    code: str,
) -> None:
    payload, _ = sandbox_delivery
    headers = {} if header is None else {"Navio-Sandbox-Signature": header}
    with pytest.raises(WebhookSignatureInvalid) as info:
        sandbox.verify_webhook(payload, headers)
    assert info.value.code == code


@pytest.mark.parametrize("valid_first", [True, False])
def test_sandbox_header_lookup_is_case_insensitive_and_accepts_rolled_secrets(
    sandbox: SandboxProvider, sandbox_delivery: tuple[bytes, dict[str, str]], valid_first: bool
) -> None:
    payload, headers = sandbox_delivery
    t, good = headers["Navio-Sandbox-Signature"].split(",")
    stale = "v1=" + stripe_style_signature(payload, "previous-secret", int(t[2:]))
    pair = f"{good},{stale}" if valid_first else f"{stale},{good}"
    event = sandbox.verify_webhook(payload, {"navio-sandbox-signature": f"{t},{pair},v0=x"})
    assert event.type == "payment.succeeded"


def test_sandbox_unknown_event_type_is_kept_raw(sandbox: SandboxProvider) -> None:
    body = json.dumps(
        {"id": "evt_x", "type": "dispute.opened", "created": T0, "data": {"provider_ref": "p"}}
    ).encode()
    event = sandbox.verify_webhook(body, sandbox.sign(body))
    assert (event.type, event.raw_type, event.event_id) == ("unknown", "dispute.opened", "evt_x")
    assert event.provider_ref is None
    assert event.amount_minor is None


@pytest.mark.parametrize(
    "body", [b"not json", b"[1, 2]", b'{"id": "evt", "type": "payment.succeeded"}', b"\xff\xfe"]
)
def test_signed_but_malformed_sandbox_body(sandbox: SandboxProvider, body: bytes) -> None:
    with pytest.raises(WebhookPayloadInvalid) as info:
        sandbox.verify_webhook(body, sandbox.sign(body))
    assert info.value.code == "webhook_payload_invalid"


def test_every_provider_satisfies_the_port(sandbox: SandboxProvider) -> None:
    providers: list[object] = [
        sandbox,
        StripeProvider("sk_test_x", STRIPE_WHSEC),
        RazorpayProvider(RZP_KEY_ID, RZP_KEY_SECRET, RZP_WEBHOOK_SECRET),
    ]
    for provider in providers:
        assert isinstance(provider, PaymentProvider)
    assert [p.name for p in providers if isinstance(p, PaymentProvider)] == [
        "sandbox",
        "stripe",
        "razorpay",
    ]


# ================================================================ Stripe: webhooks


def stripe_event(event_type: str, obj: dict[str, Any], *, created: int = T0) -> bytes:
    event = {
        "id": "evt_1PqR2sLkdIwHu7ix0aBcDeFg",
        "object": "event",
        "api_version": "2024-06-20",
        "created": created,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": "navio-key-1"},
        "type": event_type,
        "data": {"object": obj},
    }
    # Stripe sends pretty-printed JSON; the signature covers the bytes exactly as sent.
    return json.dumps(event, indent=2).encode()


PI_SUCCEEDED = {
    "id": "pi_3PqR2sLkdIwHu7ix1AbCdEfG",
    "object": "payment_intent",
    "amount": 2_000,
    "amount_received": 2_000,
    "currency": "usd",
    "status": "succeeded",
    "last_payment_error": None,
    "metadata": {"navio_reference": "booking-42"},
}
PI_FAILED = {
    **PI_SUCCEEDED,
    "amount_received": 0,
    "status": "requires_payment_method",
    "last_payment_error": {
        "type": "card_error",
        "code": "card_declined",
        "decline_code": "insufficient_funds",
        "message": "Your card has insufficient funds.",
    },
}
CHARGE_REFUNDED = {
    "id": "ch_3PqR2sLkdIwHu7ix1XyZ",
    "object": "charge",
    "amount": 2_000,
    "amount_refunded": 500,
    "currency": "usd",
    "payment_intent": "pi_3PqR2sLkdIwHu7ix1AbCdEfG",
    "refunded": False,
    "refunds": {"object": "list", "data": [{"id": "re_3PqR2sLkdIwHu7ix1", "amount": 500}]},
}


@pytest.fixture
def stripe_provider(clock: FrozenClock) -> StripeProvider:
    return StripeProvider("sk_test_offline", STRIPE_WHSEC, clock=clock)


def test_stripe_payment_succeeded_is_accepted_and_normalised(
    stripe_provider: StripeProvider,
) -> None:
    payload = stripe_event("payment_intent.succeeded", PI_SUCCEEDED)
    event = stripe_provider.verify_webhook(payload, stripe_headers(payload, STRIPE_WHSEC, T0))
    assert event.event_id == "evt_1PqR2sLkdIwHu7ix0aBcDeFg"
    assert event.type == "payment.succeeded"
    assert event.raw_type == "payment_intent.succeeded"
    assert event.provider_ref == "pi_3PqR2sLkdIwHu7ix1AbCdEfG"
    assert event.amount_minor == 2_000
    assert event.currency == "USD"
    assert event.created == T0
    assert event.raw["data"]["object"]["metadata"] == {"navio_reference": "booking-42"}


def test_stripe_payment_failed_and_charge_refunded_mapping(
    stripe_provider: StripeProvider,
) -> None:
    failed = stripe_event("payment_intent.payment_failed", PI_FAILED)
    event = stripe_provider.verify_webhook(failed, stripe_headers(failed, STRIPE_WHSEC, T0))
    assert (event.type, event.provider_ref, event.amount_minor, event.failure_code) == (
        "payment.failed",
        "pi_3PqR2sLkdIwHu7ix1AbCdEfG",
        2_000,
        "insufficient_funds",
    )

    refunded = stripe_event("charge.refunded", CHARGE_REFUNDED)
    event = stripe_provider.verify_webhook(refunded, stripe_headers(refunded, STRIPE_WHSEC, T0))
    assert event.type == "refund.succeeded"
    assert event.raw_type == "charge.refunded"
    assert event.provider_ref == "pi_3PqR2sLkdIwHu7ix1AbCdEfG"  # the intent, not the charge
    assert event.amount_minor == 500
    assert event.currency == "USD"
    assert event.provider_refund_ref == "re_3PqR2sLkdIwHu7ix1"


def test_stripe_unknown_event_type_is_acknowledged_as_unknown(
    stripe_provider: StripeProvider,
) -> None:
    payload = stripe_event("customer.created", {"id": "cus_123", "object": "customer"})
    event = stripe_provider.verify_webhook(payload, stripe_headers(payload, STRIPE_WHSEC, T0))
    assert event.type == "unknown"
    assert event.raw_type == "customer.created"
    assert (event.provider_ref, event.amount_minor, event.currency) == (None, None, None)


def test_stripe_tampered_body_is_refused(stripe_provider: StripeProvider) -> None:
    payload = stripe_event("payment_intent.succeeded", PI_SUCCEEDED)
    headers = stripe_headers(payload, STRIPE_WHSEC, T0)
    tampered = payload.replace(b'"amount": 2000', b'"amount": 1')
    assert tampered != payload
    with pytest.raises(WebhookSignatureInvalid) as info:
        stripe_provider.verify_webhook(tampered, headers)
    assert info.value.code == "webhook_signature_invalid"


def test_stripe_wrong_secret_is_refused(stripe_provider: StripeProvider) -> None:
    payload = stripe_event("payment_intent.succeeded", PI_SUCCEEDED)
    with pytest.raises(WebhookSignatureInvalid):
        stripe_provider.verify_webhook(payload, stripe_headers(payload, "whsec_other", T0))


def test_stripe_old_and_future_timestamps_are_refused(stripe_provider: StripeProvider) -> None:
    payload = stripe_event("payment_intent.succeeded", PI_SUCCEEDED)
    headers = stripe_headers(payload, STRIPE_WHSEC, T0)
    stripe_provider.verify_webhook(payload, headers, now=T0 + 300)
    with pytest.raises(WebhookTimestampOutOfTolerance) as info:
        stripe_provider.verify_webhook(payload, headers, now=T0 + 301)
    assert info.value.code == "webhook_timestamp_out_of_tolerance"
    with pytest.raises(WebhookTimestampOutOfTolerance):
        stripe_provider.verify_webhook(payload, headers, now=T0 - 301)


def test_stripe_timestamp_defaults_to_the_clock(
    stripe_provider: StripeProvider, clock: FrozenClock
) -> None:
    payload = stripe_event("payment_intent.succeeded", PI_SUCCEEDED)
    headers = stripe_headers(payload, STRIPE_WHSEC, T0)
    clock.advance(timedelta(minutes=6))
    with pytest.raises(WebhookTimestampOutOfTolerance):
        stripe_provider.verify_webhook(payload, headers)
    lenient = StripeProvider("sk_test_offline", STRIPE_WHSEC, clock=clock, tolerance=600)
    assert lenient.verify_webhook(payload, headers).type == "payment.succeeded"


def test_stripe_signature_outside_tolerance_is_still_refused_when_wrong(
    stripe_provider: StripeProvider,
) -> None:
    # A forged signature is a signature error first, whatever its age.
    payload = stripe_event("payment_intent.succeeded", PI_SUCCEEDED)
    headers = stripe_headers(payload, "whsec_other", T0 - 10_000)
    with pytest.raises(WebhookSignatureInvalid) as info:
        stripe_provider.verify_webhook(payload, headers)
    assert info.value.code == "webhook_signature_invalid"


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "webhook_signature_missing"),
        ({"Stripe-Signature": ""}, "webhook_signature_missing"),
        ({"Other": "t=1,v1=00"}, "webhook_signature_missing"),
        ({"Stripe-Signature": "nonsense"}, "webhook_signature_malformed"),
        ({"Stripe-Signature": "t=yesterday,v1=00"}, "webhook_signature_malformed"),
        ({"Stripe-Signature": f"t={T0}"}, "webhook_signature_malformed"),
        ({"Stripe-Signature": "v1=" + "0" * 64}, "webhook_signature_malformed"),
    ],
)
def test_stripe_missing_or_malformed_header(
    stripe_provider: StripeProvider, headers: dict[str, str], code: str
) -> None:
    payload = stripe_event("payment_intent.succeeded", PI_SUCCEEDED)
    with pytest.raises(WebhookSignatureInvalid) as info:
        stripe_provider.verify_webhook(payload, headers)
    assert info.value.code == code


@pytest.mark.parametrize("valid_first", [True, False])
def test_stripe_multiple_v1_signatures_one_valid(
    stripe_provider: StripeProvider, valid_first: bool
) -> None:
    payload = stripe_event("payment_intent.succeeded", PI_SUCCEEDED)
    good = stripe_style_signature(payload, STRIPE_WHSEC, T0)
    stale = stripe_style_signature(payload, "whsec_previous_secret", T0)
    pair = [good, stale] if valid_first else [stale, good]
    header = f"t={T0},v1={pair[0]},v1={pair[1]},v0={'0' * 64}"
    event = stripe_provider.verify_webhook(payload, {"stripe-signature": header})
    assert event.type == "payment.succeeded"


def test_stripe_all_v1_signatures_wrong_is_refused(stripe_provider: StripeProvider) -> None:
    payload = stripe_event("payment_intent.succeeded", PI_SUCCEEDED)
    a = stripe_style_signature(payload, "whsec_a", T0)
    b = stripe_style_signature(payload, "whsec_b", T0)
    with pytest.raises(WebhookSignatureInvalid):
        stripe_provider.verify_webhook(payload, {"Stripe-Signature": f"t={T0},v1={a},v1={b}"})


def test_stripe_signed_but_unreadable_bodies(stripe_provider: StripeProvider) -> None:
    for body in (b"not json", b'{"id": "evt_1", "object": "event", "type": "x"}'):
        with pytest.raises(WebhookPayloadInvalid):
            stripe_provider.verify_webhook(body, stripe_headers(body, STRIPE_WHSEC, T0))
    with pytest.raises(WebhookSignatureInvalid):
        stripe_provider.verify_webhook(b"\xff", stripe_headers(b"\xff", STRIPE_WHSEC, T0))


def test_our_stripe_signer_agrees_with_the_sdk() -> None:
    payload = stripe_event("payment_intent.succeeded", PI_SUCCEEDED)
    sdk = stripe.WebhookSignature.generate_signature_header(
        payload.decode(), STRIPE_WHSEC, timestamp=T0
    )
    assert sdk == stripe_headers(payload, STRIPE_WHSEC, T0)["Stripe-Signature"]


@pytest.mark.parametrize(
    ("code", "decline_code", "expected"),
    [
        ("card_declined", "generic_decline", "card_declined"),
        ("card_declined", None, "card_declined"),
        ("card_declined", "insufficient_funds", "insufficient_funds"),
        ("card_declined", "authentication_required", "authentication_required"),
        ("payment_intent_authentication_failure", None, "authentication_required"),
        ("expired_card", None, "expired_card"),
        (None, None, "card_declined"),
    ],
)
def test_stripe_failure_codes(code: str | None, decline_code: str | None, expected: str) -> None:
    assert failure_code_for(code, decline_code) == expected


# ================================================================ Stripe: SDK calls, offline


class FakeStripeHTTP(stripe.HTTPClient):
    """Answers the SDK's requests from a queue of canned (status, body) pairs."""

    name = "fake"

    def __init__(self, *responses: tuple[int, dict[str, Any]]) -> None:
        super().__init__()
        self.responses = list(responses)
        self.calls: list[tuple[str, str, dict[str, str], dict[str, list[str]]]] = []

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[str, int, Mapping[str, str]]:
        body = post_data.decode() if isinstance(post_data, bytes) else post_data or ""
        self.calls.append((method, url, dict(headers or {}), parse_qs(body)))
        status, answer = self.responses.pop(0)
        return json.dumps(answer), status, {"request-id": "req_fake"}

    def close(self) -> None:
        pass


def stripe_with(*responses: tuple[int, dict[str, Any]], **kwargs: Any) -> tuple[Any, Any]:
    http = FakeStripeHTTP(*responses)
    return StripeProvider("sk_test_offline", STRIPE_WHSEC, http_client=http, **kwargs), http


def test_stripe_create_intent_call_and_mapping() -> None:
    provider, http = stripe_with(
        (
            200,
            {
                "id": "pi_123",
                "object": "payment_intent",
                "amount": 1_500,
                "currency": "eur",
                "status": "requires_payment_method",
                "client_secret": "pi_123_secret_abc",
                "last_payment_error": None,
                "next_action": None,
            },
        )
    )
    intent = provider.create_intent(
        amount_minor=1_500,
        currency="EUR",
        reference="booking-42",
        idempotency_key="intent-1",
        metadata={"trip": "t-1"},
    )
    assert intent.provider_ref == "pi_123"
    assert intent.status == "requires_confirmation"
    assert (intent.amount_minor, intent.currency) == (1_500, "EUR")
    assert intent.client_secret == "pi_123_secret_abc"
    ((method, url, headers, form),) = http.calls
    assert (method, url) == ("post", "https://api.stripe.com/v1/payment_intents")
    assert headers["Idempotency-Key"] == "intent-1"
    assert headers["Authorization"] == "Bearer sk_test_offline"
    assert form["amount"] == ["1500"]
    assert form["currency"] == ["eur"]
    assert form["metadata[trip]"] == ["t-1"]
    assert form["metadata[navio_reference]"] == ["booking-42"]
    assert form["automatic_payment_methods[allow_redirects]"] == ["never"]


def test_stripe_confirm_maps_success_3ds_and_declines() -> None:
    pi = {"id": "pi_123", "object": "payment_intent", "amount": 1_500, "currency": "eur"}
    card_error = {
        "error": {
            "type": "card_error",
            "code": "card_declined",
            "decline_code": "insufficient_funds",
            "message": "Your card has insufficient funds.",
        }
    }
    provider, http = stripe_with(
        (200, {**pi, "status": "succeeded"}),
        (
            200,
            {
                **pi,
                "status": "requires_action",
                "next_action": {
                    "type": "redirect_to_url",
                    "redirect_to_url": {"url": "https://hooks.stripe.com/3d_secure/x"},
                },
            },
        ),
        (402, card_error),
        (
            200,
            {
                **pi,
                "status": "requires_payment_method",
                "last_payment_error": {"code": "payment_intent_authentication_failure"},
            },
        ),
        (200, {**pi, "status": "processing"}),
        return_url="https://navio.example/return",
    )

    def confirm(key: str) -> Any:
        return provider.confirm(provider_ref="pi_123", payment_method="pm_x", idempotency_key=key)

    assert confirm("k1").status == "succeeded"
    action = confirm("k2")
    assert action.status == "requires_action"
    assert action.next_action == {
        "type": "redirect_to_url",
        "url": "https://hooks.stripe.com/3d_secure/x",
    }
    declined = confirm("k3")
    assert (declined.status, declined.failure_code) == ("failed", "insufficient_funds")
    assert declined.failure_message == "Your card has insufficient funds."
    auth = confirm("k4")
    assert (auth.status, auth.failure_code) == ("failed", "authentication_required")
    assert confirm("k5").status == "processing"

    _, url, headers, form = http.calls[0]
    assert url == "https://api.stripe.com/v1/payment_intents/pi_123/confirm"
    assert headers["Idempotency-Key"] == "k1"
    assert form["payment_method"] == ["pm_x"]
    assert form["return_url"] == ["https://navio.example/return"]


def test_stripe_refund_call_and_errors() -> None:
    provider, http = stripe_with(
        (
            200,
            {
                "id": "re_1",
                "object": "refund",
                "amount": 400,
                "currency": "eur",
                "status": "succeeded",
                "payment_intent": "pi_123",
            },
        ),
        (
            400,
            {
                "error": {
                    "type": "invalid_request_error",
                    "code": "charge_already_refunded",
                    "message": "Charge ch_1 has already been refunded.",
                }
            },
        ),
        (
            400,
            {
                "error": {
                    "type": "idempotency_error",
                    "message": "Keys for idempotent requests can only be used with the same "
                    "parameters they were first used with.",
                }
            },
        ),
    )
    refund = provider.refund(provider_ref="pi_123", amount_minor=400, idempotency_key="r-1")
    assert (refund.provider_refund_ref, refund.status, refund.amount_minor) == (
        "re_1",
        "succeeded",
        400,
    )
    _, url, headers, form = http.calls[0]
    assert url == "https://api.stripe.com/v1/refunds"
    assert headers["Idempotency-Key"] == "r-1"
    assert form == {"payment_intent": ["pi_123"], "amount": ["400"]}

    with pytest.raises(ProviderError) as info:
        provider.refund(provider_ref="pi_123", amount_minor=1, idempotency_key="r-2")
    assert (info.value.code, info.value.provider_code) == (
        "refund_exceeds_payment",
        "charge_already_refunded",
    )
    with pytest.raises(ProviderError) as info:
        provider.refund(provider_ref="pi_123", amount_minor=2, idempotency_key="r-1")
    assert info.value.code == "idempotency_key_reused"


def test_stripe_validates_before_calling() -> None:
    provider, http = stripe_with()
    with pytest.raises(ProviderError) as info:
        provider.refund(provider_ref="pi_1", amount_minor=-5, idempotency_key="r")
    assert info.value.code == "invalid_amount"
    assert http.calls == []


# ================================================================ Razorpay: webhooks


def razorpay_payment_event(event: str, **payment: Any) -> dict[str, Any]:
    entity = {
        "id": "pay_29QQoUBi66xm2f",
        "entity": "payment",
        "amount": 50_000,
        "currency": "INR",
        "status": "captured",
        "order_id": "order_9A33XWu170gUtm",
        "method": "card",
        "amount_refunded": 0,
        "error_code": None,
        "error_reason": None,
        "error_description": None,
        **payment,
    }
    return {
        "entity": "event",
        "account_id": "acc_BFQ7uQEaa7j2z7",
        "event": event,
        "contains": ["payment"],
        "payload": {"payment": {"entity": entity}},
        "created_at": T0,
    }


def rzp_body(event: dict[str, Any]) -> bytes:
    return json.dumps(event, separators=(",", ":")).encode()


def rzp_headers(body: bytes, secret: str = RZP_WEBHOOK_SECRET) -> dict[str, str]:
    return {
        "X-Razorpay-Signature": razorpay_signature(body, secret),
        "X-Razorpay-Event-Id": "KkOq3cWy6IV8bG",
    }


@pytest.fixture
def razorpay_provider(clock: FrozenClock) -> RazorpayProvider:
    return RazorpayProvider(RZP_KEY_ID, RZP_KEY_SECRET, RZP_WEBHOOK_SECRET, clock=clock)


def test_razorpay_payment_captured_is_accepted_and_normalised(
    razorpay_provider: RazorpayProvider,
) -> None:
    body = rzp_body(razorpay_payment_event("payment.captured"))
    event = razorpay_provider.verify_webhook(body, rzp_headers(body))
    assert event.event_id == "KkOq3cWy6IV8bG"
    assert event.type == "payment.succeeded"
    assert event.raw_type == "payment.captured"
    assert event.provider_ref == "order_9A33XWu170gUtm"  # the order is the intent
    assert (event.amount_minor, event.currency, event.created) == (50_000, "INR", T0)


def test_razorpay_payment_failed_mapping(razorpay_provider: RazorpayProvider) -> None:
    body = rzp_body(
        razorpay_payment_event(
            "payment.failed",
            status="failed",
            error_code="BAD_REQUEST_ERROR",
            error_reason="payment_failed",
            error_description="Payment failed",
        )
    )
    event = razorpay_provider.verify_webhook(body, rzp_headers(body))
    assert (event.type, event.provider_ref, event.failure_code) == (
        "payment.failed",
        "order_9A33XWu170gUtm",
        "payment_failed",
    )


def test_razorpay_refund_processed_mapping(razorpay_provider: RazorpayProvider) -> None:
    event = razorpay_payment_event("refund.processed", amount_refunded=20_000)
    event["contains"] = ["refund", "payment"]
    event["payload"]["refund"] = {
        "entity": {
            "id": "rfnd_FP8QHiV938haTz",
            "entity": "refund",
            "amount": 20_000,
            "currency": "INR",
            "payment_id": "pay_29QQoUBi66xm2f",
            "status": "processed",
        }
    }
    body = rzp_body(event)
    result = razorpay_provider.verify_webhook(body, rzp_headers(body))
    assert result.type == "refund.succeeded"
    assert result.raw_type == "refund.processed"
    assert result.provider_ref == "order_9A33XWu170gUtm"
    assert result.provider_refund_ref == "rfnd_FP8QHiV938haTz"
    assert result.amount_minor == 20_000

    del event["payload"]["payment"]  # without the payment entity, the payment id stands in
    body = rzp_body(event)
    assert razorpay_provider.verify_webhook(body, rzp_headers(body)).provider_ref == (
        "pay_29QQoUBi66xm2f"
    )


def test_razorpay_unknown_event_is_acknowledged(razorpay_provider: RazorpayProvider) -> None:
    body = rzp_body(razorpay_payment_event("payment.authorized", status="authorized"))
    event = razorpay_provider.verify_webhook(body, rzp_headers(body))
    assert (event.type, event.raw_type, event.provider_ref) == (
        "unknown",
        "payment.authorized",
        None,
    )


def test_razorpay_tampered_and_wrong_secret(razorpay_provider: RazorpayProvider) -> None:
    body = rzp_body(razorpay_payment_event("payment.captured"))
    headers = rzp_headers(body)
    with pytest.raises(WebhookSignatureInvalid) as info:
        razorpay_provider.verify_webhook(body.replace(b"50000", b"50001"), headers)
    assert info.value.code == "webhook_signature_invalid"
    with pytest.raises(WebhookSignatureInvalid):
        razorpay_provider.verify_webhook(body, rzp_headers(body, secret=RZP_KEY_SECRET))


@pytest.mark.parametrize(
    ("signature", "code"),
    [
        (None, "webhook_signature_missing"),
        ("", "webhook_signature_missing"),
        ("abc", "webhook_signature_malformed"),
        ("z" * 64, "webhook_signature_malformed"),
        ("é" * 64, "webhook_signature_malformed"),
        ("0" * 64, "webhook_signature_invalid"),
    ],
)
def test_razorpay_missing_or_malformed_signature(
    razorpay_provider: RazorpayProvider, signature: str | None, code: str
) -> None:
    body = rzp_body(razorpay_payment_event("payment.captured"))
    headers = {} if signature is None else {"X-Razorpay-Signature": signature}
    with pytest.raises(WebhookSignatureInvalid) as info:
        razorpay_provider.verify_webhook(body, headers)
    assert info.value.code == code


def test_razorpay_freshness_comes_from_created_at(
    razorpay_provider: RazorpayProvider, clock: FrozenClock
) -> None:
    body = rzp_body(razorpay_payment_event("payment.captured"))
    headers = rzp_headers(body)
    # Razorpay retries for 24 h after created_at with the same body: still accepted.
    clock.advance(timedelta(hours=24))
    assert razorpay_provider.verify_webhook(body, headers).type == "payment.succeeded"
    with pytest.raises(WebhookTimestampOutOfTolerance):
        razorpay_provider.verify_webhook(body, headers, now=T0 + 25 * 3600 + 1)
    with pytest.raises(WebhookTimestampOutOfTolerance):
        razorpay_provider.verify_webhook(body, headers, now=T0 - 25 * 3600 - 1)

    strict = RazorpayProvider(
        RZP_KEY_ID, RZP_KEY_SECRET, RZP_WEBHOOK_SECRET, clock=clock, tolerance=300
    )
    strict.verify_webhook(body, headers, now=T0 + 300)
    with pytest.raises(WebhookTimestampOutOfTolerance):
        strict.verify_webhook(body, headers, now=T0 + 301)


def test_razorpay_signed_body_without_created_at(razorpay_provider: RazorpayProvider) -> None:
    event = razorpay_payment_event("payment.captured")
    del event["created_at"]
    body = rzp_body(event)
    with pytest.raises(WebhookPayloadInvalid):
        razorpay_provider.verify_webhook(body, rzp_headers(body))


def test_razorpay_event_id_falls_back_to_the_body_hash(
    razorpay_provider: RazorpayProvider,
) -> None:
    body = rzp_body(razorpay_payment_event("payment.captured"))
    headers = {"x-razorpay-signature": razorpay_signature(body, RZP_WEBHOOK_SECRET)}
    event = razorpay_provider.verify_webhook(body, headers)
    assert event.event_id == "rzp_evt_" + hashlib.sha256(body).hexdigest()[:24]


def test_razorpay_checkout_signature(razorpay_provider: RazorpayProvider) -> None:
    order_id, payment_id = "order_9A33XWu170gUtm", "pay_29QQoUBi66xm2f"
    # Razorpay's checkout docs: hex HMAC-SHA256 of "order_id|payment_id" under the key secret.
    good = hmac.new(
        RZP_KEY_SECRET.encode(), f"{order_id}|{payment_id}".encode(), hashlib.sha256
    ).hexdigest()
    razorpay_provider.verify_payment_signature(order_id, payment_id, good)
    for order, payment, signature in [
        (payment_id, order_id, good),  # swapped
        (order_id, "pay_other", good),
        (order_id, payment_id, razorpay_signature(b"x", RZP_WEBHOOK_SECRET)),
        (order_id, payment_id, "not-hex"),
    ]:
        with pytest.raises(PaymentSignatureInvalid) as info:
            razorpay_provider.verify_payment_signature(order, payment, signature)
        assert info.value.code == "payment_signature_invalid"


# ================================================================ Razorpay: SDK calls, offline


class FakeResponse:
    def __init__(self, status_code: int, body: dict[str, Any]) -> None:
        self.status_code = status_code
        self._body = body

    def json(self) -> dict[str, Any]:
        return self._body


class FakeSession:
    """Stands in for the SDK's requests.Session: answers routes from a table."""

    def __init__(self, routes: dict[tuple[str, str], list[tuple[int, dict[str, Any]]]]) -> None:
        self.routes = routes
        self.calls: list[tuple[str, str, Any, dict[str, str]]] = []

    def _answer(self, method: str, url: str, **options: Any) -> FakeResponse:
        path = url.removeprefix("https://api.razorpay.com")
        data = options.get("data")
        self.calls.append((method, path, json.loads(data) if data else None, options["headers"]))
        status, body = self.routes[(method, path)].pop(0)
        return FakeResponse(status, body)

    def get(self, url: str, **options: Any) -> FakeResponse:
        return self._answer("get", url, **options)

    def post(self, url: str, **options: Any) -> FakeResponse:
        return self._answer("post", url, **options)


def razorpay_with(routes: dict[tuple[str, str], list[tuple[int, dict[str, Any]]]]) -> Any:
    session = FakeSession(routes)
    provider = RazorpayProvider(RZP_KEY_ID, RZP_KEY_SECRET, RZP_WEBHOOK_SECRET, session=session)
    return provider, session


PAYMENT = {
    "id": "pay_1",
    "entity": "payment",
    "amount": 50_000,
    "currency": "INR",
    "order_id": "order_1",
    "amount_refunded": 0,
}


def test_razorpay_create_intent_creates_an_order() -> None:
    provider, session = razorpay_with(
        {
            ("post", "/v1/orders"): [
                (200, {"id": "order_1", "amount": 50_000, "currency": "INR", "status": "created"})
            ]
        }
    )
    intent = provider.create_intent(
        amount_minor=50_000,
        currency="inr",
        reference="booking-42",
        idempotency_key="intent-1",
        metadata={"trip": "t-1"},
    )
    assert intent.provider_ref == "order_1"
    assert intent.status == "requires_confirmation"
    assert intent.next_action == {
        "type": "razorpay_checkout",
        "order_id": "order_1",
        "key_id": RZP_KEY_ID,
    }
    ((_, _, data, _),) = session.calls
    assert data == {
        "amount": 50_000,
        "currency": "INR",
        "receipt": "booking-42",
        "notes": {
            "trip": "t-1",
            "navio_reference": "booking-42",
            "navio_idempotency_key": "intent-1",
        },
    }


def test_razorpay_create_intent_refuses_too_many_notes() -> None:
    provider, session = razorpay_with({})
    with pytest.raises(ProviderError) as info:
        provider.create_intent(
            amount_minor=100,
            currency="INR",
            reference="r",
            idempotency_key="k",
            metadata={f"k{i}": "v" for i in range(14)},
        )
    assert info.value.code == "invalid_metadata"
    assert session.calls == []


def test_razorpay_confirm_captures_an_authorized_payment() -> None:
    provider, session = razorpay_with(
        {
            ("get", "/v1/payments/pay_1"): [(200, {**PAYMENT, "status": "authorized"})],
            ("post", "/v1/payments/pay_1/capture"): [(200, {**PAYMENT, "status": "captured"})],
        }
    )
    result = provider.confirm(provider_ref="order_1", payment_method="pay_1", idempotency_key="c")
    assert (result.provider_ref, result.status) == ("order_1", "succeeded")
    assert session.calls[1][2] == {"currency": "INR", "amount": 50_000}


def test_razorpay_confirm_other_states() -> None:
    provider, session = razorpay_with(
        {
            ("get", "/v1/payments/pay_1"): [
                (200, {**PAYMENT, "status": "captured"}),
                (
                    200,
                    {
                        **PAYMENT,
                        "status": "failed",
                        "error_code": "BAD_REQUEST_ERROR",
                        "error_reason": "authentication_failed",
                        "error_description": "The customer did not authenticate.",
                    },
                ),
                (200, {**PAYMENT, "order_id": "order_2", "status": "captured"}),
            ]
        }
    )

    def confirm() -> Any:
        return provider.confirm(provider_ref="order_1", payment_method="pay_1", idempotency_key="c")

    assert confirm().status == "succeeded"  # already captured: no capture call
    failed = confirm()
    assert (failed.status, failed.failure_code) == ("failed", "authentication_required")
    with pytest.raises(ProviderError) as info:
        confirm()
    assert info.value.code == "payment_order_mismatch"
    assert all(path == "/v1/payments/pay_1" for _, path, _, _ in session.calls)


def test_razorpay_refund_finds_the_captured_payment_and_sends_an_idempotency_key() -> None:
    listing = {
        "items": [
            {**PAYMENT, "id": "pay_0", "status": "failed"},
            {**PAYMENT, "status": "captured", "amount_refunded": 10_000},
        ]
    }
    too_much = {
        "error": {
            "code": "BAD_REQUEST_ERROR",
            "description": "The refund amount provided is greater than amount captured",
        }
    }
    provider, session = razorpay_with(
        {
            ("get", "/v1/orders/order_1/payments"): [(200, listing), (200, listing)],
            ("post", "/v1/payments/pay_1/refund"): [
                (200, {"id": "rfnd_1", "amount": 40_000, "status": "processed"}),
                (400, too_much),
            ],
        }
    )
    refund = provider.refund(
        provider_ref="order_1", amount_minor=40_000, idempotency_key="refund-key-0001"
    )
    assert (refund.provider_refund_ref, refund.status, refund.amount_minor) == (
        "rfnd_1",
        "succeeded",
        40_000,
    )
    _, _, data, headers = session.calls[1]
    assert data == {"amount": 40_000, "notes": {"navio_idempotency_key": "refund-key-0001"}}
    assert headers["X-Refund-Idempotency"] == "refund-key-0001"

    with pytest.raises(ProviderError) as info:  # 50 000 - 10 000 left, not 40 001
        provider.refund(provider_ref="order_1", amount_minor=40_001, idempotency_key="r:2")
    assert info.value.code == "refund_exceeds_payment"
    # a key outside Razorpay's alphabet is sent as its SHA-256
    assert session.calls[3][3]["X-Refund-Idempotency"] == sha("r:2")


def test_razorpay_refund_retry_after_a_lost_response_reaches_razorpay() -> None:
    # The first full refund went through but its answer was lost: the payment now shows as
    # refunded, and the retry with the same key must still be sent to get the refund back.
    provider, session = razorpay_with(
        {
            ("get", "/v1/payments/pay_1"): [
                (200, {**PAYMENT, "status": "refunded", "amount_refunded": 50_000})
            ],
            ("post", "/v1/payments/pay_1/refund"): [
                (200, {"id": "rfnd_1", "amount": 50_000, "status": "processed"})
            ],
        }
    )
    refund = provider.refund(
        provider_ref="pay_1", amount_minor=50_000, idempotency_key="refund-key-0001"
    )
    assert refund.provider_refund_ref == "rfnd_1"
    assert session.calls[1][3]["X-Refund-Idempotency"] == "refund-key-0001"


def test_razorpay_refund_needs_a_captured_payment() -> None:
    provider, _ = razorpay_with(
        {
            ("get", "/v1/orders/order_1/payments"): [
                (200, {"items": [{**PAYMENT, "status": "failed"}]})
            ]
        }
    )
    with pytest.raises(ProviderError) as info:
        provider.refund(provider_ref="order_1", amount_minor=1, idempotency_key="refund-key-0001")
    assert info.value.code == "payment_not_refundable"


def test_razorpay_confirm_survives_a_concurrent_capture() -> None:
    provider, _ = razorpay_with(
        {
            ("get", "/v1/payments/pay_1"): [
                (200, {**PAYMENT, "status": "authorized"}),
                (200, {**PAYMENT, "status": "captured"}),
            ],
            ("post", "/v1/payments/pay_1/capture"): [
                (
                    400,
                    {
                        "error": {
                            "code": "BAD_REQUEST_ERROR",
                            "description": "This payment has already been captured",
                        }
                    },
                )
            ],
        }
    )
    result = provider.confirm(provider_ref="order_1", payment_method="pay_1", idempotency_key="c")
    assert result.status == "succeeded"


def test_razorpay_sdk_errors_become_provider_errors() -> None:
    provider, _ = razorpay_with(
        {
            ("post", "/v1/orders"): [
                (
                    400,
                    {
                        "error": {
                            "code": "BAD_REQUEST_ERROR",
                            "description": "Order amount less than minimum amount allowed",
                        }
                    },
                ),
                (502, {"error": {"code": "GATEWAY_ERROR", "description": "upstream down"}}),
            ]
        }
    )
    for code in ("provider_invalid_request", "provider_unavailable"):
        with pytest.raises(ProviderError) as info:
            provider.create_intent(
                amount_minor=1, currency="INR", reference="r", idempotency_key="k", metadata={}
            )
        assert info.value.code == code


# ================================================================ registry


def test_build_provider_by_name(clock: FrozenClock) -> None:
    settings = {
        "sandbox_secret": SANDBOX_SECRET,
        "stripe_api_key": "sk_test_x",
        "stripe_webhook_secret": STRIPE_WHSEC,
        "razorpay_key_id": RZP_KEY_ID,
        "razorpay_key_secret": RZP_KEY_SECRET,
        "razorpay_webhook_secret": RZP_WEBHOOK_SECRET,
    }
    assert isinstance(build_provider("sandbox", settings), SandboxProvider)
    assert isinstance(build_provider(" Stripe ", settings), StripeProvider)
    assert isinstance(build_provider("razorpay", settings), RazorpayProvider)

    # the configured secret and tolerance are the ones used
    provider = build_provider("sandbox", {**settings, "webhook_tolerance": "10"}, clock=clock)
    assert isinstance(provider, SandboxProvider)
    body = b'{"id":"e","type":"x","created":1,"data":{}}'
    headers = SandboxProvider(SANDBOX_SECRET).sign(body, timestamp=T0)
    provider.verify_webhook(body, headers, now=T0 + 10)
    with pytest.raises(WebhookTimestampOutOfTolerance):
        provider.verify_webhook(body, headers, now=T0 + 11)


@pytest.mark.parametrize(
    ("name", "settings", "message"),
    [
        ("paypal", {}, "unknown payment provider"),
        ("sandbox", {}, "sandbox_secret"),
        ("sandbox", {"sandbox_secret": "  "}, "sandbox_secret"),
        ("stripe", {"stripe_api_key": "sk"}, "stripe_webhook_secret"),
        ("razorpay", {"razorpay_key_id": "k"}, "razorpay_key_secret, razorpay_webhook_secret"),
        ("sandbox", {"sandbox_secret": "s", "webhook_tolerance": "-1"}, "webhook_tolerance"),
        ("sandbox", {"sandbox_secret": "s", "webhook_tolerance": "5m"}, "webhook_tolerance"),
    ],
)
def test_build_provider_refuses_bad_configuration(
    name: str, settings: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        build_provider(name, settings)

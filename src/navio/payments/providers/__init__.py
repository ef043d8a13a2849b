"""Payment gateways behind one port (:class:`PaymentProvider`): the in-memory sandbox, Stripe
and Razorpay. Pick one with :func:`build_provider`; the SDK-backed adapters are imported lazily
from their own modules."""

from __future__ import annotations

from navio.payments.providers.base import (
    DEFAULT_WEBHOOK_TOLERANCE,
    EventType,
    IntentStatus,
    PaymentProvider,
    PaymentProviderError,
    PaymentSignatureInvalid,
    ProviderError,
    ProviderIntent,
    ProviderRefund,
    ProviderResult,
    RefundStatus,
    ResultStatus,
    WebhookEvent,
    WebhookPayloadInvalid,
    WebhookSignatureInvalid,
    WebhookTimestampOutOfTolerance,
)
from navio.payments.providers.registry import build_provider
from navio.payments.providers.sandbox import SandboxProvider

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
    "SandboxProvider",
    "WebhookEvent",
    "WebhookPayloadInvalid",
    "WebhookSignatureInvalid",
    "WebhookTimestampOutOfTolerance",
    "build_provider",
]

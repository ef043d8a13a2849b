"""Payment events (for notifications, analytics and bookings later)."""

from __future__ import annotations

import uuid

from navio.kernel.events import Event


class PaymentEvent(Event):
    payment_id: uuid.UUID
    user_id: uuid.UUID
    purpose: str
    purpose_ref: str | None
    amount_minor: int
    currency: str


class PaymentSucceeded(PaymentEvent):
    name = "payments.payment_succeeded"


class PaymentFailed(PaymentEvent):
    name = "payments.payment_failed"


class PaymentRefunded(PaymentEvent):
    name = "payments.payment_refunded"

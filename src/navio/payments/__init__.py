"""Payments: intents, confirmation, refunds, invoices, provider webhooks.

Other contexts import only from here: `payments_for(uow, state)` gives the payment use cases in
the caller's unit of work (bookings open and confirm their card payments through it)."""

from typing import Any

from navio.kernel.uow import UnitOfWork
from navio.payments.events import PaymentFailed, PaymentSucceeded
from navio.payments.models import Payment
from navio.payments.repository import PaymentsRepository
from navio.payments.schemas import IntentConfirm, RefundCreate
from navio.payments.service import PaymentDeclinedKept, PaymentsService


def payments_for(uow: UnitOfWork, state: Any) -> PaymentsService:
    return PaymentsService(
        PaymentsRepository(uow.session_source),
        uow.events,
        state.clock,
        state.payment_providers,
        state.settings.payments.provider,
        state.settings.payments.seller_name,
    )


__all__ = [
    "IntentConfirm",
    "Payment",
    "PaymentDeclinedKept",
    "PaymentFailed",
    "PaymentSucceeded",
    "PaymentsService",
    "RefundCreate",
    "payments_for",
]

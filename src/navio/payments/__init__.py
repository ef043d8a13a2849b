"""Payments: intents, confirmation, refunds, invoices, provider webhooks.

Other contexts import only from here: `payments_for(uow, state)` gives the payment use cases in
the caller's unit of work (bookings open and confirm their card payments through it)."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from navio.kernel.clock import Clock
from navio.kernel.events import EventRecorder
from navio.kernel.uow import UnitOfWork
from navio.payments.events import PaymentFailed, PaymentSucceeded
from navio.payments.models import Payment
from navio.payments.providers.base import PaymentProvider
from navio.payments.repository import PaymentsRepository
from navio.payments.schemas import IntentConfirm, PaymentMethod, RefundCreate
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


def payments_in(
    session: AsyncSession,
    clock: Clock,
    providers: Mapping[str, PaymentProvider],
    default_provider: str,
    seller_name: str,
) -> PaymentsService:
    """The payment use cases in a session of the caller's (event handlers, periodic jobs)."""
    return PaymentsService(
        PaymentsRepository(session),
        EventRecorder(session),
        clock,
        providers,
        default_provider,
        seller_name,
    )


__all__ = [
    "IntentConfirm",
    "Payment",
    "PaymentDeclinedKept",
    "PaymentFailed",
    "PaymentMethod",
    "PaymentSucceeded",
    "PaymentsService",
    "RefundCreate",
    "payments_for",
    "payments_in",
]

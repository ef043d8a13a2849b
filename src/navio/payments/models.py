from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from navio.kernel.db import Base, IdMixin, TimestampMixin


class Payment(IdMixin, TimestampMixin, Base):
    """A payment intent and what became of it."""

    __tablename__ = "payment_payment"

    user_id: Mapped[uuid.UUID] = mapped_column()
    purpose: Mapped[str] = mapped_column(String(32))  # wallet_top_up | booking
    purpose_ref: Mapped[str | None] = mapped_column(String(100), default=None)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    provider: Mapped[str] = mapped_column(String(32))
    provider_ref: Mapped[str] = mapped_column(String(200))
    # requires_confirmation | requires_action | processing | succeeded | failed
    status: Mapped[str] = mapped_column(String(32))
    client_secret: Mapped[str | None] = mapped_column(String(300), default=None)
    next_action: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    failure_code: Mapped[str | None] = mapped_column(String(64), default=None)
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    # the organization whose invoice numbers it uses, and the number once paid
    seller_id: Mapped[uuid.UUID] = mapped_column()
    invoice_number: Mapped[str | None] = mapped_column(String(40), default=None)
    description: Mapped[str] = mapped_column(String(300))
    # bookings: who is paid (an operator's payable account) and the platform's fee
    payee_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    fee_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (
        UniqueConstraint("provider", "provider_ref", name="uq_payment_payment_provider_ref"),
        UniqueConstraint("seller_id", "invoice_number", name="uq_payment_payment_invoice"),
        Index("ix_payment_payment_user", "user_id", "created_at"),
    )


class PaymentRefund(IdMixin, TimestampMixin, Base):
    __tablename__ = "payment_refund"

    payment_id: Mapped[uuid.UUID] = mapped_column()
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    destination: Mapped[str] = mapped_column(String(16))  # card | wallet
    status: Mapped[str] = mapped_column(String(16))
    provider_refund_ref: Mapped[str | None] = mapped_column(String(200), default=None)

    __table_args__ = (Index("ix_payment_refund_payment", "payment_id"),)


class ProviderEventRecord(Base):
    """Every webhook event applied, so a duplicate or a replay has no second effect."""

    __tablename__ = "payment_provider_event"

    provider: Mapped[str] = mapped_column(String(32), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    provider_ref: Mapped[str | None] = mapped_column(String(200), default=None)
    received_at: Mapped[datetime] = mapped_column()
    outcome: Mapped[str] = mapped_column(String(32))


class InvoiceCounter(Base):
    """The next invoice number per seller and year: taken under a row lock in the paying
    transaction, so numbers have no gaps (a rolled-back payment gives its number back)."""

    __tablename__ = "payment_invoice_counter"

    seller_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)

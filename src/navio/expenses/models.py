from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import BigInteger, Date, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from navio.kernel.db import Base, IdMixin, TimestampMixin


class Expense(IdMixin, TimestampMixin, Base):
    """Money spent (or, kind=refund, received back) for a trip or, with no trip, personally.

    The amount is kept in its own currency and, converted once at the frozen rate, in the
    group currency (the trip's; for a personal expense its own)."""

    __tablename__ = "expense_expense"

    trip_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    owner_id: Mapped[uuid.UUID] = mapped_column()  # who recorded it
    payer_id: Mapped[uuid.UUID] = mapped_column()
    kind: Mapped[str] = mapped_column(String(16), default="expense")
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    spent_on: Mapped[date] = mapped_column(Date)
    category: Mapped[str] = mapped_column(String(32))
    merchant: Mapped[str | None] = mapped_column(String(200), default=None)
    location: Mapped[str | None] = mapped_column(String(500), default=None)
    place_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    notes: Mapped[str | None] = mapped_column(Text, default=None)
    split_method: Mapped[str] = mapped_column(String(16))
    group_currency: Mapped[str] = mapped_column(String(3))
    group_amount_minor: Mapped[int] = mapped_column(BigInteger)
    # the frozen rate: quote (group currency) units per unit of `currency`, as exact decimal text
    rate: Mapped[str] = mapped_column(String(40))
    rate_published_on: Mapped[date] = mapped_column(Date)
    rate_source: Mapped[str] = mapped_column(String(100))
    receipt_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    source: Mapped[str] = mapped_column(String(16), default="manual")  # manual|receipt|statement
    fingerprint: Mapped[str | None] = mapped_column(String(64), default=None)  # statement rows
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (
        Index("ix_expense_expense_trip", "trip_id", "spent_on", "id"),
        Index("ix_expense_expense_owner", "owner_id", "spent_on", "id"),
        Index("ix_expense_expense_fingerprint", "owner_id", "fingerprint"),
    )


class ExpenseShare(Base):
    __tablename__ = "expense_share"

    expense_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    value: Mapped[str | None] = mapped_column(String(40), default=None)  # as given: %, weight
    share_minor: Mapped[int] = mapped_column(BigInteger)  # in the expense currency
    group_share_minor: Mapped[int] = mapped_column(BigInteger)  # in the group currency

    __table_args__ = (Index("ix_expense_share_user", "user_id"),)


class Settlement(IdMixin, TimestampMixin, Base):
    """A payment between two members of a trip that clears (part of) a debt."""

    __tablename__ = "expense_settlement"

    trip_id: Mapped[uuid.UUID] = mapped_column()
    payer_id: Mapped[uuid.UUID] = mapped_column()
    payee_id: Mapped[uuid.UUID] = mapped_column()
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    group_currency: Mapped[str] = mapped_column(String(3))
    group_amount_minor: Mapped[int] = mapped_column(BigInteger)
    rate: Mapped[str] = mapped_column(String(40))
    rate_published_on: Mapped[date] = mapped_column(Date)
    paid_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(500), default=None)
    recorded_by: Mapped[uuid.UUID] = mapped_column()

    __table_args__ = (Index("ix_expense_settlement_trip", "trip_id", "created_at", "id"),)


class Receipt(IdMixin, TimestampMixin, Base):
    """An uploaded receipt image and what OCR read from it (a draft, never an expense by
    itself: the traveler confirms it by creating the expense with `receipt_id`)."""

    __tablename__ = "expense_receipt"

    owner_id: Mapped[uuid.UUID] = mapped_column()
    trip_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    image: Mapped[bytes] = mapped_column(LargeBinary)
    draft: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (Index("ix_expense_receipt_owner", "owner_id", "created_at", "id"),)


class StatementImport(IdMixin, TimestampMixin, Base):
    """An uploaded bank statement: previewed, then committed all at once (or not at all)."""

    __tablename__ = "expense_statement_import"

    owner_id: Mapped[uuid.UUID] = mapped_column()
    trip_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    filename: Mapped[str] = mapped_column(String(300))
    currency: Mapped[str] = mapped_column(String(3))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    # the reader's overrides (mapping, date_format, decimal_comma, negate): the same bytes and
    # settings always read the same rows, so rows are not stored twice
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="preview")
    # what commit was asked to do, and what it did
    commit_options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (Index("ix_expense_statement_import_owner", "owner_id", "created_at"),)

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from navio.kernel.db import Base, IdMixin


class Account(IdMixin, Base):
    __tablename__ = "wallet_account"

    kind: Mapped[str] = mapped_column(String(32))
    owner_id: Mapped[uuid.UUID] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    allow_negative: Mapped[bool] = mapped_column(Boolean, default=False)
    # cached: always the sum of the account's entries (`WalletService.verify` checks it)
    balance_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    # the platform's own accounts are several rows (see `domain.STRIPED`); others stripe 0
    stripe: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column()

    __table_args__ = (
        UniqueConstraint("kind", "owner_id", "currency", "stripe", name="uq_wallet_account_owner"),
    )


class Transfer(IdMixin, Base):
    __tablename__ = "wallet_transfer"

    key: Mapped[str] = mapped_column(String(300), unique=True)  # its idempotency key
    kind: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    fingerprint: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    refs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # holds: pending -> captured | voided; payments: refunded so far
    hold_state: Mapped[str | None] = mapped_column(String(16), default=None)
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column()


class Entry(IdMixin, Base):
    __tablename__ = "wallet_entry"

    transfer_id: Mapped[uuid.UUID] = mapped_column()
    account_id: Mapped[uuid.UUID] = mapped_column()
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    balance_after_minor: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column()

    __table_args__ = (
        Index("ix_wallet_entry_account", "account_id", "created_at", "id"),
        Index("ix_wallet_entry_transfer", "transfer_id"),
    )

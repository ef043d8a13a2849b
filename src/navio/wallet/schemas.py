from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class BalanceRead(BaseModel):
    currency: str
    available_minor: int = Field(description="in the wallet, to spend")
    held_minor: int = Field(description="set aside for bookings awaiting confirmation")
    payable_minor: int = Field(
        default=0, description="operators: earned from bookings, not yet paid out"
    )


class BalancesRead(BaseModel):
    balances: list[BalanceRead]


class LedgerLine(BaseModel):
    entry_id: uuid.UUID
    transfer_id: uuid.UUID
    kind: str
    amount_minor: int = Field(description="positive: into the account")
    balance_after_minor: int
    refs: dict[str, Any]
    created_at: datetime


class LedgerPage(BaseModel):
    currency: str
    account: str
    items: list[LedgerLine]
    next_cursor: str | None

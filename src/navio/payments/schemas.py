from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# a payment method as a provider takes it (sandbox: a test card number); the top-up confirms
# with it at once, so both requests accept the same values
PaymentMethod = Annotated[str, Field(min_length=1, max_length=200)]


class IntentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_minor: int = Field(description="positive, in the currency's minor units")
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    purpose: Literal["wallet_top_up"] = "wallet_top_up"


class TopUp(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_minor: int
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    payment_method: PaymentMethod | None = Field(
        default=None,
        description="confirm at once with this method (sandbox: a test card number)",
    )


class IntentConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payment_id: uuid.UUID
    payment_method: PaymentMethod


class RefundCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_minor: int | None = Field(default=None, description="absent: what is left")
    destination: Literal["card", "wallet"] = "card"


class RefundRead(BaseModel):
    id: uuid.UUID
    amount_minor: int
    destination: str
    status: str
    created_at: datetime


class PaymentRead(BaseModel):
    id: uuid.UUID
    purpose: str
    purpose_ref: str | None
    amount_minor: int
    currency: str
    provider: str
    provider_ref: str
    status: str
    client_secret: str | None
    next_action: dict[str, Any] | None
    failure_code: str | None
    refunded_minor: int
    invoice_number: str | None
    refunds: list[RefundRead]
    created_at: datetime
    updated_at: datetime


class WebhookAck(BaseModel):
    received: bool
    event_id: str
    outcome: str

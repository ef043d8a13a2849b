from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

EmailStatus = Literal["pending", "sent", "failed", "dead", "skipped"]


class NoticeRead(BaseModel):
    id: uuid.UUID
    kind: str
    title: str
    body: str
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


class UnreadCount(BaseModel):
    unread: int


class ReadAll(BaseModel):
    marked: int


class EmailDeliveryRead(BaseModel):
    """What became of an e-mail; never its text (reset and verification links are in it)."""

    id: uuid.UUID
    user_id: uuid.UUID | None
    kind: str
    recipient: str
    subject: str
    status: EmailStatus
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


DeliveryStatus = Literal["pending", "sent", "failed", "dead"]


class WebhookEventRead(BaseModel):
    name: str
    description: str


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=8, max_length=2000, description="https://; it receives POSTs")
    events: list[str] = Field(
        min_length=1, max_length=20, description="names from `GET /notifications/webhooks/events`"
    )
    description: str = Field(default="", max_length=200)


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, min_length=8, max_length=2000)
    events: list[str] | None = Field(default=None, min_length=1, max_length=20)
    description: str | None = Field(default=None, max_length=200)
    enabled: bool | None = Field(default=None, description="true again after it was switched off")


class WebhookRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    url: str
    description: str
    events: list[str]
    enabled: bool
    disabled_reason: str | None
    previous_until: datetime | None = Field(
        description="while set, the previous secret signs too (a rotation's grace period)"
    )
    created_at: datetime


class WebhookSecret(BaseModel):
    secret: str = Field(description="shown once: `whsec_` and base64, as Standard Webhooks")


class WebhookCreated(WebhookRead):
    secret: str = Field(description="shown once: keep it to verify `webhook-signature`")


class WebhookDeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID = Field(description="the `webhook-id` header, the same on every attempt")
    event_id: uuid.UUID
    event_name: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    response_status: int | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class PushKeys(BaseModel):
    model_config = ConfigDict(extra="forbid")

    p256dh: str = Field(min_length=80, max_length=100, description="base64url P-256 point")
    auth: str = Field(min_length=16, max_length=40, description="base64url, 16 bytes")


class PushSubscriptionCreate(BaseModel):
    """The Push API's `PushSubscription.toJSON()`, as a browser gives it."""

    model_config = ConfigDict(extra="ignore")  # browsers add expirationTime

    endpoint: str = Field(min_length=10, max_length=2000)
    keys: PushKeys


class PushSubscriptionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    endpoint: str
    created_at: datetime
    last_sent_at: datetime | None


class PushKey(BaseModel):
    application_server_key: str = Field(
        description="the VAPID public key: pass it as `applicationServerKey` to "
        "`pushManager.subscribe`"
    )

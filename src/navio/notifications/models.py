from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from navio.kernel.db import Base
from navio.kernel.ids import new_id


class SendState:
    """What every queue of things to send keeps (e-mails, webhook deliveries, pushes): `pending`
    until a sender claims it (`claimed_until`), then `sent`, `failed` (tried again at
    `next_attempt_at`) or `dead`; the senders claim them through one query
    (repository._claim_due)."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column()
    claimed_until: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column(default=None)


class Email(SendState, Base):
    """An e-mail to send, and what became of it: `pending` until a sender claims it, then
    `sent`, `failed` (a temporary refusal: tried again at `next_attempt_at`), `dead` (refused
    for good, or too often) or `skipped` (no SMTP server configured)."""

    __tablename__ = "notification_email"

    user_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    kind: Mapped[str] = mapped_column(String(48))
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        Index("ix_notification_email_due", "status", "next_attempt_at"),
        Index("ix_notification_email_created", "created_at", "id"),
    )


class Notice(Base):
    """An in-app notification in a user's inbox."""

    __tablename__ = "notification_notice"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column()
    kind: Mapped[str] = mapped_column(String(48))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(String(1000))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column()
    read_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (Index("ix_notification_notice_user_created", "user_id", "created_at", "id"),)


class Webhook(Base):
    """An operator's endpoint: where their events are POSTed, which ones, and the secret that
    signs them (kept to sign; shown to its owner once). During a rotation the previous secret
    signs too, until `previous_until`."""

    __tablename__ = "notification_webhook"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column()
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    events: Mapped[list[str]] = mapped_column()
    secret: Mapped[str] = mapped_column(String(100))
    previous_secret: Mapped[str | None] = mapped_column(String(100), default=None)
    previous_until: Mapped[datetime | None] = mapped_column(default=None)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(200), default=None)
    dead_in_a_row: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column()

    __table_args__ = (Index("ix_notification_webhook_user", "user_id", "created_at", "id"),)


class WebhookDelivery(SendState, Base):
    """One event for one endpoint and what became of it: `pending`, `sent`, `failed` (tried
    again at `next_attempt_at`) or `dead` (given up). Its id is the `webhook-id` header, the
    same on every attempt, so receivers can drop a repeat."""

    __tablename__ = "notification_webhook_delivery"

    webhook_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("notification_webhook.id", ondelete="CASCADE")
    )
    event_id: Mapped[uuid.UUID] = mapped_column()
    event_name: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    response_status: Mapped[int | None] = mapped_column(Integer, default=None)

    __table_args__ = (
        UniqueConstraint("webhook_id", "event_id", name="uq_notification_webhook_delivery_once"),
        Index("ix_notification_webhook_delivery_due", "status", "next_attempt_at"),
        Index("ix_notification_webhook_delivery_log", "webhook_id", "created_at", "id"),
    )


class PushSubscription(Base):
    """A browser's or app's Web Push subscription (the Push API's `PushSubscription`): where
    its push service takes messages for it, and the keys that seal them for it alone."""

    __tablename__ = "notification_push_subscription"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column()
    endpoint: Mapped[str] = mapped_column(String(2000))
    p256dh: Mapped[str] = mapped_column(String(100))
    auth: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column()
    last_sent_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (
        UniqueConstraint("endpoint", name="uq_notification_push_subscription_endpoint"),
        Index("ix_notification_push_subscription_user", "user_id"),
    )


class PushDelivery(SendState, Base):
    """One notice for one subscription, and what became of it (as a webhook delivery)."""

    __tablename__ = "notification_push_delivery"

    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(
            "notification_push_subscription.id",
            ondelete="CASCADE",
            # the naming convention's name would pass PostgreSQL's 63 characters
            name="fk_notification_push_delivery_subscription",
        )
    )
    body: Mapped[str] = mapped_column(Text)
    response_status: Mapped[int | None] = mapped_column(Integer, default=None)

    __table_args__ = (
        Index("ix_notification_push_delivery_due", "status", "next_attempt_at"),
        Index("ix_notification_push_delivery_subscription", "subscription_id"),
    )


__all__ = [
    "Email",
    "Notice",
    "PushDelivery",
    "PushSubscription",
    "Webhook",
    "WebhookDelivery",
]

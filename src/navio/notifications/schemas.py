from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

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

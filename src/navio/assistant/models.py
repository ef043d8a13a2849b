from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from navio.kernel.db import Base
from navio.kernel.ids import new_id


class Conversation(Base):
    """A traveler's conversation with the assistant and what it has understood so far (the
    trip request every later message refines)."""

    __tablename__ = "assistant_conversation"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    owner_id: Mapped[uuid.UUID] = mapped_column()
    title: Mapped[str] = mapped_column(String(200))
    understood: Mapped[dict[str, Any]] = mapped_column(default=dict)
    turns: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()

    __table_args__ = (Index("ix_assistant_conversation_owner", "owner_id", "created_at", "id"),)


class Message(Base):
    """One message: the traveler's words, or the assistant's answer with the journey it
    composed (as the API returned it)."""

    __tablename__ = "assistant_message"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("assistant_conversation.id", ondelete="CASCADE")
    )
    seq: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))  # traveler | assistant
    text: Mapped[str] = mapped_column(Text)
    journey: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column()

    __table_args__ = (Index("uq_assistant_message_seq", "conversation_id", "seq", unique=True),)


__all__ = ["Conversation", "Message"]

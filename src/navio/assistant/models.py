from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
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


class ChatLink(Base):
    """A messaging chat (Telegram) linked to a traveler: its messages are theirs, in the
    conversation it is on."""

    __tablename__ = "assistant_chat_link"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column()
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    conversation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("assistant_conversation.id", ondelete="SET NULL"), default=None
    )
    linked_at: Mapped[datetime] = mapped_column()

    __table_args__ = (
        UniqueConstraint("channel", "chat_id", name="uq_assistant_chat_link_chat"),
        Index("ix_assistant_chat_link_user", "user_id", "linked_at", "id"),
    )


class LinkCode(Base):
    """A one-time code a signed-in traveler gets to link a chat (sent as `/start CODE`)."""

    __tablename__ = "assistant_link_code"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column()
    channel: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[datetime] = mapped_column()

    __table_args__ = (Index("ix_assistant_link_code_user", "user_id"),)


class InboundUpdate(Base):
    """An update a messaging platform sent, kept so a redelivered one is answered once."""

    __tablename__ = "assistant_inbound_update"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    received_at: Mapped[datetime] = mapped_column()


__all__ = ["ChatLink", "Conversation", "InboundUpdate", "LinkCode", "Message"]

"""Every assistant query. Never commits."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select

from navio.assistant.models import Conversation, Message
from navio.kernel.db import Repository
from navio.kernel.pagination import Cursor, newest_first


class AssistantRepository(Repository):
    async def add_conversation(
        self, owner_id: uuid.UUID, title: str, now: datetime
    ) -> Conversation:
        conversation = Conversation(
            owner_id=owner_id, title=title, understood={}, turns=0, created_at=now, updated_at=now
        )
        self.session.add(conversation)
        await self.session.flush()
        return conversation

    async def conversation(self, conversation_id: uuid.UUID) -> Conversation | None:
        return await self.session.get(Conversation, conversation_id)

    async def conversation_for_update(self, conversation_id: uuid.UUID) -> Conversation | None:
        """The row locked (PostgreSQL) so two messages to one conversation take turns."""
        return await self.session.scalar(
            select(Conversation).where(Conversation.id == conversation_id).with_for_update()
        )

    async def conversations(
        self, owner_id: uuid.UUID, before: Cursor | None, limit: int
    ) -> list[Conversation]:
        query = select(Conversation).where(Conversation.owner_id == owner_id)
        rows = await self.session.scalars(
            newest_first(query, Conversation.created_at, Conversation.id, limit, before)
        )
        return list(rows)

    async def add_message(
        self,
        conversation: Conversation,
        role: str,
        text: str,
        journey: dict[str, Any] | None,
        now: datetime,
    ) -> Message:
        conversation.turns += 1
        message = Message(
            conversation_id=conversation.id,
            seq=conversation.turns,
            role=role,
            text=text,
            journey=journey,
            created_at=now,
        )
        self.session.add(message)
        await self.session.flush()
        return message

    async def messages(self, conversation_id: uuid.UUID) -> list[Message]:
        rows = await self.session.scalars(
            select(Message).where(Message.conversation_id == conversation_id).order_by(Message.seq)
        )
        return list(rows)

"""Every assistant query. Never commits."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from navio.assistant.models import ChatLink, Conversation, InboundUpdate, LinkCode, Message
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

    # ---------------------------------------------------------------- messaging chats
    async def first_time(self, channel: str, update_id: int, now: datetime) -> bool:
        """Note an update; False when it was noted before (a redelivery)."""
        result = await self.session.execute(
            self.insert(InboundUpdate)
            .values(channel=channel, update_id=update_id, received_at=now)
            .on_conflict_do_nothing(index_elements=["channel", "update_id"])
            .returning(InboundUpdate.update_id)
        )
        return result.scalar_one_or_none() is not None

    async def new_code(self, code: LinkCode) -> None:
        """The user's earlier codes for the channel stop working."""
        await self.session.execute(
            delete(LinkCode).where(
                LinkCode.user_id == code.user_id, LinkCode.channel == code.channel
            )
        )
        self.session.add(code)
        await self.session.flush()

    async def take_code(self, channel: str, code: str, now: datetime) -> uuid.UUID | None:
        """The user a live code was given to; the code is spent."""
        row = await self.session.get(LinkCode, code, with_for_update=True)
        if row is None or row.channel != channel:
            return None
        await self.session.delete(row)
        await self.session.flush()
        return row.user_id if row.expires_at > now else None

    async def link_of_chat(self, channel: str, chat_id: str) -> ChatLink | None:
        statement = select(ChatLink).where(ChatLink.channel == channel, ChatLink.chat_id == chat_id)
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def link(self, link_id: uuid.UUID) -> ChatLink | None:
        return await self.session.get(ChatLink, link_id)

    async def links(self, user_id: uuid.UUID) -> list[ChatLink]:
        statement = (
            select(ChatLink)
            .where(ChatLink.user_id == user_id)
            .order_by(ChatLink.linked_at, ChatLink.id)
        )
        return list(await self.session.scalars(statement))

    async def add_link(self, link: ChatLink) -> None:
        self.session.add(link)
        await self.session.flush()

    async def remove(self, row: ChatLink) -> None:
        await self.session.delete(row)
        await self.session.flush()

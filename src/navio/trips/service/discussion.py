"""Comments and suggestions (a suggestion accepted is applied as an item edit)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from pydantic import ValidationError

from navio.iam import Principal, user_cards
from navio.kernel.pagination import Cursor, Page, page_of
from navio.trips.domain import Action, Role
from navio.trips.errors import (
    CommentNotFound,
    InvalidTripItem,
    SuggestionDecided,
    SuggestionNotFound,
    TripForbidden,
)
from navio.trips.events import (
    CommentDeleted,
    CommentEdited,
    CommentPosted,
    SuggestionMade,
)
from navio.trips.events import SuggestionDecided as SuggestionDecidedEvent
from navio.trips.models import TripComment, TripSuggestion
from navio.trips.schemas import (
    CommentCreate,
    CommentRead,
    CommentUpdate,
    ItemCreate,
    ItemUpdate,
    SuggestionCreate,
    SuggestionRead,
)
from navio.trips.service.base import Access
from navio.trips.service.items import ItemOperations


class DiscussionOperations(ItemOperations):
    # ---------------------------------------------------------------- comments
    async def _comment_reads(self, comments: Sequence[TripComment]) -> list[CommentRead]:
        cards = await user_cards(self.repo.session, [c.author_id for c in comments])
        return [
            CommentRead(
                id=c.id,
                trip_id=c.trip_id,
                item_id=c.item_id,
                author_id=c.author_id,
                author_name=cards[c.author_id].display_name if c.author_id in cards else "",
                body=c.body,
                created_at=c.created_at,
                edited_at=c.edited_at,
            )
            for c in comments
        ]

    async def post_comment(
        self, principal: Principal, trip_id: uuid.UUID, body: CommentCreate
    ) -> CommentRead:
        access = await self.access(principal, trip_id, Action.COMMENT)
        if body.item_id is not None:
            await self._existing_item(trip_id, body.item_id)
        now = self.clock.now()
        comment = TripComment(
            trip_id=trip_id,
            item_id=body.item_id,
            author_id=principal.user_id,
            body=body.body,
            created_at=now,
            updated_at=now,
        )
        await self.repo.add(comment)
        self._record(
            CommentPosted,
            access.trip,
            principal.user_id,
            subject_id=comment.id,
            data={
                "item_id": None if body.item_id is None else str(body.item_id),
                "body": body.body,
            },
        )
        return (await self._comment_reads([comment]))[0]

    async def comments(
        self,
        principal: Principal,
        trip_id: uuid.UUID,
        item_id: uuid.UUID | None,
        limit: int,
        cursor: str | None,
    ) -> Page[CommentRead]:
        await self.access(principal, trip_id, Action.VIEW_PRIVATE)
        after = Cursor.decode(cursor) if cursor else None
        rows = await self.repo.comments(trip_id, item_id, limit, after)
        page, next_cursor = page_of(rows, limit, lambda c: Cursor(c.created_at, c.id))
        return Page(items=await self._comment_reads(page), next_cursor=next_cursor)

    async def _own_comment(
        self, principal: Principal, trip_id: uuid.UUID, comment_id: uuid.UUID, moderate: bool
    ) -> tuple[Access, TripComment]:
        access = await self.access(principal, trip_id, Action.VIEW_PRIVATE)
        comment = await self.repo.comment(trip_id, comment_id)
        if comment is None:
            raise CommentNotFound()
        mine = comment.author_id == principal.user_id
        if not mine and not (moderate and access.role == Role.OWNER):
            raise TripForbidden("only the author may change a comment")
        if mine and not access.can(Action.COMMENT) and not moderate:
            raise TripForbidden("your role may not comment")
        return access, comment

    async def edit_comment(
        self, principal: Principal, trip_id: uuid.UUID, comment_id: uuid.UUID, body: CommentUpdate
    ) -> CommentRead:
        access, comment = await self._own_comment(principal, trip_id, comment_id, moderate=False)
        comment.body = body.body
        comment.edited_at = self.clock.now()
        await self.repo.session.flush()
        self._record(
            CommentEdited,
            access.trip,
            principal.user_id,
            subject_id=comment.id,
            data={"body": body.body},
        )
        return (await self._comment_reads([comment]))[0]

    async def delete_comment(
        self, principal: Principal, trip_id: uuid.UUID, comment_id: uuid.UUID
    ) -> None:
        access, comment = await self._own_comment(principal, trip_id, comment_id, moderate=True)
        await self.repo.delete(comment)
        self._record(CommentDeleted, access.trip, principal.user_id, subject_id=comment_id)

    # ---------------------------------------------------------------- suggestions
    def _suggestion(self, s: TripSuggestion) -> SuggestionRead:
        return SuggestionRead.model_validate(s, from_attributes=True)

    async def suggest(
        self, principal: Principal, trip_id: uuid.UUID, body: SuggestionCreate
    ) -> SuggestionRead:
        access = await self.access(principal, trip_id, Action.SUGGEST)
        try:
            if body.action == "add_item":
                payload = ItemCreate.model_validate(body.item).model_dump(mode="json")
            elif body.action == "update_item":
                payload = ItemUpdate.model_validate(body.item).model_dump(
                    mode="json", exclude_unset=True
                )
            else:
                payload = {}
        except ValidationError as exc:
            raise InvalidTripItem(
                "the suggested item is not valid",
                field="item",
                errors=exc.errors(include_url=False, include_context=False),
            ) from exc
        if body.action != "add_item":
            if body.item_id is None:
                raise InvalidTripItem("name the item to change", field="item_id")
            await self._existing_item(trip_id, body.item_id)
        now = self.clock.now()
        suggestion = TripSuggestion(
            trip_id=trip_id,
            author_id=principal.user_id,
            action=body.action,
            item_id=body.item_id,
            payload=payload,
            status="pending",
            created_at=now,
            updated_at=now,
        )
        await self.repo.add(suggestion)
        self._record(
            SuggestionMade,
            access.trip,
            principal.user_id,
            subject_id=suggestion.id,
            data={
                "action": body.action,
                "item_id": None if body.item_id is None else str(body.item_id),
            },
        )
        return self._suggestion(suggestion)

    async def suggestions(
        self, principal: Principal, trip_id: uuid.UUID, status: str | None
    ) -> list[SuggestionRead]:
        await self.access(principal, trip_id, Action.VIEW_PRIVATE)
        return [self._suggestion(s) for s in await self.repo.suggestions(trip_id, status)]

    async def decide(
        self, principal: Principal, trip_id: uuid.UUID, suggestion_id: uuid.UUID, accept: bool
    ) -> SuggestionRead:
        access = await self.access(principal, trip_id, Action.EDIT, for_update=True)
        suggestion = await self.repo.suggestion(trip_id, suggestion_id)
        if suggestion is None:
            raise SuggestionNotFound()
        if suggestion.status != "pending":
            raise SuggestionDecided()
        if accept:
            # applied as the decider's edit, checked against the trip as it is now
            if suggestion.action == "add_item":
                await self._new_item(
                    access, principal.user_id, ItemCreate.model_validate(suggestion.payload)
                )
            else:
                assert suggestion.item_id is not None
                item = await self._existing_item(trip_id, suggestion.item_id)
                if suggestion.action == "update_item":
                    await self._change_item(
                        access,
                        principal.user_id,
                        item,
                        ItemUpdate.model_validate(suggestion.payload),
                    )
                else:
                    await self._drop_item(access, principal.user_id, item)
        suggestion.status = "accepted" if accept else "rejected"
        suggestion.decided_by = principal.user_id
        suggestion.decided_at = self.clock.now()
        await self.repo.session.flush()
        self._record(
            SuggestionDecidedEvent,
            access.trip,
            principal.user_id,
            subject_id=suggestion.id,
            data={"status": suggestion.status, "author_id": str(suggestion.author_id)},
        )
        return self._suggestion(suggestion)

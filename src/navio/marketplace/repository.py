"""Every marketplace query. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update

from navio.kernel.db import Repository
from navio.kernel.geo import in_box
from navio.kernel.pagination import Cursor, newest_first
from navio.marketplace.models import Listing, Operator, Payout, Reservation, Review, Slot


class MarketplaceRepository(Repository):
    async def add(self, row: object) -> None:
        self.session.add(row)
        await self.session.flush()

    # ---------------------------------------------------------------- operators
    async def operator_of(self, user_id: uuid.UUID, *, for_update: bool = False) -> Operator | None:
        statement = select(Operator).where(Operator.user_id == user_id)
        if for_update:
            statement = statement.with_for_update().execution_options(populate_existing=True)
        return await self.session.scalar(statement)

    async def operator(
        self, operator_id: uuid.UUID, *, for_update: bool = False
    ) -> Operator | None:
        statement = select(Operator).where(Operator.id == operator_id)
        if for_update:
            statement = statement.with_for_update().execution_options(populate_existing=True)
        return await self.session.scalar(statement)

    async def operators(
        self, kyc_status: str | None, limit: int, before: Cursor | None
    ) -> list[Operator]:
        statement = select(Operator)
        if kyc_status is not None:
            statement = statement.where(Operator.kyc_status == kyc_status)
        page = newest_first(statement, Operator.created_at, Operator.id, limit, before)
        return list(await self.session.scalars(page))

    async def operator_names(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
        if not ids:
            return {}
        rows = await self.session.execute(
            select(Operator.id, Operator.display_name).where(Operator.id.in_(set(ids)))
        )
        return {row.id: row.display_name for row in rows}

    # ---------------------------------------------------------------- listings
    async def listing(self, listing_id: uuid.UUID, *, for_update: bool = False) -> Listing | None:
        statement = select(Listing).where(Listing.id == listing_id)
        if for_update:
            statement = statement.with_for_update().execution_options(populate_existing=True)
        return await self.session.scalar(statement)

    async def listings_of(
        self, operator_id: uuid.UUID, status: str | None, limit: int, before: Cursor | None
    ) -> list[Listing]:
        statement = select(Listing).where(Listing.operator_id == operator_id)
        if status is not None:
            statement = statement.where(Listing.status == status)
        page = newest_first(statement, Listing.created_at, Listing.id, limit, before)
        return list(await self.session.scalars(page))

    async def published(
        self,
        *,
        kind: str | None,
        text: str | None,
        near: tuple[float, float, float] | None,
        currency: str | None,
        max_price_minor: int | None,
        limit: int,
        before: Cursor | None,
    ) -> list[Listing]:
        """Published listings newest first; `near` (lat, lon, radius in metres) narrows to
        their bounding box (the caller keeps those within the radius)."""
        statement = select(Listing).where(Listing.status == "published")
        if kind is not None:
            statement = statement.where(Listing.kind == kind)
        if text:
            escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            statement = statement.where(func.lower(Listing.title).like(f"%{escaped}%", escape="\\"))
        if currency is not None:
            statement = statement.where(Listing.currency == currency)
        if max_price_minor is not None:
            statement = statement.where(Listing.price_minor <= max_price_minor)
        if near is not None:
            statement = statement.where(in_box(Listing.lat, Listing.lon, *near))
        page = newest_first(statement, Listing.created_at, Listing.id, limit, before)
        return list(await self.session.scalars(page))

    # ---------------------------------------------------------------- slots
    async def slot(self, slot_id: uuid.UUID, *, for_update: bool = False) -> Slot | None:
        statement = select(Slot).where(Slot.id == slot_id)
        if for_update:
            statement = statement.with_for_update().execution_options(populate_existing=True)
        return await self.session.scalar(statement)

    async def slot_starts(self, listing_id: uuid.UUID, starts: Sequence[datetime]) -> set[datetime]:
        if not starts:
            return set()
        rows = await self.session.scalars(
            select(Slot.starts_at).where(
                Slot.listing_id == listing_id,
                Slot.starts_at >= min(starts),
                Slot.starts_at <= max(starts),
            )
        )
        return set(rows)

    async def slots(
        self, listing_id: uuid.UUID, start: datetime, end: datetime, limit: int
    ) -> list[Slot]:
        statement = (
            select(Slot)
            .where(Slot.listing_id == listing_id, Slot.starts_at >= start, Slot.starts_at < end)
            .order_by(Slot.starts_at)
            .limit(limit)
        )
        return list(await self.session.scalars(statement))

    async def take_seats(self, slot_id: uuid.UUID, seats: int) -> bool:
        """Reserve seats if that many are left on an open slot: one conditional update, so two
        bookings racing for the last seat cannot both get it."""
        result = await self.session.execute(
            update(Slot)
            .where(
                Slot.id == slot_id,
                Slot.closed.is_(False),
                Slot.reserved + seats <= Slot.capacity,
            )
            .values(reserved=Slot.reserved + seats)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def give_back(self, slot_id: uuid.UUID, seats: int) -> None:
        await self.session.execute(
            update(Slot)
            .where(Slot.id == slot_id)
            .values(reserved=Slot.reserved - seats)
            .execution_options(synchronize_session=False)
        )

    async def delete(self, row: object) -> None:
        await self.session.delete(row)
        await self.session.flush()

    async def slot_on_sale(self, slot_id: uuid.UUID) -> tuple[Slot, Listing] | None:
        """The slot and its listing in one read (what a booking needs to quote)."""
        row = (
            await self.session.execute(
                select(Slot, Listing)
                .join(Listing, Listing.id == Slot.listing_id)
                .where(Slot.id == slot_id)
            )
        ).first()
        return None if row is None else (row[0], row[1])

    # ---------------------------------------------------------------- reservations
    async def mark(self, booking_id: uuid.UUID, status: str, unless: Sequence[str]) -> bool:
        """Set a booking's reservation to `status` unless it is in one of `unless`: one
        update, no read first."""
        result = await self.session.execute(
            update(Reservation)
            .where(Reservation.booking_id == booking_id, Reservation.status.not_in(unless))
            .values(status=status)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def release(self, booking_id: uuid.UUID) -> tuple[uuid.UUID, int] | None:
        """Mark a booking's reservation released unless it is already: its slot and seats, or
        None when there was nothing to release (both databases answer RETURNING)."""
        row = (
            await self.session.execute(
                update(Reservation)
                .where(Reservation.booking_id == booking_id, Reservation.status != "released")
                .values(status="released")
                .returning(Reservation.slot_id, Reservation.seats)
                .execution_options(synchronize_session=False)
            )
        ).first()
        return None if row is None else (row[0], row[1])

    async def reservations(
        self, listing_id: uuid.UUID, slot_id: uuid.UUID | None, limit: int, before: Cursor | None
    ) -> list[tuple[Reservation, datetime]]:
        statement = (
            select(Reservation, Slot.starts_at)
            .join(Slot, Slot.id == Reservation.slot_id)
            .where(Reservation.listing_id == listing_id)
        )
        if slot_id is not None:
            statement = statement.where(Reservation.slot_id == slot_id)
        page = newest_first(statement, Reservation.created_at, Reservation.id, limit, before)
        return [(r, at) for r, at in (await self.session.execute(page)).all()]

    async def reviewable(self, user_id: uuid.UUID, listing_id: uuid.UUID) -> list[datetime]:
        """The starts of the user's confirmed reservations of the listing."""
        rows = await self.session.scalars(
            select(Slot.starts_at)
            .join(Reservation, Reservation.slot_id == Slot.id)
            .where(
                Reservation.user_id == user_id,
                Reservation.listing_id == listing_id,
                Reservation.status == "confirmed",
            )
        )
        return list(rows)

    # ---------------------------------------------------------------- reviews
    async def review(self, review_id: uuid.UUID, *, for_update: bool = False) -> Review | None:
        statement = select(Review).where(Review.id == review_id)
        if for_update:
            statement = statement.with_for_update().execution_options(populate_existing=True)
        return await self.session.scalar(statement)

    async def review_by(self, listing_id: uuid.UUID, user_id: uuid.UUID) -> Review | None:
        return await self.session.scalar(
            select(Review).where(Review.listing_id == listing_id, Review.user_id == user_id)
        )

    async def reviews(
        self, listing_id: uuid.UUID, rating: int | None, limit: int, before: Cursor | None
    ) -> list[Review]:
        statement = select(Review).where(Review.listing_id == listing_id)
        if rating is not None:
            statement = statement.where(Review.rating == rating)
        page = newest_first(statement, Review.created_at, Review.id, limit, before)
        return list(await self.session.scalars(page))

    async def histogram(self, listing_id: uuid.UUID) -> dict[int, int]:
        rows = await self.session.execute(
            select(Review.rating, func.count())
            .where(Review.listing_id == listing_id)
            .group_by(Review.rating)
        )
        return {int(rating): int(count) for rating, count in rows.all()}

    async def rate(self, listing_id: uuid.UUID, add_sum: int, add_count: int) -> None:
        """Move a listing's rating totals in place (concurrent reviews add up, none is lost)."""
        await self.session.execute(
            update(Listing)
            .where(Listing.id == listing_id)
            .values(
                rating_sum=Listing.rating_sum + add_sum,
                rating_count=Listing.rating_count + add_count,
            )
            .execution_options(synchronize_session=False)
        )

    # ---------------------------------------------------------------- payouts
    async def payout_by_transfer(self, transfer_id: uuid.UUID) -> Payout | None:
        return await self.session.scalar(select(Payout).where(Payout.transfer_id == transfer_id))

    async def payouts(self, operator_id: uuid.UUID, limit: int) -> list[Payout]:
        statement = newest_first(
            select(Payout).where(Payout.operator_id == operator_id),
            Payout.created_at,
            Payout.id,
            limit,
            None,
        )
        return list(await self.session.scalars(statement))

"""Marketplace use cases: operators and their KYC state, listings, dated slots with seats,
reviews and payouts. Bookings reserve seats through `Inventory` in the booking's transaction.
Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from navio.iam import Permission, Principal, user_cards
from navio.kernel.clock import Clock
from navio.kernel.errors import Forbidden, InvalidInput
from navio.kernel.events import EventRecorder
from navio.kernel.geo import haversine_m
from navio.kernel.money import is_currency
from navio.kernel.pagination import Cursor, Page, page_of
from navio.kernel.versioning import check_if_match
from navio.marketplace import domain
from navio.marketplace.domain import (
    KycStatus,
    ListingKind,
    ListingStatus,
    ReservationStatus,
    RuleError,
)
from navio.marketplace.errors import (
    InvalidListing,
    InvalidOperator,
    InvalidSlots,
    KycNotPending,
    ListingNotFound,
    ListingStateConflict,
    OperatorExists,
    OperatorNotFound,
    OperatorNotVerified,
    OwnListing,
    ReviewExists,
    ReviewNotAllowed,
    ReviewNotFound,
    SlotFull,
    SlotHasReservations,
    SlotNotFound,
    SlotUnavailable,
)
from navio.marketplace.events import (
    ListingPublished,
    OperatorKycDecided,
    ReviewPosted,
    ReviewReplied,
)
from navio.marketplace.models import Listing, Operator, Payout, Reservation, Review, Slot
from navio.marketplace.repository import MarketplaceRepository
from navio.marketplace.schemas import (
    Earnings,
    KycDecision,
    ListingCreate,
    ListingRead,
    ListingUpdate,
    OperatorCreate,
    OperatorRead,
    OperatorUpdate,
    PayoutCreate,
    PayoutRead,
    PayoutsRead,
    PolicyIn,
    ReservationRead,
    ReviewCreate,
    ReviewPage,
    ReviewRead,
    ReviewReply,
    ReviewSummary,
    SlotRead,
    SlotsCreate,
    SlotsCreated,
    SlotUpdate,
)
from navio.places import country_names, place_cards
from navio.wallet import AccountKind, ledger

MAX_SEATS = 50  # per booking
AVAILABILITY_DAYS = 92
AVAILABILITY_SLOTS = 1000


@dataclass(frozen=True, slots=True)
class Quote:
    """What a booking of seats on a slot is: the listing's terms at the time of booking."""

    listing_id: uuid.UUID
    slot_id: uuid.UUID
    kind: str
    title: str
    seller_id: uuid.UUID
    seats: int
    amount_minor: int
    currency: str
    starts_at: datetime
    free_until_hours: int
    late_refund_pct: int


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidListing(f"{name!r} is not an IANA time zone", field="timezone") from exc


def _text(value: str, field: str, error: type[InvalidInput]) -> str:
    """A name without the spaces around it, and not only spaces."""
    if not value.strip():
        raise error("write something", field=field)
    return value.strip()


def _cursor(value: str | None) -> Cursor | None:
    return Cursor.decode(value) if value else None


class MarketplaceService:
    def __init__(self, repo: MarketplaceRepository, events: EventRecorder, clock: Clock) -> None:
        self.repo = repo
        self.events = events
        self.clock = clock

    # ================================================================ operators
    async def _operator(self, principal: Principal, *, for_update: bool = False) -> Operator:
        operator = await self.repo.operator_of(principal.user_id, for_update=for_update)
        if operator is None:
            raise OperatorNotFound(
                "create your operator profile first (POST /marketplace/operator)"
            )
        return operator

    @staticmethod
    def _legal(country: str | None, iban: str | None) -> str | None:
        if country is not None and country not in country_names():
            raise InvalidOperator(f"{country!r} is not a country", field="country")
        if iban is None:
            return None
        try:
            return domain.normalise_iban(iban)
        except RuleError as exc:
            raise InvalidOperator(str(exc), field=exc.field) from exc

    async def create_operator(self, principal: Principal, body: OperatorCreate) -> OperatorRead:
        if await self.repo.operator_of(principal.user_id) is not None:
            raise OperatorExists()
        iban = self._legal(body.country, body.iban)
        assert iban is not None
        now = self.clock.now()
        operator = Operator(
            id=uuid.uuid4(),
            user_id=principal.user_id,
            display_name=_text(body.display_name, "display_name", InvalidOperator),
            legal_name=_text(body.legal_name, "legal_name", InvalidOperator),
            country=body.country,
            company_number=body.company_number,
            iban=iban,
            kyc_status=KycStatus.PENDING.value,
            kyc_submitted_at=now,
            version=1,
            created_at=now,
            updated_at=now,
        )
        await self.repo.add(operator)
        return _operator_read(operator)

    async def my_operator(self, principal: Principal) -> OperatorRead:
        return _operator_read(await self._operator(principal))

    async def update_operator(
        self, principal: Principal, body: OperatorUpdate, if_match: str | None
    ) -> OperatorRead:
        operator = await self._operator(principal, for_update=True)
        check_if_match(if_match, operator.version)
        changes = body.model_dump(exclude_unset=True)
        for field in ("display_name", "legal_name", "country", "iban"):
            if field in changes and changes[field] is None:
                raise InvalidOperator(f"{field} cannot be removed", field=field)
        for field in ("display_name", "legal_name"):
            if field in changes:
                changes[field] = _text(changes[field], field, InvalidOperator)
        iban = self._legal(changes.get("country"), changes.get("iban"))
        if iban is not None:
            changes["iban"] = iban
        changed = [f for f, v in changes.items() if getattr(operator, f) != v]
        if not changed:
            return _operator_read(operator)
        for field in changed:
            setattr(operator, field, changes[field])
        status = domain.after_change(KycStatus(operator.kyc_status), changed)
        now = self.clock.now()
        if status is KycStatus.PENDING and operator.kyc_status != KycStatus.PENDING.value:
            operator.kyc_status = status.value
            operator.kyc_submitted_at = now
            operator.kyc_reason = None
        operator.version += 1
        operator.updated_at = now
        return _operator_read(operator)

    async def operators(
        self, kyc_status: KycStatus | None, limit: int, cursor: str | None
    ) -> Page[OperatorRead]:
        rows = await self.repo.operators(
            kyc_status.value if kyc_status else None, limit, _cursor(cursor)
        )
        page, next_cursor = page_of(rows, limit, lambda o: Cursor(o.created_at, o.id))
        return Page(items=[_operator_read(o) for o in page], next_cursor=next_cursor)

    async def decide(
        self, principal: Principal, operator_id: uuid.UUID, body: KycDecision
    ) -> OperatorRead:
        operator = await self.repo.operator(operator_id, for_update=True)
        if operator is None:
            raise OperatorNotFound()
        try:
            status = domain.decide(KycStatus(operator.kyc_status), KycStatus(body.decision))
        except RuleError as exc:
            raise KycNotPending(str(exc)) from exc
        if status is KycStatus.REJECTED and not (body.reason and body.reason.strip()):
            raise InvalidOperator("say why the details are rejected", field="reason")
        now = self.clock.now()
        operator.kyc_status = status.value
        operator.kyc_reason = body.reason.strip() if body.reason else None
        operator.kyc_decided_at = now
        operator.kyc_decided_by = principal.user_id
        operator.version += 1
        operator.updated_at = now
        if status is KycStatus.REJECTED:
            # nothing of theirs stays on sale while their details are not vouched for
            for listing in await self.repo.listings_of(operator.id, "published", 10_000, None):
                listing.status = ListingStatus.DRAFT.value
                listing.version += 1
        self.events.record(
            OperatorKycDecided(
                operator_id=operator.id,
                user_id=operator.user_id,
                status=status.value,
                reason=operator.kyc_reason,
            )
        )
        return _operator_read(operator)

    # ================================================================ listings
    async def _listing(
        self, principal: Principal | None, listing_id: uuid.UUID, *, for_update: bool = False
    ) -> Listing:
        """A published listing, for anyone; any other, for its seller and admins only."""
        listing = await self.repo.listing(listing_id, for_update=for_update)
        if listing is None:
            raise ListingNotFound()
        if listing.status == ListingStatus.PUBLISHED.value:
            return listing
        if principal is not None and (
            listing.seller_id == principal.user_id or principal.can(Permission.USER_MANAGE.value)
        ):
            return listing
        raise ListingNotFound()

    async def _own_listing(
        self, principal: Principal, listing_id: uuid.UUID, *, for_update: bool = True
    ) -> Listing:
        listing = await self._listing(principal, listing_id, for_update=for_update)
        if listing.seller_id != principal.user_id:
            raise Forbidden("only the listing's operator changes it")
        return listing

    async def create_listing(self, principal: Principal, body: ListingCreate) -> ListingRead:
        operator = await self._operator(principal)
        if not is_currency(body.currency):
            raise InvalidListing(f"{body.currency!r} is not a currency", field="currency")
        lat, lon, zone = body.lat, body.lon, body.timezone
        place_id = body.place_id
        if place_id is not None:
            card = (await place_cards(self.repo.session, [place_id])).get(place_id)
            if card is None:
                raise InvalidListing("no such place", field="place_id")
            lat = card.lat if lat is None else lat
            lon = card.lon if lon is None else lon
            zone = zone or card.timezone
        if lat is None or lon is None:
            raise InvalidListing("where is it? a place_id, or lat and lon", field="lat")
        if zone is None:
            raise InvalidListing("the time zone of its local times", field="timezone")
        _zone(zone)
        now = self.clock.now()
        listing = Listing(
            id=uuid.uuid4(),
            operator_id=operator.id,
            seller_id=principal.user_id,
            kind=body.kind.value,
            title=_text(body.title, "title", InvalidListing),
            description=body.description,
            place_id=place_id,
            lat=lat,
            lon=lon,
            address=body.address,
            timezone=zone,
            currency=body.currency,
            price_minor=body.price_minor,
            duration_minutes=body.duration_minutes,
            free_until_hours=body.cancellation.free_until_hours,
            late_refund_pct=body.cancellation.late_refund_pct,
            status=ListingStatus.DRAFT.value,
            rating_sum=0,
            rating_count=0,
            version=1,
            created_at=now,
            updated_at=now,
        )
        await self.repo.add(listing)
        return await self._listing_read(listing)

    async def update_listing(
        self,
        principal: Principal,
        listing_id: uuid.UUID,
        body: ListingUpdate,
        if_match: str | None,
    ) -> ListingRead:
        listing = await self._own_listing(principal, listing_id)
        check_if_match(if_match, listing.version)
        if listing.status == ListingStatus.ARCHIVED.value:
            raise ListingStateConflict("an archived listing is not changed")
        changes = body.model_dump(exclude_unset=True)
        for field in ("title", "price_minor", "duration_minutes", "cancellation"):
            if field in changes and changes[field] is None:
                raise InvalidListing(f"{field} cannot be removed", field=field)
        policy = changes.pop("cancellation", None)
        if policy is not None:
            changes["free_until_hours"] = policy["free_until_hours"]
            changes["late_refund_pct"] = policy["late_refund_pct"]
        if "title" in changes:
            changes["title"] = _text(changes["title"], "title", InvalidListing)
        if "description" in changes and changes["description"] is None:
            changes["description"] = ""
        changed = {f: v for f, v in changes.items() if getattr(listing, f) != v}
        if changed:
            for field, value in changed.items():
                setattr(listing, field, value)
            listing.version += 1
            listing.updated_at = self.clock.now()
        return await self._listing_read(listing)

    async def set_status(
        self, principal: Principal, listing_id: uuid.UUID, to: ListingStatus
    ) -> ListingRead:
        listing = await self._own_listing(principal, listing_id)
        current = ListingStatus(listing.status)
        if to is current:
            return await self._listing_read(listing)
        try:
            domain.move(current, to)
        except RuleError as exc:
            raise ListingStateConflict(str(exc)) from exc
        now = self.clock.now()
        if to is ListingStatus.PUBLISHED:
            operator = await self.repo.operator(listing.operator_id)
            if operator is None or operator.kyc_status != KycStatus.VERIFIED.value:
                raise OperatorNotVerified(
                    "listings go on sale once an administrator has verified your details"
                )
            listing.published_at = listing.published_at or now
            self.events.record(
                ListingPublished(
                    listing_id=listing.id, seller_id=listing.seller_id, title=listing.title
                )
            )
        listing.status = to.value
        listing.version += 1
        listing.updated_at = now
        return await self._listing_read(listing)

    async def get_listing(self, principal: Principal | None, listing_id: uuid.UUID) -> ListingRead:
        return await self._listing_read(await self._listing(principal, listing_id))

    async def my_listings(
        self,
        principal: Principal,
        status: ListingStatus | None,
        limit: int,
        cursor: str | None,
    ) -> Page[ListingRead]:
        operator = await self._operator(principal)
        rows = await self.repo.listings_of(
            operator.id, status.value if status else None, limit, _cursor(cursor)
        )
        page, next_cursor = page_of(rows, limit, lambda r: Cursor(r.created_at, r.id))
        return Page(items=await self._listing_reads(page), next_cursor=next_cursor)

    async def browse(
        self,
        *,
        kind: ListingKind | None,
        text: str | None,
        lat: float | None,
        lon: float | None,
        radius_m: float,
        currency: str | None,
        max_price_minor: int | None,
        limit: int,
        cursor: str | None,
    ) -> Page[ListingRead]:
        """Published listings, newest first; near a point, only those within the radius
        (each with its distance)."""
        if (lat is None) != (lon is None):
            raise InvalidListing("give both lat and lon", field="lat" if lat is None else "lon")
        near = (lat, lon) if lat is not None and lon is not None else None
        before = _cursor(cursor)
        where = (near[0], near[1], radius_m) if near else None
        found: list[Listing] = []
        next_cursor: str | None = None
        # the bounding box holds corners outside the circle: read on until the page is full
        while True:
            rows = await self.repo.published(
                kind=kind.value if kind else None,
                text=text.strip() if text else None,
                near=where,
                currency=currency,
                max_price_minor=max_price_minor,
                limit=limit,
                before=before,
            )
            batch = rows[:limit]
            for row in batch:
                if near is None or haversine_m(*near, row.lat, row.lon) <= radius_m:
                    found.append(row)
                    if len(found) == limit:
                        break
            if len(found) == limit:
                last = found[-1]
                if len(rows) > limit or batch[-1] is not last:
                    next_cursor = Cursor(last.created_at, last.id).encode()
                break
            if len(rows) <= limit:
                break
            before = Cursor(batch[-1].created_at, batch[-1].id)
        reads = await self._listing_reads(found)
        if near is not None:
            for read in reads:
                read.distance_m = round(haversine_m(*near, read.lat, read.lon), 1)
        return Page(items=reads, next_cursor=next_cursor)

    async def _listing_read(self, listing: Listing) -> ListingRead:
        return (await self._listing_reads([listing]))[0]

    async def _listing_reads(self, listings: Sequence[Listing]) -> list[ListingRead]:
        names = await self.repo.operator_names([item.operator_id for item in listings])
        return [_listing_read(item, names.get(item.operator_id, "")) for item in listings]

    # ================================================================ slots
    async def add_slots(
        self, principal: Principal, listing_id: uuid.UUID, body: SlotsCreate
    ) -> SlotsCreated:
        listing = await self._own_listing(principal, listing_id)
        if listing.status == ListingStatus.ARCHIVED.value:
            raise ListingStateConflict("an archived listing has no new dates")
        if any(not 0 <= day <= 6 for day in body.weekdays):
            raise InvalidSlots("weekdays are 0 (Monday) to 6 (Sunday)", field="weekdays")
        if any(at.tzinfo is not None for at in body.times):
            raise InvalidSlots(f"times are local to {listing.timezone}: no offset", field="times")
        try:
            plan = domain.plan_slots(
                body.from_date,
                body.to_date,
                body.weekdays,
                body.times,
                _zone(listing.timezone),
                self.clock.now(),
            )
        except RuleError as exc:
            raise InvalidSlots(str(exc), field=exc.field) from exc
        existing = await self.repo.slot_starts(listing.id, plan.starts)
        new = [start for start in plan.starts if start not in existing]
        self.repo.session.add_all(
            Slot(
                id=uuid.uuid4(),
                listing_id=listing.id,
                starts_at=start,
                capacity=body.capacity,
                reserved=0,
                price_minor=body.price_minor,
                closed=False,
            )
            for start in new
        )
        await self.repo.session.flush()
        return SlotsCreated(
            created=len(new),
            existing=len(plan.starts) - len(new),
            nonexistent=plan.nonexistent,
            past=plan.past,
        )

    async def availability(
        self,
        principal: Principal | None,
        listing_id: uuid.UUID,
        start: datetime | None,
        end: datetime | None,
    ) -> list[SlotRead]:
        listing = await self._listing(principal, listing_id)
        start = start or self.clock.now()
        end = end or start + timedelta(days=31)
        if end <= start:
            raise InvalidInput("`to` comes after `from`", field="to")
        if end - start > timedelta(days=AVAILABILITY_DAYS):
            raise InvalidInput(f"at most {AVAILABILITY_DAYS} days at a time", field="to")
        slots = await self.repo.slots(listing.id, start, end, AVAILABILITY_SLOTS)
        return [_slot_read(slot, listing) for slot in slots]

    async def _own_slot(self, principal: Principal, slot_id: uuid.UUID) -> tuple[Slot, Listing]:
        slot = await self.repo.slot(slot_id, for_update=True)
        listing = await self.repo.listing(slot.listing_id) if slot else None
        if slot is None or listing is None or listing.seller_id != principal.user_id:
            raise SlotNotFound()
        return slot, listing

    async def update_slot(
        self, principal: Principal, slot_id: uuid.UUID, body: SlotUpdate
    ) -> SlotRead:
        slot, listing = await self._own_slot(principal, slot_id)
        if body.capacity is not None:
            if body.capacity < slot.reserved:
                raise SlotHasReservations(
                    f"{slot.reserved} seats are booked: the capacity cannot go below that",
                    seats_reserved=slot.reserved,
                )
            slot.capacity = body.capacity
        if body.price_minor is not None:
            slot.price_minor = body.price_minor
        if body.closed is not None:
            slot.closed = body.closed
        await self.repo.session.flush()
        return _slot_read(slot, listing)

    async def delete_slot(self, principal: Principal, slot_id: uuid.UUID) -> None:
        slot, _ = await self._own_slot(principal, slot_id)
        if slot.reserved:
            raise SlotHasReservations(
                f"{slot.reserved} seats are booked: close the slot instead",
                seats_reserved=slot.reserved,
            )
        await self.repo.delete(slot)

    async def reservations(
        self,
        principal: Principal,
        listing_id: uuid.UUID,
        slot_id: uuid.UUID | None,
        limit: int,
        cursor: str | None,
    ) -> Page[ReservationRead]:
        listing = await self._own_listing(principal, listing_id, for_update=False)
        rows = await self.repo.reservations(listing.id, slot_id, limit, _cursor(cursor))
        page, next_cursor = page_of(rows, limit, lambda r: Cursor(r[0].created_at, r[0].id))
        return Page(
            items=[
                ReservationRead(
                    id=r.id,
                    slot_id=r.slot_id,
                    starts_at=at,
                    booking_id=r.booking_id,
                    user_id=r.user_id,
                    seats=r.seats,
                    amount_minor=r.amount_minor,
                    status=ReservationStatus(r.status),
                    created_at=r.created_at,
                )
                for r, at in page
            ],
            next_cursor=next_cursor,
        )

    # ================================================================ reviews
    async def post_review(
        self, principal: Principal, listing_id: uuid.UUID, body: ReviewCreate
    ) -> ReviewRead:
        listing = await self.repo.listing(listing_id)
        starts = await self.repo.reviewable(principal.user_id, listing_id) if listing else []
        if listing is None or (listing.status != ListingStatus.PUBLISHED.value and not starts):
            raise ListingNotFound()
        now = self.clock.now()
        if not any(domain.may_review(ReservationStatus.CONFIRMED, start, now) for start in starts):
            raise ReviewNotAllowed()
        if await self.repo.review_by(listing.id, principal.user_id) is not None:
            raise ReviewExists("edit the review you wrote instead")
        author = (await user_cards(self.repo.session, [principal.user_id])).get(principal.user_id)
        review = Review(
            id=uuid.uuid4(),
            listing_id=listing.id,
            user_id=principal.user_id,
            author_name=author.display_name if author else "Traveler",
            rating=body.rating,
            title=body.title,
            body=body.body,
            created_at=now,
            updated_at=now,
        )
        await self.repo.add(review)
        await self.repo.rate(listing.id, body.rating, 1)
        self.events.record(
            ReviewPosted(
                review_id=review.id,
                listing_id=listing.id,
                seller_id=listing.seller_id,
                user_id=principal.user_id,
                listing_title=listing.title,
                rating=body.rating,
            )
        )
        return _review_read(review)

    async def _own_review(self, principal: Principal, review_id: uuid.UUID) -> Review:
        review = await self.repo.review(review_id, for_update=True)
        if review is None or review.user_id != principal.user_id:
            raise ReviewNotFound()
        return review

    async def edit_review(
        self, principal: Principal, review_id: uuid.UUID, body: ReviewCreate
    ) -> ReviewRead:
        review = await self._own_review(principal, review_id)
        if body.rating != review.rating:
            await self.repo.rate(review.listing_id, body.rating - review.rating, 0)
        review.rating = body.rating
        review.title = body.title
        review.body = body.body
        review.updated_at = self.clock.now()
        await self.repo.session.flush()
        return _review_read(review)

    async def delete_review(self, principal: Principal, review_id: uuid.UUID) -> None:
        review = await self._own_review(principal, review_id)
        await self.repo.rate(review.listing_id, -review.rating, -1)
        await self.repo.delete(review)

    async def reply(
        self, principal: Principal, review_id: uuid.UUID, body: ReviewReply
    ) -> ReviewRead:
        review = await self.repo.review(review_id, for_update=True)
        listing = await self.repo.listing(review.listing_id) if review else None
        if review is None or listing is None:
            raise ReviewNotFound()
        if listing.seller_id != principal.user_id:
            if listing.status != ListingStatus.PUBLISHED.value and review.user_id != (
                principal.user_id
            ):
                raise ReviewNotFound()
            raise Forbidden("only the listing's operator replies")
        now = self.clock.now()
        review.reply = body.reply
        review.replied_at = now
        await self.repo.session.flush()
        self.events.record(
            ReviewReplied(
                review_id=review.id,
                listing_id=listing.id,
                user_id=review.user_id,
                listing_title=listing.title,
            )
        )
        return _review_read(review)

    async def reviews(
        self,
        principal: Principal | None,
        listing_id: uuid.UUID,
        rating: int | None,
        limit: int,
        cursor: str | None,
    ) -> ReviewPage:
        listing = await self._listing(principal, listing_id)
        rows = await self.repo.reviews(listing.id, rating, limit, _cursor(cursor))
        page, next_cursor = page_of(rows, limit, lambda r: Cursor(r.created_at, r.id))
        histogram = await self.repo.histogram(listing.id)
        count = sum(histogram.values())
        total = sum(star * n for star, n in histogram.items())
        return ReviewPage(
            summary=ReviewSummary(
                rating_average=domain.average(total, count),
                rating_count=count,
                histogram={str(star): histogram.get(star, 0) for star in range(1, 6)},
            ),
            items=[_review_read(r) for r in page],
            next_cursor=next_cursor,
        )

    # ================================================================ payouts
    async def payouts(self, principal: Principal) -> PayoutsRead:
        operator = await self._operator(principal)
        accounts = await ledger(self.repo.session, self.clock).balances(principal.user_id)
        earnings = [
            Earnings(currency=a.currency, payable_minor=a.balance_minor)
            for a in accounts
            if a.kind == AccountKind.OPERATOR_PAYABLE.value
        ]
        rows = (await self.repo.payouts(operator.id, 50))[:50]
        return PayoutsRead(
            earnings=sorted(earnings, key=lambda e: e.currency),
            payouts=[_payout_read(p) for p in rows],
        )

    async def payout(self, principal: Principal, body: PayoutCreate, key: str) -> PayoutRead:
        operator = await self._operator(principal)
        if operator.kyc_status != KycStatus.VERIFIED.value:
            raise OperatorNotVerified("payouts go to verified bank details only")
        wallet = ledger(self.repo.session, self.clock)
        transfer, replayed = await wallet.payout(
            f"payout:{principal.user_id}:{key}", principal.user_id, body.amount_minor, body.currency
        )
        payout = await self.repo.payout_by_transfer(transfer.id) if replayed else None
        if payout is None:
            payout = Payout(
                id=uuid.uuid4(),
                operator_id=operator.id,
                transfer_id=transfer.id,
                amount_minor=transfer.amount_minor,
                currency=transfer.currency,
                iban_masked=domain.mask_iban(operator.iban),
                created_at=self.clock.now(),
            )
            await self.repo.add(payout)
        read = _payout_read(payout)
        read.replayed = replayed
        read.payable_after_minor = await wallet.balance_of(
            AccountKind.OPERATOR_PAYABLE, principal.user_id, transfer.currency
        )
        return read


# ==================================================================== inventory (bookings)
class Inventory:
    """Seats for bookings, in the booking's transaction (the bookings context calls these)."""

    def __init__(self, repo: MarketplaceRepository) -> None:
        self.repo = repo

    async def reserve(
        self,
        *,
        slot_id: uuid.UUID,
        seats: int,
        user_id: uuid.UUID,
        booking_id: uuid.UUID,
        now: datetime,
    ) -> Quote:
        found = await self.repo.slot_on_sale(slot_id)
        if found is None or found[1].status != ListingStatus.PUBLISHED.value:
            raise SlotNotFound()
        slot, listing = found
        if listing.seller_id == user_id:
            raise OwnListing(field="listing")
        if not 1 <= seats <= MAX_SEATS:
            raise InvalidInput(f"1 to {MAX_SEATS} seats a booking", field="listing.seats")
        if slot.starts_at <= now:
            raise SlotUnavailable("this date has begun")
        if slot.closed:
            raise SlotUnavailable("the operator has closed this date")
        if not await self.repo.take_seats(slot.id, seats):
            fresh = await self.repo.slot(slot.id, for_update=True)
            left = domain.seats_left(fresh.capacity, fresh.reserved) if fresh else 0
            raise SlotFull(f"{left} seat{'s' if left != 1 else ''} left", seats_left=left)
        amount = (slot.price_minor or listing.price_minor) * seats
        await self.repo.add(
            Reservation(
                id=uuid.uuid4(),
                slot_id=slot.id,
                listing_id=listing.id,
                booking_id=booking_id,
                user_id=user_id,
                seats=seats,
                amount_minor=amount,
                status=ReservationStatus.HELD.value,
                created_at=now,
                updated_at=now,
            )
        )
        title = listing.title if seats == 1 else f"{listing.title} ({seats} seats)"
        return Quote(
            listing_id=listing.id,
            slot_id=slot.id,
            kind=listing.kind,
            title=title[:200],
            seller_id=listing.seller_id,
            seats=seats,
            amount_minor=amount,
            currency=listing.currency,
            starts_at=slot.starts_at,
            free_until_hours=listing.free_until_hours,
            late_refund_pct=listing.late_refund_pct,
        )

    async def confirm(self, booking_id: uuid.UUID) -> None:
        await self.repo.mark(
            booking_id,
            ReservationStatus.CONFIRMED.value,
            unless=(ReservationStatus.CONFIRMED.value, ReservationStatus.RELEASED.value),
        )

    async def release(self, booking_id: uuid.UUID) -> None:
        """The booking ended without being used (cancelled, expired, failed): its seats go
        back, once (the reservation's row lock orders two releases racing)."""
        released = await self.repo.release(booking_id)
        if released is not None:
            await self.repo.give_back(*released)


# ==================================================================== reads
def _operator_read(operator: Operator) -> OperatorRead:
    return OperatorRead(
        id=operator.id,
        user_id=operator.user_id,
        display_name=operator.display_name,
        legal_name=operator.legal_name,
        country=operator.country,
        company_number=operator.company_number,
        iban=domain.mask_iban(operator.iban),
        kyc_status=KycStatus(operator.kyc_status),
        kyc_reason=operator.kyc_reason,
        kyc_submitted_at=operator.kyc_submitted_at,
        kyc_decided_at=operator.kyc_decided_at,
        version=operator.version,
        created_at=operator.created_at,
    )


def _listing_read(listing: Listing, operator_name: str) -> ListingRead:
    return ListingRead(
        id=listing.id,
        operator_id=listing.operator_id,
        seller_id=listing.seller_id,
        operator_name=operator_name,
        kind=ListingKind(listing.kind),
        title=listing.title,
        description=listing.description,
        place_id=listing.place_id,
        lat=listing.lat,
        lon=listing.lon,
        address=listing.address,
        timezone=listing.timezone,
        currency=listing.currency,
        price_minor=listing.price_minor,
        duration_minutes=listing.duration_minutes,
        cancellation=PolicyIn(
            free_until_hours=listing.free_until_hours, late_refund_pct=listing.late_refund_pct
        ),
        status=ListingStatus(listing.status),
        rating_average=domain.average(listing.rating_sum, listing.rating_count),
        rating_count=listing.rating_count,
        score=round(domain.bayesian_score(listing.rating_sum, listing.rating_count), 3),
        version=listing.version,
        created_at=listing.created_at,
        published_at=listing.published_at,
    )


def _slot_read(slot: Slot, listing: Listing) -> SlotRead:
    zone = ZoneInfo(listing.timezone)
    return SlotRead(
        id=slot.id,
        listing_id=slot.listing_id,
        starts_at=slot.starts_at,
        local_start=slot.starts_at.astimezone(zone).isoformat(),
        ends_at=slot.starts_at + timedelta(minutes=listing.duration_minutes),
        capacity=slot.capacity,
        reserved=slot.reserved,
        seats_left=domain.seats_left(slot.capacity, slot.reserved),
        price_minor=slot.price_minor or listing.price_minor,
        currency=listing.currency,
        closed=slot.closed,
    )


def _review_read(review: Review) -> ReviewRead:
    return ReviewRead.model_validate(review, from_attributes=True)


def _payout_read(payout: Payout) -> PayoutRead:
    return PayoutRead(
        id=payout.id,
        transfer_id=payout.transfer_id,
        amount_minor=payout.amount_minor,
        currency=payout.currency,
        iban=payout.iban_masked,
        created_at=payout.created_at,
    )

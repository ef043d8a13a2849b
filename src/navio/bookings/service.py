"""Booking use cases. A booking is either confirmed and paid, or rolled back: the booking row,
the wallet hold and capture, the card payment's ledger entries and the tickets are written in
the request's transaction (or the payment webhook's), so a failure anywhere writes nothing.
Never commits."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from navio.bookings import domain
from navio.bookings.domain import CANCELLABLE, OfferKind, Policy, Status
from navio.bookings.errors import (
    BookingNotFound,
    BookingStateConflict,
    InvalidBooking,
    TicketInvalid,
    TicketUsed,
)
from navio.bookings.events import BookingCancelled, BookingConfirmed, BookingEvent, BookingExpired
from navio.bookings.models import Booking, Ticket
from navio.bookings.repository import BookingsRepository
from navio.bookings.schemas import (
    BookingCreate,
    BookingRead,
    CheckInRead,
    PolicyIn,
    TicketRead,
)
from navio.iam import Principal
from navio.kernel.clock import Clock
from navio.kernel.errors import Forbidden
from navio.kernel.events import EventRecorder
from navio.kernel.money import is_currency
from navio.marketplace import inventory
from navio.payments import IntentConfirm, PaymentsService, RefundCreate
from navio.trips import TripNotFound, trip_card, trip_items
from navio.wallet import PLATFORM, ledger

MAX_AMOUNT = 10**11
TICKET_KID = "t1"
WRITERS = frozenset({"owner", "editor", "suggester"})
ITEM_KINDS = {
    "lodging": OfferKind.LODGING,
    "transport": OfferKind.TRANSPORT_TICKET,
}


def ticket_keys(secret: str) -> dict[str, bytes]:
    """Ticket signing keys by id, derived from the app secret (a scanner is given them)."""
    return {
        TICKET_KID: hmac.new(
            secret.encode(), b"ticket-key:" + TICKET_KID.encode(), hashlib.sha256
        ).digest()
    }


def _hold_key(booking: Booking) -> str:
    return f"booking:{booking.id}:hold"


def _capture_key(booking: Booking) -> str:
    return f"booking:{booking.id}:capture"


class BookingsService:
    def __init__(
        self,
        repo: BookingsRepository,
        events: EventRecorder,
        clock: Clock,
        payments: PaymentsService | None,
        keys: Mapping[str, bytes],
    ) -> None:
        self.repo = repo
        self.events = events
        self.clock = clock
        self.payments = payments
        self.keys = keys

    # ---------------------------------------------------------------- booking
    async def create(self, principal: Principal, body: BookingCreate) -> BookingRead:
        now = self.clock.now()
        sources = [body.trip_item_id, body.offer, body.listing]
        if sum(source is not None for source in sources) != 1:
            raise InvalidBooking("book one of a trip item, an offer or a listing", field="offer")
        booking_id = uuid.uuid4()
        trip_id = body.trip_id
        policy = body.cancellation or PolicyIn()
        listing_id = slot_id = None
        seats = 1
        if body.listing is not None:
            if body.cancellation is not None:
                raise InvalidBooking(
                    "the listing sets the cancellation policy", field="cancellation"
                )
            if trip_id is not None:
                await self._member(principal, trip_id)
            quote = await inventory(self.repo.session).reserve(
                slot_id=body.listing.slot_id,
                seats=body.listing.seats,
                user_id=principal.user_id,
                booking_id=booking_id,
                now=now,
            )
            if body.starts_at is not None and body.starts_at != quote.starts_at:
                raise InvalidBooking("the listing's date starts at another time", field="starts_at")
            kind, title = OfferKind(quote.kind), quote.title
            amount, currency, operator = quote.amount_minor, quote.currency, quote.seller_id
            starts_at = quote.starts_at
            policy = PolicyIn(
                free_until_hours=quote.free_until_hours, late_refund_pct=quote.late_refund_pct
            )
            listing_id, slot_id, seats = quote.listing_id, quote.slot_id, quote.seats
        else:
            if body.starts_at is None:
                raise InvalidBooking("when does it start?", field="starts_at")
            starts_at = body.starts_at
            if starts_at <= now:
                raise InvalidBooking("the booking starts in the past", field="starts_at")
            if body.trip_item_id is not None:
                kind, title, amount, currency, operator, trip_id = await self._from_item(
                    principal, body
                )
            else:
                assert body.offer is not None
                offer = body.offer
                kind, title = offer.kind, offer.title
                amount, currency = offer.amount_minor, offer.currency
                operator = offer.operator_id or PLATFORM
                if trip_id is not None:
                    await self._member(principal, trip_id)
        if amount <= 0 or amount > MAX_AMOUNT:
            raise InvalidBooking("the price must be above zero", field="amount_minor")
        if not is_currency(currency):
            raise InvalidBooking(f"{currency!r} is not a currency", field="currency")
        if body.pay_with == "wallet" and body.payment_method:
            raise InvalidBooking("a payment method is for card payments", field="payment_method")
        booking = Booking(
            id=booking_id,
            user_id=principal.user_id,
            trip_id=trip_id,
            trip_item_id=body.trip_item_id,
            kind=kind.value,
            title=title,
            operator_id=operator,
            listing_id=listing_id,
            slot_id=slot_id,
            seats=seats,
            amount_minor=amount,
            currency=currency,
            fee_minor=0,
            starts_at=starts_at.astimezone(UTC),
            status=Status.PENDING.value,
            pay_with=body.pay_with,
            free_until_hours=policy.free_until_hours,
            late_refund_pct=policy.late_refund_pct,
            refunded_minor=0,
            version=1,
        )
        await self.repo.add(booking)
        if body.pay_with == "wallet":
            # set the money aside, then take it: both in this transaction, so an empty
            # wallet refuses the booking (422 insufficient_funds) and nothing is written
            await ledger(self.repo.session, self.clock).hold(
                _hold_key(booking),
                booking.user_id,
                amount,
                currency,
                refs={"booking": str(booking.id)},
            )
            booking.status = Status.AWAITING_PAYMENT.value
            await self._confirm(booking)
        else:
            assert self.payments is not None
            payment = await self.payments.open(
                booking.user_id,
                amount,
                currency,
                purpose="booking",
                purpose_ref=str(booking.id),
                payee_id=operator,
                fee_minor=booking.fee_minor,
                description=title,
            )
            booking.payment_id = payment.id
            booking.status = Status.AWAITING_PAYMENT.value
            if body.payment_method:
                # a decline answers 402 and keeps the booking awaiting payment (retry with
                # another card through POST /payments/confirm)
                await self.repo.session.flush()
                paid = await self.payments.confirm(
                    principal,
                    IntentConfirm(payment_id=payment.id, payment_method=body.payment_method),
                )
                if paid.status == "succeeded":
                    await self._confirm(booking)
        return await self._read(booking)

    async def _member(self, principal: Principal, trip_id: uuid.UUID) -> None:
        card = await trip_card(self.repo.session, trip_id)
        if card is None or card.role_of(principal.user_id) is None:
            raise TripNotFound()
        if card.role_of(principal.user_id) not in WRITERS:
            raise Forbidden("viewers may not book for this trip")

    async def _from_item(
        self, principal: Principal, body: BookingCreate
    ) -> tuple[OfferKind, str, int, str, uuid.UUID, uuid.UUID]:
        if body.trip_id is None:
            raise InvalidBooking("a trip item is booked within its trip", field="trip_id")
        await self._member(principal, body.trip_id)
        item = next(
            (
                i
                for i in await trip_items(self.repo.session, body.trip_id)
                if i.id == body.trip_item_id
            ),
            None,
        )
        if item is None:
            raise InvalidBooking("no such item on this trip", field="trip_item_id")
        if item.cost_minor is None or item.cost_currency is None:
            raise InvalidBooking("the item has no price to book", field="trip_item_id")
        kind = ITEM_KINDS.get(item.kind, OfferKind.ACTIVITY)
        return kind, item.title, item.cost_minor, item.cost_currency, PLATFORM, body.trip_id

    async def _confirm(self, booking: Booking) -> None:
        if booking.status == Status.CONFIRMED.value:
            return
        if booking.pay_with == "wallet":
            await ledger(self.repo.session, self.clock).capture(
                _capture_key(booking),
                _hold_key(booking),
                booking.operator_id,
                fee=booking.fee_minor,
            )
        now = self.clock.now()
        ticket_id = uuid.uuid4()
        qr = domain.sign_ticket(
            ticket_id, booking.id, booking.starts_at, now, TICKET_KID, self.keys[TICKET_KID]
        )
        await self.repo.add(
            Ticket(id=ticket_id, booking_id=booking.id, kid=TICKET_KID, qr=qr, issued_at=now)
        )
        if booking.slot_id is not None:
            await inventory(self.repo.session).confirm(booking.id)
        booking.status = Status.CONFIRMED.value
        booking.updated_at = now
        self.events.record(BookingConfirmed(**_event(booking)))

    async def payment_succeeded(self, booking_id: uuid.UUID) -> None:
        """The card payment went through (webhook or a later confirm): confirm, once. If the
        booking expired or was cancelled before the money arrived, the money goes back."""
        booking = await self.repo.booking(booking_id, for_update=True)
        if booking is None:
            return
        if booking.status == Status.AWAITING_PAYMENT.value:
            await self._confirm(booking)
            return
        unclaimed = booking.status in (Status.EXPIRED.value, Status.CANCELLED.value)
        if unclaimed and booking.payment_id is not None and self.payments is not None:
            refund = await self.payments.refund_unclaimed(booking.payment_id)
            if refund is not None:
                booking.refunded_minor += refund.amount_minor
                booking.failure = (
                    f"paid after it was {booking.status}: refunded {refund.amount_minor} "
                    "to the card"
                )
                booking.version += 1
                booking.updated_at = self.clock.now()

    async def expire_unpaid(self, now: datetime, window: timedelta, limit: int = 500) -> int:
        """Card bookings awaiting payment for longer than `window` expire (nothing was
        taken: a card booking holds no money until it is paid)."""
        stale = await self.repo.unpaid_since(now - window, limit)
        for booking in stale:
            booking.status = Status.EXPIRED.value
            minutes = int(window.total_seconds() // 60)
            booking.failure = f"not paid within {minutes} minutes"
            if booking.slot_id is not None:
                await inventory(self.repo.session).release(booking.id)
            booking.version += 1
            booking.updated_at = now
            self.events.record(BookingExpired(**_event(booking)))
        return len(stale)

    # ---------------------------------------------------------------- cancel
    async def cancel(self, principal: Principal, booking_id: uuid.UUID) -> BookingRead:
        booking = await self._own(principal, booking_id, for_update=True)
        if Status(booking.status) not in CANCELLABLE:
            raise BookingStateConflict(f"a {booking.status} booking cannot be cancelled")
        now = self.clock.now()
        if booking.status == Status.AWAITING_PAYMENT.value:
            if booking.pay_with == "wallet":
                await ledger(self.repo.session, self.clock).void(
                    f"booking:{booking.id}:void", _hold_key(booking)
                )
            booking.status = Status.CANCELLED.value
        else:
            policy = Policy(booking.free_until_hours, booking.late_refund_pct)
            refund = policy.refund_for(booking.amount_minor, booking.starts_at, now)
            if refund and booking.pay_with == "wallet":
                await ledger(self.repo.session, self.clock).refund(
                    f"booking:{booking.id}:refund", _capture_key(booking), refund, to="wallet"
                )
            elif refund:
                assert booking.payment_id is not None and self.payments is not None
                await self.payments.refund(
                    principal,
                    booking.payment_id,
                    RefundCreate(amount_minor=refund, destination="card"),
                )
            booking.refunded_minor = refund
            booking.status = (
                Status.REFUNDED.value
                if refund == booking.amount_minor
                else Status.PARTIALLY_REFUNDED.value
                if refund
                else Status.CANCELLED.value
            )
            for ticket in await self.repo.tickets(booking.id):
                ticket.revoked_at = now
        if booking.slot_id is not None:
            await inventory(self.repo.session).release(booking.id)
        booking.version += 1
        booking.updated_at = now
        self.events.record(BookingCancelled(**_event(booking)))
        return await self._read(booking)

    # ---------------------------------------------------------------- check-in
    async def check_in(self, principal: Principal, qr: str) -> CheckInRead:
        try:
            claims = domain.verify_ticket(qr, self.keys)
            ticket_id = uuid.UUID(claims["t"])
        except (domain.TicketInvalid, KeyError, ValueError) as exc:
            raise TicketInvalid(str(exc), field="qr") from exc
        ticket = await self.repo.ticket(ticket_id)
        booking = await self.repo.booking(ticket.booking_id) if ticket else None
        if ticket is None or booking is None or ticket.qr != qr.strip():
            raise TicketInvalid("no such ticket", field="qr")
        # the seller checks their own tickets in; another operator's role is no key to them
        if booking.operator_id != principal.user_id and not principal.is_admin:
            raise Forbidden("only the ticket's operator checks it in")
        if ticket.revoked_at is not None or booking.status != Status.CONFIRMED.value:
            raise TicketInvalid("the booking was cancelled", field="qr")
        if ticket.used_at is not None:
            raise TicketUsed(f"checked in at {ticket.used_at.isoformat()}")
        ticket.used_at = self.clock.now()
        return CheckInRead(
            ticket_id=ticket.id,
            booking_id=booking.id,
            title=booking.title,
            starts_at=booking.starts_at,
            checked_in_at=ticket.used_at,
        )

    # ---------------------------------------------------------------- reading
    async def _own(
        self, principal: Principal, booking_id: uuid.UUID, *, for_update: bool = False
    ) -> Booking:
        booking = await self.repo.booking(booking_id, for_update=for_update)
        if booking is None or booking.user_id != principal.user_id:
            raise BookingNotFound()
        return booking

    async def get(self, principal: Principal, booking_id: uuid.UUID) -> BookingRead:
        return await self._read(await self._own(principal, booking_id))

    async def list_mine(self, principal: Principal, trip_id: uuid.UUID | None) -> list[BookingRead]:
        return [await self._read(b) for b in await self.repo.bookings(principal.user_id, trip_id)]

    async def _read(self, booking: Booking) -> BookingRead:
        await self.repo.session.flush()
        tickets = await self.repo.tickets(booking.id)
        return BookingRead(
            id=booking.id,
            trip_id=booking.trip_id,
            trip_item_id=booking.trip_item_id,
            kind=OfferKind(booking.kind),
            title=booking.title,
            operator_id=booking.operator_id,
            listing_id=booking.listing_id,
            slot_id=booking.slot_id,
            seats=booking.seats,
            amount_minor=booking.amount_minor,
            currency=booking.currency,
            starts_at=booking.starts_at,
            status=Status(booking.status),
            pay_with=booking.pay_with,
            payment_id=booking.payment_id,
            free_until_hours=booking.free_until_hours,
            late_refund_pct=booking.late_refund_pct,
            refunded_minor=booking.refunded_minor,
            failure=booking.failure,
            tickets=[
                TicketRead(
                    id=t.id,
                    kid=t.kid,
                    qr=t.qr,
                    issued_at=t.issued_at,
                    used_at=t.used_at,
                    revoked=t.revoked_at is not None,
                )
                for t in tickets
            ],
            version=booking.version,
            created_at=booking.created_at,
            updated_at=booking.updated_at,
        )


def _event(booking: Booking) -> dict[str, object]:
    fields: dict[str, object] = {
        "booking_id": booking.id,
        "user_id": booking.user_id,
        "operator_id": booking.operator_id,
        "status": booking.status,
        "amount_minor": booking.amount_minor,
        "currency": booking.currency,
    }
    assert set(fields) == set(BookingEvent.model_fields)
    return fields

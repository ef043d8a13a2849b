"""Other contexts' events, turned into e-mails and inbox notices in the handler's transaction
(exactly once per event), and the periodic e-mail sender; operators' events queued for their
webhooks, and the webhook sender.

E-mail: verification and password-reset links, security notices (password changed, two-factor
on or off, a refresh token used twice) and trip invitations. Inbox: added to a trip, someone on
the trip arrived, a booking confirmed, cancelled or expired; for operators, a booking sold, a
decision on their details, a review, a fault at their station; for reviewers, the
operator's answer; for riders, their turn at a station and each swap."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession

from navio.bookings import BookingCancelled, BookingConfirmed, BookingExpired
from navio.iam import (
    EmailVerificationRequested,
    PasswordChanged,
    PasswordResetRequested,
    RefreshTokenReuseDetected,
    TwoFactorDisabled,
    TwoFactorEnabled,
    UserCard,
    user_cards,
)
from navio.kernel.clock import Clock
from navio.kernel.events import Envelope, HandlerRegistry
from navio.marketplace import OperatorKycDecided, ReviewPosted, ReviewReplied
from navio.notifications import domain, webhooks
from navio.notifications.delivery import PushSender, Sender, WebhookSender
from navio.notifications.mailer import Mailer
from navio.notifications.repository import NotificationsRepository, WebhooksRepository
from navio.notifications.service import NotificationsService, WebhooksService
from navio.pricing import PriceMoved
from navio.stations import BatterySwapped, FaultReported, PlanBought, TravelerCalled
from navio.tracking import JourneyArrived
from navio.trips import CollaboratorAdded, InviteSent, trip_card
from navio.wallet import PLATFORM

HANDLER = "notifications.notify"
SENDER = "notifications.send_email"
WEBHOOK_HANDLER = "notifications.webhook"
WEBHOOK_SENDER = "notifications.send_webhooks"
PUSH_SENDER = "notifications.send_pushes"


def _service(session: AsyncSession) -> NotificationsService:
    return NotificationsService(NotificationsRepository(session), Clock())


async def _user(session: AsyncSession, user_id: str | None) -> UserCard | None:
    if not user_id:
        return None
    return (await user_cards(session, [uuid.UUID(user_id)])).get(uuid.UUID(user_id))


def register(
    registry: HandlerRegistry,
    public_url: str,
    mailer: Mailer | None,
    mail_from: str,
    max_attempts: int,
    send_every_seconds: float,
    webhook_sender: WebhookSender,
    push_sender: PushSender,
) -> None:
    site = public_url.rstrip("/")

    def page(path: str, token: str) -> str:
        return f"{site}{path}?token={quote(token, safe='')}"

    async def account_email(session: AsyncSession, envelope: Envelope) -> None:
        payload, at = envelope.payload, envelope.occurred_at
        user = await _user(session, payload["user_id"])
        if user is None:
            return  # the account is gone: nobody to write to
        name = user.display_name
        message: domain.Email
        if envelope.name == EmailVerificationRequested.name:
            link = page("/verify-email", payload["token"])
            expires = _at(payload["expires_at"])
            message = domain.verify_email(name, link, expires, site)
            to = payload["email"]  # the address to confirm, which may be a new one
        elif envelope.name == PasswordResetRequested.name:
            link = page("/reset-password", payload["token"])
            message = domain.password_reset(name, link, _at(payload["expires_at"]), site)
            to = payload["email"]
        elif envelope.name == PasswordChanged.name:
            message = domain.password_changed(name, payload["via_reset"], at, site)
            to = user.email
        elif envelope.name == RefreshTokenReuseDetected.name:
            message = domain.token_reuse(name, at, site)
            to = user.email
        else:
            enabled = envelope.name == TwoFactorEnabled.name
            message = domain.two_factor(name, enabled, at, site)
            to = user.email
        await _service(session).email(to, message, user.id)

    async def invite_email(session: AsyncSession, envelope: Envelope) -> None:
        data = envelope.payload.get("data") or {}
        inviter = await _user(session, envelope.payload.get("actor_id"))
        message = domain.trip_invite(
            inviter.display_name if inviter else "Someone",
            data["trip_title"],
            data["role"],
            page("/trips/invites/accept", data["token"]),
            _at(data["expires_at"]),
            site,
        )
        await _service(session).email(data["email"], message, None)

    async def added_to_trip(session: AsyncSession, envelope: Envelope) -> None:
        payload = envelope.payload
        card = await trip_card(session, uuid.UUID(payload["trip_id"]))
        added, actor = payload.get("subject_id"), await _user(session, payload.get("actor_id"))
        if card is None or added is None or added == payload.get("actor_id"):
            return  # the trip is gone, or they joined by accepting an invitation themselves
        role = (payload.get("data") or {}).get("role", "collaborator")
        notice = domain.added_to_trip(
            actor.display_name if actor else "Someone", card.title, role, str(card.id)
        )
        await _service(session).notify([uuid.UUID(added)], notice)

    async def journey_arrived(session: AsyncSession, envelope: Envelope) -> None:
        payload = envelope.payload
        card = await trip_card(session, uuid.UUID(payload["trip_id"]))
        traveler = await _user(session, payload["traveler_id"])
        if card is None:
            return
        destination = payload["data"]["journey"]["destination"]["name"]
        notice = domain.journey_arrived(
            traveler.display_name if traveler else "A traveler",
            destination,
            card.title,
            str(card.id),
            payload["journey_id"],
        )
        others = [u for u in card.members if str(u) != payload["traveler_id"]]
        await _service(session).notify(others, notice)

    outcomes = {
        BookingConfirmed.name: "confirmed",
        BookingCancelled.name: "cancelled",
        BookingExpired.name: "expired",
    }

    async def booking(session: AsyncSession, envelope: Envelope) -> None:
        payload = envelope.payload
        notice = domain.booking(
            outcomes[envelope.name],
            payload["amount_minor"],
            payload["currency"],
            payload["booking_id"],
        )
        await _service(session).notify([uuid.UUID(payload["user_id"])], notice)
        seller = uuid.UUID(payload["operator_id"])
        if envelope.name == BookingConfirmed.name and seller != PLATFORM:
            sale = domain.sold(payload["amount_minor"], payload["currency"], payload["booking_id"])
            await _service(session).notify([seller], sale)

    async def kyc_decided(session: AsyncSession, envelope: Envelope) -> None:
        payload = envelope.payload
        notice = domain.operator_kyc(payload["status"], payload["reason"], payload["operator_id"])
        await _service(session).notify([uuid.UUID(payload["user_id"])], notice)

    async def review(session: AsyncSession, envelope: Envelope) -> None:
        payload = envelope.payload
        if envelope.name == ReviewPosted.name:
            to, notice = (
                payload["seller_id"],
                domain.review_posted(
                    payload["rating"],
                    payload["listing_title"],
                    payload["listing_id"],
                    payload["review_id"],
                ),
            )
        else:
            to, notice = (
                payload["user_id"],
                domain.review_replied(
                    payload["listing_title"], payload["listing_id"], payload["review_id"]
                ),
            )
        await _service(session).notify([uuid.UUID(to)], notice)

    async def station(session: AsyncSession, envelope: Envelope) -> None:
        payload = envelope.payload
        name = payload["station_name"]
        if envelope.name == TravelerCalled.name:
            to = payload["user_id"]
            notice = domain.station_called(name, payload["ticket_id"], payload["station_id"])
        elif envelope.name == BatterySwapped.name:
            to = payload["user_id"]
            notice = domain.battery_swapped(
                name,
                payload["amount_minor"],
                payload["currency"],
                payload["swap_id"],
                payload.get("credits_left"),
            )
        else:
            to = payload["owner_id"]
            notice = domain.fault_reported(
                name, payload["category"], payload["fault_id"], payload["station_id"]
            )
        await _service(session).notify([uuid.UUID(to)], notice)

    async def price_moved(session: AsyncSession, envelope: Envelope) -> None:
        p = envelope.payload
        notice = domain.price_moved(
            p["item_label"],
            p["percent"],
            p["where"],
            p["recent_reporters"],
            p["before_reporters"],
            p["watch_id"],
        )
        await _service(session).notify([uuid.UUID(p["user_id"])], notice)

    subscriptions: list[tuple[str, Callable[[AsyncSession, Envelope], Awaitable[None]]]] = [
        *(
            (event.name, account_email)
            for event in (
                EmailVerificationRequested,
                PasswordResetRequested,
                PasswordChanged,
                RefreshTokenReuseDetected,
                TwoFactorEnabled,
                TwoFactorDisabled,
            )
        ),
        (InviteSent.name, invite_email),
        (CollaboratorAdded.name, added_to_trip),
        (JourneyArrived.name, journey_arrived),
        *((name, booking) for name in outcomes),
        (OperatorKycDecided.name, kyc_decided),
        (ReviewPosted.name, review),
        (ReviewReplied.name, review),
        *((event.name, station) for event in (TravelerCalled, BatterySwapped, FaultReported)),
        (PriceMoved.name, price_moved),
    ]
    for name, handler in subscriptions:
        registry.subscribe(name, HANDLER, handler)
    registry.every_with_database(
        SENDER, send_every_seconds, Sender(mailer, mail_from, max_attempts)
    )

    async def webhook(session: AsyncSession, envelope: Envelope) -> None:
        service = WebhooksService(WebhooksRepository(session), Clock(), webhook_sender.allow_local)
        await service.fan_out(envelope.id, envelope.name, envelope.occurred_at, envelope.payload)

    offered = (
        BookingConfirmed,
        BookingCancelled,
        BookingExpired,
        ReviewPosted,
        BatterySwapped,
        FaultReported,
        PlanBought,
    )
    assert {event.name for event in offered} == set(webhooks.EVENTS)
    for event in offered:
        registry.subscribe(event.name, WEBHOOK_HANDLER, webhook)
    # right after the events that queued deliveries, not only every few seconds
    registry.every_with_database(
        WEBHOOK_SENDER, send_every_seconds, webhook_sender, after_events=True
    )
    # notices queue their pushes as they are made (service.notify)
    registry.every_with_database(PUSH_SENDER, send_every_seconds, push_sender, after_events=True)


def _at(raw: str) -> datetime:
    return datetime.fromisoformat(raw)

"""What Navio tells people, and how it retries: the texts of e-mails and in-app notices (pure
functions of the event's facts), and the backoff between delivery attempts. No I/O.

Texts are plain: e-mails are text/plain (every client shows them, nothing to escape), in-app
notices a title and a line of text that the apps render as text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from navio.kernel.money import currency_exponent

# e-mail: a few quick retries for a server that is busy, then spaced out; capped at 6 hours
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=6)


def retry_after(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: 30 s, 1 min, 2 min, ... at most 6 h."""
    wait: timedelta = FIRST_RETRY * 2 ** min(max(0, attempts - 1), 20)
    return min(wait, MAX_RETRY)


@dataclass(frozen=True, slots=True)
class Email:
    kind: str
    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class Notice:
    kind: str
    title: str
    body: str
    data: dict[str, Any]


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def _sign_off(public_url: str) -> str:
    return f"\n\n-- \nNavio · {public_url}\n"


def verify_email(name: str, link: str, expires_at: datetime, public_url: str) -> Email:
    return Email(
        "verify_email",
        "Confirm your e-mail address for Navio",
        f"Hello {name},\n\n"
        f"please confirm that this address is yours by opening this link before "
        f"{_when(expires_at)}:\n\n{link}\n\n"
        "If you did not sign up for Navio, ignore this message: nothing happens without the link."
        + _sign_off(public_url),
    )


def password_reset(name: str, link: str, expires_at: datetime, public_url: str) -> Email:
    return Email(
        "password_reset",
        "Reset your Navio password",
        f"Hello {name},\n\n"
        f"someone asked to reset the password of your Navio account. To choose a new one, open "
        f"this link before {_when(expires_at)}; it works once:\n\n{link}\n\n"
        "If it was not you, ignore this message: your password stays as it is."
        + _sign_off(public_url),
    )


def password_changed(name: str, via_reset: bool, at: datetime, public_url: str) -> Email:
    how = "with a reset link" if via_reset else "from a signed-in session"
    return Email(
        "password_changed",
        "Your Navio password was changed",
        f"Hello {name},\n\n"
        f"the password of your Navio account was changed {how} at {_when(at)}, and every other "
        f"session was signed out.\n\nIf this was not you, reset your password now at "
        f"{public_url}/forgot-password and turn on two-factor sign-in." + _sign_off(public_url),
    )


def two_factor(name: str, enabled: bool, at: datetime, public_url: str) -> Email:
    state = "turned on" if enabled else "turned off"
    warning = (
        "Keep your recovery codes somewhere safe: each signs you in once without the app."
        if enabled
        else f"If this was not you, reset your password now at {public_url}/forgot-password."
    )
    return Email(
        "two_factor_enabled" if enabled else "two_factor_disabled",
        f"Two-factor sign-in {state} on your Navio account",
        f"Hello {name},\n\ntwo-factor sign-in was {state} on your account at {_when(at)}.\n\n"
        + warning
        + _sign_off(public_url),
    )


def token_reuse(name: str, at: datetime, public_url: str) -> Email:
    return Email(
        "refresh_token_reuse",
        "A Navio session of yours was ended for your safety",
        f"Hello {name},\n\n"
        f"at {_when(at)} a sign-in token of your account was used a second time, which happens "
        "when a copy of it is in someone else's hands. We ended that session on every device "
        "that shared it; sign in again where you need to.\n\n"
        f"If you did not expect this, change your password at {public_url}/forgot-password."
        + _sign_off(public_url),
    )


def trip_invite(
    inviter: str, trip_title: str, role: str, link: str, expires_at: datetime, public_url: str
) -> Email:
    return Email(
        "trip_invite",
        f"{inviter} invited you to “{trip_title}” on Navio",
        f"Hello,\n\n{inviter} invited you to plan the trip “{trip_title}” together on Navio, as "
        f"{role}. Sign in or create an account with this address, then accept the invitation "
        f"before {_when(expires_at)}:\n\n{link}" + _sign_off(public_url),
    )


def money(amount_minor: int, currency: str) -> str:
    digits = currency_exponent(currency)
    value = Decimal(amount_minor).scaleb(-digits)
    return f"{value:,.{digits}f} {currency}"


def booking(outcome: str, amount_minor: int, currency: str, booking_id: str) -> Notice:
    amount = money(amount_minor, currency)
    title, body = {
        "confirmed": ("Booking confirmed", f"Your booking is confirmed and paid: {amount}."),
        "cancelled": ("Booking cancelled", f"Your booking of {amount} was cancelled."),
        "expired": (
            "Booking expired",
            f"Your booking of {amount} was not paid in time and has expired.",
        ),
    }[outcome]
    return Notice(f"booking_{outcome}", title, body, {"booking_id": booking_id})


def added_to_trip(actor: str, trip_title: str, role: str, trip_id: str) -> Notice:
    return Notice(
        "trip_added",
        "Added to a trip",
        f"{actor} added you to “{trip_title}” as {role}.",
        {"trip_id": trip_id},
    )


def journey_arrived(
    traveler: str, destination: str, trip_title: str, trip_id: str, journey_id: str
) -> Notice:
    return Notice(
        "journey_arrived",
        f"{traveler} arrived",
        f"{traveler} arrived at {destination} (“{trip_title}”).",
        {"trip_id": trip_id, "journey_id": journey_id},
    )


def sold(amount_minor: int, currency: str, booking_id: str) -> Notice:
    return Notice(
        "booking_sold",
        "New booking",
        f"A traveler booked and paid {money(amount_minor, currency)}.",
        {"booking_id": booking_id},
    )


def operator_kyc(status: str, reason: str | None, operator_id: str) -> Notice:
    if status == "verified":
        title, body = "Details verified", "Your details are verified: your listings may go on sale."
    else:
        title = "Details not accepted"
        body = f"Your operator details were not accepted: {reason or 'no reason given'}."
    return Notice(f"operator_{status}", title, body, {"operator_id": operator_id})


def review_posted(rating: int, listing_title: str, listing_id: str, review_id: str) -> Notice:
    return Notice(
        "review_posted",
        f"New {rating}★ review",
        f"A traveler reviewed “{listing_title}”: {rating} of 5.",
        {"listing_id": listing_id, "review_id": review_id},
    )


def review_replied(listing_title: str, listing_id: str, review_id: str) -> Notice:
    return Notice(
        "review_replied",
        "Your review was answered",
        f"The operator of “{listing_title}” answered your review.",
        {"listing_id": listing_id, "review_id": review_id},
    )


def price_moved(
    label: str, percent: float, where: str, recent: int, before: int, watch_id: str
) -> Notice:
    way = "cheaper" if percent < 0 else "dearer"
    return Notice(
        "price_moved",
        f"{label}: {abs(percent):g} % {way}",
        f"{label} {where} cost {abs(percent):g} % {'less' if percent < 0 else 'more'} than the "
        f"year before: {recent} travelers reported in the last 90 days, {before} in the 365 "
        "days before.",
        {"watch_id": watch_id, "percent": percent},
    )


def station_called(station: str, ticket_id: str, station_id: str) -> Notice:
    return Notice(
        "station_called",
        "Your turn",
        f"You are checked in at {station}: a bay is yours.",
        {"ticket_id": ticket_id, "station_id": station_id},
    )


def battery_swapped(
    station: str, amount_minor: int, currency: str, swap_id: str, credits_left: int | None = None
) -> Notice:
    paid = (
        f"{money(amount_minor, currency)} from your wallet"
        if credits_left is None
        else f"a credit of your plan ({credits_left} left)"
    )
    return Notice(
        "battery_swapped",
        "Battery swapped",
        f"You swapped a battery at {station}: {paid}.",
        {"swap_id": swap_id},
    )


def fault_reported(station: str, category: str, fault_id: str, station_id: str) -> Notice:
    return Notice(
        "fault_reported",
        "Fault reported",
        f"A {category} fault was reported at {station}.",
        {"fault_id": fault_id, "station_id": station_id},
    )

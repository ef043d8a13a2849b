"""Marketplace: operators and their KYC state, listings with dated slots and seats, reviews,
payouts. Bookings reserve, confirm and release seats through `inventory(session)` in their own
transaction; other contexts import only from here."""

from navio.kernel.db import SessionSource
from navio.marketplace.domain import ListingKind
from navio.marketplace.events import (
    ListingPublished,
    OperatorKycDecided,
    ReviewPosted,
    ReviewReplied,
)
from navio.marketplace.repository import MarketplaceRepository
from navio.marketplace.service import Inventory, Quote


def inventory(source: SessionSource) -> Inventory:
    return Inventory(MarketplaceRepository(source))


__all__ = [
    "Inventory",
    "ListingKind",
    "ListingPublished",
    "OperatorKycDecided",
    "Quote",
    "ReviewPosted",
    "ReviewReplied",
    "inventory",
]

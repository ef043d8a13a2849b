"""Marketplace events, through the outbox (notifications tells operators and reviewers)."""

from __future__ import annotations

import uuid

from navio.kernel.events import Event


class OperatorKycDecided(Event):
    name = "marketplace.operator_kyc_decided"

    operator_id: uuid.UUID
    user_id: uuid.UUID
    status: str
    reason: str | None = None


class ListingPublished(Event):
    name = "marketplace.listing_published"

    listing_id: uuid.UUID
    seller_id: uuid.UUID
    title: str


class ReviewPosted(Event):
    name = "marketplace.review_posted"

    review_id: uuid.UUID
    listing_id: uuid.UUID
    seller_id: uuid.UUID
    user_id: uuid.UUID
    listing_title: str
    rating: int


class ReviewReplied(Event):
    name = "marketplace.review_replied"

    review_id: uuid.UUID
    listing_id: uuid.UUID
    user_id: uuid.UUID
    listing_title: str

"""Pricing events, through the outbox."""

from __future__ import annotations

import uuid
from datetime import date

from navio.kernel.events import Event


class PriceReported(Event):
    name = "pricing.price_reported"

    report_id: uuid.UUID
    user_id: uuid.UUID
    item: str
    amount_minor: int
    currency: str
    observed_on: date


class PriceMoved(Event):
    """The change test found that prices a traveler watches moved the way they asked to hear
    of: the reporters of the last 90 days against the 365 days before."""

    name = "pricing.price_moved"

    watch_id: uuid.UUID
    user_id: uuid.UUID
    item: str
    item_label: str
    percent: float
    recent_reporters: int
    before_reporters: int
    where: str

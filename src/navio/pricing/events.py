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

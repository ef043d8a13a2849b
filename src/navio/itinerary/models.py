from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Integer
from sqlalchemy.orm import Mapped, mapped_column

from navio.kernel.db import Base


class ItineraryPlan(Base):
    """A trip's day-by-day plan: what was asked (so that edits re-optimise under the same
    terms) and the schedule, which the independent checker passed when it was stored."""

    __tablename__ = "itinerary_plan"

    trip_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    request: Mapped[dict[str, Any]] = mapped_column(default=dict)
    days: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    generated_by: Mapped[uuid.UUID] = mapped_column()
    generated_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()

"""What other contexts may know of expenses: a trip's spending per category and day."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from navio.expenses.repository import ExpensesRepository
from navio.kernel.db import SessionSource


@dataclass(frozen=True, slots=True)
class Spend:
    category: str
    day: date
    currency: str  # the group currency the expenses were frozen in
    amount_minor: int  # refunds deducted


async def trip_spending(source: SessionSource, trip_id: uuid.UUID) -> list[Spend]:
    rows = await ExpensesRepository(source).spend_by_category_day(trip_id)
    return [Spend(*row) for row in rows]

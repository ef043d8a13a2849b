"""Expense events: the trip (if any), who acted and what about."""

from __future__ import annotations

import uuid
from typing import Any

from navio.kernel.events import Event


class ExpenseEvent(Event):
    trip_id: uuid.UUID | None
    actor_id: uuid.UUID
    subject_id: uuid.UUID
    data: dict[str, Any] = {}


class ExpenseAdded(ExpenseEvent):
    name = "expenses.expense_added"


class ExpenseUpdated(ExpenseEvent):
    name = "expenses.expense_updated"


class ExpenseRemoved(ExpenseEvent):
    name = "expenses.expense_removed"


class SettlementRecorded(ExpenseEvent):
    name = "expenses.settlement_recorded"


class SettlementRemoved(ExpenseEvent):
    name = "expenses.settlement_removed"


class ReceiptScanned(ExpenseEvent):
    name = "expenses.receipt_scanned"


class StatementCommitRequested(ExpenseEvent):
    """A large statement import to write in the background (the worker, or the API's relay)."""

    name = "expenses.statement_commit_requested"

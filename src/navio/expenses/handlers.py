"""Expense events delivered through the outbox: large statement imports are written here, in
the worker's (or the API relay's) transaction, exactly once per event."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from navio.expenses.events import StatementCommitRequested
from navio.expenses.repository import ExpensesRepository
from navio.expenses.service import ExpensesService
from navio.kernel.clock import Clock
from navio.kernel.events import Envelope, EventRecorder, HandlerRegistry
from navio.kernel.fx import EcbRates

HANDLER = "expenses.statement_commit"


def register(registry: HandlerRegistry, rates: EcbRates) -> None:
    async def on_commit_requested(session: AsyncSession, envelope: Envelope) -> None:
        repo = ExpensesRepository(session)
        upload = await repo.statement_import(
            uuid.UUID(envelope.payload["subject_id"]), for_update=True
        )
        if upload is None or upload.status != "committing":
            return  # deleted, or already written by an earlier delivery
        service = ExpensesService(repo, EventRecorder(session), Clock(), rates)
        await service.apply_import(upload)

    registry.subscribe(StatementCommitRequested.name, HANDLER, on_commit_requested)

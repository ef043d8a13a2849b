"""Every payments query. Never commits."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from navio.kernel.db import Repository
from navio.payments.models import InvoiceCounter, Payment, PaymentRefund, ProviderEventRecord


class PaymentsRepository(Repository):
    async def add(self, *objects: object) -> None:
        self.session.add_all(objects)
        await self.session.flush()

    def add_event(self, record: ProviderEventRecord) -> None:
        self.session.add(record)

    async def payment(self, payment_id: uuid.UUID, *, for_update: bool = False) -> Payment | None:
        statement = select(Payment).where(Payment.id == payment_id)
        if for_update:
            statement = statement.with_for_update().execution_options(populate_existing=True)
        return await self.session.scalar(statement)

    async def by_provider_ref(
        self, provider: str, provider_ref: str, *, for_update: bool = False
    ) -> Payment | None:
        statement = select(Payment).where(
            Payment.provider == provider, Payment.provider_ref == provider_ref
        )
        if for_update:
            statement = statement.with_for_update().execution_options(populate_existing=True)
        return await self.session.scalar(statement)

    async def refunds(self, payment_id: uuid.UUID) -> list[PaymentRefund]:
        rows = await self.session.scalars(
            select(PaymentRefund)
            .where(PaymentRefund.payment_id == payment_id)
            .order_by(PaymentRefund.created_at, PaymentRefund.id)
        )
        return list(rows)

    async def provider_event(self, provider: str, event_id: str) -> ProviderEventRecord | None:
        return await self.session.get(ProviderEventRecord, (provider, event_id))

    async def next_invoice_sequence(self, seller_id: uuid.UUID, year: int) -> int:
        """The next number, under a row lock held until the paying transaction ends."""
        counter = await self.session.scalar(
            select(InvoiceCounter)
            .where(InvoiceCounter.seller_id == seller_id, InvoiceCounter.year == year)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if counter is None:
            counter = InvoiceCounter(seller_id=seller_id, year=year, last=0)
            self.session.add(counter)
        counter.last += 1
        await self.session.flush()
        return counter.last

"""Every expenses query. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import ColumnElement, and_, case, delete, func, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute

from navio.expenses.models import Expense, ExpenseShare, Receipt, Settlement, StatementImport
from navio.kernel.db import Repository


def _after(cursor: tuple[date, uuid.UUID] | None) -> ColumnElement[bool]:
    """Keyset condition in (spent_on desc, id desc) order."""
    if cursor is None:
        return true()
    day, ident = cursor
    return or_(Expense.spent_on < day, and_(Expense.spent_on == day, Expense.id < ident))


def _signed(value: InstrumentedAttribute[int]) -> ColumnElement[int]:
    return case((Expense.kind == "refund", -value), else_=value)


class ExpensesRepository(Repository):
    async def add(self, *objects: object) -> None:
        self.session.add_all(objects)
        await self.session.flush()

    async def delete(self, obj: object) -> None:
        await self.session.delete(obj)
        await self.session.flush()

    # expenses
    async def expense(self, expense_id: uuid.UUID, *, for_update: bool = False) -> Expense | None:
        statement = select(Expense).where(Expense.id == expense_id)
        if for_update:
            statement = statement.with_for_update()
        return await self.session.scalar(statement)

    async def shares(self, expense_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[ExpenseShare]]:
        found: dict[uuid.UUID, list[ExpenseShare]] = {i: [] for i in expense_ids}
        if not expense_ids:
            return found
        rows = await self.session.scalars(
            select(ExpenseShare)
            .where(ExpenseShare.expense_id.in_(expense_ids))
            .order_by(ExpenseShare.expense_id, ExpenseShare.user_id)
        )
        for share in rows:
            found[share.expense_id].append(share)
        return found

    async def replace_shares(self, expense_id: uuid.UUID, shares: Sequence[ExpenseShare]) -> None:
        await self.session.execute(
            delete(ExpenseShare).where(ExpenseShare.expense_id == expense_id)
        )
        self.session.add_all(shares)
        await self.session.flush()

    async def delete_expense(self, expense: Expense) -> None:
        await self.session.execute(
            delete(ExpenseShare).where(ExpenseShare.expense_id == expense.id)
        )
        await self.delete(expense)

    async def list_expenses(
        self,
        *,
        trip_id: uuid.UUID | None,
        owner_id: uuid.UUID,
        limit: int,
        after: tuple[date, uuid.UUID] | None,
        category: str | None,
        spent_from: date | None,
        spent_until: date | None,
        member: uuid.UUID | None,
    ) -> list[Expense]:
        statement = select(Expense)
        if trip_id is not None:
            statement = statement.where(Expense.trip_id == trip_id)
        else:
            statement = statement.where(Expense.trip_id.is_(None), Expense.owner_id == owner_id)
        if category:
            statement = statement.where(Expense.category == category)
        if spent_from:
            statement = statement.where(Expense.spent_on >= spent_from)
        if spent_until:
            statement = statement.where(Expense.spent_on <= spent_until)
        if member is not None:
            involved = select(ExpenseShare.expense_id).where(ExpenseShare.user_id == member)
            statement = statement.where(or_(Expense.payer_id == member, Expense.id.in_(involved)))
        statement = (
            statement.where(_after(after))
            .order_by(Expense.spent_on.desc(), Expense.id.desc())
            .limit(limit + 1)
        )
        return list(await self.session.scalars(statement))

    async def fingerprints(self, owner_id: uuid.UUID, candidates: Sequence[str]) -> dict[str, int]:
        """How many expenses of this owner were imported with each of these fingerprints."""
        found: dict[str, int] = {}
        wanted = sorted(set(candidates))
        for start in range(0, len(wanted), 500):
            rows = await self.session.execute(
                select(Expense.fingerprint, func.count())
                .where(
                    Expense.owner_id == owner_id,
                    Expense.fingerprint.in_(wanted[start : start + 500]),
                )
                .group_by(Expense.fingerprint)
            )
            found.update({f: int(n) for f, n in rows if f})
        return found

    async def statement_import(
        self, import_id: uuid.UUID, *, for_update: bool = False
    ) -> StatementImport | None:
        statement = select(StatementImport).where(StatementImport.id == import_id)
        if for_update:
            statement = statement.with_for_update()
        return await self.session.scalar(statement)

    # balances: sums per member and group currency, computed by the database
    async def paid_by_member(self, trip_id: uuid.UUID) -> list[tuple[uuid.UUID, str, int, int]]:
        """(payer, group currency, signed total paid, number of expenses)."""
        rows = await self.session.execute(
            select(
                Expense.payer_id,
                Expense.group_currency,
                func.sum(_signed(Expense.group_amount_minor)),
                func.count(),
            )
            .where(Expense.trip_id == trip_id)
            .group_by(Expense.payer_id, Expense.group_currency)
        )
        return [(p, c, int(s), int(n)) for p, c, s, n in rows]

    async def owed_by_member(self, trip_id: uuid.UUID) -> list[tuple[uuid.UUID, str, int]]:
        """(participant, group currency, signed total of their shares)."""
        rows = await self.session.execute(
            select(
                ExpenseShare.user_id,
                Expense.group_currency,
                func.sum(_signed(ExpenseShare.group_share_minor)),
            )
            .join(Expense, Expense.id == ExpenseShare.expense_id)
            .where(Expense.trip_id == trip_id)
            .group_by(ExpenseShare.user_id, Expense.group_currency)
        )
        return [(u, c, int(s)) for u, c, s in rows]

    async def settled_by_pair(
        self, trip_id: uuid.UUID
    ) -> list[tuple[uuid.UUID, uuid.UUID, str, int]]:
        rows = await self.session.execute(
            select(
                Settlement.payer_id,
                Settlement.payee_id,
                Settlement.group_currency,
                func.sum(Settlement.group_amount_minor),
            )
            .where(Settlement.trip_id == trip_id)
            .group_by(Settlement.payer_id, Settlement.payee_id, Settlement.group_currency)
        )
        return [(a, b, c, int(s)) for a, b, c, s in rows]

    async def last_spent_on(self, trip_id: uuid.UUID, currency: str) -> date | None:
        return await self.session.scalar(
            select(func.max(Expense.spent_on)).where(
                Expense.trip_id == trip_id, Expense.group_currency == currency
            )
        )

    # settlements
    async def settlement(self, settlement_id: uuid.UUID) -> Settlement | None:
        return await self.session.get(Settlement, settlement_id)

    async def settlements(self, trip_id: uuid.UUID) -> list[Settlement]:
        rows = await self.session.scalars(
            select(Settlement)
            .where(Settlement.trip_id == trip_id)
            .order_by(Settlement.created_at, Settlement.id)
        )
        return list(rows)

    # receipts
    async def receipt(self, receipt_id: uuid.UUID) -> Receipt | None:
        return await self.session.get(Receipt, receipt_id)

    async def spend_by_category_day(self, trip_id: uuid.UUID) -> list[tuple[str, date, str, int]]:
        """(category, day, group currency, signed total) of a trip's expenses."""
        rows = await self.session.execute(
            select(
                Expense.category,
                Expense.spent_on,
                Expense.group_currency,
                func.sum(_signed(Expense.group_amount_minor)),
            )
            .where(Expense.trip_id == trip_id)
            .group_by(Expense.category, Expense.spent_on, Expense.group_currency)
            .order_by(Expense.spent_on, Expense.category)
        )
        return [(c, d, cur, int(s)) for c, d, cur, s in rows]

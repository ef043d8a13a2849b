"""Every ledger query. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from navio.kernel.db import Repository
from navio.kernel.pagination import Cursor
from navio.wallet.models import Account, Entry, Transfer


class WalletRepository(Repository):
    async def account(self, kind: str, owner_id: uuid.UUID, currency: str) -> Account | None:
        return await self.session.scalar(
            select(Account).where(
                Account.kind == kind, Account.owner_id == owner_id, Account.currency == currency
            )
        )

    async def ensure_account(
        self,
        kind: str,
        owner_id: uuid.UUID,
        currency: str,
        allow_negative: bool,
        now: datetime,
    ) -> Account:
        """Get or create, safe under concurrency (INSERT ... ON CONFLICT DO NOTHING)."""
        found = await self.account(kind, owner_id, currency)
        if found is not None:
            return found
        values = {
            "id": uuid.uuid4(),
            "kind": kind,
            "owner_id": owner_id,
            "currency": currency,
            "allow_negative": allow_negative,
            "balance_minor": 0,
            "created_at": now,
        }
        dialect = self.session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        await self.session.execute(
            insert(Account)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["kind", "owner_id", "currency"])
        )
        created = await self.account(kind, owner_id, currency)
        assert created is not None
        return created

    async def lock_accounts(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Account]:
        """Row locks in id order, so concurrent transfers over the same accounts queue
        instead of deadlocking; the rows are re-read under the lock."""
        rows = await self.session.scalars(
            select(Account)
            .where(Account.id.in_(sorted(set(ids))))
            .order_by(Account.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return {a.id: a for a in rows}

    async def accounts_of(self, owner_id: uuid.UUID, kinds: Sequence[str]) -> list[Account]:
        rows = await self.session.scalars(
            select(Account)
            .where(Account.owner_id == owner_id, Account.kind.in_(list(kinds)))
            .order_by(Account.currency, Account.kind)
        )
        return list(rows)

    async def transfer_by_key(self, key: str, *, for_update: bool = False) -> Transfer | None:
        statement = select(Transfer).where(Transfer.key == key)
        if for_update:
            statement = statement.with_for_update().execution_options(populate_existing=True)
        return await self.session.scalar(statement)

    async def entries(self, transfer_id: uuid.UUID) -> list[Entry]:
        rows = await self.session.scalars(
            select(Entry).where(Entry.transfer_id == transfer_id).order_by(Entry.amount_minor)
        )
        return list(rows)

    def add(self, *objects: object) -> None:
        self.session.add_all(objects)

    async def flush(self) -> None:
        await self.session.flush()

    async def statement(
        self, account_id: uuid.UUID, limit: int, after: Cursor | None
    ) -> list[tuple[Entry, Transfer]]:
        condition: ColumnElement[bool] = true()
        if after is not None:
            condition = or_(
                Entry.created_at < after.created_at,
                and_(Entry.created_at == after.created_at, Entry.id < after.id),
            )
        rows = await self.session.execute(
            select(Entry, Transfer)
            .join(Transfer, Transfer.id == Entry.transfer_id)
            .where(Entry.account_id == account_id, condition)
            .order_by(Entry.created_at.desc(), Entry.id.desc())
            .limit(limit + 1)
        )
        return [(e, t) for e, t in rows]

    async def drift(self) -> list[tuple[uuid.UUID, int, int]]:
        """Accounts whose cached balance differs from the sum of their entries."""
        sums = (
            select(Entry.account_id, func.sum(Entry.amount_minor).label("total"))
            .group_by(Entry.account_id)
            .subquery()
        )
        rows = await self.session.execute(
            select(Account.id, Account.balance_minor, func.coalesce(sums.c.total, 0))
            .outerjoin(sums, sums.c.account_id == Account.id)
            .where(Account.balance_minor != func.coalesce(sums.c.total, 0))
        )
        return [(a, int(b), int(t)) for a, b, t in rows]

    async def totals(self) -> list[tuple[str, str, int]]:
        """(kind, currency, sum of balances) over every account."""
        rows = await self.session.execute(
            select(Account.kind, Account.currency, func.sum(Account.balance_minor)).group_by(
                Account.kind, Account.currency
            )
        )
        return [(k, c, int(s)) for k, c, s in rows]

    async def negative_inside(self) -> int:
        return int(
            await self.session.scalar(
                select(func.count()).where(
                    Account.allow_negative.is_(False), Account.balance_minor < 0
                )
            )
            or 0
        )

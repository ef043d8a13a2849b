"""Every ledger query. Never commits."""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Table,
    TextClause,
    bindparam,
    func,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy import insert as insert_core
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from navio.kernel.db import Repository
from navio.kernel.pagination import Cursor, newest_first
from navio.wallet.models import Account, Entry, Transfer


class WalletRepository(Repository):
    async def account(
        self, kind: str, owner_id: uuid.UUID, currency: str, stripe: int = 0
    ) -> Account | None:
        return await self.session.scalar(
            select(Account).where(
                Account.kind == kind,
                Account.owner_id == owner_id,
                Account.currency == currency,
                Account.stripe == stripe,
            )
        )

    async def balance(self, kind: str, owner_id: uuid.UUID, currency: str) -> int:
        """An account's balance: the sum of its stripes (one row for most accounts)."""
        total = await self.session.scalar(
            select(func.sum(Account.balance_minor)).where(
                Account.kind == kind, Account.owner_id == owner_id, Account.currency == currency
            )
        )
        return int(total or 0)

    async def ensure_account(
        self,
        kind: str,
        owner_id: uuid.UUID,
        currency: str,
        allow_negative: bool,
        now: datetime,
        stripe: int = 0,
    ) -> Account:
        """Get or create, safe under concurrency (INSERT ... ON CONFLICT DO NOTHING)."""
        found = await self.account(kind, owner_id, currency, stripe)
        if found is not None:
            return found
        values = {
            "id": uuid.uuid4(),
            "kind": kind,
            "owner_id": owner_id,
            "currency": currency,
            "allow_negative": allow_negative,
            "balance_minor": 0,
            "stripe": stripe,
            "created_at": now,
        }
        await self.session.execute(
            self.insert(Account)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["kind", "owner_id", "currency", "stripe"])
        )
        created = await self.account(kind, owner_id, currency, stripe)
        assert created is not None
        return created

    async def open_accounts_apart(
        self, currency: str, accounts: Sequence[tuple[str, uuid.UUID, bool, int]], now: datetime
    ) -> None:
        """PostgreSQL: create missing accounts (kind, owner, allow_negative, stripe) in a short
        transaction of their own, committed at once, so the paying transaction never holds a
        half-created account that another transaction waits for (an empty account is harmless
        if the payment then fails)."""
        engine = self.session.bind
        assert isinstance(engine, AsyncEngine)
        rows = [
            {
                "id": uuid.uuid4(),
                "kind": kind,
                "owner_id": owner_id,
                "currency": currency,
                "allow_negative": allow_negative,
                "balance_minor": 0,
                "stripe": stripe,
                "created_at": now,
            }
            for kind, owner_id, allow_negative, stripe in sorted(
                accounts, key=lambda a: (a[0], str(a[1]), a[3])
            )
        ]
        async with engine.begin() as connection:
            await connection.execute(
                pg_insert(Account)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["kind", "owner_id", "currency", "stripe"])
            )

    # ---------------------------------------------------------------- the write path (Core)
    async def insert_transfer(self, values: dict[str, Any]) -> bool:
        """Insert unless the key exists (then False): the key's unique index decides, so two
        concurrent first attempts cannot both write."""
        result = await self.session.execute(
            self.insert(Transfer)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(Transfer.id)
        )
        return result.scalar_one_or_none() is not None

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name

    async def transfer_in_one_statement(
        self,
        values: dict[str, Any],
        currency: str,
        postings: Sequence[tuple[str, uuid.UUID, int, int]],
    ) -> str | list[tuple[uuid.UUID, str, uuid.UUID, int, int, bool]]:
        """PostgreSQL: the whole transfer in one statement (one round trip besides BEGIN and
        COMMIT): lock the accounts in id order, insert the transfer unless its key exists,
        move the balances, insert the entries. Returns "missing" (an account does not exist:
        nothing written), "exists" (the key was used: nothing written) or per account
        (id, kind, owner, amount, balance after, allow_negative) for the caller to check.
        Postings are (kind, owner, stripe, amount)."""
        params: dict[str, Any] = {
            "cur": currency,
            "n": len(postings),
            "tid": values["id"],
            "key": values["key"],
            "kind": values["kind"],
            "amount": values["amount_minor"],
            "fp": values["fingerprint"],
            "uid": values["user_id"],
            "refs": json.dumps(values["refs"]),
            "hold": values["hold_state"],
            "now": values["created_at"],
        }
        for i, (kind, owner, stripe, amount) in enumerate(postings):
            params[f"k{i}"], params[f"o{i}"], params[f"v{i}"] = kind, owner, amount
            params[f"s{i}"] = stripe
        sql, names = _one_statement_positional(len(postings))
        # the driver's own SQL ($1, $2, ...) on the session's connection and transaction:
        # no compilation, no ORM machinery on the ledger's hottest path
        connection = await self.session.connection()
        result = await connection.exec_driver_sql(sql, tuple(params[n] for n in names))
        rows = result.all()
        if not rows[0].ok:
            return "missing"
        if not rows[0].inserted:
            return "exists"
        return [
            (r.id, r.kind, r.owner_id, int(r.delta), int(r.balance_minor), bool(r.allow_negative))
            for r in rows
        ]

    async def existing_accounts(
        self, currency: str, refs: Sequence[tuple[str, uuid.UUID]]
    ) -> set[tuple[str, uuid.UUID, int]]:
        """(kind, owner, stripe) of every row of the accounts (kind, owner) in `currency`."""
        rows = await self.session.execute(
            select(Account.kind, Account.owner_id, Account.stripe).where(
                Account.currency == currency, tuple_(Account.kind, Account.owner_id).in_(refs)
            )
        )
        return {(r.kind, r.owner_id, r.stripe) for r in rows}

    async def lock_balances(
        self, currency: str, refs: Sequence[tuple[str, uuid.UUID]]
    ) -> dict[tuple[str, uuid.UUID, int], tuple[uuid.UUID, bool, int]]:
        """(id, allow_negative, balance) per (kind, owner, stripe) in `currency`, every stripe
        of the accounts, rows locked in id order so that concurrent transfers over the same
        accounts queue, never deadlock."""
        rows = await self.session.execute(
            select(
                Account.id,
                Account.kind,
                Account.owner_id,
                Account.stripe,
                Account.allow_negative,
                Account.balance_minor,
            )
            .where(Account.currency == currency, tuple_(Account.kind, Account.owner_id).in_(refs))
            .order_by(Account.id)
            .with_for_update()
        )
        return {
            (r.kind, r.owner_id, r.stripe): (r.id, bool(r.allow_negative), int(r.balance_minor))
            for r in rows
        }

    async def apply(
        self,
        balances: Sequence[dict[str, Any]],
        entries: Sequence[dict[str, Any]],
    ) -> None:
        """New balances (executemany, in id order) and the entries, in two statements."""
        accounts = Account.__table__
        assert isinstance(accounts, Table)
        await self.session.execute(
            update(accounts)
            .where(accounts.c.id == bindparam("account_id"))
            .values(balance_minor=bindparam("balance")),
            list(balances),
        )
        entry_table = Entry.__table__
        assert isinstance(entry_table, Table)
        await self.session.execute(insert_core(entry_table), list(entries))

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
        statement = (
            select(Entry, Transfer)
            .join(Transfer, Transfer.id == Entry.transfer_id)
            .where(Entry.account_id == account_id)
        )
        rows = await self.session.execute(
            newest_first(statement, Entry.created_at, Entry.id, limit, after)
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


@functools.cache
def _one_statement(postings: int) -> TextClause:
    """The single-statement transfer for a number of postings (compiled once per shape)."""
    rows_sql = ", ".join(
        f"(CAST(:k{i} AS varchar), CAST(:o{i} AS uuid), CAST(:s{i} AS smallint), "
        f"CAST(:v{i} AS bigint))"
        for i in range(postings)
    )
    # only numbered placeholders are interpolated: every value is a bound parameter
    return text(
        f"""
        WITH d(kind, owner_id, stripe, delta) AS (VALUES {rows_sql}),
        lk AS MATERIALIZED (
            SELECT a.id, a.kind, a.owner_id, a.stripe FROM wallet_account a
            JOIN d ON d.kind = a.kind AND d.owner_id = a.owner_id AND d.stripe = a.stripe
            WHERE a.currency = :cur ORDER BY a.id FOR UPDATE OF a
        ),
        ok AS (SELECT count(*) = :n AS ok FROM lk),
        ins AS (
            INSERT INTO wallet_transfer (id, key, kind, currency, amount_minor, fingerprint,
                user_id, refs, hold_state, refunded_minor, created_at)
            SELECT :tid, :key, :kind, :cur, :amount, :fp, :uid, CAST(:refs AS jsonb),
                :hold, 0, :now
            WHERE (SELECT ok FROM ok)
            ON CONFLICT (key) DO NOTHING
            RETURNING id
        ),
        upd AS (
            UPDATE wallet_account a SET balance_minor = a.balance_minor + d.delta
            FROM lk JOIN d ON d.kind = lk.kind AND d.owner_id = lk.owner_id
                AND d.stripe = lk.stripe
            WHERE a.id = lk.id AND EXISTS (SELECT 1 FROM ins)
            RETURNING a.id, a.kind, a.owner_id, d.delta, a.balance_minor, a.allow_negative
        ),
        ent AS (
            INSERT INTO wallet_entry (id, transfer_id, account_id, amount_minor,
                balance_after_minor, created_at)
            SELECT gen_random_uuid(), :tid, u.id, u.delta, u.balance_minor, :now FROM upd u
        )
        SELECT (SELECT ok FROM ok) AS ok, (SELECT count(*) FROM ins) AS inserted,
            u.id, u.kind, u.owner_id, u.delta, u.balance_minor, u.allow_negative
        FROM (SELECT 1) one LEFT JOIN upd u ON true
        """  # noqa: S608
    )


@functools.cache
def _one_statement_positional(postings: int) -> tuple[str, tuple[str, ...]]:
    """`_one_statement` in the driver's numbered style, with the names in order."""
    text_sql = str(_one_statement(postings))
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return re.sub(r"(?<!:):([a-z][a-z0-9]*)", number, text_sql), tuple(names)

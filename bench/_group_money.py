"""The group half of bench/settle.py: a trip of 50 members with 10,000 expenses in 4 currencies,
recorded through the expenses service on SQLite, then balances and settle-up through HTTP.

Not a benchmark by itself (`make bench` skips files starting with an underscore).

Baseline, same data and run: load every expense and share row through the ORM and add them up
in Python (what a naive implementation does), against the service's SQL aggregates.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from navio.expenses import domain
from navio.expenses.models import Expense, ExpenseShare
from navio.expenses.repository import ExpensesRepository
from navio.expenses.schemas import ExpenseCreate, ShareIn, SplitIn
from navio.expenses.service import ExpensesService
from navio.iam import Principal
from navio.kernel.uow import UnitOfWork
from navio.main import create_app
from navio.migrate import upgrade
from navio.settings import Settings

API = "/api/v1"
CURRENCIES = ("EUR", "USD", "GBP", "JPY")
# typical amounts in each currency's minor units (JPY has none)
SCALE = {"EUR": 100, "USD": 100, "GBP": 100, "JPY": 1}
FIRST_DAY = date(2025, 3, 3)


def _percentiles(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50_ms": round(statistics.median(ordered), 2), "p95_ms": round(p95, 2)}


async def _timed(fn: Callable[[], Awaitable[object]], repeat: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = await fn()
        times.append((time.perf_counter() - started) * 1000)
    return times, result


def _body(rng: random.Random, trip_id: uuid.UUID, members: list[uuid.UUID]) -> ExpenseCreate:
    currency = rng.choice(CURRENCIES)
    amount = rng.randint(300, 30_000) * SCALE[currency] // 100 or 1
    people = rng.sample(members, rng.randint(1, min(8, len(members))))
    method = rng.choice(list(domain.SplitMethod))
    if method is domain.SplitMethod.EQUAL:
        shares = [ShareIn(user_id=p) for p in people]
    elif method is domain.SplitMethod.WEIGHTS:
        shares = [ShareIn(user_id=p, value=Decimal(rng.randint(1, 4))) for p in people]
    elif method is domain.SplitMethod.PERCENT:
        cuts = sorted(rng.randint(0, 100) for _ in people[1:])
        bounds = [0, *cuts, 100]
        shares = [
            ShareIn(user_id=p, value=Decimal(hi - lo))
            for p, lo, hi in zip(people, bounds, bounds[1:], strict=False)
        ]
    else:
        parts = domain.split(amount, domain.SplitMethod.EQUAL, [(p, None) for p in people])
        shares = [ShareIn(user_id=p, value=Decimal(parts[p])) for p in people]
    return ExpenseCreate(
        trip_id=trip_id,
        kind=domain.Kind.REFUND if rng.random() < 0.03 else domain.Kind.EXPENSE,
        amount_minor=amount,
        currency=currency,
        spent_on=FIRST_DAY + timedelta(days=rng.randrange(400)),
        category=rng.choice(list(domain.Category)),
        payer_id=rng.choice(people),
        split=SplitIn(method=method, shares=shares),
    )


async def _run(url: str, members: int, expenses: int, repeat: int, seed: int) -> dict[str, Any]:
    settings = Settings(
        env="test",
        secret_key="bench-secret-key-bench-secret-key-0123456789",
        database_url=url,
        log_level="WARNING",
        outbox={"run_in_api": False},
        rate_limit={"enabled": False},
    )
    app = create_app(settings, configure_logs=False)
    rng = random.Random(seed)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            people: list[tuple[uuid.UUID, dict[str, str]]] = []
            for n in range(members):
                email = f"member{n}-{uuid.uuid4().hex[:6]}@example.org"
                password = "correct horse battery staple"
                made = await client.post(
                    f"{API}/auth/register",
                    json={"email": email, "password": password, "display_name": f"Member {n}"},
                )
                made.raise_for_status()
                tokens = await client.post(
                    f"{API}/auth/login", json={"email": email, "password": password}
                )
                tokens.raise_for_status()
                people.append(
                    (
                        uuid.UUID(made.json()["id"]),
                        {"Authorization": f"Bearer {tokens.json()['access_token']}"},
                    )
                )
            owner_id, owner = people[0]
            trip = await client.post(
                f"{API}/trips",
                json={
                    "title": "Big group",
                    "start_date": "2025-03-01",
                    "end_date": "2025-12-31",
                    "timezone": "Europe/Lisbon",
                    "travelers": members,
                    "currency": "EUR",
                },
                headers=owner,
            )
            trip.raise_for_status()
            trip_id = uuid.UUID(trip.json()["id"])
            for user_id, _ in people[1:]:
                added = await client.post(
                    f"{API}/trips/{trip_id}/collaborators",
                    json={"user_id": str(user_id), "role": "editor"},
                    headers=owner,
                )
                added.raise_for_status()

            member_ids = [p for p, _ in people]
            principal = Principal(
                user_id=owner_id,
                roles=frozenset(),
                permissions=frozenset(),
                token_id="bench",
                family_id=None,
                expires_at=app.state.clock.now() + timedelta(hours=1),
            )
            started = time.perf_counter()
            async with UnitOfWork(app.state.db, write=True) as uow:
                service = ExpensesService(
                    ExpensesRepository(uow.session_source),
                    uow.events,
                    app.state.clock,
                    app.state.rates,
                )
                for _ in range(expenses):
                    await service.create(principal, _body(rng, trip_id, member_ids))
            record_seconds = time.perf_counter() - started

            async def balances() -> dict[str, Any]:
                r = await client.get(f"{API}/trips/{trip_id}/balances", headers=owner)
                r.raise_for_status()
                body: dict[str, Any] = r.json()
                return body

            async def settle_up() -> dict[str, Any]:
                r = await client.get(f"{API}/trips/{trip_id}/settle-up", headers=owner)
                r.raise_for_status()
                body: dict[str, Any] = r.json()
                return body

            async def naive() -> dict[uuid.UUID, int]:
                async with UnitOfWork(app.state.db, write=False) as uow:
                    rows = list(
                        await uow.session.scalars(select(Expense).where(Expense.trip_id == trip_id))
                    )
                    shares: dict[uuid.UUID, dict[uuid.UUID, int]] = {e.id: {} for e in rows}
                    for s in await uow.session.scalars(
                        select(ExpenseShare).where(ExpenseShare.expense_id.in_(list(shares)))
                    ):
                        shares[s.expense_id][s.user_id] = s.group_share_minor
                    charges = [
                        domain.Charge(
                            e.payer_id, e.group_amount_minor, shares[e.id], domain.Kind(e.kind)
                        )
                        for e in rows
                    ]
                    return domain.balances(member_ids, charges, [])

            await balances()  # warm
            balance_ms, report = await _timed(balances, repeat)
            settle_ms, plan = await _timed(settle_up, repeat)
            naive_ms, reference = await _timed(naive, max(3, repeat // 4))
            assert isinstance(report, dict) and isinstance(plan, dict)
            assert isinstance(reference, dict)
            nets = {uuid.UUID(m["user_id"]): m["net_minor"] for m in report["members"]}
            cleared = dict(nets)
            for t in plan["transfers"]:
                cleared[uuid.UUID(t["payer_id"])] += t["amount_minor"]
                cleared[uuid.UUID(t["payee_id"])] -= t["amount_minor"]
            nonzero = sum(1 for v in nets.values() if v)
            balances_stats = _percentiles(balance_ms)
            naive_stats = _percentiles(naive_ms)
            return {
                "members": members,
                "expenses": report["expenses"],
                "currencies": list(CURRENCIES),
                "record_seconds": round(record_seconds, 1),
                "balances": balances_stats,
                "settle_up": _percentiles(settle_ms),
                "naive_orm_balances": naive_stats,
                "naive_over_balances_p50": round(
                    naive_stats["p50_ms"] / balances_stats["p50_ms"], 1
                ),
                "balances_sum_zero": sum(nets.values()) == 0,
                "same_as_naive": nets == reference,
                "settle_up_clears": set(cleared.values()) <= {0},
                "transfers": len(plan["transfers"]),
                "nonzero_members": nonzero,
                "method": plan["method"],
            }


def measure_group(
    work: Path, members: int = 50, expenses: int = 10_000, repeat: int = 20, seed: int = 1
) -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    database = work / "group-money.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    url = f"sqlite+aiosqlite:///{database}"
    upgrade(url)
    return asyncio.run(_run(url, members, expenses, repeat, seed))

"""A ledger worker process for the concurrency tests and the ledger bench.

    python -m tests.integration.ledger_worker DATABASE_URL WORKER_ID OPS TASKS SEED LOG

Runs TASKS concurrent tasks, each doing OPS random operations (top-ups, payments, holds,
captures, voids, refunds, payouts) over a shared pool of users and operators, every operation
in its own transaction and with its own key; about one in five is sent again with the same key
(a client retrying). Each outcome is appended to LOG as a JSON line as soon as it is known, so a
process killed mid-run leaves the log of what it finished. Keys depend only on the worker, task
and operation number: running the same worker again repeats the same keys.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import uuid
from typing import Any

from navio.kernel.clock import Clock
from navio.kernel.db import Database, create_engine
from navio.kernel.errors import DomainError
from navio.kernel.uow import UnitOfWork
from navio.wallet.repository import WalletRepository
from navio.wallet.service import WalletService

USERS = [uuid.UUID(int=1000 + n) for n in range(24)]
OPERATORS = [uuid.UUID(int=5000 + n) for n in range(6)]
CURRENCY = "EUR"


async def _one(db: Database, op: dict[str, Any]) -> tuple[str, bool]:
    async with UnitOfWork(db, write=True) as uow:
        service = WalletService(WalletRepository(uow.session_source), Clock())
        kind, key = op["kind"], op["key"]
        if kind == "top_up":
            _, replayed = await service.top_up(
                key, op["user"], op["amount"], CURRENCY, provider="sandbox"
            )
        elif kind == "pay":
            _, replayed = await service.pay(
                key, op["user"], op["operator"], op["amount"], CURRENCY, fee=op["fee"]
            )
        elif kind == "hold":
            _, replayed = await service.hold(key, op["user"], op["amount"], CURRENCY)
        elif kind == "capture":
            _, replayed = await service.capture(key, op["hold"], op["operator"], fee=op["fee"])
        elif kind == "void":
            _, replayed = await service.void(key, op["hold"])
        elif kind == "refund":
            _, replayed = await service.refund(key, op["payment"], op["amount"], to=op["to"])
        else:
            _, replayed = await service.payout(key, op["operator"], op["amount"], CURRENCY)
    return "replayed" if replayed else "applied", replayed


async def _task(db: Database, worker: int, task: int, ops: int, seed: int, log: Any) -> None:
    rng = random.Random(f"{seed}-{worker}-{task}")
    holds: list[tuple[str, int]] = []
    payments: list[tuple[str, int]] = []
    for n in range(ops):
        key = f"w{worker}-t{task}-{n}"
        roll = rng.random()
        op: dict[str, Any]
        if roll < 0.30 or n < 3:
            op = {"kind": "top_up", "user": rng.choice(USERS), "amount": rng.randint(500, 20000)}
        elif roll < 0.50:
            amount = rng.randint(100, 5000)
            op = {
                "kind": "pay",
                "user": rng.choice(USERS),
                "operator": rng.choice(OPERATORS),
                "amount": amount,
                "fee": amount // 10,
            }
        elif roll < 0.65:
            op = {"kind": "hold", "user": rng.choice(USERS), "amount": rng.randint(100, 4000)}
        elif roll < 0.75 and holds:
            hold, amount = holds.pop(rng.randrange(len(holds)))
            op = {
                "kind": "capture",
                "hold": hold,
                "operator": rng.choice(OPERATORS),
                "fee": amount // 20,
            }
        elif roll < 0.82 and holds:
            op = {"kind": "void", "hold": holds.pop(rng.randrange(len(holds)))[0]}
        elif roll < 0.92 and payments:
            payment, amount = rng.choice(payments)
            op = {
                "kind": "refund",
                "payment": payment,
                "amount": rng.randint(1, max(1, amount // 2)),
                "to": rng.choice(["wallet", "card"]),
            }
        else:
            op = {
                "kind": "payout",
                "operator": rng.choice(OPERATORS),
                "amount": rng.randint(100, 3000),
            }
        op["key"] = key
        attempts = 2 if rng.random() < 0.2 else 1
        for attempt in range(attempts):
            log.write(
                json.dumps(
                    {"key": key, "kind": op["kind"], "attempt": attempt, "outcome": "started"}
                )
                + "\n"
            )
            # out of this process before the attempt can commit: a SIGKILL after the commit
            # must find the attempt logged (a buffered line dies with the process)
            log.flush()
            try:
                outcome, _ = await _one(db, op)
            except DomainError as exc:
                outcome = f"refused:{exc.code}"
            log.write(
                json.dumps({"key": key, "kind": op["kind"], "attempt": attempt, "outcome": outcome})
                + "\n"
            )
            log.flush()
        if outcome in ("applied", "replayed"):
            if op["kind"] == "hold":
                holds.append((key, op["amount"]))
            elif op["kind"] == "pay":
                payments.append((key, op["amount"]))
            elif op["kind"] == "capture":
                payments.append((key, 1))


async def main(url: str, worker: int, ops: int, tasks: int, seed: int, path: str) -> None:
    db = Database(create_engine(url, pool_size=tasks + 1))
    try:
        with open(path, "a", encoding="utf-8") as log:  # noqa: ASYNC230 - a local append log
            await asyncio.gather(*(_task(db, worker, t, ops, seed, log) for t in range(tasks)))
    finally:
        await db.dispose()


if __name__ == "__main__":
    url, worker, ops, tasks, seed, path = sys.argv[1:7]
    asyncio.run(main(url, int(worker), int(ops), int(tasks), int(seed), path))

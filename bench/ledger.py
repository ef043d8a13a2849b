"""Ledger transfers per second on PostgreSQL, beside `pgbench -b tpcb-like` on the same server
in the same run (the classic bank-transfer benchmark: three balance updates, one history insert
and a read per transaction).

Navio side: a fresh database, 200 users topped up, then `--processes` processes x `--tasks`
concurrent tasks each making wallet payments (user wallet -> operator payable + platform fee:
a three-posting transfer with row locks, a transfer row, three entries, three balance updates,
an idempotency-key check) for `--seconds`, every payment in its own committed transaction
through `WalletService`. Refused payments (a wallet run dry) are counted apart and not in the
rate. pgbench side: `pgbench -i -s 10` then `-b tpcb-like -c (processes x tasks) -j processes`
for the same time. Writes `var/bench/ledger.json` as
`{"ledger_tps": .., "pgbench_tps": .., "ratio": ..}` plus details. Goal: ratio >= 0.3.

    .venv/bin/python bench/ledger.py [--seconds 15] [--processes 2] [--tasks 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg

from navio.kernel.clock import Clock
from navio.kernel.db import Database, create_engine
from navio.kernel.errors import DomainError
from navio.kernel.uow import UnitOfWork
from navio.migrate import upgrade
from navio.wallet.repository import WalletRepository
from navio.wallet.service import WalletService

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "var" / "bench" / "ledger.json"
ADMIN_DSN = os.environ.get("TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
LEDGER_DB = "navio_bench_ledger"
PGBENCH_DB = "navio_bench_pgbench"
BOOKING_DB = "navio_bench_booking"
API = "/api/v1"
CARD = "4242424242424242"  # the sandbox's success card
USERS = [uuid.UUID(int=10_000 + n) for n in range(200)]
OPERATORS = [uuid.UUID(int=90_000 + n) for n in range(20)]


def log(message: str) -> None:
    print(message, flush=True)


async def _recreate(name: str) -> str:
    admin = await asyncpg.connect(ADMIN_DSN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = ADMIN_DSN.rsplit("/", 1)[0]
    return f"{base}/{name}"


async def _seed(url: str) -> None:
    db = Database(create_engine(url))
    try:
        async with UnitOfWork(db, write=True) as uow:
            service = WalletService(WalletRepository(uow.session_source), Clock())
            for user in USERS:
                await service.top_up(f"seed-{user}", user, 10**9, "EUR", provider="bench")
    finally:
        await db.dispose()


async def _worker(url: str, worker: int, tasks: int, seconds: float) -> dict[str, Any]:
    db = Database(create_engine(url, pool_size=tasks + 1))
    done = refused = 0
    latencies: list[float] = []
    stop = time.monotonic() + seconds

    async def task(n: int) -> None:
        nonlocal done, refused
        rng = random.Random(f"{worker}-{n}")
        count = 0
        while time.monotonic() < stop:
            count += 1
            amount = rng.randint(100, 5000)
            started = time.perf_counter()
            try:
                async with UnitOfWork(db, write=True) as uow:
                    service = WalletService(WalletRepository(uow.session_source), Clock())
                    await service.pay(
                        f"b{worker}-{n}-{count}",
                        rng.choice(USERS),
                        rng.choice(OPERATORS),
                        amount,
                        "EUR",
                        fee=amount // 10,
                    )
                done += 1
                latencies.append((time.perf_counter() - started) * 1000)
            except DomainError:
                refused += 1

    try:
        await asyncio.gather(*(task(n) for n in range(tasks)))
    finally:
        await db.dispose()
    return {"done": done, "refused": refused, "latencies": latencies}


def _run_worker(argv: list[str]) -> None:
    url, worker, tasks, seconds = argv[0], int(argv[1]), int(argv[2]), float(argv[3])
    print(json.dumps(asyncio.run(_worker(url, worker, tasks, seconds))), flush=True)


def _ledger(url: str, processes: int, tasks: int, seconds: float) -> dict[str, Any]:
    started = time.perf_counter()
    children = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker", url, str(w), str(tasks), str(seconds)],
            stdout=subprocess.PIPE,
            cwd=ROOT,
        )
        for w in range(processes)
    ]
    results = []
    for child in children:
        out, _ = child.communicate(timeout=seconds + 300)
        if child.returncode != 0:
            raise RuntimeError(f"ledger worker failed ({child.returncode})")
        results.append(json.loads(out.decode().strip().splitlines()[-1]))
    elapsed = time.perf_counter() - started
    done = sum(r["done"] for r in results)
    latencies = sorted(ms for r in results for ms in r["latencies"])
    return {
        "transfers": done,
        "refused": sum(r["refused"] for r in results),
        "seconds": seconds,
        "wall_seconds": round(elapsed, 1),
        "tps": round(done / seconds, 1),
        "p50_ms": round(latencies[len(latencies) // 2], 2) if latencies else None,
        "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 2) if latencies else None,
    }


def _pgbench(dsn: str, clients: int, threads: int, seconds: float) -> dict[str, Any]:
    binary = shutil.which("pgbench") or "/usr/lib/postgresql/15/bin/pgbench"
    if not Path(binary).exists():
        raise RuntimeError("pgbench not found (Debian: postgresql-contrib / postgresql-15)")
    subprocess.run([binary, "-i", "-q", "-s", "10", dsn], check=True, capture_output=True)
    result = subprocess.run(
        [
            binary,
            "-b",
            "tpcb-like",
            "-c",
            str(clients),
            "-j",
            str(threads),
            "-T",
            str(int(seconds)),
            dsn,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    match = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", result.stdout)
    if match is None:
        raise RuntimeError(f"could not read pgbench output:\n{result.stdout}")
    return {"tps": float(match.group(1)), "clients": clients, "threads": threads, "scale": 10}


async def _bookings_http(url: str, count: int) -> dict[str, Any]:
    """Booking + payment end to end through HTTP (in-process ASGI, PostgreSQL): wallet
    bookings (hold + capture + ticket) and card bookings (sandbox intent + confirm + ledger +
    ticket), beside an authenticated read of the wallet balance in the same run."""
    import httpx

    from navio.main import create_app
    from navio.settings import Settings

    settings = Settings(
        env="test",
        secret_key="bench-secret-key-bench-secret-key-0123456789",
        database_url=url,
        log_level="WARNING",
        outbox={"run_in_api": False},
        rate_limit={"enabled": False},
    )
    app = create_app(settings, configure_logs=False)
    timings: dict[str, list[float]] = {"wallet": [], "card": [], "balance": []}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            email, password = f"booker-{uuid.uuid4().hex[:8]}@example.org", "correct horse staple"
            (
                await client.post(
                    f"{API}/auth/register",
                    json={"email": email, "password": password, "display_name": "Booker"},
                )
            ).raise_for_status()
            token = (
                await client.post(f"{API}/auth/login", json={"email": email, "password": password})
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            (
                await client.post(
                    f"{API}/wallet/top-up",
                    headers=headers,
                    json={"amount_minor": 10**9, "currency": "EUR", "payment_method": CARD},
                )
            ).raise_for_status()
            starts = "2031-06-01T10:00:00+00:00"
            for n in range(count):
                for kind in ("wallet", "card", "balance"):
                    started = time.perf_counter()
                    if kind == "balance":
                        response = await client.get(f"{API}/wallet/balance", headers=headers)
                    else:
                        body: dict[str, Any] = {
                            "offer": {
                                "kind": "activity",
                                "title": f"Tour {n}",
                                "amount_minor": 1000 + n,
                                "currency": "EUR",
                            },
                            "starts_at": starts,
                            "pay_with": kind,
                        }
                        if kind == "card":
                            body["payment_method"] = CARD
                        response = await client.post(f"{API}/bookings", json=body, headers=headers)
                    response.raise_for_status()
                    timings[kind].append((time.perf_counter() - started) * 1000)

    def stats(ms: list[float]) -> dict[str, float]:
        ordered = sorted(ms)
        return {
            "p50_ms": round(ordered[len(ordered) // 2], 2),
            "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
        }

    return {"bookings": count, **{k: stats(v) for k, v in timings.items()}}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--worker":
        _run_worker(argv[1:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--tasks", type=int, default=8)
    parser.add_argument("--bookings", type=int, default=100, help="bookings of each kind")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)

    ledger_dsn = asyncio.run(_recreate(LEDGER_DB))
    url = ledger_dsn.replace("postgresql://", "postgresql+asyncpg://")
    upgrade(url)
    asyncio.run(_seed(url))
    log(f"ledger: {args.processes} processes x {args.tasks} tasks, {args.seconds:.0f} s ...")
    ledger = _ledger(url, args.processes, args.tasks, args.seconds)
    pgbench_dsn = asyncio.run(_recreate(PGBENCH_DB))
    clients = args.processes * args.tasks
    log(f"pgbench tpcb-like: {clients} clients, {args.processes} threads ...")
    pgbench = _pgbench(pgbench_dsn, clients, args.processes, args.seconds)
    ratio = round(ledger["tps"] / pgbench["tps"], 3) if pgbench["tps"] else None
    log(f"booking + payment through HTTP: {args.bookings} wallet and {args.bookings} card ...")
    booking_dsn = asyncio.run(_recreate(BOOKING_DB))
    booking_url = booking_dsn.replace("postgresql://", "postgresql+asyncpg://")
    upgrade(booking_url)
    bookings = asyncio.run(_bookings_http(booking_url, args.bookings))
    report = {
        "ledger_tps": ledger["tps"],
        "pgbench_tps": pgbench["tps"],
        "ratio": ratio,
        "goal_ratio": 0.3,
        "ledger": ledger,
        "pgbench": pgbench,
        "booking_http": bookings,
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "loadavg_before": os.getloadavg(),
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    log(
        f"ledger {ledger['tps']} transfers/s (p50 {ledger['p50_ms']} ms, p95 {ledger['p95_ms']} "
        f"ms, {ledger['refused']} refused) | pgbench {pgbench['tps']} tps | ratio {ratio} "
        "(goal 0.3)"
    )
    log(
        f"booking + payment p95: wallet {bookings['wallet']['p95_ms']} ms, card "
        f"{bookings['card']['p95_ms']} ms (balance read p95 {bookings['balance']['p95_ms']} ms)"
    )
    log(f"written: {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

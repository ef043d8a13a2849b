"""The ledger under real concurrency on PostgreSQL: 16 workers (4 processes x 4 tasks) x 500
random operations with retried keys; then a worker process killed with SIGKILL mid-run and run
again with the same keys. After each: the sum of the inside balances equals money in minus money
out, no inside balance is negative, cached balances equal their entries, and every operation
was applied exactly once (its key names one transfer, and only if some attempt applied it)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from navio.kernel.clock import Clock
from navio.kernel.db import Database, create_engine
from navio.kernel.uow import UnitOfWork
from navio.wallet.models import Transfer
from navio.wallet.repository import WalletRepository
from navio.wallet.service import WalletService
from tests.conftest import _drop_postgres, _fresh_postgres

ROOT = Path(__file__).resolve().parents[2]
PROCESSES, TASKS, OPS = 4, 4, 500


@pytest.fixture
async def ledger_pg(worker_tag: str) -> AsyncIterator[str]:
    name = f"navio_ledger_{worker_tag}_{os.getpid()}"
    yield await _fresh_postgres(name)
    await _drop_postgres(name)


def _start(url: str, worker: int, ops: int, log: Path, seed: int = 7) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NAVIO_")}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.integration.ledger_worker",
            url,
            str(worker),
            str(ops),
            str(TASKS),
            str(seed),
            str(log),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _log(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.endswith("}")]


async def _check(url: str, logs: list[Path]) -> dict[str, int]:
    applied: set[str] = set()
    attempted: set[str] = set()
    for path in logs:
        for row in _log(path):
            attempted.add(row["key"])
            if row["outcome"] in ("applied", "replayed"):
                applied.add(row["key"])
    db = Database(create_engine(url))
    try:
        async with UnitOfWork(db, write=False) as uow:
            session = uow.session
            rows = (
                await session.execute(
                    select(Transfer.key, Transfer.kind, Transfer.amount_minor, Transfer.refs)
                )
            ).all()
            report = await WalletService(WalletRepository(uow.session_source), Clock()).verify()
            counts = (
                await session.execute(
                    select(Transfer.key, func.count())
                    .group_by(Transfer.key)
                    .having(func.count() > 1)
                )
            ).all()
    finally:
        await db.dispose()
    keys = {r.key for r in rows}
    assert counts == []  # no key twice
    # exactly once: what a worker saw applied is in the ledger, and nothing is in the ledger
    # that no worker attempted (a kill between commit and log leaves a started attempt)
    assert applied <= keys
    assert keys <= attempted
    assert report["drift"] == [] and report["negative_inside"] == 0
    money_in = sum(r.amount_minor for r in rows if r.kind == "top_up")
    money_out = sum(r.amount_minor for r in rows if r.kind == "payout") + sum(
        r.amount_minor for r in rows if r.kind == "refund" and r.refs.get("to") == "card"
    )
    inside = report["inside_per_currency"]
    assert isinstance(inside, dict) and inside.get("EUR", 0) == money_in - money_out
    assert report["sum_per_currency"] == {"EUR": 0}
    return {"transfers": len(rows), "money_in": money_in, "money_out": money_out}


async def test_sixteen_workers_then_a_killed_one(ledger_pg: str, tmp_path: Path) -> None:
    logs = [tmp_path / f"worker{n}.jsonl" for n in range(PROCESSES)]
    started = [_start(ledger_pg, n, OPS, logs[n]) for n in range(PROCESSES)]
    for process in started:
        _, err = await asyncio.to_thread(process.communicate, timeout=600)
        assert process.returncode == 0, err.decode()[-2000:]
    first = await _check(ledger_pg, logs)
    assert first["transfers"] > PROCESSES * TASKS * OPS // 2  # most operations applied

    # a worker killed with SIGKILL in the middle of its run ...
    victim_log = tmp_path / "victim.jsonl"
    victim = _start(ledger_pg, 99, OPS, victim_log)
    deadline = time.monotonic() + 120
    while len(_log(victim_log)) < 300 and time.monotonic() < deadline:  # noqa: ASYNC110 - another process writes the file
        await asyncio.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    await asyncio.to_thread(victim.wait)
    assert victim.returncode == -signal.SIGKILL
    done_before = {r["key"] for r in _log(victim_log) if r["outcome"] == "applied"}
    assert 0 < len(done_before) < TASKS * OPS
    await _check(ledger_pg, [*logs, victim_log])
    # ... and run again: the same keys replay what was applied and apply the rest, once
    rerun_log = tmp_path / "rerun.jsonl"
    rerun = _start(ledger_pg, 99, OPS, rerun_log)
    _, err = await asyncio.to_thread(rerun.communicate, timeout=600)
    assert rerun.returncode == 0, err.decode()[-2000:]
    replayed = {r["key"] for r in _log(rerun_log) if r["outcome"] == "replayed"}
    assert done_before <= replayed | {
        r["key"] for r in _log(rerun_log) if r["outcome"].startswith("refused")
    }
    second = await _check(ledger_pg, [*logs, victim_log, rerun_log])
    assert second["transfers"] > first["transfers"]

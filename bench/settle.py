"""Group settle-up: the exact bitmask DP against a brute-force reference, and the heuristic at 50.

Balance sets are drawn with a fixed seed, alternating two kinds: "coarse" amounts in steps of
2.50 up to +-100.00 (round shares, so many members coincidentally form zero-sum subgroups: the
hard case for any search) and "fine" amounts to the cent up to +-500.00 (zero-sum subgroups are
rare). Every member has a non-zero balance; the last one is fixed so the set sums to zero.

1. Exact: `settle_exact` on `--cases` sets of `--members` (12, `EXACT_LIMIT`) members, timed
   in process, against the brute-force reference of the unit tests, which tries every partition
   of the members into zero-sum subsets (memoised on the remaining amounts). Both must give the
   same transfer count for every set; the transfers must clear every balance exactly. When one
   brute-force case takes longer than `--bruteforce-budget` seconds, the comparison is redone at
   9 members and the JSON records which n was compared.
2. Heuristic: `settle_greedy` on `--cases` sets of `--heuristic-members` (50) members, timed,
   with the bound n - 1 checked.

Each case is timed `--repeat` times and its best is kept (the timer, not the algorithm, is the
noise at these sizes). Results are printed and written to `var/bench/settle.json`. Balances
derived from 10,000 real expenses arrive with the expenses context; this bench covers the
algorithm alone. The exit status is non-zero only when something failed (a count mismatch, a
balance left uncleared, an exception), never for a missed goal.

    .venv/bin/python bench/settle.py [--cases 50] [--members 12] [--seed 20261124]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
import traceback
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from _group_money import measure_group

from navio.expenses.settle import EXACT_LIMIT, Transfer, settle_exact, settle_greedy

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "var" / "bench" / "settle.json"
SEED = 20_261_124
FALLBACK_MEMBERS = 9


def log(message: str) -> None:
    print(message, flush=True)


# --------------------------------------------------------------------------- reference


def reference_min_transfers(balances: Mapping[str, int]) -> int:
    """n minus the most zero-sum groups, by trying every partition into zero-sum subsets."""
    amounts = tuple(sorted(v for v in balances.values() if v))

    @cache
    def most_groups(rest: tuple[int, ...]) -> int:
        if not rest:
            return 0
        first, others = rest[0], rest[1:]
        best = 0
        for pick in range(1 << len(others)):
            chosen = [others[i] for i in range(len(others)) if pick >> i & 1]
            if first + sum(chosen) == 0:
                left = tuple(others[i] for i in range(len(others)) if not pick >> i & 1)
                best = max(best, 1 + most_groups(left))
        return best

    return len(amounts) - most_groups(amounts)


# --------------------------------------------------------------------------- workload


def balance_set(rng: random.Random, members: int, kind: str) -> dict[str, int]:
    while True:
        if kind == "coarse":
            draft = [rng.randint(-40, 40) * 250 for _ in range(members - 1)]
        else:
            draft = [rng.randint(-50_000, 50_000) for _ in range(members - 1)]
        amounts = [*draft, -sum(draft)]
        if all(amounts):
            return {f"member-{i:02d}": a for i, a in enumerate(amounts)}


def workload(rng: random.Random, cases: int, members: int) -> list[dict[str, int]]:
    return [balance_set(rng, members, ("coarse", "fine")[i % 2]) for i in range(cases)]


def clears(balances: Mapping[str, int], transfers: list[Transfer]) -> bool:
    left = dict(balances)
    for t in transfers:
        if t.amount <= 0 or balances[t.payer] >= 0 or balances[t.payee] <= 0:
            return False
        left[t.payer] += t.amount
        left[t.payee] -= t.amount
    return not any(left.values())


def best_ms(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    best = float("inf")
    result: object = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        best = min(best, (time.perf_counter() - started) * 1000)
    return best, result


def summary(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return {
        "p50_ms": round(statistics.median(ordered), 3),
        "p95_ms": round(p95, 3),
        "max_ms": round(ordered[-1], 3),
    }


# --------------------------------------------------------------------------- measurements


def measure_exact(
    sets: list[dict[str, int]], repeat: int, budget_s: float, failures: list[str]
) -> tuple[list[float], list[float] | None, bool]:
    """Times of exact and brute force; None for brute force when a case blew the budget."""
    exact_ms: list[float] = []
    brute_ms: list[float] | None = []
    same = True
    for index, balances in enumerate(sets):
        ms, transfers = best_ms(lambda b=balances: settle_exact(b), repeat)  # type: ignore[misc]
        assert isinstance(transfers, list)
        exact_ms.append(ms)
        if not clears(balances, transfers):
            failures.append(f"exact case {index}: balances not cleared")
        if brute_ms is None:
            continue
        started = time.perf_counter()
        optimum = reference_min_transfers(balances)
        elapsed = time.perf_counter() - started
        if elapsed > budget_s:
            log(f"  brute force case {index} took {elapsed:.1f}s > {budget_s}s budget")
            brute_ms = None
            continue
        ms, _ = best_ms(lambda b=balances: reference_min_transfers(b), repeat)  # type: ignore[misc]
        brute_ms.append(ms)
        if optimum != len(transfers):
            same = False
            failures.append(f"exact case {index}: {len(transfers)} transfers, optimum {optimum}")
    return exact_ms, brute_ms, same


def run(args: argparse.Namespace) -> int:
    failures: list[str] = []
    rng = random.Random(args.seed)
    members_exact = args.members
    exact_sets = workload(rng, args.cases, members_exact)
    log(f"exact: {args.cases} balance sets of {members_exact} members, vs brute force ...")
    exact_ms, brute_ms, same = measure_exact(
        exact_sets, args.repeat, args.bruteforce_budget, failures
    )
    members_compared = members_exact
    if brute_ms is None:
        members_compared = FALLBACK_MEMBERS
        log(f"brute force too slow at {members_exact}: comparing at {members_compared} members")
        small_sets = workload(random.Random(args.seed + 1), args.cases, members_compared)
        small_exact_ms, brute_ms, same = measure_exact(
            small_sets, args.repeat, float("inf"), failures
        )
        assert brute_ms is not None
    else:
        small_exact_ms = exact_ms
    exact_stats = summary(exact_ms)
    compared_exact_stats = summary(small_exact_ms)
    brute_stats = summary(brute_ms)

    members_heuristic = args.heuristic_members
    log(f"heuristic: {args.cases} balance sets of {members_heuristic} members ...")
    heuristic_ms: list[float] = []
    heuristic_counts: list[int] = []
    for index, balances in enumerate(workload(rng, args.cases, members_heuristic)):
        ms, transfers = best_ms(lambda b=balances: settle_greedy(b), args.repeat)  # type: ignore[misc]
        assert isinstance(transfers, list)
        heuristic_ms.append(ms)
        heuristic_counts.append(len(transfers))
        if not clears(balances, transfers):
            failures.append(f"heuristic case {index}: balances not cleared")
        if len(transfers) > members_heuristic - 1:
            failures.append(f"heuristic case {index}: {len(transfers)} > n - 1 transfers")
    heuristic_stats = summary(heuristic_ms)

    group: dict[str, Any] | None = None
    if args.group_expenses:
        log(
            f"group: {args.heuristic_members} members, {args.group_expenses} expenses in 4 "
            "currencies through the service (SQLite), balances and settle-up over HTTP ..."
        )
        group = measure_group(
            args.output.parent, args.heuristic_members, args.group_expenses, seed=args.seed
        )
        for check in ("balances_sum_zero", "same_as_naive", "settle_up_clears"):
            if not group[check]:
                failures.append(f"group: {check} is false")

    report: dict[str, Any] = {
        "members_exact": members_exact,
        "exact_p50_ms": exact_stats["p50_ms"],
        "exact_p95_ms": exact_stats["p95_ms"],
        "exact_max_ms": exact_stats["max_ms"],
        "members_bruteforce": members_compared,
        "bruteforce_p50_ms": brute_stats["p50_ms"],
        "bruteforce_p95_ms": brute_stats["p95_ms"],
        "bruteforce_max_ms": brute_stats["max_ms"],
        "exact_at_bruteforce_n_p95_ms": compared_exact_stats["p95_ms"],
        "same_count": same,
        "members_heuristic": members_heuristic,
        "heuristic_p50_ms": heuristic_stats["p50_ms"],
        "heuristic_p95_ms": heuristic_stats["p95_ms"],
        "heuristic_max_ms": heuristic_stats["max_ms"],
        "heuristic_mean_transfers": round(statistics.mean(heuristic_counts), 2),
        "cases": args.cases,
        "repeat": args.repeat,
        "seed": args.seed,
        "exact_limit": EXACT_LIMIT,
        "group": group,
        "note": (
            "exact/heuristic: synthetic balances (alternating coarse 2.50-step and fine cent "
            "amounts); group: random expenses recorded through the service, timed over HTTP"
        ),
        "failures": failures,
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")

    ratio = (
        compared_exact_stats["p95_ms"] and brute_stats["p95_ms"] / compared_exact_stats["p95_ms"]
    )
    log(f"{'':24}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for label, stats in (
        (f"exact, n={members_exact}", exact_stats),
        (f"brute force, n={members_compared}", brute_stats),
        (f"heuristic, n={members_heuristic}", heuristic_stats),
    ):
        log(f"{label:24}{stats['p50_ms']:>10.3f}{stats['p95_ms']:>10.3f}{stats['max_ms']:>10.3f}")
    log(f"brute force p95 / exact p95 at n={members_compared}: {ratio:.1f}x; same count: {same}")
    if group:
        log(
            f"group of {group['members']}, {group['expenses']} expenses: balances p50 "
            f"{group['balances']['p50_ms']} ms / p95 {group['balances']['p95_ms']} ms; settle-up "
            f"p50 {group['settle_up']['p50_ms']} ms / p95 {group['settle_up']['p95_ms']} ms; "
            f"naive ORM balances p50 {group['naive_orm_balances']['p50_ms']} ms "
            f"({group['naive_over_balances_p50']}x); {group['transfers']} transfers for "
            f"{group['nonzero_members']} members ({group['method']})"
        )
    log(f"written: {args.output}")
    if failures:
        log(f"FAILED: {len(failures)} failure(s):")
        for failure in failures[:20]:
            log(f"  {failure}")
        return 1
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=50, help="balance sets per measurement")
    parser.add_argument("--members", type=int, default=EXACT_LIMIT, help="members, exact")
    parser.add_argument("--heuristic-members", type=int, default=50, help="members, heuristic")
    parser.add_argument("--repeat", type=int, default=3, help="timings per case (best kept)")
    parser.add_argument(
        "--bruteforce-budget", type=float, default=2.0, help="seconds per brute-force case"
    )
    parser.add_argument(
        "--group-expenses", type=int, default=10_000, help="expenses in the group run (0: skip)"
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    if args.cases < 1 or args.repeat < 1 or min(args.members, args.heuristic_members) < 2:
        parser.error("cases and repeat must be >= 1, member counts >= 2")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except Exception:
        traceback.print_exc()
        return 1


if __name__ == "__main__":
    sys.exit(main())

"""TOPTW benchmark for the itinerary solver (Solomon / Cordeau instances of Vansteenwegen et al.).

Usage: ``.venv/bin/python bench/optw.py [--time-limit 1] [--instances c101,r101] [--m 1,2]``

Instance format: /work/shared/data/optw/TOPTW_format.txt.  Distances are Euclidean, truncated
(rounded down) to one decimal for the Solomon instances and to two decimals for the Cordeau
``pr`` instances; service durations count towards the route time; ``Tmax`` is the depot's
closing time.  Proven m=1 optima: /work/shared/data/optw/optimal_m1.csv.
Writes ``var/bench/optw.json`` relative to the repository root.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from navio.itinerary.check import check  # noqa: E402
from navio.itinerary.solver import Instance, solve  # noqa: E402

DATA = Path("/work/shared/data/optw")


def load(name: str, m: int) -> Instance:
    lines = [ln.split() for ln in (DATA / "instances" / f"{name}.txt").read_text().splitlines()]
    lines = [ln for ln in lines if ln]
    rows = list(lines[2:])
    ids = [int(r[0]) for r in rows]
    assert ids == list(range(len(rows))), name
    xy = np.array([[float(r[1]), float(r[2])] for r in rows])
    service = np.array([float(r[3]) for r in rows])
    score = np.array([float(r[4]) for r in rows])
    opn = np.array([float(r[-2]) for r in rows])
    cls = np.array([float(r[-1]) for r in rows])
    digits = 2 if name.startswith("pr") else 1
    scale = 10.0**digits
    dist = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
    travel = np.floor(dist * scale + 1e-9) / scale
    return Instance(travel=travel, score=score, service=service, open=opn, close=cls, n_routes=m)


def optima() -> dict[str, float]:
    with (DATA / "optimal_m1.csv").open() as fh:
        return {row["instance"]: float(row["optimal_score_m1"]) for row in csv.DictReader(fh)}


def run_one(job: tuple[str, int, float, int]) -> tuple[str, int, float, float, int, int]:
    name, m, limit, seed = job
    inst = load(name, m)
    t = time.perf_counter()
    sol = solve(inst, time_limit=limit, seed=seed)
    secs = time.perf_counter() - t
    return name, m, sol.score, secs, len(check(inst, sol)), sol.iterations


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--time-limit", type=float, default=1.0)
    ap.add_argument("--instances", default="")
    ap.add_argument("--m", default="1,2,3,4")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", default=str(ROOT / "var" / "bench" / "optw.json"))
    args = ap.parse_args()
    names = (
        args.instances.split(",")
        if args.instances
        else sorted(p.stem for p in (DATA / "instances").glob("*.txt"))
    )
    ms = [int(x) for x in args.m.split(",")]
    opt = optima()
    jobs = [(nm, m, args.time_limit, args.seed) for nm in names for m in ms]
    with Pool(args.workers) as pool:
        results = pool.map(run_one, jobs, chunksize=1)
    per: dict[str, dict[str, float]] = {}
    gaps: list[float] = []
    violations = 0
    max_secs = 0.0
    print(f"{'inst':8} {'m':>2} {'score':>8} {'opt':>6} {'gap%':>6} {'secs':>5} {'iters':>6}")
    for name, m, score, secs, nviol, iters in results:
        per.setdefault(name, {})[f"m{m}"] = score
        violations += nviol
        max_secs = max(max_secs, secs)
        gap_s = ""
        o = opt.get(name)
        if m == 1 and o is not None:
            gap = 100.0 * (o - score) / o
            gaps.append(gap)
            gap_s = f"{gap:6.2f}"
        print(
            f"{name:8} {m:>2} {score:8.0f} {o if o is not None and m == 1 else '':>6} "
            f"{gap_s:>6} {secs:5.2f} {iters:6d}{'  VIOLATIONS' if nviol else ''}"
        )
    out = {
        "instances": len(names),
        "avg_gap_pct_m1": round(sum(gaps) / len(gaps), 4) if gaps else None,
        "max_gap_pct_m1": round(max(gaps), 4) if gaps else None,
        "max_seconds": round(max_secs, 3),
        "time_limit": args.time_limit,
        "per_instance": per,
        "checker_violations": violations,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2, sort_keys=False) + "\n")
    print(
        f"\n{len(names)} instances; m=1 vs proven optimum on {len(gaps)}: "
        f"avg gap {out['avg_gap_pct_m1']}%, max gap {out['max_gap_pct_m1']}%; "
        f"max seconds {out['max_seconds']}; checker violations {violations}"
    )
    if not math.isfinite(max_secs):
        sys.exit(1)


if __name__ == "__main__":
    main()

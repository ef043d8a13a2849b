"""TOPTW benchmark for the itinerary solver (Solomon / Cordeau instances of Vansteenwegen et al.).

Usage: ``.venv/bin/python bench/optw.py [--time-limit 1] [--instances c101,r101] [--m 1,2]``

Instance format: /work/shared/data/optw/TOPTW_format.txt.  Distances are Euclidean, truncated
(rounded down) to one decimal for the Solomon instances and to two decimals for the Cordeau
``pr`` instances; service durations count towards the route time; ``Tmax`` is the depot's
closing time.  Proven m=1 optima: /work/shared/data/optw/optimal_m1.csv.  Published best-known
scores (m = 1..4, where found): ``bench/optw_best_known.csv``; each score is reported beside its
best-known value (``m<k>_best_known``) and summarised per m under ``vs_best_known``.
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
BEST_KNOWN = Path(__file__).resolve().parent / "optw_best_known.csv"


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


def best_known(path: Path = BEST_KNOWN) -> dict[tuple[str, int], float]:
    """Published best-known scores keyed by (instance, m); empty when the file is absent."""
    if not path.exists():
        return {}
    with path.open(newline="") as fh:
        return {
            (row["instance"], int(row["m"])): float(row["best_known"]) for row in csv.DictReader(fh)
        }


def vs_best_known(
    per: dict[str, dict[str, float]], ms: list[int]
) -> dict[str, dict[str, float | int | str | None]]:
    """Per m: instances with a best-known value, average/max gap (bks - ours) / bks * 100
    (negative: we beat it), how many are at or above it, and the worst instance."""
    out: dict[str, dict[str, float | int | str | None]] = {}
    for m in ms:
        gaps: dict[str, float] = {}
        for name, row in per.items():
            bks = row.get(f"m{m}_best_known")
            ours = row.get(f"m{m}")
            if bks is not None and ours is not None and bks > 0:
                gaps[name] = 100.0 * (bks - ours) / bks
        worst = max(gaps, key=lambda k: gaps[k]) if gaps else None
        out[f"m{m}"] = {
            "instances": len(gaps),
            "avg_gap_pct": round(sum(gaps.values()) / len(gaps), 4) if gaps else None,
            "max_gap_pct": round(gaps[worst], 4) if worst is not None else None,
            "worst": worst,
            "at_or_above": sum(1 for g in gaps.values() if g <= 1e-9),
        }
    return out


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
    # the proven m=1 optima count as best-known too (read from the shared data, not copied)
    bks = {**{(name, 1): score for name, score in opt.items()}, **best_known()}
    jobs = [(nm, m, args.time_limit, args.seed) for nm in names for m in ms]
    with Pool(args.workers) as pool:
        results = pool.map(run_one, jobs, chunksize=1)
    per: dict[str, dict[str, float]] = {}
    gaps: list[float] = []
    violations = 0
    max_secs = 0.0
    print(
        f"{'inst':8} {'m':>2} {'score':>8} {'opt':>6} {'gap%':>6} {'secs':>5} {'iters':>6} "
        f"{'bks':>6} {'bks%':>6}"
    )
    for name, m, score, secs, nviol, iters in results:
        row = per.setdefault(name, {})
        row[f"m{m}"] = score
        b = bks.get((name, m))
        bks_s = ""
        if b is not None:
            row[f"m{m}_best_known"] = b
            bks_s = f"{b:6.0f} {100.0 * (b - score) / b:6.2f}"
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
            f"{gap_s:>6} {secs:5.2f} {iters:6d} {bks_s:>13}{'  VIOLATIONS' if nviol else ''}"
        )
    vs_bks = vs_best_known(per, ms)
    out = {
        "instances": len(names),
        "avg_gap_pct_m1": round(sum(gaps) / len(gaps), 4) if gaps else None,
        "max_gap_pct_m1": round(max(gaps), 4) if gaps else None,
        "max_seconds": round(max_secs, 3),
        "time_limit": args.time_limit,
        "per_instance": per,
        "checker_violations": violations,
        "vs_best_known": vs_bks,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2, sort_keys=False) + "\n")
    print(
        f"\n{len(names)} instances; m=1 vs proven optimum on {len(gaps)}: "
        f"avg gap {out['avg_gap_pct_m1']}%, max gap {out['max_gap_pct_m1']}%; "
        f"max seconds {out['max_seconds']}; checker violations {violations}"
    )
    if bks:
        print(f"vs published best-known ({BEST_KNOWN.name}; gap = (bks - ours) / bks):")
        for key, v in vs_bks.items():
            if v["instances"]:
                print(
                    f"  {key}: {v['instances']} instances, avg gap {v['avg_gap_pct']}%, "
                    f"at or above {v['at_or_above']}, worst {v['worst']} ({v['max_gap_pct']}%)"
                )
            else:
                print(f"  {key}: no best-known values")
    if not math.isfinite(max_secs):
        sys.exit(1)


if __name__ == "__main__":
    main()

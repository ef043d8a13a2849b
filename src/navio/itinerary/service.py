"""Planner use cases: generate a trip's itinerary, read it, reorder a day, add or remove an
activity. Every change re-optimises under the stored request, keeping locked items and the
traveler's order, and every stored schedule has passed the independent checker."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping, Sequence, Set
from datetime import time, timedelta
from pathlib import Path
from typing import Any

from navio.iam import Principal
from navio.itinerary.errors import InvalidPlanRequest, ItineraryNotFound, StopNotFound
from navio.itinerary.models import ItineraryPlan
from navio.itinerary.plan import (
    Candidate,
    DayPlan,
    DaySpec,
    MealWindow,
    PlanError,
    PlanRequest,
    plan_trip,
)
from navio.itinerary.repository import ItineraryRepository
from navio.itinerary.schemas import (
    ActivityAdd,
    DayRead,
    DayUpdate,
    GenerateRequest,
    ItineraryRead,
    LegRead,
    Point,
    StopRead,
)
from navio.kernel.clock import Clock
from navio.kernel.errors import Forbidden
from navio.kernel.versioning import check_if_match
from navio.places import VisitCandidate, visit_candidates
from navio.profiles import travel_preferences
from navio.transit import router_travel_times
from navio.trips import TripCard, TripNotFound, trip_card

WRITERS = frozenset({"owner", "editor"})
MAX_CANDIDATES = 3000
# the solver's time per plan: 0.15 s a day, at least 0.3 s, at most 1.4 s (the 3-day Helsinki
# plan reaches the same score at 0.3 s as at 1.4 s: bench/planner.py)
SECONDS_PER_DAY = 0.15
MIN_SECONDS = 0.3
MAX_SECONDS = 1.4

# a traveler's profile interests -> the catalogue's categories (plan/rules.py has broad groups)
PROFILE_INTERESTS: Mapping[str, tuple[str, ...]] = {
    "museums": ("museum",),
    "history": ("historic", "monument", "castle", "museum"),
    "architecture": ("place_of_worship", "castle", "historic", "monument"),
    "art": ("gallery", "artwork", "arts_centre", "museum"),
    "nature": ("park", "nature_reserve", "natural_site", "beach", "viewpoint"),
    "parks": ("park",),
    "beaches": ("beach",),
    "hiking": ("nature_reserve", "natural_site", "viewpoint"),
    "food": ("restaurant", "cafe", "market"),
    "nightlife": ("bar", "pub", "nightclub"),
    "shopping": ("mall", "market", "shop"),
    "music": ("music_venue", "theatre"),
    "sports": ("sports",),
    "kids": ("zoo", "aquarium", "theme_park", "playground"),
    "viewpoints": ("viewpoint",),
    "religious_sites": ("place_of_worship",),
    "markets": ("market",),
    "wellness": ("spa",),
}


def interests_for(tokens: Sequence[str]) -> frozenset[str]:
    out: set[str] = set()
    for token in tokens:
        out.update(PROFILE_INTERESTS.get(token.strip().lower(), (token.strip().lower(),)))
    return frozenset(out)


def candidates_from(found: Sequence[VisitCandidate]) -> list[Candidate]:
    """The catalogue's points of interest as the planner's candidates."""
    return [
        Candidate(
            key=str(c.id),
            name=c.name,
            lat=c.lat,
            lon=c.lon,
            category=c.category,
            rating=c.rating,
            popularity=c.popularity,
            price_minor=0,  # entry prices are not in the catalogue (OSM has none)
            hours=None if c.hours is None and not c.always_open else c.hours,
            diets=frozenset(c.diets),
        )
        for c in found
    ]


class PlannerService:
    def __init__(self, repo: ItineraryRepository, clock: Clock, cache_dir: Path) -> None:
        self.repo = repo
        self.clock = clock
        self.cache_dir = cache_dir

    # ---------------------------------------------------------------- access
    async def _trip(self, principal: Principal, trip_id: uuid.UUID, *, write: bool) -> TripCard:
        card = await trip_card(self.repo.session, trip_id)
        role = card.role_of(principal.user_id) if card else None
        if card is None or role is None:
            raise TripNotFound()
        if write and role not in WRITERS:
            raise Forbidden("only the trip's owner and editors may change its itinerary")
        return card

    # ---------------------------------------------------------------- use cases
    async def generate(
        self, principal: Principal, trip_id: uuid.UUID, body: GenerateRequest
    ) -> ItineraryRead:
        card = await self._trip(principal, trip_id, write=True)
        prefs = await travel_preferences(self.repo.session, principal.user_id)
        stored = body.model_dump(mode="json")
        stored["interests"] = list(
            body.interests if body.interests is not None else prefs.interests
        )
        stored["dietary"] = list(body.dietary if body.dietary is not None else prefs.dietary)
        stored["pace"] = body.pace or prefs.pace
        stored["bases"] = [b.model_dump() for b in self._bases(card, body)]
        stored["locked"] = {}
        stored["order"] = {}
        existing = await self.repo.plan(trip_id, for_update=True)
        return await self._replan(principal, card, stored, existing)

    async def itinerary(self, principal: Principal, trip_id: uuid.UUID) -> ItineraryRead:
        card = await self._trip(principal, trip_id, write=False)
        row = await self.repo.plan(trip_id)
        if row is None:
            raise ItineraryNotFound("no itinerary yet: POST /planner/{trip_id}/generate")
        return self._read(card, row)

    async def put_day(
        self,
        principal: Principal,
        trip_id: uuid.UUID,
        day: int,
        body: DayUpdate,
        if_match: str | None,
    ) -> ItineraryRead:
        card, row = await self._editable(principal, trip_id, if_match)
        if not 1 <= day <= len(row.days):
            raise InvalidPlanRequest(f"the trip has days 1 to {len(row.days)}", field="day")
        known = {stop["id"]: stop for d in row.days for stop in d["stops"]}
        for stop_id in [*body.order, *body.locked]:
            if stop_id not in known or known[stop_id]["kind"] != "visit":
                raise InvalidPlanRequest(
                    f"{stop_id!r} is no visit of this itinerary", field="order"
                )
        stored = dict(row.request)
        # the day's manual state is replaced: its locks are those listed now (a visit locked to
        # another day and listed here moves to this one)
        locked = {
            k: v
            for k, v in stored.get("locked", {}).items()
            if k not in body.order and int(v) != day - 1
        }
        locked.update(dict.fromkeys(body.locked, day - 1))
        order = {k: v for k, v in stored.get("order", {}).items() if k != str(day - 1)}
        for key, value in list(order.items()):
            order[key] = [s for s in value if s not in body.order]
        order[str(day - 1)] = list(body.order)
        stored["locked"], stored["order"] = locked, order
        return await self._replan(principal, card, stored, row)

    async def add_activity(
        self, principal: Principal, trip_id: uuid.UUID, body: ActivityAdd, if_match: str | None
    ) -> ItineraryRead:
        card, row = await self._editable(principal, trip_id, if_match)
        if body.day is not None and body.day > len(row.days):
            raise InvalidPlanRequest(f"the trip has days 1 to {len(row.days)}", field="day")
        stored = dict(row.request)
        key = str(body.place_id)
        stored["must_see"] = sorted({*stored.get("must_see", []), key})
        stored["avoid"] = [a for a in stored.get("avoid", []) if a != key]
        if body.day is not None:
            stored["locked"] = {**stored.get("locked", {}), key: body.day - 1}
        return await self._replan(principal, card, stored, row)

    async def delete_activity(
        self, principal: Principal, trip_id: uuid.UUID, stop_id: str, if_match: str | None
    ) -> ItineraryRead:
        card, row = await self._editable(principal, trip_id, if_match)
        found = next((s for d in row.days for s in d["stops"] if s["id"] == stop_id), None)
        if found is None:
            raise StopNotFound(f"no stop {stop_id!r} in this itinerary")
        stored = dict(row.request)
        if found["kind"] != "visit":
            # a meal: no more meals of that kind planned at that restaurant
            stored["avoid"] = sorted({*stored.get("avoid", []), found["place_id"]})
        else:
            key = found["place_id"]
            stored["must_see"] = [k for k in stored.get("must_see", []) if k != key]
            stored["locked"] = {k: v for k, v in stored.get("locked", {}).items() if k != key}
            stored["order"] = {
                d: [k for k in keys if k != key] for d, keys in stored.get("order", {}).items()
            }
            stored["avoid"] = sorted({*stored.get("avoid", []), key})
        return await self._replan(principal, card, stored, row)

    # ---------------------------------------------------------------- planning
    async def _editable(
        self, principal: Principal, trip_id: uuid.UUID, if_match: str | None
    ) -> tuple[TripCard, ItineraryPlan]:
        card = await self._trip(principal, trip_id, write=True)
        row = await self.repo.plan(trip_id, for_update=True)
        if row is None:
            raise ItineraryNotFound("no itinerary yet: POST /planner/{trip_id}/generate")
        check_if_match(if_match, row.version)
        return card, row

    @staticmethod
    def _bases(card: TripCard, body: GenerateRequest) -> list[Point]:
        if body.bases:
            days = (card.end_date - card.start_date).days + 1
            if len(body.bases) not in (1, days):
                raise InvalidPlanRequest(
                    f"one base for the whole trip or one per night ({days})", field="bases"
                )
            return list(body.bases)
        for destination in card.destinations:
            lat, lon = destination.get("lat"), destination.get("lon")
            if isinstance(lat, int | float) and isinstance(lon, int | float):
                return [Point(lat=float(lat), lon=float(lon), name=destination.get("name"))]
        raise InvalidPlanRequest(
            "the trip has no destination with coordinates: give the bases to plan from",
            field="bases",
        )

    async def _replan(
        self,
        principal: Principal,
        card: TripCard,
        stored: dict[str, Any],
        row: ItineraryPlan | None,
    ) -> ItineraryRead:
        days = (card.end_date - card.start_date).days + 1
        if days > 31:
            raise InvalidPlanRequest("plans cover at most 31 days", field="days")
        bases = [(float(b["lat"]), float(b["lon"])) for b in stored["bases"]]
        centre = bases[0]
        radius_m = float(stored.get("radius_km", 5.0)) * 1000
        found = await visit_candidates(
            self.repo.session, centre[0], centre[1], radius_m, MAX_CANDIDATES
        )
        known = {str(c.id) for c in found}
        for key in [*stored.get("must_see", []), *stored.get("locked", {})]:
            if key not in known:
                raise InvalidPlanRequest(
                    f"place {key} is not in the catalogue within {radius_m / 1000:g} km of the "
                    "base",
                    field="must_see",
                )
        candidates = candidates_from(found)
        request = self._request(card, stored, bases, days)
        begins = time.fromisoformat(stored["day_start"])
        travel = await router_travel_times(
            self.repo.session,
            self.cache_dir,
            centre,
            card.start_date,
            begins.hour * 3600 + begins.minute * 60,
        )
        try:
            plan = await asyncio.to_thread(
                plan_trip, request, candidates, travel=travel, timezone=card.timezone
            )
        except PlanError as exc:
            raise InvalidPlanRequest(str(exc), field=exc.field) from exc
        now = self.clock.now()
        names = {c.key: c for c in candidates}
        ordered = {k for keys in request.order.values() for k in keys}
        days_json = [_day_json(day, names, ordered) for day in plan.days]
        if row is None:
            row = ItineraryPlan(
                trip_id=card.id,
                request=stored,
                days=days_json,
                version=1,
                generated_by=principal.user_id,
                generated_at=now,
                updated_at=now,
            )
            await self.repo.add(row)
        else:
            row.request = stored
            row.days = days_json
            row.version += 1
            row.generated_by = principal.user_id
            row.updated_at = now
            await self.repo.session.flush()
        return self._read(card, row)

    @staticmethod
    def _request(
        card: TripCard, stored: Mapping[str, Any], bases: list[tuple[float, float]], days: int
    ) -> PlanRequest:
        def clock(text: str) -> time:
            return time.fromisoformat(text)

        start, end = clock(stored["day_start"]), clock(stored["day_end"])
        specs = []
        for index in range(days):
            night = bases[min(index, len(bases) - 1)]
            before = bases[min(max(index - 1, 0), len(bases) - 1)]
            specs.append(
                DaySpec(
                    date=card.start_date + timedelta(days=index),
                    start=start,
                    end=end,
                    start_point=before,
                    end_point=night,
                )
            )
        lunch, dinner = stored["lunch"], stored["dinner"]
        budget = stored.get("budget_minor")
        return PlanRequest(
            days=specs,
            interests=interests_for(stored.get("interests", [])),
            pace=stored.get("pace", "moderate"),
            must_see=frozenset(stored.get("must_see", [])),
            avoid=frozenset(stored.get("avoid", [])),
            mode=stored.get("mode", "walk"),
            budget_minor=budget,
            travelers=max(card.travelers, 1),
            meals=bool(stored.get("meals", True)),
            lunch=MealWindow(clock(lunch["start"]), clock(lunch["end"]), int(lunch["minutes"])),
            dinner=MealWindow(clock(dinner["start"]), clock(dinner["end"]), int(dinner["minutes"])),
            diet=frozenset(stored.get("dietary", [])),
            locked={k: int(v) for k, v in stored.get("locked", {}).items()},
            order={int(k): list(v) for k, v in stored.get("order", {}).items()},
            seed=int(stored.get("seed", 0)),
            time_limit=min(MAX_SECONDS, max(MIN_SECONDS, SECONDS_PER_DAY * len(specs))),
        )

    def _read(self, card: TripCard, row: ItineraryPlan) -> ItineraryRead:
        days = [DayRead.model_validate(d) for d in row.days]
        return ItineraryRead(
            trip_id=card.id,
            version=row.version,
            generated_at=row.generated_at,
            updated_at=row.updated_at,
            mode=row.request.get("mode", "walk"),
            currency=card.currency,
            days=days,
            total_cost_minor=sum(s.cost_minor for d in days for s in d.stops),
            checked=True,
        )


def _day_json(day: DayPlan, places: Mapping[str, Candidate], ordered: Set[str]) -> dict[str, Any]:
    def leg(mode: str, minutes: float, metres: float) -> LegRead:
        return LegRead(mode=mode, minutes=round(minutes, 1), metres=round(metres))

    stops = [
        StopRead(
            id=stop.key if stop.kind == "visit" else f"{stop.key}:{stop.kind}",
            place_id=uuid.UUID(stop.key),
            name=stop.name,
            kind=stop.kind,
            category=stop.category,
            lat=places[stop.key].lat,
            lon=places[stop.key].lon,
            arrival=stop.arrival,
            start=stop.start,
            end=stop.end,
            travel=leg(stop.travel.mode, stop.travel.minutes, stop.travel.metres),
            cost_minor=stop.cost_minor,
            locked=stop.locked,
            ordered=stop.kind == "visit" and stop.key in ordered,
            score=round(stop.score, 3),
            why={k: round(v, 3) for k, v in stop.why.items()},
        )
        for stop in day.stops
    ]
    back = day.return_leg
    return DayRead(
        day=day.index + 1,
        date=day.date,
        stops=stops,
        return_leg=leg(back.mode, back.minutes, back.metres),
        notes=list(day.notes),
    ).model_dump(mode="json")

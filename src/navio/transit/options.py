"""Ways to get from A to B compared: walking, driving, taxi, public transit (McRAPTOR over the
imported GTFS timetables) and flights (the imported route network) with the road legs to and
from the airports, as one Pareto set over time, cost and comfort.

Models (assumptions, stated as such; see also `road` and `flights`):

- Transit: walk up to 800 m to and from the stops; McRAPTOR to the stop where the earliest
  arrival (plus the walk on) is best gives the Pareto set over arrival, vehicles and walking.
  Fares come from the feed when it has one flat fare (per ride, with its transfer allowance);
  otherwise the cost is unknown and said so.
- Flights: the two nearest airports with routes within 150 km of each end; a taxi (or, beyond
  taxi range, the car) to and from them; 90 minutes at the departure airport before the
  flight (check-in, security, boarding) and 30 after landing (leaving the aircraft, bags).
  No timetables: durations, not scheduled departures.
- Comfort of an option: its legs' comfort weighted by their minutes (taxi 0.9, car 0.8 less
  with long drives, flight 0.7, transit ride 0.7, airport waits 0.6, walking 0.75 falling with
  distance), 0.05 less per change of vehicle.
- Costs are compared in EUR: a leg priced in another currency is converted at the ECB rate
  of the travel day when published, else the newest one.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from navio.kernel.cache import Cache
from navio.kernel.errors import NotFound
from navio.kernel.fx import EcbRates, RateNotAvailable, convert_at
from navio.kernel.geo import haversine_m
from navio.kernel.money import currency_exponent
from navio.transit import road
from navio.transit.errors import InvalidTransitQuery, NoService
from navio.transit.flights import FlightNetwork, Itinerary, UnknownAirport
from navio.transit.gtfs import Timetable
from navio.transit.models import Feed, Stop
from navio.transit.raptor import Journey, TransitLeg, WalkLeg, mc_raptor
from navio.transit.schemas import (
    MultiLegPart,
    MultiLegPlan,
    MultiLegRead,
    OptionLeg,
    OptionsRead,
    PointRead,
    TransportOption,
)
from navio.transit.service import ACCESS_RADIUS_M, TransitService

CURRENCY = "EUR"
CRITERIA = ("time", "cost", "comfort")
MODES = ("walk", "transit", "taxi", "flight", "drive")
# a traveler has no car unless they say so: driving is compared when asked for
DEFAULT_MODES = ("walk", "transit", "taxi", "flight")
AIRPORT_RADIUS_KM = 150.0
AIRPORTS_PER_END = 2
BEFORE_FLIGHT = timedelta(minutes=90)
AFTER_FLIGHT = timedelta(minutes=30)
MIN_FLIGHT_M = 100_000.0  # nobody flies shorter than this
ROUTE_TTL_SECONDS = 24 * 3600
ROAD_MIN_M = 50.0  # closer than this, the airport is where you are
CHANGE_PENALTY = 0.05
COMFORT = {"flight": 0.7, "transit": 0.7, "airport": 0.6, "taxi": 0.9}


class RouteNotFound(NotFound):
    code = "route_not_found"
    title = "Route not found"


@dataclass(frozen=True, slots=True)
class Point:
    lat: float
    lon: float
    name: str
    airport: str | None = None


def parse_point(text: str, flights: FlightNetwork | None, field: str) -> Point:
    """ "lat,lon" or a three-letter IATA airport code."""
    raw = text.strip()
    if "," in raw:
        try:
            lat_s, lon_s = raw.split(",", 1)
            lat, lon = float(lat_s), float(lon_s)
        except ValueError:
            raise InvalidTransitQuery(f"{text!r} is not 'lat,lon'", field=field) from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180) or math.isnan(lat + lon):
            raise InvalidTransitQuery(f"{text!r} is not on the globe", field=field)
        return Point(lat, lon, f"{lat:.5f},{lon:.5f}")
    code = raw.upper()
    if len(code) != 3 or not code.isalpha():
        raise InvalidTransitQuery(f"{text!r} is neither 'lat,lon' nor an airport code", field=field)
    if flights is None:
        raise InvalidTransitQuery("no flight network is imported to know airports", field=field)
    try:
        airport = flights.airport(code)
    except UnknownAirport as exc:
        raise InvalidTransitQuery(str(exc), field=field) from None
    return Point(float(airport["lat"]), float(airport["lon"]), f"{code} {airport['name']}", code)


@dataclass
class _Option:
    legs: list[OptionLeg]
    cost_minor: int | None
    cost_note: str | None
    transfers: int

    @property
    def departure(self) -> datetime:
        return self.legs[0].departure

    @property
    def arrival(self) -> datetime:
        return self.legs[-1].arrival

    @property
    def modes(self) -> list[str]:
        seen: list[str] = []
        for leg in self.legs:
            if leg.mode not in seen and leg.mode != "airport":
                seen.append(leg.mode)
        return seen

    @property
    def comfort(self) -> float:
        minutes = sum(max(leg.minutes, 0.1) for leg in self.legs)
        weighted = sum(max(leg.minutes, 0.1) * _leg_comfort(leg) for leg in self.legs)
        return round(max(0.0, weighted / minutes - CHANGE_PENALTY * self.transfers), 3)

    def read(self) -> TransportOption:
        walking = sum(leg.minutes for leg in self.legs if leg.mode == "walk")
        body = TransportOption(
            id="",
            modes=self.modes,
            summary=_summary(self),
            departure=self.departure,
            arrival=self.arrival,
            duration_minutes=round((self.arrival - self.departure).total_seconds() / 60, 1),
            cost_minor=self.cost_minor,
            currency=CURRENCY,
            cost_note=self.cost_note,
            comfort=self.comfort,
            transfers=self.transfers,
            walking_minutes=round(walking, 1),
            legs=self.legs,
        )
        digest = hashlib.sha256(body.model_dump_json().encode()).hexdigest()[:20]
        return body.model_copy(update={"id": digest})


def _leg_comfort(leg: OptionLeg) -> float:
    if leg.mode == "walk":
        estimate = road.walk((leg.metres or 0) / road.WALK_DETOUR)
        return estimate.comfort if estimate else 0.3
    if leg.mode == "drive":
        estimate = road.drive((leg.metres or 0) / road.ROAD_DETOUR)
        return estimate.comfort if estimate else 0.3
    return COMFORT.get(leg.mode, 0.6)


def _summary(option: _Option) -> str:
    parts = []
    for leg in option.legs:
        if leg.mode == "flight":
            parts.append(f"fly {leg.from_name[:3]}→{leg.to_name[:3]}")
        elif leg.mode == "transit":
            parts.append(f"{leg.route or 'transit'}")
        elif leg.mode in ("drive", "taxi") or (leg.mode == "walk" and len(option.legs) == 1):
            parts.append(f"{leg.mode} {round((leg.metres or 0) / 1000, 1)} km")
    return ", ".join(parts) or "walk"


def pareto(
    options: Sequence[TransportOption], criteria: Sequence[str], arrive_by: bool
) -> list[TransportOption]:
    """The options no other beats on every criterion (an unknown cost is compared with
    nothing: such an option is judged on the other criteria alone)."""

    def values(o: TransportOption) -> dict[str, float | None]:
        time = -o.departure.timestamp() if arrive_by else o.arrival.timestamp()
        return {
            "time": time,
            "cost": None if o.cost_minor is None else float(o.cost_minor),
            "comfort": -o.comfort,
        }

    scored = [(o, values(o)) for o in options]

    def dominates(a: dict[str, float | None], b: dict[str, float | None]) -> bool:
        better = False
        for c in criteria:
            x, y = a[c], b[c]
            if x is None or y is None:
                continue
            if x > y + 1e-9:
                return False
            if x < y - 1e-9:
                better = True
        return better

    kept = []
    seen: set[tuple[object, ...]] = set()
    for option, v in scored:
        if any(dominates(w, v) for _, w in scored):
            continue
        key = tuple(v[c] for c in criteria)
        if key in seen:  # equal on every criterion: one is enough
            continue
        seen.add(key)
        kept.append((option, v))
    first = criteria[0]
    kept.sort(key=lambda ov: _or_inf(ov[1][first]))
    return [option for option, _ in kept]


def _or_inf(value: float | None) -> float:
    return math.inf if value is None else value


class TransportOptions:
    def __init__(self, transit: TransitService, rates: EcbRates, cache: Cache) -> None:
        self.transit = transit
        self.rates = rates
        self.cache = cache

    # ---------------------------------------------------------------- the API's use cases
    async def options(
        self,
        origin_text: str,
        dest_text: str,
        at: datetime,
        *,
        arrive_by: bool = False,
        criteria: Sequence[str] = CRITERIA,
        modes: Sequence[str] = DEFAULT_MODES,
    ) -> OptionsRead:
        criteria = _criteria(criteria)
        wanted = _modes(modes)
        flights = await self.transit.flight_network()
        origin = parse_point(origin_text, flights, "origin")
        dest = parse_point(dest_text, flights, "dest")
        found, notes = await self._between(origin, dest, at, arrive_by, flights, wanted)
        reads = [o.read() for o in found]
        best = pareto(reads, criteria, arrive_by)
        for option in best:
            await self.cache.set(
                f"transport:route:{option.id}",
                option.model_dump_json().encode(),
                ttl_seconds=ROUTE_TTL_SECONDS,
            )
        return OptionsRead(
            origin=PointRead(lat=origin.lat, lon=origin.lon, name=origin.name),
            destination=PointRead(lat=dest.lat, lon=dest.lon, name=dest.name),
            at=at,
            arrive_by=arrive_by,
            criteria=list(criteria),
            options=best,
            considered=len(reads),
            notes=notes,
        )

    async def route(self, route_id: str) -> TransportOption:
        raw = await self.cache.get(f"transport:route:{route_id}")
        if raw is None:
            raise RouteNotFound("no such route (options are kept for 24 hours)")
        return TransportOption.model_validate_json(raw)

    async def multi_leg(
        self,
        stops: Sequence[str],
        depart_at: datetime,
        criteria: Sequence[str],
        stay_minutes: Sequence[int] | None,
        modes: Sequence[str] = DEFAULT_MODES,
    ) -> MultiLegRead:
        """Options for each hop of a chain of places, each hop leaving when the fastest option
        of the previous one arrives (plus the stay); and three whole plans: the fastest, the
        cheapest and the most comfortable option of every hop."""
        if not 2 <= len(stops) <= 10:
            raise InvalidTransitQuery("a chain has 2 to 10 stops", field="stops")
        stays = list(stay_minutes or [0] * (len(stops) - 2))
        if len(stays) != len(stops) - 2 or any(s < 0 or s > 60 * 24 * 30 for s in stays):
            raise InvalidTransitQuery(
                "one stay (0 to 43,200 minutes) per intermediate stop", field="stay_minutes"
            )
        parts: list[MultiLegPart] = []
        leave = depart_at
        for hop in range(len(stops) - 1):
            read = await self.options(
                stops[hop], stops[hop + 1], leave, criteria=criteria, modes=modes
            )
            parts.append(
                MultiLegPart(
                    origin=read.origin,
                    destination=read.destination,
                    depart_at=leave,
                    options=read.options,
                    notes=read.notes,
                )
            )
            if not read.options:
                break
            fastest = min(read.options, key=lambda o: o.arrival)
            leave = fastest.arrival + timedelta(minutes=stays[hop] if hop < len(stays) else 0)
        plans: list[MultiLegPlan] = []
        if parts and all(p.options for p in parts) and len(parts) == len(stops) - 1:
            pickers = {
                "fastest": lambda o: o.duration_minutes,
                "cheapest": lambda o: math.inf if o.cost_minor is None else o.cost_minor,
                "most_comfortable": lambda o: -o.comfort,
            }
            for label, key in pickers.items():
                chosen = [min(p.options, key=key) for p in parts]
                costs = [o.cost_minor for o in chosen]
                plans.append(
                    MultiLegPlan(
                        label=label,
                        option_ids=[o.id for o in chosen],
                        arrival=chosen[-1].arrival,
                        cost_minor=None if None in costs else sum(c or 0 for c in costs),
                        currency=CURRENCY,
                    )
                )
        return MultiLegRead(legs=parts, plans=plans)

    # ---------------------------------------------------------------- candidates
    async def _between(
        self,
        origin: Point,
        dest: Point,
        at: datetime,
        arrive_by: bool,
        flights: FlightNetwork | None,
        modes: Sequence[str] = DEFAULT_MODES,
    ) -> tuple[list[_Option], list[str]]:
        notes: list[str] = []
        straight = haversine_m(origin.lat, origin.lon, dest.lat, dest.lon)
        if straight < 1.0:
            raise InvalidTransitQuery("the origin and the destination are the same", field="dest")
        found: list[_Option] = []
        for mode, estimate in (
            ("walk", road.walk(straight)),
            ("drive", road.drive(straight)),
            ("taxi", road.taxi(straight)),
        ):
            if estimate is not None and mode in modes:
                found.append(self._road_option(estimate, origin.name, dest.name, at, arrive_by))
        if "transit" in modes:
            try:
                found += await self._transit(origin, dest, at, arrive_by)
            except (InvalidTransitQuery, NoService) as exc:
                notes.append(f"public transit: {exc}")
        if straight >= MIN_FLIGHT_M and "flight" in modes:
            if flights is None:
                notes.append("flights: no route network is imported (navio import flights)")
            else:
                by_air = await self._flights(flights, origin, dest, at, arrive_by)
                if not by_air:
                    notes.append(
                        f"flights: no connection within {AIRPORT_RADIUS_KM:.0f} km of both ends"
                    )
                found += by_air
        return found, notes

    @staticmethod
    def _road_option(
        estimate: road.RoadEstimate, from_name: str, to_name: str, at: datetime, arrive_by: bool
    ) -> _Option:
        span = timedelta(seconds=estimate.seconds)
        start = at - span if arrive_by else at
        leg = OptionLeg(
            mode=estimate.mode,
            from_name=from_name,
            to_name=to_name,
            departure=start,
            arrival=start + span,
            minutes=round(estimate.seconds / 60, 1),
            metres=estimate.metres,
            cost_minor=estimate.cost_minor,
            currency=CURRENCY,
        )
        return _Option([leg], estimate.cost_minor, None, 0)

    # -- flights
    async def _flights(
        self, net: FlightNetwork, origin: Point, dest: Point, at: datetime, arrive_by: bool
    ) -> list[_Option]:
        def ends(point: Point) -> list[tuple[str, float]]:
            if point.airport is not None:
                return [(point.airport, 0.0)]
            near = net.airports_near(point.lat, point.lon, AIRPORT_RADIUS_KM, AIRPORTS_PER_END)
            return [(a.code, a.distance_km * 1000) for a in near]

        out: list[_Option] = []
        for from_code, access_m in ends(origin):
            # public transit to the airport, when a timetable serves both (leaving now)
            ride_in = None
            if not arrive_by and access_m >= ROAD_MIN_M:
                ride_in = await self._fastest_transit(origin, _airport_point(net, from_code), at)
            for to_code, egress_m in ends(dest):
                if from_code == to_code:
                    continue
                for itinerary in net.itineraries(from_code, to_code, max_connections=1, limit=4):
                    option = self._flight_option(
                        net, origin, dest, from_code, to_code, access_m, egress_m, itinerary
                    )
                    if option is None:
                        continue
                    shifted = _shift(option, at, arrive_by)
                    out.append(shifted)
                    if arrive_by:
                        continue
                    by_transit = await self._with_transit(
                        shifted, ride_in, access_m, egress_m, _airport_point(net, to_code), dest
                    )
                    out += by_transit
        return out

    async def _with_transit(
        self,
        option: _Option,
        ride_in: _Option | None,
        access_m: float,
        egress_m: float,
        landing: Point,
        dest: Point,
    ) -> list[_Option]:
        """The flight option with public transit instead of the road to the airport, from
        it, or both, where a timetable serves them."""
        legs = list(option.legs)
        road_in = legs[0] if access_m >= ROAD_MIN_M and legs[0].mode in ("taxi", "drive") else None
        road_out = (
            legs[-1] if egress_m >= ROAD_MIN_M and legs[-1].mode in ("taxi", "drive") else None
        )
        variants: list[_Option] = []
        if road_in is not None and ride_in is not None:
            # leave when the ride reaches the airport: everything after it moves with it
            rest = legs[1:]
            delta = ride_in.arrival - rest[0].departure
            variants.append(
                _Option(
                    ride_in.legs + [_moved(leg, delta) for leg in rest],
                    _swap_cost(option.cost_minor, road_in.cost_minor, ride_in.cost_minor),
                    ride_in.cost_note,
                    option.transfers + ride_in.transfers,
                )
            )
        if road_out is not None:
            for base in [option, *variants]:
                landed = base.legs[-2].arrival  # out of the airport
                ride_out = await self._fastest_transit(landing, dest, landed)
                if ride_out is None:
                    continue
                cost = _swap_cost(base.cost_minor, base.legs[-1].cost_minor, ride_out.cost_minor)
                note = "; ".join(n for n in (base.cost_note, ride_out.cost_note) if n) or None
                variants.append(
                    _Option(
                        base.legs[:-1] + ride_out.legs,
                        cost,
                        note,
                        base.transfers + ride_out.transfers,
                    )
                )
        return variants

    def _flight_option(
        self,
        net: FlightNetwork,
        origin: Point,
        dest: Point,
        from_code: str,
        to_code: str,
        access_m: float,
        egress_m: float,
        itinerary: Itinerary,
    ) -> _Option | None:
        t = datetime(2000, 1, 1)  # relative times, moved to the asked time by `_shift`
        legs: list[OptionLeg] = []
        cost = 0

        def road_leg(metres: float, a: str, b: str) -> None:
            nonlocal t, cost
            if metres < ROAD_MIN_M:
                return
            estimate = road.taxi(metres) or road.drive(metres)
            if estimate is None:
                return
            legs.append(
                OptionLeg(
                    mode=estimate.mode,
                    from_name=a,
                    to_name=b,
                    departure=t,
                    arrival=t + timedelta(seconds=estimate.seconds),
                    minutes=round(estimate.seconds / 60, 1),
                    metres=estimate.metres,
                    cost_minor=estimate.cost_minor,
                    currency=CURRENCY,
                )
            )
            t += timedelta(seconds=estimate.seconds)
            cost += estimate.cost_minor

        def wait(minutes: float, where: str) -> None:
            nonlocal t
            legs.append(
                OptionLeg(
                    mode="airport",
                    from_name=where,
                    to_name=where,
                    departure=t,
                    arrival=t + timedelta(minutes=minutes),
                    minutes=minutes,
                )
            )
            t += timedelta(minutes=minutes)

        road_leg(access_m, origin.name, _airport_name(net, from_code))
        wait(BEFORE_FLIGHT.total_seconds() / 60, _airport_name(net, from_code))
        for index, leg in enumerate(itinerary.legs):
            if index:
                wait(60, _airport_name(net, leg.origin))  # the connection (flights' model)
            legs.append(
                OptionLeg(
                    mode="flight",
                    from_name=_airport_name(net, leg.origin),
                    to_name=_airport_name(net, leg.dest),
                    departure=t,
                    arrival=t + timedelta(minutes=leg.block_minutes),
                    minutes=float(leg.block_minutes),
                    metres=round(leg.distance_km * 1000),
                    route=", ".join(leg.operators or leg.airlines),
                    cost_minor=leg.fare_minor,
                    currency=CURRENCY,
                )
            )
            t += timedelta(minutes=leg.block_minutes)
            cost += leg.fare_minor
        wait(AFTER_FLIGHT.total_seconds() / 60, _airport_name(net, to_code))
        road_leg(egress_m, _airport_name(net, to_code), dest.name)
        return _Option(
            legs, cost, None, itinerary.connections + (1 if access_m >= ROAD_MIN_M else 0)
        )

    # -- transit
    async def _serving(
        self, origin: Point, dest: Point
    ) -> tuple[Feed, list[tuple[Stop, float]], list[tuple[Stop, float]]]:
        """The feed with a stop within 800 m of both ends, and those stops."""
        service = self.transit
        starts = await service.nearby_stops(origin.lat, origin.lon, ACCESS_RADIUS_M, 30)
        ends = await service.nearby_stops(dest.lat, dest.lon, ACCESS_RADIUS_M, 30)
        if not starts or not ends:
            raise InvalidTransitQuery("no stop within 800 m of both ends", field="origin")
        feed_id = starts[0][0].feed_id
        if not any(stop.feed_id == feed_id for stop, _ in ends):
            raise InvalidTransitQuery("no one feed serves both ends", field="dest")
        feed = await service.repo.feed(feed_id)
        assert feed is not None
        return feed, starts, ends

    async def _fastest_transit(self, origin: Point, dest: Point, at: datetime) -> _Option | None:
        """The earliest arrival by walking and transit (RAPTOR), or None when no timetable
        joins the two points then (walking all the way is not a transit ride)."""
        service = self.transit
        try:
            feed, starts, ends = await self._serving(origin, dest)
            day, t0, zone = service.local_time(feed, at)
            tt = await service.timetable(feed, day)
        except (InvalidTransitQuery, NoService):
            return None
        sources, egress, result, best = service.best_ride(tt, feed.id, starts, ends, t0)
        if best is None:
            return None
        journey = result.journey(best[1])
        if journey is None or not any(isinstance(leg, TransitLeg) for leg in journey.legs):
            return None
        legs = self._transit_legs(tt, journey, sources, egress, best[1], t0, day, zone)
        legs[0] = legs[0].model_copy(update={"from_name": origin.name})
        legs[-1] = legs[-1].model_copy(update={"to_name": dest.name})
        fare = feed.report.get("fare") if isinstance(feed.report, dict) else None
        cost, note = self._fare(fare, journey, day)
        return _Option(legs, cost, note, max(journey.trips - 1, 0))

    async def _transit(
        self, origin: Point, dest: Point, at: datetime, arrive_by: bool
    ) -> list[_Option]:
        service = self.transit
        feed, starts, ends = await self._serving(origin, dest)
        feed_id = feed.id
        day, t_asked, zone = service.local_time(feed, at)
        tt = await service.timetable(feed, day)

        def plan(t0: int) -> tuple[dict[int, int], dict[int, int], tuple[int, int] | None]:
            sources, egress, _, best = service.best_ride(tt, feed_id, starts, ends, t0)
            return sources, egress, best

        t0 = t_asked
        if arrive_by:
            # the latest departure (in 10-minute steps, up to 3 hours back) still in time
            chosen = None
            for back in range(10 * 60, 3 * 3600 + 1, 10 * 60):
                *_, best = plan(t_asked - back)
                if best is not None and best[0] <= t_asked:
                    chosen = t_asked - back
                    break
            if chosen is None:
                raise InvalidTransitQuery("no transit journey arrives in time", field="at")
            t0 = chosen
        sources, egress, best = plan(t0)
        if best is None:
            raise InvalidTransitQuery("no transit journey between these points", field="dest")
        target = best[1]
        fare = feed.report.get("fare") if isinstance(feed.report, dict) else None
        out: list[_Option] = []
        for found in mc_raptor(tt, sources, target, max_rounds=5):
            if found.journey is None or not found.journey.legs:
                continue
            if arrive_by and found.arrival + egress[target] > t_asked:
                continue
            legs = self._transit_legs(tt, found.journey, sources, egress, target, t0, day, zone)
            legs[0] = legs[0].model_copy(update={"from_name": origin.name})
            legs[-1] = legs[-1].model_copy(update={"to_name": dest.name})
            cost, note = self._fare(fare, found.journey, day)
            out.append(_Option(legs, cost, note, max(found.journey.trips - 1, 0)))
        return out

    def _fare(self, fare: object, journey: Journey, day: date) -> tuple[int | None, str | None]:
        if not isinstance(fare, dict):
            return None, "this transit feed publishes no flat fare"
        rides = journey.trips
        allowed = fare.get("transfers")
        tickets = 1 if allowed is None else math.ceil(rides / (int(allowed) + 1))
        price = int(fare["price_minor"])
        amount = price * tickets
        currency = str(fare["currency"])
        if currency == CURRENCY:
            return amount, None
        try:
            rate = self.rates.planning_rate(currency, CURRENCY, day)
        except RateNotAvailable:
            return None, f"no ECB rate for {currency}"
        return convert_at(amount, rate), (
            f"{tickets} x {_major(price, currency)} {currency} at the ECB rate of "
            f"{rate.published_on}"
        )

    def _transit_legs(
        self,
        tt: Timetable,
        journey: Journey,
        sources: dict[int, int],
        egress: dict[int, int],
        target: int,
        t0: int,
        day: date,
        zone: ZoneInfo,
    ) -> list[OptionLeg]:
        clock = self.transit.clock_time

        def leg(mode: str, a: str, b: str, dep: int, arr: int, **extra: Any) -> OptionLeg:
            return OptionLeg(
                mode=mode,
                from_name=a,
                to_name=b,
                departure=clock(day, dep, zone),
                arrival=clock(day, arr, zone),
                minutes=round((arr - dep) / 60, 1),
                **extra,
            )

        first = journey.legs[0]
        board = first.board_stop if isinstance(first, TransitLeg) else first.from_stop
        legs = [
            leg(
                "walk",
                "origin",
                tt.stop_names[board],
                t0,
                sources[board],
                metres=round((sources[board] - t0) * road.WALK_SPEED_MPS),
            )
        ]
        for part in journey.legs:
            if isinstance(part, TransitLeg):
                legs.append(
                    leg(
                        "transit",
                        tt.stop_names[part.board_stop],
                        tt.stop_names[part.alight_stop],
                        part.departure,
                        part.arrival,
                        route=tt.route_short_names[int(tt.pattern_route[part.pattern])],
                        timetabled=True,
                    )
                )
            elif isinstance(part, WalkLeg):
                legs.append(
                    leg(
                        "walk",
                        tt.stop_names[part.from_stop],
                        tt.stop_names[part.to_stop],
                        part.departure,
                        part.arrival,
                        metres=round((part.arrival - part.departure) * road.WALK_SPEED_MPS),
                    )
                )
        last_arrival = journey.legs[-1].arrival
        legs.append(
            leg(
                "walk",
                tt.stop_names[target],
                "destination",
                last_arrival,
                last_arrival + egress[target],
                metres=round(egress[target] * road.WALK_SPEED_MPS),
            )
        )
        return legs


def _airport_point(net: FlightNetwork, code: str) -> Point:
    airport = net.airport(code)
    return Point(float(airport["lat"]), float(airport["lon"]), _airport_name(net, code), code)


def _moved(leg: OptionLeg, delta: timedelta) -> OptionLeg:
    return leg.model_copy(
        update={"departure": leg.departure + delta, "arrival": leg.arrival + delta}
    )


def _swap_cost(total: int | None, old: int | None, new: int | None) -> int | None:
    """`total` with a leg costing `old` replaced by one costing `new` (None: unknown)."""
    if total is None or new is None:
        return None
    return total - (old or 0) + new


def _major(amount_minor: int, currency: str) -> str:
    exponent = currency_exponent(currency)
    return f"{amount_minor / 10**exponent:.{exponent}f}"


def _airport_name(net: FlightNetwork, code: str) -> str:
    return f"{code} {net.airport(code)['name']}"


def _shift(option: _Option, at: datetime, arrive_by: bool) -> _Option:
    """Move an option built on relative times to leave at (or arrive by) `at`."""
    base = option.legs[0].departure
    delta = (at - (option.legs[-1].arrival - base)) if arrive_by else at
    legs = [
        leg.model_copy(
            update={
                "departure": delta + (leg.departure - base),
                "arrival": delta + (leg.arrival - base),
            }
        )
        for leg in option.legs
    ]
    return _Option(legs, option.cost_minor, option.cost_note, option.transfers)


def _modes(modes: Sequence[str]) -> list[str]:
    wanted = [m.strip().lower() for m in modes if m.strip()]
    unknown = [m for m in wanted if m not in MODES]
    if unknown or not wanted:
        raise InvalidTransitQuery(
            f"modes are some of {', '.join(MODES)}; got {', '.join(modes) or 'none'}",
            field="modes",
        )
    return wanted


def _criteria(criteria: Sequence[str]) -> list[str]:
    wanted = [c.strip().lower() for c in criteria if c.strip()]
    unknown = [c for c in wanted if c not in CRITERIA]
    if unknown or not wanted:
        raise InvalidTransitQuery(
            f"criteria are some of {', '.join(CRITERIA)}; got {', '.join(criteria) or 'none'}",
            field="criteria",
        )
    return list(dict.fromkeys(wanted))

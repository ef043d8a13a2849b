"""Driving, taxi and walking estimates from distance, for comparing options (no road graph).

No road network is imported, so road legs are estimated from the great-circle distance. The
constants below are modelling assumptions, stated as such; they rank options against each
other and are not quotes.

Distance
    road metres = straight line x ``ROAD_DETOUR`` (1.3). Road circuity factors reported for
    road networks lie between about 1.2 and 1.4 (Ballou, Rahardja & Sakai, "Selected country
    circuity factors for road travel distance estimation", Transportation Research Part A
    36(9), 2002); 1.3 is our choice for mixed urban and interurban trips. Walking uses 1.3
    too (pedestrian route factors in European centres) at 1.3 m/s.
Driving time
    speed bands on the road distance: the first 10 km at 25 km/h (city streets, lights), the
    next 40 km at 50 km/h (suburban and regional roads), the rest at 90 km/h (motorway
    average including slower stretches); plus 5 minutes to reach the car and park. Beyond
    4.5 hours of driving, a 45-minute break per 4.5 hours (the EU drivers' hours rule for
    professional drivers, applied as a sensible pace for anyone).
Driving cost
    0.20 EUR per road km: fuel at 6.5 l/100 km and 1.75 EUR/l (about 0.11 EUR/km) plus tyres,
    maintenance and wear (about 0.09 EUR/km). Parking, tolls and the car itself are not
    counted.
Taxi
    5 minutes to be picked up, the driving time without parking; fare 4.00 EUR flag fall +
    1.90 EUR per km + 0.40 EUR per minute of the ride (a typical European city tariff,
    e.g. of the order of Helsinki's or Amsterdam's published maximum tariffs). Offered up to
    150 km.
Comfort (0..1, higher is better)
    taxi 0.9, own car 0.8 (0.1 less per 2 hours at the wheel beyond the first), walking 0.75
    for the first kilometre, falling to 0.3 at 8 km. Used only to tell options apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

ROAD_DETOUR = 1.3
WALK_DETOUR = 1.3
WALK_SPEED_MPS = 1.3
_BANDS = ((10_000.0, 25.0), (40_000.0, 50.0), (math.inf, 90.0))  # (metres, km/h)
PARK_SECONDS = 300
PICKUP_SECONDS = 300
BREAK_EVERY_SECONDS = 4.5 * 3600
BREAK_SECONDS = 45 * 60
DRIVE_EUR_CENTS_PER_KM = 20.0
TAXI_FLAG_CENTS = 400
TAXI_CENTS_PER_KM = 190.0
TAXI_CENTS_PER_MIN = 40.0
TAXI_MAX_M = 150_000.0
WALK_MAX_M = 10_000.0
DRIVE_MAX_M = 2_500_000.0


@dataclass(frozen=True, slots=True)
class RoadEstimate:
    mode: str  # walk | drive | taxi
    seconds: int
    metres: int
    cost_minor: int  # EUR cents
    comfort: float


def _driving_seconds(road_m: float) -> float:
    seconds, left, lower = 0.0, road_m, 0.0
    for upper, kmh in _BANDS:
        part = min(left, upper - lower) if math.isfinite(upper) else left
        seconds += part / (kmh / 3.6)
        left -= part
        lower = upper
        if left <= 0:
            break
    breaks = math.floor(seconds / BREAK_EVERY_SECONDS) if seconds > BREAK_EVERY_SECONDS else 0
    return seconds + breaks * BREAK_SECONDS


def walk(straight_m: float) -> RoadEstimate | None:
    if straight_m < 0:
        raise ValueError("a distance cannot be negative")
    metres = straight_m * WALK_DETOUR
    if metres > WALK_MAX_M:
        return None
    km = metres / 1000
    comfort = 0.75 if km <= 1 else max(0.3, 0.75 - (km - 1) * (0.45 / 7))
    return RoadEstimate("walk", round(metres / WALK_SPEED_MPS), round(metres), 0, round(comfort, 3))


def drive(straight_m: float) -> RoadEstimate | None:
    if straight_m < 0:
        raise ValueError("a distance cannot be negative")
    metres = straight_m * ROAD_DETOUR
    if metres > DRIVE_MAX_M:
        return None
    ride = _driving_seconds(metres)
    hours_beyond_first = max(0.0, ride / 3600 - 1)
    comfort = max(0.3, 0.8 - 0.05 * hours_beyond_first)
    return RoadEstimate(
        "drive",
        round(ride + PARK_SECONDS),
        round(metres),
        round(metres / 1000 * DRIVE_EUR_CENTS_PER_KM),
        round(comfort, 3),
    )


def taxi(straight_m: float) -> RoadEstimate | None:
    if straight_m < 0:
        raise ValueError("a distance cannot be negative")
    metres = straight_m * ROAD_DETOUR
    if metres > TAXI_MAX_M:
        return None
    ride = _driving_seconds(metres)
    fare = TAXI_FLAG_CENTS + metres / 1000 * TAXI_CENTS_PER_KM + ride / 60 * TAXI_CENTS_PER_MIN
    return RoadEstimate("taxi", round(ride + PICKUP_SECONDS), round(metres), round(fare), 0.9)

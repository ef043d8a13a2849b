"""Transit: GTFS feeds compiled for routing; RAPTOR, range RAPTOR and McRAPTOR; flights and
road estimates; travel-time matrices for the planner (`router_travel_times`)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from navio.kernel.cache import Cache
from navio.kernel.clock import Clock
from navio.kernel.db import SessionSource
from navio.kernel.fx import EcbRates
from navio.transit.gtfs import GtfsError, Issue, Timetable, ValidationReport, load_timetable
from navio.transit.matrix import RouterTravelTimes
from navio.transit.options import TransportOptions
from navio.transit.raptor import (
    EarliestArrival,
    Journey,
    ParetoJourney,
    TransitLeg,
    WalkLeg,
    earliest_arrival,
    mc_raptor,
    range_raptor,
)
from navio.transit.repository import TransitRepository
from navio.transit.schemas import TransportOption
from navio.transit.service import TransitService


async def router_travel_times(
    source: SessionSource,
    cache_dir: Path,
    near: tuple[float, float],
    day: date,
    depart_seconds: int = 10 * 3600,
) -> RouterTravelTimes:
    """Travel times around `near` on `day`, transit leaving at `depart_seconds` after local
    midnight: walking and driving from the road models, transit from the imported timetable
    serving that place (straight-line model without one)."""
    service = TransitService(TransitRepository(source), Clock(), cache_dir)
    return await RouterTravelTimes.prepare(service, near, day, depart_seconds)


def transport_options(
    source: SessionSource, cache_dir: Path, rates: EcbRates, cache: Cache
) -> TransportOptions:
    """Door-to-door options between two points (road, transit, flights) as a Pareto set."""
    return TransportOptions(
        TransitService(TransitRepository(source), Clock(), cache_dir), rates, cache
    )


__all__ = [
    "EarliestArrival",
    "GtfsError",
    "Issue",
    "Journey",
    "ParetoJourney",
    "RouterTravelTimes",
    "Timetable",
    "TransitLeg",
    "TransportOption",
    "TransportOptions",
    "ValidationReport",
    "WalkLeg",
    "earliest_arrival",
    "load_timetable",
    "mc_raptor",
    "range_raptor",
    "router_travel_times",
    "transport_options",
]

"""Transit: GTFS feeds compiled for routing; RAPTOR, range RAPTOR and McRAPTOR."""

from __future__ import annotations

from navio.transit.gtfs import GtfsError, Issue, Timetable, ValidationReport, load_timetable
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

__all__ = [
    "EarliestArrival",
    "GtfsError",
    "Issue",
    "Journey",
    "ParetoJourney",
    "Timetable",
    "TransitLeg",
    "ValidationReport",
    "WalkLeg",
    "earliest_arrival",
    "load_timetable",
    "mc_raptor",
    "range_raptor",
]

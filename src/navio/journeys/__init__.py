"""Whole journeys across cities: transport between them, a bed each night, meals and sights
each day, under the group's budget and rules (`compose`), checked independently (`check`)."""

from navio.journeys.check import Violation, check
from navio.journeys.compose import NoJourney, compose
from navio.journeys.domain import JourneyRequest, Sandbox
from navio.journeys.errors import JourneyInfeasible
from navio.journeys.schemas import (
    MAX_CITIES,
    MAX_DAYS,
    ComposeRequest,
    DayRead,
    JourneyRead,
    OptionsIn,
)
from navio.journeys.service import JourneysService

__all__ = [
    "MAX_CITIES",
    "MAX_DAYS",
    "ComposeRequest",
    "DayRead",
    "JourneyInfeasible",
    "JourneyRead",
    "JourneyRequest",
    "JourneysService",
    "NoJourney",
    "OptionsIn",
    "Sandbox",
    "Violation",
    "check",
    "compose",
]

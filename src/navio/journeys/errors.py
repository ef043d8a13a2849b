from __future__ import annotations

from navio.kernel.errors import InvalidInput


class InvalidJourneyRequest(InvalidInput):
    code = "invalid_journey_request"
    title = "The journey cannot be composed as asked"


class UnknownCity(InvalidInput):
    code = "unknown_city"
    title = "The catalogue knows no such city"


class JourneyInfeasible(InvalidInput):
    code = "journey_infeasible"
    title = "No journey meets every constraint"

from __future__ import annotations

from navio.kernel.errors import InvalidInput, NotFound


class InvalidPlanRequest(InvalidInput):
    code = "invalid_plan_request"
    title = "The plan cannot be made as asked"


class ItineraryNotFound(NotFound):
    code = "itinerary_not_found"
    title = "No itinerary yet"


class StopNotFound(NotFound):
    code = "stop_not_found"
    title = "No such stop in the itinerary"

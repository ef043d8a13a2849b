from __future__ import annotations

from navio.kernel.errors import InvalidInput, NotFound


class InvalidBudgetRequest(InvalidInput):
    code = "invalid_budget_request"
    title = "Invalid budget request"


class LocationNotFound(NotFound):
    code = "location_not_found"
    title = "Location not found"


class NoSeasonData(NotFound):
    code = "no_season_data"
    title = "No price history has been imported to learn seasons from"

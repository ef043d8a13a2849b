from __future__ import annotations

from navio.kernel.errors import InvalidInput


class NoService(InvalidInput):
    code = "no_transit_service"
    title = "No transit service on that date"


class InvalidTransitQuery(InvalidInput):
    code = "invalid_transit_query"
    title = "Invalid transit query"

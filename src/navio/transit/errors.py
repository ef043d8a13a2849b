from __future__ import annotations

from navio.kernel.errors import InvalidInput, NotFound


class FeedNotFound(NotFound):
    code = "transit_feed_not_found"
    title = "Transit feed not found"


class NoService(InvalidInput):
    code = "no_transit_service"
    title = "No transit service on that date"


class StopNotFound(InvalidInput):
    code = "transit_stop_not_found"
    title = "Unknown transit stop"


class InvalidTransitQuery(InvalidInput):
    code = "invalid_transit_query"
    title = "Invalid transit query"

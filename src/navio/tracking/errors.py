from __future__ import annotations

from navio.kernel.errors import Conflict, InvalidInput, NotFound


class JourneyNotFound(NotFound):
    code = "journey_not_found"
    title = "Journey not found"


class InvalidPositions(InvalidInput):
    code = "invalid_positions"
    title = "The positions cannot be recorded"


class InvalidJourney(InvalidInput):
    code = "invalid_journey"
    title = "The journey cannot be started as asked"


class JourneyAlreadyActive(Conflict):
    code = "journey_already_active"
    title = "You are already sharing a journey on this trip"


class JourneyNotActive(Conflict):
    code = "journey_not_active"
    title = "The journey has arrived or ended"


class JourneyTrackFull(Conflict):
    code = "journey_track_full"
    title = "The journey holds as many positions as it may"

from __future__ import annotations

from navio.kernel.errors import Conflict, InvalidInput, NotFound


class ConversationNotFound(NotFound):
    code = "conversation_not_found"
    title = "No such conversation"


class NoJourneyYet(Conflict):
    code = "no_journey_yet"
    title = "The conversation has planned no journey yet"


class TimezoneRequired(InvalidInput):
    code = "timezone_required"
    title = "The trip's time zone is needed"

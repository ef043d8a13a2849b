from __future__ import annotations

from navio.kernel.errors import Conflict, InvalidInput, NotFound, Unauthorized


class ConversationNotFound(NotFound):
    code = "conversation_not_found"
    title = "No such conversation"


class NoJourneyYet(Conflict):
    code = "no_journey_yet"
    title = "The conversation has planned no journey yet"


class TimezoneRequired(InvalidInput):
    code = "timezone_required"
    title = "The trip's time zone is needed"


class ChannelNotConfigured(NotFound):
    code = "channel_not_configured"
    title = "This messaging channel is not set up on this Navio"


class ChatLinkNotFound(NotFound):
    code = "chat_link_not_found"
    title = "No such linked chat"


class ChannelUnauthorized(Unauthorized):
    code = "channel_unauthorized"
    title = "The update does not carry the channel's secret"

from __future__ import annotations

from navio.kernel.errors import NotFound


class ConversationNotFound(NotFound):
    code = "conversation_not_found"
    title = "No such conversation"

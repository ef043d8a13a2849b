from __future__ import annotations

from navio.kernel.errors import NotFound


class NoticeNotFound(NotFound):
    code = "notification_not_found"
    title = "Notification not found"

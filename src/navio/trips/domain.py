"""Trip rules: who may do what, status moves, dates and local times. No I/O."""

from __future__ import annotations

import enum
import functools
import json
import uuid
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

MAX_TRIP_DAYS = 366
INVITE_TTL = timedelta(days=7)


class Role(enum.StrEnum):
    OWNER = "owner"
    EDITOR = "editor"
    SUGGESTER = "suggester"
    VIEWER = "viewer"


# Roles one may give a collaborator (ownership moves only by transfer).
ASSIGNABLE_ROLES = (Role.EDITOR, Role.SUGGESTER, Role.VIEWER)


class Visibility(enum.StrEnum):
    PRIVATE = "private"
    LINK = "link"
    PUBLIC = "public"


class Status(enum.StrEnum):
    PLANNING = "planning"
    BOOKED = "booked"
    ONGOING = "ongoing"
    DONE = "done"


# A trip moves forward; a booked trip may go back to planning (plans change before leaving).
STATUS_MOVES: dict[Status, frozenset[Status]] = {
    Status.PLANNING: frozenset({Status.BOOKED, Status.ONGOING}),
    Status.BOOKED: frozenset({Status.PLANNING, Status.ONGOING}),
    Status.ONGOING: frozenset({Status.DONE}),
    Status.DONE: frozenset(),
}


class ItemKind(enum.StrEnum):
    PLACE = "place"
    ACTIVITY = "activity"
    NOTE = "note"
    TRANSPORT = "transport"
    LODGING = "lodging"
    BOOKING = "booking"


class Action(enum.StrEnum):
    VIEW = "view"
    VIEW_PRIVATE = "view_private"  # members, emails, activity feed
    EDIT = "edit"  # trip fields and items, accept/reject suggestions
    SUGGEST = "suggest"
    COMMENT = "comment"
    MANAGE = "manage"  # collaborators, invites, sharing, delete, transfer
    LIVE = "live"


ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.OWNER: frozenset(Action),
    Role.EDITOR: frozenset(
        {Action.VIEW, Action.VIEW_PRIVATE, Action.EDIT, Action.SUGGEST, Action.COMMENT, Action.LIVE}
    ),
    Role.SUGGESTER: frozenset(
        {Action.VIEW, Action.VIEW_PRIVATE, Action.SUGGEST, Action.COMMENT, Action.LIVE}
    ),
    Role.VIEWER: frozenset({Action.VIEW, Action.VIEW_PRIVATE, Action.LIVE}),
}


def allowed(role: Role | None, action: Action, *, shared_view: bool) -> bool:
    """`shared_view`: the caller holds the trip's link token, or the trip is public; that
    grants reading the trip's public face and nothing else."""
    if role is not None and action in ROLE_ACTIONS[role]:
        return True
    return shared_view and action is Action.VIEW


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_zone(name: str) -> bool:
    if name not in _zones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def trip_dates_problem(start: date, end: date) -> str | None:
    if end < start:
        return "end_date is before start_date"
    if (end - start).days + 1 > MAX_TRIP_DAYS:
        return f"a trip lasts at most {MAX_TRIP_DAYS} days"
    return None


def item_times_problem(
    day: date | None,
    start: time | None,
    end: time | None,
    trip_start: date,
    trip_end: date,
) -> tuple[str, str] | None:
    """(field, message) of the first rule broken, if any. An end earlier than the start is
    an item that runs past midnight (a night train), which is allowed."""
    if day is not None and not trip_start <= day <= trip_end:
        return "day", f"day {day} is outside the trip ({trip_start} to {trip_end})"
    if (start is not None or end is not None) and day is None:
        return "day", "a timed item needs a day"
    if end is not None and start is None:
        return "start_time", "an end time needs a start time"
    if start is not None and end is not None and end == start:
        return "end_time", "end_time equals start_time"
    return None


# Live events after which a connected user's role must be checked again.
LIVE_REVOKING = (
    "trips.collaborator_role_changed",
    "trips.collaborator_removed",
    "trips.ownership_transferred",
)


def may_revoke_live(message: str, user_id: uuid.UUID) -> bool:
    """A live message that may take away this user's access: a change to their role, or the
    trip's deletion (a cheap text test before parsing)."""
    if "trips.trip_deleted" in message:
        return True
    if not any(name in message for name in LIVE_REVOKING):
        return False
    event = json.loads(message)
    return bool(event.get("subject_id") == str(user_id))

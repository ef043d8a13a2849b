from __future__ import annotations

from navio.kernel.errors import Conflict, Forbidden, InvalidInput, NotFound


class TripNotFound(NotFound):
    code = "trip_not_found"
    title = "Trip not found"


class TripItemNotFound(NotFound):
    code = "trip_item_not_found"
    title = "Trip item not found"


class CommentNotFound(NotFound):
    code = "trip_comment_not_found"
    title = "Comment not found"


class SuggestionNotFound(NotFound):
    code = "trip_suggestion_not_found"
    title = "Suggestion not found"


class CollaboratorNotFound(NotFound):
    code = "trip_collaborator_not_found"
    title = "Collaborator not found"


class TripForbidden(Forbidden):
    code = "trip_forbidden"
    title = "Your role on this trip does not allow this"


class InvalidTrip(InvalidInput):
    code = "invalid_trip"
    title = "Invalid trip"


class InvalidTripItem(InvalidInput):
    code = "invalid_trip_item"
    title = "Invalid trip item"


class InvalidStatusChange(Conflict):
    code = "invalid_status_change"
    title = "The trip cannot move to that status"


class InvalidInvite(InvalidInput):
    code = "invalid_invite"
    title = "The invitation is not valid"


class InviteExpired(InvalidInput):
    code = "invite_expired"
    title = "The invitation has expired"
    status = 410


class InviteUsed(Conflict):
    code = "invite_used"
    title = "The invitation was already used or revoked"


class AlreadyCollaborator(Conflict):
    code = "already_collaborator"
    title = "That user already has a role on this trip"


class OwnerCannotLeave(Conflict):
    code = "owner_cannot_leave"
    title = "The owner must transfer ownership before leaving"


class SuggestionDecided(Conflict):
    code = "suggestion_decided"
    title = "The suggestion was already accepted or rejected"

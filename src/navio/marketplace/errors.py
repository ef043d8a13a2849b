from __future__ import annotations

from navio.kernel.errors import Conflict, Forbidden, InvalidInput, NotFound


class OperatorNotFound(NotFound):
    code = "operator_not_found"
    title = "No operator profile"


class OperatorExists(Conflict):
    code = "operator_exists"
    title = "You already have an operator profile"


class OperatorNotVerified(Conflict):
    code = "operator_not_verified"
    title = "The operator's details are not verified yet"


class InvalidOperator(InvalidInput):
    code = "invalid_operator"
    title = "The operator's details cannot be accepted"


class KycNotPending(Conflict):
    code = "kyc_not_pending"
    title = "Nothing awaits a decision"


class ListingNotFound(NotFound):
    code = "listing_not_found"
    title = "Listing not found"


class InvalidListing(InvalidInput):
    code = "invalid_listing"
    title = "The listing cannot be saved as asked"


class ListingStateConflict(Conflict):
    code = "listing_state_conflict"
    title = "The listing cannot do that in its state"


class SlotNotFound(NotFound):
    code = "slot_not_found"
    title = "Slot not found"


class InvalidSlots(InvalidInput):
    code = "invalid_slots"
    title = "The slots cannot be made as asked"


class SlotHasReservations(Conflict):
    code = "slot_has_reservations"
    title = "Seats of this slot are booked"


class SlotUnavailable(Conflict):
    code = "slot_unavailable"
    title = "The slot cannot be booked"


class SlotFull(Conflict):
    code = "slot_full"
    title = "Not enough seats left"


class OwnListing(InvalidInput):
    code = "own_listing"
    title = "Operators do not book their own listings"


class ReviewNotFound(NotFound):
    code = "review_not_found"
    title = "Review not found"


class ReviewNotAllowed(Forbidden):
    code = "review_not_allowed"
    title = "Only travelers booked on the listing review it, once it has begun"


class ReviewExists(Conflict):
    code = "review_exists"
    title = "You have reviewed this listing already"

from __future__ import annotations

from navio.kernel.errors import Conflict, InvalidInput, NotFound


class BookingNotFound(NotFound):
    code = "booking_not_found"
    title = "Booking not found"


class InvalidBooking(InvalidInput):
    code = "invalid_booking"
    title = "Invalid booking"


class BookingStateConflict(Conflict):
    code = "booking_state_conflict"
    title = "The booking is not in a state that allows this"


class TicketInvalid(InvalidInput):
    code = "ticket_invalid"
    title = "The ticket is not valid"


class TicketUsed(Conflict):
    code = "ticket_already_used"
    title = "The ticket was already used"

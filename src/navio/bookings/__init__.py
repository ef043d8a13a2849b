"""Bookings: book a priced trip item or offer, pay from the wallet or by card, tickets with a
signed QR payload, cancellation by policy with refunds."""

from navio.bookings.events import BookingCancelled, BookingConfirmed, BookingExpired

__all__ = ["BookingCancelled", "BookingConfirmed", "BookingExpired"]

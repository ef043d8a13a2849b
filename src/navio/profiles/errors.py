from navio.kernel.errors import Conflict, InvalidInput, NotFound


class ProfileNotFound(NotFound):
    code = "profile_not_found"
    title = "Profile not found"


class SavedPlaceNotFound(NotFound):
    code = "saved_place_not_found"
    title = "Saved place not found"


class PaymentMethodNotFound(NotFound):
    code = "payment_method_not_found"
    title = "Payment method not found"


class CardNumberRefused(InvalidInput):
    code = "card_number_refused"
    title = "Card numbers are never stored; send the provider's token"


class PaymentMethodExpired(InvalidInput):
    code = "payment_method_expired"
    title = "Card expiry date is in the past"


class DuplicatePaymentMethod(Conflict):
    code = "duplicate_payment_method"
    title = "This provider token is already saved"


class TooManySavedPlaces(Conflict):
    code = "too_many_saved_places"
    title = "Saved places limit reached"

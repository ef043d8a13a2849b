from __future__ import annotations

from navio.kernel.errors import Conflict, DomainError, InvalidInput, NotFound


class PaymentNotFound(NotFound):
    code = "payment_not_found"
    title = "Payment not found"


class InvalidPayment(InvalidInput):
    code = "invalid_payment"
    title = "Invalid payment"


class PaymentDeclined(DomainError):
    code = "payment_declined"
    title = "The payment was declined"
    status = 402


class PaymentStateConflict(Conflict):
    code = "payment_state_conflict"
    title = "The payment is not in a state that allows this"


class RefundTooLarge(InvalidInput):
    code = "refund_exceeds_payment"
    title = "The refunds would exceed the payment"


class UnknownProvider(NotFound):
    code = "payment_provider_not_found"
    title = "No such payment provider"


class WebhookRejected(DomainError):
    code = "webhook_signature_invalid"
    title = "The webhook signature or timestamp is not valid"
    status = 400


class ProviderUnavailable(DomainError):
    code = "payment_provider_unavailable"
    title = "The payment provider could not be reached"
    status = 503

from __future__ import annotations

from navio.kernel.errors import Conflict, InvalidInput, NotFound


class InvalidAmount(InvalidInput):
    code = "invalid_amount"
    title = "Invalid amount"


class InsufficientFunds(InvalidInput):
    code = "insufficient_funds"
    title = "Not enough money in the account"


class CurrencyMismatch(InvalidInput):
    code = "currency_mismatch"
    title = "The currencies do not match"


class TransferNotFound(NotFound):
    code = "transfer_not_found"
    title = "Transfer not found"


class InvalidTransfer(InvalidInput):
    code = "invalid_transfer"
    title = "Invalid transfer"


class TransferKeyReused(InvalidInput):
    code = "transfer_key_reused"
    title = "This transfer key was used for a different transfer"


class HoldNotPending(Conflict):
    code = "hold_not_pending"
    title = "The hold was already captured or voided"


class RefundExceedsPayment(InvalidInput):
    code = "refund_exceeds_payment"
    title = "The refunds would exceed the payment"

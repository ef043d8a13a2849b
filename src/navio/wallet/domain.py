"""Ledger rules. No I/O.

Every movement of money is a transfer of entries that sum to zero in one currency: money is never
created or destroyed inside the ledger. Accounts of the world outside (`provider_clearing`: money
that came in through a payment provider; `payout_clearing`: money paid out to operators' banks)
may go negative; every other account may not. So at any time the sum of the inside accounts
equals money in minus money out, and equals minus the sum of the outside ones.

Holds move money from a wallet to the user's hold account; capturing moves it on to the payee,
voiding moves it back. A payment can be refunded up to what was paid, in parts.
"""

from __future__ import annotations

import enum
import hashlib
import json
import uuid
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

PLATFORM = uuid.UUID(int=0)  # owner of the platform's own accounts
MAX_AMOUNT = 10**13


class AccountKind(enum.StrEnum):
    USER_WALLET = "user_wallet"
    USER_HOLD = "user_hold"
    OPERATOR_PAYABLE = "operator_payable"
    PLATFORM_REVENUE = "platform_revenue"
    PROVIDER_CLEARING = "provider_clearing"
    PAYOUT_CLEARING = "payout_clearing"


OUTSIDE = frozenset({AccountKind.PROVIDER_CLEARING, AccountKind.PAYOUT_CLEARING})

# The platform's own accounts take part in nearly every transfer (every fee, every card top-up,
# every payout), so on PostgreSQL each is kept as STRIPES rows ("stripes") of which a transfer
# credits one, chosen from its key: concurrent transfers then rarely wait for the same row lock,
# which would otherwise serialise the whole ledger behind one row held until commit. The
# account's balance is the sum of its stripes; a debit of an inside striped account locks all
# of them and takes from several if need be, so no stripe of an inside account goes negative.
STRIPED = frozenset(
    {AccountKind.PLATFORM_REVENUE, AccountKind.PROVIDER_CLEARING, AccountKind.PAYOUT_CLEARING}
)
STRIPES = 8


class TransferKind(enum.StrEnum):
    TOP_UP = "top_up"
    PAYMENT = "payment"
    HOLD = "hold"
    CAPTURE = "capture"
    VOID = "void"
    REFUND = "refund"
    PAYOUT = "payout"
    WITHDRAWAL = "withdrawal"  # out of a wallet to the outside (a top-up refunded to the card)


class LedgerError(ValueError):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class Posting:
    kind: AccountKind
    owner_id: uuid.UUID
    amount: int  # positive: money into the account (of that kind, owner and the currency)


def check_postings(postings: Sequence[Posting]) -> None:
    if len(postings) < 2:
        raise LedgerError(
            "a transfer moves money between at least two accounts", "invalid_transfer"
        )
    if any(p.amount == 0 for p in postings):
        raise LedgerError("no posting may be zero", "invalid_amount")
    if sum(p.amount for p in postings) != 0:
        raise LedgerError("postings must sum to zero", "unbalanced_transfer")
    if len({(p.kind, p.owner_id) for p in postings}) != len(postings):
        raise LedgerError("an account appears twice in one transfer", "invalid_transfer")


def check_amount(amount: int, field: str = "amount_minor") -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise LedgerError(
            f"{field} must be a positive whole number of minor units", "invalid_amount"
        )
    if amount > MAX_AMOUNT:
        raise LedgerError(f"{field} is implausibly large", "invalid_amount")


def fingerprint(
    kind: str, currency: str, postings: Sequence[Posting], refs: Mapping[str, str]
) -> str:
    """What a transfer does, to tell a retry (same) from a different use of its key."""
    canonical = {
        "kind": kind,
        "currency": currency,
        "postings": sorted((p.kind.value, str(p.owner_id), p.amount) for p in postings),
        "refs": dict(sorted(refs.items())),
    }
    return hashlib.sha256(json.dumps(canonical, separators=(",", ":")).encode()).hexdigest()


def stripe_of(key: str, stripes: int) -> int:
    """The stripe a transfer with this key credits (stable across retries and processes)."""
    return zlib.crc32(key.encode()) % stripes if stripes > 1 else 0


def split_fee(amount: int, fee: int) -> tuple[int, int]:
    """(to the payee, to the platform)."""
    if fee < 0 or fee > amount:
        raise LedgerError("the fee must be between 0 and the amount", "invalid_amount")
    return amount - fee, fee

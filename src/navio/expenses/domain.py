"""Expense rules: categories, how an amount is shared, group balances. No I/O.

Money is integer minor units throughout. Splitting an amount never loses or creates a minor unit:
shares are the floor of each exact (rational) part and the minor units left over go, one each,
to the largest fractional parts, ties broken by member id (the largest-remainder method), so the
same input always gives the same shares and they always sum to the amount.

A foreign-currency expense is converted once, as a whole, at the rate frozen on it; the
converted total is then shared in proportion to the shares in the expense's own currency, with
the same remainder rule. So group shares sum exactly to the converted total, and the balances of
a group (paid minus owed, plus settlements) always sum to zero.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TypeVar

from navio.kernel import money

K = TypeVar("K", uuid.UUID, str)

MAX_AMOUNT_MINOR = 10**13  # ten billion in major units of a two-decimal currency
MAX_PARTICIPANTS = 100


class Category(enum.StrEnum):
    TRANSPORT = "transport"
    LODGING = "lodging"
    FOOD = "food"
    ACTIVITIES = "activities"
    LOCAL_TRANSPORT = "local_transport"
    SHOPPING = "shopping"
    FEES = "fees"
    MISC = "misc"


class SplitMethod(enum.StrEnum):
    EQUAL = "equal"
    EXACT = "exact"  # each share an amount in the expense currency's minor units
    PERCENT = "percent"  # percentages summing to exactly 100
    WEIGHTS = "weights"  # non-negative weights (nights, adults = 2 / children = 1, ...)


class Kind(enum.StrEnum):
    EXPENSE = "expense"
    REFUND = "refund"  # money back: the payer received it on the participants' behalf


class SplitError(ValueError):
    """The shares cannot make up the amount; `code` tells which rule they break."""

    def __init__(self, message: str, code: str = "shares_do_not_sum") -> None:
        super().__init__(message)
        self.code = code


def allocate(total: int, weights: Mapping[K, Fraction | Decimal | int]) -> dict[K, int]:
    """`total` minor units shared in proportion to `weights` (largest remainder, ties by key)."""
    if any(Fraction(w) < 0 for w in weights.values()):
        raise SplitError("weights must not be negative", "invalid_expense")
    if not any(Fraction(w) for w in weights.values()):
        raise SplitError("at least one share must be above zero")
    return money.allocate(total, weights)


def split(
    amount: int, method: SplitMethod, entries: Sequence[tuple[K, Decimal | int | None]]
) -> dict[K, int]:
    """Each participant's share of `amount` (minor units). `entries` are (participant, value):
    the value is ignored for EQUAL, minor units for EXACT, a percentage for PERCENT, a weight
    for WEIGHTS."""
    if not entries:
        raise SplitError("an expense needs at least one participant", "invalid_expense")
    keys = [key for key, _ in entries]
    if len(set(keys)) != len(keys):
        raise SplitError("a participant appears twice", "invalid_expense")
    if len(keys) > MAX_PARTICIPANTS:
        raise SplitError(f"at most {MAX_PARTICIPANTS} participants", "invalid_expense")
    if method is SplitMethod.EQUAL:
        return allocate(amount, dict.fromkeys(keys, 1))
    values: dict[K, Decimal] = {}
    for key, value in entries:
        if value is None:
            raise SplitError(f"method {method.value} needs a value for every participant")
        value = Decimal(value)
        if not value.is_finite() or value < 0:
            raise SplitError("share values must be non-negative numbers", "invalid_expense")
        values[key] = value
    if method is SplitMethod.EXACT:
        if any(v != v.to_integral_value() for v in values.values()):
            raise SplitError("exact shares are whole minor units", "invalid_expense")
        total = sum(values.values(), Decimal(0))
        if total != amount:
            raise SplitError(f"exact shares sum to {total}, the amount is {amount}")
        return {key: int(v) for key, v in values.items()}
    if method is SplitMethod.PERCENT:
        total = sum(values.values(), Decimal(0))
        if total != 100:
            raise SplitError(f"percentages sum to {total}, not 100")
    return allocate(amount, values)


@dataclass(frozen=True, slots=True)
class Charge:
    """One expense as balances see it, in the group currency."""

    payer: uuid.UUID
    total: int  # converted total, minor units
    shares: Mapping[uuid.UUID, int]  # converted shares, summing to `total`
    kind: Kind = Kind.EXPENSE


@dataclass(frozen=True, slots=True)
class Payment:
    """A settlement: `payer` paid `payee` `amount` (group currency) to clear a debt."""

    payer: uuid.UUID
    payee: uuid.UUID
    amount: int


def balances(
    members: Iterable[uuid.UUID], charges: Iterable[Charge], payments: Iterable[Payment]
) -> dict[uuid.UUID, int]:
    """Each member's net: positive is owed to them, negative they owe. Sums to zero."""
    net: dict[uuid.UUID, int] = dict.fromkeys(members, 0)
    for charge in charges:
        sign = 1 if charge.kind is Kind.EXPENSE else -1
        net[charge.payer] = net.get(charge.payer, 0) + sign * charge.total
        for member, share in charge.shares.items():
            net[member] = net.get(member, 0) - sign * share
    for payment in payments:
        net[payment.payer] = net.get(payment.payer, 0) + payment.amount
        net[payment.payee] = net.get(payment.payee, 0) - payment.amount
    return net

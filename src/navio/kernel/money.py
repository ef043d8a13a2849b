"""ISO 4217 currencies (from CLDR via Babel) and integer minor-unit amounts."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from datetime import date
from decimal import Decimal
from fractions import Fraction
from functools import cache
from typing import TypeVar

from babel.core import get_global
from babel.numbers import get_currency_precision, get_territory_currencies


@cache
def active_currencies() -> frozenset[str]:
    """Codes that are legal tender somewhere today (CLDR territory data)."""
    today = date.today()
    codes: set[str] = set()
    for territory in get_global("territory_currencies"):
        codes.update(get_territory_currencies(territory, start_date=today, tender=True))
    return frozenset(codes)


def is_currency(code: str) -> bool:
    return code in active_currencies()


def currency_exponent(code: str) -> int:
    """Minor-unit digits: JPY 0, EUR 2, BHD 3."""
    if not is_currency(code):
        raise ValueError(f"unknown currency {code!r}")
    return int(get_currency_precision(code))


K = TypeVar("K", bound=Hashable)


def allocate(total: int, weights: Mapping[K, Fraction | Decimal | int]) -> dict[K, int]:
    """`total` minor units (>= 0) shared in proportion to non-negative `weights`, none lost:
    each gets the floor of its exact part and the units left over go one each to the largest
    fractional parts, ties broken by the key's text (the largest-remainder method)."""
    if total < 0:
        raise ValueError("allocate shares a non-negative total")
    parts = {key: Fraction(w) for key, w in weights.items()}
    if any(w < 0 for w in parts.values()):
        raise ValueError("weights must not be negative")
    whole = sum(parts.values(), Fraction(0))
    if whole == 0:
        raise ValueError("at least one weight must be above zero")
    exact = {key: total * w / whole for key, w in parts.items()}
    shares = {key: int(value) for key, value in exact.items()}  # floor: all non-negative
    left = total - sum(shares.values())
    order = sorted(exact, key=lambda k: (-(exact[k] - shares[k]), str(k)))
    for key in order[:left]:
        shares[key] += 1
    return shares

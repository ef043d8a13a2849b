"""ISO 4217 currencies (from CLDR via Babel) and integer minor-unit amounts."""

from __future__ import annotations

from datetime import date
from functools import cache

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

"""Taxes and fees a traveler pays on top of listed prices, per destination: a documented table.

Only charges that are (a) not included in the prices the budget uses and (b) fixed by law with
a published rate are listed; each row names its legal source and the date it applies from. VAT
is not listed: in the countries of the table it is included in consumer prices by law, so it is
already inside every price a budget line uses. Charges that vary by municipality, hotel class or
state (French taxe de séjour, US state and city lodging taxes) are not in the table: an
administrator adds the ones that apply to their market through the operator defaults
(`fees` category, per country), rather than Navio guessing a national average.

- JP: International Tourist Tax, JPY 1,000 per person per departure, since 2019-01-07 (Act on
  International Tourist Tax, Act No. 16 of 2018).
- NZ: International Visitor Conservation and Tourism Levy, NZD 100 per visitor, since
  2024-10-01 (Immigration (Visa, Entry Permission, and Related Matters) Amendment Regulations
  2024).
- BT: Sustainable Development Fee, USD 100 per adult per night, since 2023-09-01 (Tourism Levy
  (Amendment) Act of Bhutan 2023).
- NL, Amsterdam: toeristenbelasting, 12.5 % of the room price, since 2024-01-01 (Verordening
  toeristenbelasting Amsterdam 2024).

A visitor levy applies once per trip; a per-night charge on every night; a percentage on the
lodging total. Rows name a `locality` when the charge is a city's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Charge:
    country: str
    locality: str | None
    name: str
    per: str  # "trip" | "night" | "lodging_pct"
    amount: Decimal  # major units of `currency`, or a percentage for lodging_pct
    currency: str | None
    since: date
    source: str


TABLE: tuple[Charge, ...] = (
    Charge(
        "JP",
        None,
        "International Tourist Tax",
        "trip",
        Decimal(1000),
        "JPY",
        date(2019, 1, 7),
        "Act on International Tourist Tax (Act No. 16 of 2018)",
    ),
    Charge(
        "NZ",
        None,
        "International Visitor Conservation and Tourism Levy",
        "trip",
        Decimal(100),
        "NZD",
        date(2024, 10, 1),
        "Immigration (Visa, Entry Permission, and Related Matters) Amendment Regulations 2024",
    ),
    Charge(
        "BT",
        None,
        "Sustainable Development Fee",
        "night",
        Decimal(100),
        "USD",
        date(2023, 9, 1),
        "Tourism Levy (Amendment) Act of Bhutan 2023",
    ),
    Charge(
        "NL",
        "amsterdam",
        "Amsterdam tourist tax",
        "lodging_pct",
        Decimal("12.5"),
        None,
        date(2024, 1, 1),
        "Verordening toeristenbelasting Amsterdam 2024",
    ),
)


def charges_for(country: str | None, locality: str | None, on: date) -> list[Charge]:
    if not country:
        return []
    town = (locality or "").strip().lower()
    return [
        c
        for c in TABLE
        if c.country == country and c.since <= on and (c.locality is None or c.locality == town)
    ]

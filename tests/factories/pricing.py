"""Typed factories for pricing: real nightly rates of two Portuguese hotels (Antonio, Almeida &
Nunes 2019, CC-BY 4.0: ../shared/data/pricing/hotel_bookings.csv) as price reports."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import httpx

from tests.factories.iam import AuthedUser

API = "/api/v1"
HOTEL_BOOKINGS = (
    Path(__file__).resolve().parents[3] / "shared" / "data" / "pricing" / "hotel_bookings.csv"
)
# Lisbon (GeoNames 2267057), where the data set's "City Hotel" is
LISBON = (38.71667, -9.13333)
MONTHS = {
    name: number
    for number, name in enumerate(
        (
            "January", "February", "March", "April", "May", "June", "July", "August",
            "September", "October", "November", "December",
        ),
        start=1,
    )
}  # fmt: skip


@cache
def nightly_rates(hotel: str = "City Hotel") -> tuple[tuple[date, int], ...]:
    """(arrival day, average daily rate in euro cents) of the hotel's stays that happened
    (not cancelled, a rate above zero), in file order."""
    rates = []
    with HOTEL_BOOKINGS.open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["hotel"] != hotel or row["is_canceled"] != "0":
                continue
            cents = int(Decimal(row["adr"]) * 100)
            if cents <= 0:
                continue
            arrival = date(
                int(row["arrival_date_year"]),
                MONTHS[row["arrival_date_month"]],
                int(row["arrival_date_day_of_month"]),
            )
            rates.append((arrival, cents))
    return tuple(rates)


def report_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "item": "hotel_night",
        "amount_minor": 9_500,
        "currency": "EUR",
        "lat": LISBON[0],
        "lon": LISBON[1],
    }
    body.update(overrides)
    return body


async def report(client: httpx.AsyncClient, who: AuthedUser, **overrides: Any) -> dict[str, Any]:
    made = await client.post(
        f"{API}/pricing/reports", json=report_body(**overrides), headers=who.headers
    )
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body

"""Marketplace: what booking seats on a listing's date costs a real server, against booking a
plain offer of the same price in the same run, and what a race for the last seats yields.

One `navio serve` process on a fresh SQLite file (or `--database-url`, an empty PostgreSQL
database, migrated first),
development settings, rate limits off. A verified operator (roles given in the database, as
`navio users create-admin` does) publishes a tour with dates; travelers with funded wallets:

1. Baseline: `--requests` bookings of an offer (`POST /bookings` with `offer`, paid from the
   wallet: hold, capture, ticket, event): p50, p95.
2. Seats: `--requests` bookings of one seat on the tour's dates (`listing`: the listing's
   price and policy read, the seat taken by a conditional update, the reservation written,
   then the same payment): p50, p95.
3. Availability: `--requests` reads of a month of dates (`GET .../availability`, 62 dates)
   against reads of the listing (`GET /marketplace/listings/{id}`).
4. Race: `--racers` travelers, each from its own thread, book a date with `--seats` seats at
   once: how many got one (must be exactly `--seats`), and bookings per second.

Reported: `seats_p50_over_offer_p50` (our goal: at most 1.5) and
`availability_p50_over_listing_p50`, the latencies and the race. Written to
`var/bench/marketplace.json`. The exit status is non-zero when a request fails or the race
sells more or fewer seats than there are, never for a missed goal.

    .venv/bin/python bench/marketplace.py [--requests 300] [--racers 16] [--seats 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from _servers import (
    ROOT,
    BenchError,
    bench_one_server,
    latency,
    ok,
    sign_up,
    timed,
)

OUTPUT = ROOT / "var" / "bench" / "marketplace.json"
API = "/api/v1"
CARD = "4242424242424242"  # the sandbox provider's card that always succeeds


def _funded(client: httpx.Client, amount: int) -> dict[str, str]:
    _, headers = sign_up(client)
    ok(
        client.post(
            f"{API}/wallet/top-up",
            json={"amount_minor": amount, "currency": "EUR", "payment_method": CARD},
            headers=headers,
        ),
        201,
    )
    return headers


def _tour(client: httpx.Client, seller: dict[str, str], capacity: int, days: int) -> str:
    listing = ok(
        client.post(
            f"{API}/marketplace/listings",
            json={
                "kind": "activity",
                "title": "Suomenlinna sea fortress walk",
                "lat": 60.14598,
                "lon": 24.98797,
                "timezone": "Europe/Helsinki",
                "currency": "EUR",
                "price_minor": 2500,
            },
            headers=seller,
        ),
        201,
    )
    first = (datetime.now(UTC) + timedelta(days=2)).date()
    ok(
        client.post(
            f"{API}/marketplace/listings/{listing['id']}/slots",
            json={
                "from_date": first.isoformat(),
                "to_date": (first + timedelta(days=days - 1)).isoformat(),
                "times": ["10:00", "14:00"],
                "capacity": capacity,
            },
            headers=seller,
        ),
        201,
    )
    ok(
        client.post(
            f"{API}/marketplace/listings/{listing['id']}/status",
            json={"status": "published"},
            headers=seller,
        )
    )
    return str(listing["id"])


def run(base: str, database_url: str, requests: int, racers: int, seats: int) -> dict[str, Any]:
    with httpx.Client(base_url=base, timeout=30) as client:
        _, seller = sign_up(client, database_url, ["operator", "traveler"])
        _, boss = sign_up(client, database_url, ["admin", "traveler"])
        operator = ok(
            client.post(
                f"{API}/marketplace/operator",
                json={
                    "display_name": "Saaristo Tours",
                    "legal_name": "Saaristo Tours Oy",
                    "country": "FI",
                    "iban": "FI2112345600000785",
                },
                headers=seller,
            ),
            201,
        )
        ok(
            client.post(
                f"{API}/admin/marketplace/operators/{operator['id']}/kyc",
                json={"decision": "verified"},
                headers=boss,
            )
        )
        tour = _tour(client, seller, capacity=10_000, days=31)
        slots = client.get(f"{API}/marketplace/listings/{tour}/availability").json()
        buyer = _funded(client, 2500 * (2 * requests + 10))

        def offer() -> None:
            ok(
                client.post(
                    f"{API}/bookings",
                    json={
                        "offer": {
                            "kind": "activity",
                            "title": "Suomenlinna sea fortress walk",
                            "amount_minor": 2500,
                            "currency": "EUR",
                        },
                        "starts_at": slots[0]["starts_at"],
                    },
                    headers=buyer,
                ),
                201,
            )

        def seat(index: int) -> None:
            slot = slots[index % len(slots)]
            ok(
                client.post(
                    f"{API}/bookings",
                    json={"listing": {"slot_id": slot["id"], "seats": 1}},
                    headers=buyer,
                ),
                201,
            )

        def listing() -> None:
            ok(client.get(f"{API}/marketplace/listings/{tour}"))

        def availability() -> None:
            found = client.get(f"{API}/marketplace/listings/{tour}/availability")
            if found.status_code != 200 or len(found.json()) < 60:
                raise BenchError(f"availability: {found.text[:200]}")

        for warm_up in (offer, lambda: seat(0), listing, availability):
            warm_up()
        offers = [timed(offer) for _ in range(requests)]
        seat_times = [timed(lambda i=i: seat(i)) for i in range(requests)]
        listings = [timed(listing) for _ in range(requests)]
        availabilities = [timed(availability) for _ in range(requests)]

        race_tour = _tour(client, seller, capacity=seats, days=1)
        race_slot = client.get(f"{API}/marketplace/listings/{race_tour}/availability").json()[0]
        crowd = [_funded(client, 5000) for _ in range(racers)]

    def race(headers: dict[str, str]) -> int:
        with httpx.Client(base_url=base, timeout=30) as own:
            answer = own.post(
                f"{API}/bookings",
                json={"listing": {"slot_id": race_slot["id"], "seats": 1}},
                headers=headers,
            )
            if answer.status_code == 409 and answer.json()["code"] == "slot_full":
                return 0
            ok(answer, 201)
            return 1

    began = time.perf_counter()
    with ThreadPoolExecutor(racers) as pool:
        sold = sum(pool.map(race, crowd))
    wall = time.perf_counter() - began
    if sold != seats:
        raise BenchError(f"the race sold {sold} seats of {seats}")

    offer_stats, seat_stats = latency(offers), latency(seat_times)
    listing_stats, availability_stats = latency(listings), latency(availabilities)
    return {
        "requests": requests,
        "offer_booking": offer_stats,
        "seat_booking": seat_stats,
        "seats_p50_over_offer_p50": round(seat_stats["p50_ms"] / offer_stats["p50_ms"], 3),
        "goal_seats_p50_over_offer_p50": 1.5,
        "listing_read": listing_stats,
        "availability_read": availability_stats,
        "availability_p50_over_listing_p50": round(
            availability_stats["p50_ms"] / listing_stats["p50_ms"], 3
        ),
        "race": {
            "racers": racers,
            "seats": seats,
            "sold": sold,
            "bookings_per_second": round(racers / wall, 1),
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--racers", type=int, default=16)
    parser.add_argument("--seats", type=int, default=5)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    return bench_one_server(
        "marketplace",
        args.database_url,
        lambda base, url: run(base, url, args.requests, args.racers, args.seats),
        OUTPUT,
    )


if __name__ == "__main__":
    sys.exit(main())

"""The marketplace through HTTP, on SQLite and PostgreSQL: an operator's details verified before
anything goes on sale, listings and their dates across a clock change, seats booked, raced for,
given back, reviews from travelers who went, payouts to the verified IBAN, and the refusals."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from navio.kernel.clock import FrozenClock
from tests.factories.iam import admin, assert_problem, operator
from tests.factories.iam import user as make_user
from tests.factories.marketplace import (
    API,
    JUNE_2027,
    QUAY,
    M,
    book_seats,
    dates,
    fund,
    listing_body,
    open_listing,
    operator_body,
    seller,
    shop,
)

JUNE = JUNE_2027


async def test_nothing_goes_on_sale_before_the_operator_is_verified(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    traveler = await make_user(client)
    who = await operator(client, app.state)
    boss = await admin(client, app.state)
    # only operators keep a profile; bad details are refused and nothing is written
    assert_problem(
        await client.post(f"{M}/operator", json=operator_body(), headers=traveler.headers),
        403,
        "permission_denied",
    )
    for overrides, code in [
        ({"iban": "FI21 1234 5600 0007 86"}, "invalid_operator"),  # one digit off
        ({"iban": "FI21 1234 5600 0007"}, "invalid_operator"),
        ({"country": "QQ"}, "invalid_operator"),
        ({"country": "fi"}, "validation_error"),
        ({"legal_name": ""}, "validation_error"),
        ({"legal_name": "   "}, "invalid_operator"),
    ]:
        refused = await client.post(
            f"{M}/operator", json=operator_body(**overrides), headers=who.headers
        )
        assert_problem(refused, 422, code)
    assert_problem(
        await client.get(f"{M}/operator", headers=who.headers), 404, "operator_not_found"
    )

    made = await client.post(f"{M}/operator", json=operator_body(), headers=who.headers)
    assert made.status_code == 201, made.text
    profile = made.json()
    assert profile["kyc_status"] == "pending" and profile["iban"] == "FI21 **** 0785"
    again = await client.post(f"{M}/operator", json=operator_body(), headers=who.headers)
    assert_problem(again, 409, "operator_exists")

    # a draft may be written before the decision; it goes on sale after it
    listing = await client.post(f"{M}/listings", json=listing_body(), headers=who.headers)
    assert listing.status_code == 201, listing.text
    listing_id = listing.json()["id"]
    assert listing.headers["Location"] == f"{M}/listings/{listing_id}"
    publish = {"status": "published"}
    refused = await client.post(
        f"{M}/listings/{listing_id}/status", json=publish, headers=who.headers
    )
    assert_problem(refused, 409, "operator_not_verified")
    # a draft is the seller's alone
    assert_problem(await client.get(f"{M}/listings/{listing_id}"), 404, "listing_not_found")
    hidden = await client.get(f"{M}/listings/{listing_id}", headers=traveler.headers)
    assert_problem(hidden, 404, "listing_not_found")

    # the administrator's queue; a rejection says why
    queue = await client.get(
        f"{API}/admin/marketplace/operators?kyc_status=pending", headers=boss.headers
    )
    assert profile["id"] in [o["id"] for o in queue.json()["items"]]
    assert_problem(
        await client.get(f"{API}/admin/marketplace/operators", headers=who.headers),
        403,
        "permission_denied",
    )
    kyc = f"{API}/admin/marketplace/operators/{profile['id']}/kyc"
    no_reason = await client.post(kyc, json={"decision": "rejected"}, headers=boss.headers)
    assert_problem(no_reason, 422, "invalid_operator")
    verified = await client.post(kyc, json={"decision": "verified"}, headers=boss.headers)
    assert verified.status_code == 200 and verified.json()["kyc_status"] == "verified"
    twice = await client.post(
        kyc, json={"decision": "rejected", "reason": "x"}, headers=boss.headers
    )
    assert_problem(twice, 409, "kyc_not_pending")

    on_sale = await client.post(
        f"{M}/listings/{listing_id}/status", json=publish, headers=who.headers
    )
    assert on_sale.status_code == 200 and on_sale.json()["status"] == "published"
    seen = await client.get(f"{M}/listings/{listing_id}")
    assert seen.status_code == 200 and seen.json()["operator_name"] == "Saaristo Tours"

    # a new IBAN is not vouched for: pending again, and a rejection takes the listing off sale
    changed = await client.patch(
        f"{M}/operator", json={"iban": "DE89 3704 0044 0532 0130 00"}, headers=who.headers
    )
    assert changed.json()["kyc_status"] == "pending" and changed.json()["iban"] == "DE89 **** 3000"
    renamed = await client.patch(
        f"{M}/operator",
        json={"display_name": "Saaristo"},
        headers={**who.headers, "If-Match": changed.headers["ETag"]},
    )
    assert (
        renamed.json()["kyc_status"] == "pending" and renamed.json()["display_name"] == "Saaristo"
    )
    removed = await client.patch(f"{M}/operator", json={"iban": None}, headers=who.headers)
    assert_problem(removed, 422, "invalid_operator")
    stale = await client.patch(
        f"{M}/operator",
        json={"display_name": "Late"},
        headers={**who.headers, "If-Match": changed.headers["ETag"]},
    )
    assert_problem(stale, 412, "stale_version")
    rejected = await client.post(
        kyc,
        json={"decision": "rejected", "reason": "the account holder differs"},
        headers=boss.headers,
    )
    assert rejected.json()["kyc_reason"] == "the account holder differs"
    assert_problem(await client.get(f"{M}/listings/{listing_id}"), 404, "listing_not_found")
    mine = await client.get(f"{M}/listings/mine", headers=who.headers)
    assert [(item["id"], item["status"]) for item in mine.json()["items"]] == [
        (listing_id, "draft")
    ]
    # the operator is told, through the outbox
    await app.state.relay.drain()
    inbox = (await client.get(f"{API}/notifications", headers=who.headers)).json()["items"]
    assert [n["kind"] for n in inbox] == ["operator_rejected", "operator_verified"]


async def test_listings_are_found_by_place_kind_price_and_text(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    who, _ = await seller(client, app.state)
    traveler = await make_user(client)

    async def listed(**body: Any) -> str:
        made = await client.post(f"{M}/listings", json=listing_body(**body), headers=who.headers)
        assert made.status_code == 201, made.text
        listing_id: str = made.json()["id"]
        status = {"status": "published"}
        published = await client.post(
            f"{M}/listings/{listing_id}/status", json=status, headers=who.headers
        )
        assert published.status_code == 200, published.text
        return listing_id

    fortress = await listed()
    # Porvoo old town, 50 km east; a Tallinn ferry ticket, 80 km south
    porvoo = await listed(
        title="Porvoo old town by boat", lat=60.3923, lon=25.6651, price_minor=6900
    )
    ferry = await listed(
        kind="transport_ticket",
        title="Ferry to Tallinn",
        lat=59.4444,
        lon=24.7652,
        price_minor=3900,
    )

    async def found(**params: Any) -> list[str]:
        page = await client.get(f"{M}/listings", params=params, headers=traveler.headers)
        assert page.status_code == 200, page.text
        return [item["id"] for item in page.json()["items"]]

    near = {"lat": QUAY[0], "lon": QUAY[1]}
    assert set(await found(**near, radius_m=10_000)) == {fortress}
    assert set(await found(**near, radius_m=60_000)) == {fortress, porvoo}
    assert set(await found(**near, radius_m=100_000)) == {fortress, porvoo, ferry}
    assert await found(kind="transport_ticket") == [ferry]
    assert await found(q="PORVOO") == [porvoo]
    assert await found(q="100%") == []  # a wildcard is a character like any other
    assert set(await found(max_price_minor=4000)) >= {fortress, ferry}
    assert porvoo not in await found(max_price_minor=4000)
    page = await client.get(f"{M}/listings", params={**near, "radius_m": 60_000})
    distances = {i["id"]: i["distance_m"] for i in page.json()["items"]}
    assert distances[fortress] < 1 and 45_000 < distances[porvoo] < 55_000

    # paging through the circle: every listing once
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {**near, "radius_m": 100_000, "limit": 1}
        if cursor:
            params["cursor"] = cursor
        body = (await client.get(f"{M}/listings", params=params)).json()
        seen += [i["id"] for i in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted({fortress, porvoo, ferry})

    for params, code in [
        ({"lat": 60.1}, "invalid_listing"),
        ({"lat": 91, "lon": 0}, "validation_error"),
        ({"cursor": "nonsense"}, "invalid_cursor"),
        ({"max_price_minor": 10**30}, "validation_error"),  # was a 500 (found by the fuzz)
    ]:
        assert_problem(await client.get(f"{M}/listings", params=params), 422, code)

    # what a listing is made of, refused with the field at fault
    for body, code in [
        (listing_body(timezone="Europe/Atlantis"), "invalid_listing"),
        (listing_body(currency="XYZ"), "invalid_listing"),
        (listing_body(lat=None, lon=None), "invalid_listing"),
        (listing_body(timezone=None), "invalid_listing"),
        (listing_body(price_minor=0), "validation_error"),
        (listing_body(title=" "), "invalid_listing"),
        (listing_body(kind="castle"), "validation_error"),
        (listing_body(place_id="00000000-0000-0000-0000-000000000001"), "invalid_listing"),
    ]:
        refused = await client.post(f"{M}/listings", json=body, headers=who.headers)
        assert_problem(refused, 422, code)
    # only its seller changes a listing
    change = {"title": "Mine now"}
    assert_problem(
        await client.patch(f"{M}/listings/{fortress}", json=change, headers=traveler.headers),
        403,
        "forbidden",
    )
    archived = await client.post(
        f"{M}/listings/{ferry}/status", json={"status": "archived"}, headers=who.headers
    )
    assert archived.json()["status"] == "archived"
    back = await client.post(
        f"{M}/listings/{ferry}/status", json={"status": "published"}, headers=who.headers
    )
    assert_problem(back, 409, "listing_state_conflict")
    assert ferry not in await found()


async def test_dates_follow_local_time_across_the_clock_change(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    who, _ = await seller(client, app.state)
    stranger = await make_user(client)
    made = await client.post(f"{M}/listings", json=listing_body(), headers=who.headers)
    listing_id = made.json()["id"]
    url = f"{M}/listings/{listing_id}/slots"
    # Helsinki's clocks go from 03:00 to 04:00 on Sunday 2027-03-28
    body = {
        "from_date": "2027-03-27",
        "to_date": "2027-03-29",
        "times": ["03:30", "10:00"],
        "capacity": 8,
    }
    first = await client.post(url, json=body, headers=who.headers)
    assert first.status_code == 201, first.text
    assert first.json() == {"created": 5, "existing": 0, "nonexistent": 1, "past": 0}
    again = await client.post(url, json={**body, "capacity": 99}, headers=who.headers)
    assert again.json() == {"created": 0, "existing": 5, "nonexistent": 1, "past": 0}
    slots = await client.get(
        f"{M}/listings/{listing_id}/availability",
        params={"from": "2027-03-27T00:00:00+02:00", "to": "2027-03-30T00:00:00+03:00"},
        headers=who.headers,
    )
    assert [s["local_start"] for s in slots.json()] == [
        "2027-03-27T03:30:00+02:00",
        "2027-03-27T10:00:00+02:00",
        "2027-03-28T10:00:00+03:00",
        "2027-03-29T03:30:00+03:00",
        "2027-03-29T10:00:00+03:00",
    ]
    assert {s["capacity"] for s in slots.json()} == {8}  # the second call kept the first's
    assert slots.json()[2]["starts_at"] == "2027-03-28T07:00:00Z"
    assert slots.json()[0]["ends_at"] == "2027-03-27T03:30:00Z"  # two hours later, in UTC
    # a draft's dates are the seller's alone
    hidden = await client.get(f"{M}/listings/{listing_id}/availability", headers=stranger.headers)
    assert_problem(hidden, 404, "listing_not_found")
    sneaky = await client.post(url, json=body, headers=stranger.headers)
    assert_problem(sneaky, 404, "listing_not_found")

    for change, code in [
        ({"to_date": "2027-03-26"}, "invalid_slots"),
        ({"to_date": "2028-12-31"}, "invalid_slots"),
        ({"weekdays": [7]}, "invalid_slots"),
        ({"times": ["10:00+02:00"]}, "invalid_slots"),
        ({"times": []}, "validation_error"),
        ({"capacity": 0}, "validation_error"),
    ]:
        assert_problem(
            await client.post(url, json={**body, **change}, headers=who.headers), 422, code
        )
    wide = {"from": "2027-01-01T00:00:00Z", "to": "2027-06-01T00:00:00Z"}
    too_wide = await client.get(
        f"{M}/listings/{listing_id}/availability", params=wide, headers=who.headers
    )
    assert_problem(too_wide, 422, "invalid_input")

    # a slot's price and seats change; a stranger's request finds no slot
    slot = slots.json()[1]
    cheaper = await client.patch(
        f"{M}/slots/{slot['id']}", json={"price_minor": 1900, "capacity": 4}, headers=who.headers
    )
    assert (cheaper.json()["price_minor"], cheaper.json()["seats_left"]) == (1900, 4)
    theirs = await client.patch(
        f"{M}/slots/{slot['id']}", json={"closed": True}, headers=stranger.headers
    )
    assert_problem(theirs, 404, "slot_not_found")
    gone = await client.delete(f"{M}/slots/{slot['id']}", headers=who.headers)
    assert gone.status_code == 204
    assert_problem(
        await client.delete(f"{M}/slots/{slot['id']}", headers=who.headers), 404, "slot_not_found"
    )


async def test_seats_are_booked_paid_and_given_back(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    market = await shop(client, app.state, capacity=3)
    me, other = await make_user(client), await make_user(client)
    await fund(client, me, 20_000)
    await fund(client, other, 20_000)
    slot = (await dates(client, market.listing["id"], *JUNE))[0]
    made = await book_seats(client, me, slot["id"], seats=2)
    assert made.status_code == 201, made.text
    booking = made.json()
    assert booking["status"] == "confirmed" and booking["amount_minor"] == 5000
    assert booking["title"] == "Suomenlinna sea fortress walk (2 seats)"
    assert booking["operator_id"] == str(market.seller.id) and booking["seats"] == 2
    assert booking["starts_at"] == slot["starts_at"] and booking["late_refund_pct"] == 50
    assert (booking["listing_id"], booking["slot_id"]) == (market.listing["id"], slot["id"])
    left = (await dates(client, market.listing["id"], *JUNE))[0]
    assert (left["reserved"], left["seats_left"]) == (2, 1)

    # more than is left, the seller's own listing, a closed date, terms the listing sets
    full = await book_seats(client, other, slot["id"], seats=2)
    assert assert_problem(full, 409, "slot_full")["seats_left"] == 1
    assert_problem(await book_seats(client, market.seller, slot["id"]), 422, "own_listing")
    for extra, code in [
        ({"cancellation": {"free_until_hours": 0}}, "invalid_booking"),
        ({"starts_at": "2027-06-01T09:00:00Z"}, "invalid_booking"),
        (
            {"offer": {"kind": "activity", "title": "x", "amount_minor": 1, "currency": "EUR"}},
            "invalid_booking",
        ),
    ]:
        assert_problem(await book_seats(client, other, slot["id"], **extra), 422, code)
    assert_problem(await book_seats(client, other, slot["id"], seats=0), 422, "validation_error")
    unknown = await book_seats(client, other, "00000000-0000-0000-0000-000000000001")
    assert_problem(unknown, 404, "slot_not_found")
    # the seller sees who booked; nobody else does
    seen = await client.get(
        f"{M}/listings/{market.listing['id']}/reservations", headers=market.seller.headers
    )
    assert [(r["booking_id"], r["seats"], r["status"]) for r in seen.json()["items"]] == [
        (booking["id"], 2, "confirmed")
    ]
    assert_problem(
        await client.get(f"{M}/listings/{market.listing['id']}/reservations", headers=me.headers),
        403,
        "forbidden",
    )
    # the ticket is the seller's to check in, not any operator's
    rival, _ = await seller(client, app.state)
    qr = {"qr": booking["tickets"][0]["qr"]}
    checked = await client.post(f"{API}/tickets/check-in", json=qr, headers=rival.headers)
    assert_problem(checked, 403, "forbidden")
    # booked seats hold the slot: it is neither shrunk below them nor deleted
    shrink = await client.patch(
        f"{M}/slots/{slot['id']}", json={"capacity": 1}, headers=market.seller.headers
    )
    assert assert_problem(shrink, 409, "slot_has_reservations")["seats_reserved"] == 2
    delete = await client.delete(f"{M}/slots/{slot['id']}", headers=market.seller.headers)
    assert_problem(delete, 409, "slot_has_reservations")

    # cancelled (free until a day before): the money and the seats go back
    cancelled = await client.put(f"{API}/bookings/{booking['id']}/cancel", headers=me.headers)
    assert cancelled.json()["status"] == "refunded"
    after = (await dates(client, market.listing["id"], *JUNE))[0]
    assert after["seats_left"] == 3
    released = await client.get(
        f"{M}/listings/{market.listing['id']}/reservations", headers=market.seller.headers
    )
    assert released.json()["items"][0]["status"] == "released"
    closed = await client.patch(
        f"{M}/slots/{slot['id']}", json={"closed": True}, headers=market.seller.headers
    )
    assert closed.json()["closed"] is True
    assert_problem(await book_seats(client, other, slot["id"]), 409, "slot_unavailable")
    # a listing taken off sale sells nothing
    second = (await dates(client, market.listing["id"], *JUNE))[1]
    await client.post(
        f"{M}/listings/{market.listing['id']}/status",
        json={"status": "draft"},
        headers=market.seller.headers,
    )
    assert_problem(await book_seats(client, other, second["id"]), 404, "slot_not_found")


async def test_the_last_seats_go_to_as_many_as_there_are(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    market = await shop(client, app.state, capacity=3)
    slot = (await dates(client, market.listing["id"], *JUNE))[0]
    travelers = [await make_user(client) for _ in range(8)]
    for who in travelers:
        await fund(client, who, 5_000)
    answers = await asyncio.gather(*(book_seats(client, who, slot["id"]) for who in travelers))
    codes = sorted(a.status_code for a in answers)
    assert codes == [201] * 3 + [409] * 5, [a.text for a in answers]
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"slot_full"}
    after = (await dates(client, market.listing["id"], *JUNE))[0]
    assert (after["reserved"], after["seats_left"]) == (3, 0)
    # those refused paid nothing
    for who, answer in zip(travelers, answers, strict=True):
        balance = (await client.get(f"{API}/wallet/balance", headers=who.headers)).json()
        paid = 5_000 - balance["balances"][0]["available_minor"]
        assert paid == (2500 if answer.status_code == 201 else 0)


async def test_travelers_who_went_review_and_the_operator_answers(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    who, _ = await seller(client, app.state)
    went, other, never = [await make_user(client) for _ in range(3)]
    # a month ago (tokens are checked against the real time: the accounts are made first)
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=30)
    app.state.clock = FrozenClock(t0)
    first = (t0 + timedelta(days=2)).date()
    listing = await open_listing(client, who, days=(first, first + timedelta(days=1)))
    listing_id = listing["id"]
    start, end = (t0.isoformat(), (t0 + timedelta(days=5)).isoformat())
    slot = (await dates(client, listing_id, start, end))[0]
    for traveler in (went, other):
        await fund(client, traveler, 10_000)
        assert (await book_seats(client, traveler, slot["id"])).status_code == 201
    review = {"rating": 5, "title": "Worth it", "body": "The guide knew every wall."}
    url = f"{M}/listings/{listing_id}/reviews"
    early = await client.post(url, json=review, headers=went.headers)
    assert_problem(early, 403, "review_not_allowed")  # it has not begun

    app.state.clock.advance(timedelta(days=4))
    posted = await client.post(url, json=review, headers=went.headers)
    assert posted.status_code == 201, posted.text
    assert posted.json()["author_name"] == "Test Traveller"
    assert_problem(await client.post(url, json=review, headers=went.headers), 409, "review_exists")
    assert_problem(
        await client.post(url, json=review, headers=never.headers), 403, "review_not_allowed"
    )
    assert_problem(
        await client.post(url, json={**review, "rating": 6}, headers=other.headers),
        422,
        "validation_error",
    )
    second = await client.post(url, json={**review, "rating": 3}, headers=other.headers)
    assert second.status_code == 201
    listing = (await client.get(f"{M}/listings/{listing_id}")).json()
    assert (listing["rating_average"], listing["rating_count"]) == (4.0, 2)
    assert listing["score"] == 4.0  # (5 * 4.0 + 8) / 7

    # the operator answers; nobody else does; the reviewer hears of it
    reply_url = f"{M}/reviews/{posted.json()['id']}/reply"
    answer = {"reply": "Thank you, come back in winter!"}
    assert_problem(
        await client.post(reply_url, json=answer, headers=never.headers), 403, "forbidden"
    )
    replied = await client.post(reply_url, json=answer, headers=who.headers)
    assert replied.json()["reply"] == answer["reply"]

    # the reviewer edits and deletes their own; others cannot
    theirs = await client.put(
        f"{M}/reviews/{second.json()['id']}", json={**review, "rating": 1}, headers=went.headers
    )
    assert_problem(theirs, 404, "review_not_found")
    edited = await client.put(
        f"{M}/reviews/{second.json()['id']}", json={**review, "rating": 4}, headers=other.headers
    )
    assert edited.json()["rating"] == 4
    page = (await client.get(url)).json()
    assert page["summary"] == {
        "rating_average": 4.5,
        "rating_count": 2,
        "histogram": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 1},
    }
    only_fives = (await client.get(url, params={"rating": 5})).json()["items"]
    assert [r["id"] for r in only_fives] == [posted.json()["id"]]
    removed = await client.delete(f"{M}/reviews/{second.json()['id']}", headers=other.headers)
    assert removed.status_code == 204
    listing = (await client.get(f"{M}/listings/{listing_id}")).json()
    assert (listing["rating_average"], listing["rating_count"]) == (5.0, 1)

    await app.state.relay.drain()
    kinds = [
        n["kind"]
        for n in (await client.get(f"{API}/notifications", headers=who.headers)).json()["items"]
    ]
    assert kinds.count("review_posted") == 2 and kinds.count("booking_sold") == 2
    told = (await client.get(f"{API}/notifications", headers=went.headers)).json()["items"]
    assert told[0]["kind"] == "review_replied"
    assert told[0]["data"] == {"listing_id": listing_id, "review_id": posted.json()["id"]}


async def test_payouts_go_to_the_verified_iban_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    market = await shop(client, app.state)
    me = await make_user(client)
    await fund(client, me, 10_000)
    slot = (await dates(client, market.listing["id"], *JUNE))[0]
    assert (await book_seats(client, me, slot["id"], seats=2)).status_code == 201
    seller_headers = market.seller.headers
    earned = (await client.get(f"{M}/payouts", headers=seller_headers)).json()
    assert earned == {"earnings": [{"currency": "EUR", "payable_minor": 5000}], "payouts": []}

    headers = {**seller_headers, "Idempotency-Key": "payout-1"}
    body = {"amount_minor": 2000, "currency": "EUR"}
    first = await client.post(f"{M}/payouts", json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert first.json()["payable_after_minor"] == 3000 and first.json()["iban"] == "FI21 **** 0785"
    again = await client.post(f"{M}/payouts", json=body, headers=headers)
    assert again.json()["transfer_id"] == first.json()["transfer_id"]
    for payload, code in [
        ({"amount_minor": 5000, "currency": "EUR"}, "insufficient_funds"),
        ({"amount_minor": 10, "currency": "XYZ"}, "currency_mismatch"),
        ({"amount_minor": 0, "currency": "EUR"}, "validation_error"),
    ]:
        refused = await client.post(f"{M}/payouts", json=payload, headers=seller_headers)
        assert_problem(refused, 422, code)
    history = (await client.get(f"{M}/payouts", headers=seller_headers)).json()
    assert history["earnings"] == [{"currency": "EUR", "payable_minor": 3000}]
    assert [p["transfer_id"] for p in history["payouts"]] == [first.json()["transfer_id"]]
    # travelers have no payouts; a changed IBAN waits for a new verification
    assert_problem(
        await client.post(f"{M}/payouts", json=body, headers=me.headers), 403, "permission_denied"
    )
    await client.patch(f"{M}/operator", json={"iban": "NO93 8601 1117 947"}, headers=seller_headers)
    waiting = await client.post(f"{M}/payouts", json=body, headers=seller_headers)
    assert_problem(waiting, 409, "operator_not_verified")


async def test_card_bookings_hold_seats_until_they_expire(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    market = await shop(client, app.state, capacity=2)
    me = await make_user(client)
    slot = (await dates(client, market.listing["id"], *JUNE))[0]
    made = await book_seats(client, me, slot["id"], seats=2, pay_with="card")
    assert made.status_code == 201 and made.json()["status"] == "awaiting_payment"
    assert (await dates(client, market.listing["id"], *JUNE))[0]["seats_left"] == 0
    # unpaid past the payment window: expired, and the seats are for sale again
    later = datetime.now(UTC) + timedelta(hours=2)
    await app.state.relay.run_periodic(now=later, force=True)
    booking = await client.get(f"{API}/bookings/{made.json()['id']}", headers=me.headers)
    assert booking.json()["status"] == "expired"
    assert (await dates(client, market.listing["id"], *JUNE))[0]["seats_left"] == 2

"""Fair local prices through HTTP, on SQLite and PostgreSQL: travelers report what they paid
(real nightly rates of a Lisbon hotel), anyone asks what is fair around a point or at a place,
judges a price, reads the months and whether prices moved; reports are their reporter's alone;
bad input is a 4xx problem and leaves nothing behind."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from navio.kernel.fx import EcbRates, convert_at
from navio.pricing import domain
from tests.factories.iam import AuthedUser, assert_problem
from tests.factories.iam import user as make_user
from tests.factories.pricing import API, LISBON, nightly_rates, report, report_body

# Porto, 274 km north of Lisbon: another market
PORTO = (41.14961, -8.61099)


def _august() -> list[int]:
    return [c for d, c in nightly_rates("City Hotel") if d.year == 2015 and d.month == 8]


async def _mine(client: httpx.AsyncClient, who: AuthedUser) -> list[dict[str, Any]]:
    read = await client.get(f"{API}/pricing/reports/mine", headers=who.headers)
    assert read.status_code == 200, read.text
    items: list[dict[str, Any]] = read.json()["items"]
    return items


async def test_reported_prices_give_the_fair_price_and_judge_one(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    travelers = [await make_user(client) for _ in range(7)]
    rates = _august()[:6]
    for who, cents in zip(travelers, rates, strict=False):
        await report(client, who, amount_minor=cents, note="double room")
    # the seventh paid in US dollars; the report keeps both amounts and the frozen rate
    today = datetime.now(UTC).date()
    usd = await report(client, travelers[6], amount_minor=11_000, currency="USD")
    rate = EcbRates().planning_rate("USD", "EUR", today)
    assert usd["amount_eur_minor"] == convert_at(11_000, rate)
    assert usd["rate"] == str(rate.rate) and usd["rate_published_on"] == str(rate.published_on)
    # someone in Porto is another market; a coffee in Lisbon is another item
    await report(client, travelers[0], amount_minor=30_000, lat=PORTO[0], lon=PORTO[1])
    await report(client, travelers[1], item="coffee", amount_minor=180)

    where = {"item": "hotel_night", "lat": LISBON[0], "lon": LISBON[1], "radius_km": 5}
    fair = await client.get(f"{API}/pricing/fair", params=where)
    assert fair.status_code == 200, fair.text
    body = fair.json()
    expected = domain.fair_price(
        [
            domain.Observation(str(i), c, today)
            for i, c in enumerate([*rates, usd["amount_eur_minor"]])
        ],
        today,
    )
    assert expected is not None
    estimate = body["estimate"]
    assert (estimate["median_minor"], estimate["low_minor"], estimate["high_minor"]) == (
        expected.median,
        expected.low,
        expected.high,
    )
    assert (estimate["reporters"], estimate["outliers"], estimate["confidence"]) == (7, 0, "medium")
    assert body["item"]["code"] == "hotel_night" and "7 travelers" in body["explanation"]

    # the same in US dollars, at the newest ECB rate
    in_usd = (await client.get(f"{API}/pricing/fair", params={**where, "currency": "USD"})).json()
    back = EcbRates().planning_rate("EUR", "USD", today)
    assert in_usd["estimate"]["median_minor"] == convert_at(expected.median, back)

    # judging prices: what most paid is typical; ten times it is overpriced
    for amount, verdict in (
        (expected.median, "typical"),
        (expected.high + 500, "high"),
        (expected.median * 10, "overpriced"),
        (expected.median // 10, "unusually_low"),
    ):
        judged = await client.get(f"{API}/pricing/check", params={**where, "amount_minor": amount})
        assert judged.status_code == 200, judged.text
        assert judged.json()["verdict"] == verdict, (amount, judged.json())
    # nobody reported anything in the middle of the Atlantic: an answer, not an error
    empty = await client.get(
        f"{API}/pricing/check", params={**where, "lat": 40.0, "lon": -30.0, "amount_minor": 100}
    )
    assert empty.status_code == 200 and empty.json()["verdict"] is None
    assert empty.json()["estimate"] is None and "Nobody" in empty.json()["explanation"]


async def test_reports_are_their_reporters_alone(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner, stranger = await make_user(client), await make_user(client)
    made = await report(client, owner, amount_minor=12_000)
    again = await client.post(
        f"{API}/pricing/reports", json=report_body(amount_minor=12_500), headers=owner.headers
    )
    assert_problem(again, 409, "duplicate_price_report")
    # a few metres away is the same spot; the next day is another report
    nearby = report_body(lat=LISBON[0] + 0.0001, amount_minor=12_500)
    assert_problem(
        await client.post(f"{API}/pricing/reports", json=nearby, headers=owner.headers),
        409,
        "duplicate_price_report",
    )
    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    await report(client, owner, amount_minor=12_500, observed_on=yesterday)

    refused = await client.delete(f"{API}/pricing/reports/{made['id']}", headers=stranger.headers)
    assert_problem(refused, 404, "price_report_not_found")
    assert await _mine(client, stranger) == []
    assert [r["id"] for r in await _mine(client, owner)][-1] == made["id"]
    anonymous = await client.post(f"{API}/pricing/reports", json=report_body())
    assert anonymous.status_code == 401

    gone = await client.delete(f"{API}/pricing/reports/{made['id']}", headers=owner.headers)
    assert gone.status_code == 204
    assert len(await _mine(client, owner)) == 1
    await report(client, owner, amount_minor=12_400)  # corrected


async def test_bad_input_is_refused_and_nothing_is_written(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    who = await make_user(client)
    today = datetime.now(UTC).date()
    nowhere = "6a0f4ab6-1c1d-4a51-9b3f-0c6d3e1f2a11"
    cases = [
        (report_body(item="caviar"), 422, "unknown_item"),
        (report_body(place_id=nowhere), 422, "invalid_price_report"),
        (report_body(lat=None, lon=None), 422, "invalid_price_report"),
        (report_body(lat=None, lon=None, place_id=nowhere), 422, "unknown_place"),
        (report_body(observed_on=str(today + timedelta(days=3))), 422, "invalid_price_report"),
        (report_body(observed_on="2019-01-01"), 422, "invalid_price_report"),
        (report_body(currency="XXX"), 422, "rate_not_available"),
        (report_body(amount_minor=0), 422, "validation_error"),
        (report_body(lat=91), 422, "validation_error"),
    ]  # fmt: skip
    for body, status, code in cases:
        sent = await client.post(f"{API}/pricing/reports", json=body, headers=who.headers)
        assert_problem(sent, status, code)
    assert await _mine(client, who) == []

    where = {"item": "hotel_night", "lat": LISBON[0], "lon": LISBON[1]}
    questions = [
        ({"item": "hotel_night"}, "invalid_price_query"),
        ({**where, "item": "caviar"}, "unknown_item"),
        ({**where, "place_id": nowhere}, "invalid_price_query"),
        ({**where, "radius_km": 0}, "validation_error"),
        ({**where, "radius_km": 500}, "validation_error"),
        ({**where, "currency": "XXX"}, "rate_not_available"),
    ]
    for params, code in questions:
        for path in ("fair", "history"):
            assert_problem(await client.get(f"{API}/pricing/{path}", params=params), 422, code)
    assert_problem(
        await client.get(f"{API}/pricing/check", params={**where, "amount_minor": -5}),
        422,
        "validation_error",
    )


async def test_history_shows_the_months_and_a_real_rise(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Six travelers stayed at an Algarve resort in February and again in August (the data
    set's real rates of 2016, reported as if paid seven months ago and last week): prices rose."""
    resort = nightly_rates("Resort Hotel")
    winter = [c for d, c in resort if date(2016, 2, 1) <= d <= date(2016, 2, 28)][:6]
    summer = [c for d, c in resort if date(2016, 8, 1) <= d <= date(2016, 8, 31)][:6]
    today = datetime.now(UTC).date()
    before, recent = today - timedelta(days=210), today - timedelta(days=7)
    algarve = {"lat": 37.0194, "lon": -7.9304}  # Faro (GeoNames 2268339)
    for w_cents, s_cents in zip(winter, summer, strict=True):
        who = await make_user(client)
        for day, cents in ((before, w_cents), (recent, s_cents)):
            await report(client, who, amount_minor=cents, observed_on=day.isoformat(), **algarve)
    read = await client.get(
        f"{API}/pricing/history", params={"item": "hotel_night", "months": 12, **algarve}
    )
    assert read.status_code == 200, read.text
    body = read.json()
    months = [before.replace(day=1).isoformat(), recent.replace(day=1).isoformat()]
    assert [m["month"] for m in body["months"]] == months
    assert [m["reporters"] for m in body["months"]] == [6, 6]
    first, last = body["months"]
    assert last["median_minor"] > first["median_minor"]
    change = body["change"]
    assert change["significant"] and change["percent"] > 50, change
    assert (change["recent_reporters"], change["before_reporters"]) == (6, 6)
    # three months back no longer reach the winter's reports
    short = await client.get(
        f"{API}/pricing/history", params={"item": "hotel_night", "months": 3, **algarve}
    )
    assert [m["month"] for m in short.json()["months"]] == months[1:]


async def test_prices_at_a_place_of_the_catalogue(places_client: httpx.AsyncClient) -> None:
    found = await places_client.get(f"{API}/search/suggest", params={"q": "Lisbon", "kind": "city"})
    lisbon = found.json()["items"][0]
    assert lisbon["country_code"] == "PT"
    who = await make_user(places_client)
    made = await report(
        places_client, who, item="transit_ticket", amount_minor=185, lat=None, lon=None,
        place_id=lisbon["id"],
    )  # fmt: skip
    assert made["place_id"] == lisbon["id"] and made["lat"] == lisbon["lat"]
    at_place = await places_client.get(
        f"{API}/pricing/fair", params={"item": "transit_ticket", "place_id": lisbon["id"]}
    )
    assert at_place.status_code == 200, at_place.text
    assert at_place.json()["estimate"]["median_minor"] == 185
    assert at_place.json()["area"]["radius_km"] is None

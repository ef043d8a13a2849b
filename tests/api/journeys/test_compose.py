"""Whole journeys over HTTP on SQLite and PostgreSQL: from options the client sends (the
TravelPlanner benchmark's real ones) and from the catalogue (TravelPlanner's San Diego places and
door-to-door road estimates); bad input and impossible wishes answered with their reasons."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories.iam import assert_problem, user
from tests.factories.journeys import cases, options_json
from tests.factories.trips import API


def _oakland_body() -> dict[str, Any]:
    """Case 30: two people, Oakland to three cities in Oregon for a week, $4,500, Italian and
    Mediterranean meals."""
    case = cases()[29]
    return {
        "origin": "Oakland",
        "destinations": ["Portland", "Medford", "Eugene", "Salem"],
        "cities": 3,
        "start": "2022-03-12",
        "days": 7,
        "people": 2,
        "budget": {"amount_minor": 450_000, "currency": "USD"},
        "cuisines": ["Italian", "Mediterranean"],
        "options": options_json(case.sandbox),
    }


async def test_a_week_over_three_cities_from_the_options_sent(client: httpx.AsyncClient) -> None:
    traveler = await user(client)
    response = await client.post(
        f"{API}/journeys/compose", json=_oakland_body(), headers=traveler.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["source"] == "options" and body["violations"] == []
    assert sorted(body["cities"]) == ["Eugene", "Medford", "Portland"]
    days = body["days"]
    assert [d["number"] for d in days] == list(range(1, 8))
    assert days[0]["from_city"] == "Oakland" and days[-1]["city"] == "Oakland"
    assert days[-1]["stay"] is None and all(d["stay"] for d in days[:-1])
    # the car throughout or flights and taxis, never both
    modes = {d["ride"]["mode"] for d in days if d["ride"]}
    assert modes == {"self-driving"} or "self-driving" not in modes
    meals = [m for d in days for m in d["meals"]]
    assert len({(m["name"], m["city"]) for m in meals}) == len(meals)
    cuisines = {c for m in meals for c in m["cuisines"]}
    assert {"Italian", "Mediterranean"} <= cuisines
    for d in days:
        if d["ride"] is None:
            assert [m["slot"] for m in d["meals"]] == ["breakfast", "lunch", "dinner"]
            assert d["sights"]
    cost = body["cost"]
    assert cost["currency"] == "USD"
    assert cost["total_minor"] <= 450_000
    assert (
        cost["total_minor"] == cost["transport_minor"] + cost["lodging_minor"] + cost["meals_minor"]
    )
    assert sum(cost["shares_minor"]) == cost["total_minor"] and len(cost["shares_minor"]) == 2
    priced = sum(m["cost_minor"] for m in meals)
    priced += sum(d["stay"]["cost_minor"] for d in days if d["stay"])
    priced += sum(d["ride"]["cost_minor"] for d in days if d["ride"])
    assert priced == cost["total_minor"]


async def test_wishes_nobody_can_meet_are_refused_with_the_reason(
    client: httpx.AsyncClient,
) -> None:
    traveler = await user(client)
    body = _oakland_body()
    body["budget"]["amount_minor"] = 50_000
    response = await client.post(f"{API}/journeys/compose", json=body, headers=traveler.headers)
    problem = assert_problem(response, 422, "journey_infeasible")
    assert "cheapest journey costs" in str(problem["reasons"])
    body = _oakland_body() | {"excluded_modes": ["self-driving", "taxi", "flight"]}
    response = await client.post(f"{API}/journeys/compose", json=body, headers=traveler.headers)
    assert_problem(response, 422, "journey_infeasible")
    body = _oakland_body() | {
        "house_rules": ["parties", "smoking", "pets", "visitors", "children under 10"]
    }
    response = await client.post(f"{API}/journeys/compose", json=body, headers=traveler.headers)
    problem = assert_problem(response, 422, "journey_infeasible")
    assert "house rules" in str(problem["reasons"])


BAD_INPUT: list[tuple[dict[str, Any], str]] = [
    ({"days": 3}, "validation_error"),  # three cities need four days
    ({"days": 40}, "validation_error"),
    ({"people": 0}, "validation_error"),
    ({"budget": {"amount_minor": -1, "currency": "USD"}}, "validation_error"),
    ({"budget": {"amount_minor": 100, "currency": "usd"}}, "validation_error"),
    ({"budget": {"amount_minor": 100, "currency": "XYZ"}}, "invalid_journey_request"),
    ({"cities": 3, "destinations": ["Portland", "Medford"]}, "invalid_journey_request"),
    ({"house_rules": ["karaoke"]}, "validation_error"),
    ({"excluded_modes": ["teleport"]}, "validation_error"),
    ({"max_road_minutes": 10}, "validation_error"),
    ({"surprise": True}, "validation_error"),
]


async def test_bad_input_is_a_problem_with_a_stable_code(client: httpx.AsyncClient) -> None:
    traveler = await user(client)
    for change, code in BAD_INPUT:
        body = _oakland_body() | change
        response = await client.post(f"{API}/journeys/compose", json=body, headers=traveler.headers)
        assert_problem(response, 422, code)


async def test_options_with_a_ref_twice_are_refused(client: httpx.AsyncClient) -> None:
    traveler = await user(client)
    body = _oakland_body()
    body["options"]["stays"].append(body["options"]["stays"][0])
    response = await client.post(f"{API}/journeys/compose", json=body, headers=traveler.headers)
    assert_problem(response, 422, "invalid_journey_request")
    response = await client.post(f"{API}/journeys/compose", json=_oakland_body())
    assert_problem(response, 401, "unauthorized")


async def test_a_journey_from_the_catalogue(places_client: httpx.AsyncClient) -> None:
    """Los Angeles to San Diego: the catalogue's TravelPlanner places of San Diego (priced in
    USD), the car there and back from the road model (priced in EUR, converted)."""
    traveler = await user(places_client)
    body = {
        "origin": "Los Angeles",
        "destinations": ["San Diego"],
        "start": "2027-03-16",
        "days": 3,
        "people": 2,
        "budget": {"amount_minor": 300_000, "currency": "USD"},
        "cuisines": ["Mexican"],
    }
    response = await places_client.post(
        f"{API}/journeys/compose", json=body, headers=traveler.headers
    )
    assert response.status_code == 200, response.text
    journey = response.json()
    assert journey["source"] == "catalogue" and journey["violations"] == []
    assert journey["cities"] == ["San Diego"]
    rides = [d["ride"] for d in journey["days"] if d["ride"]]
    assert [(r["origin"], r["destination"]) for r in rides] == [
        ("Los Angeles", "San Diego"),
        ("San Diego", "Los Angeles"),
    ]
    assert all(r["mode"] == "self-driving" and 100 < r["minutes"] < 300 for r in rides)
    assert any("Mexican" in m["cuisines"] for d in journey["days"] for m in d["meals"])
    assert journey["cost"]["total_minor"] <= 300_000
    assert any("flights" in n for n in journey["notes"])

    unknown = body | {"destinations": ["Atlantis"]}
    response = await places_client.post(
        f"{API}/journeys/compose", json=unknown, headers=traveler.headers
    )
    assert_problem(response, 422, "unknown_city")
    # Fresno is known but the catalogue has no priced lodging there
    bare = body | {"destinations": ["Fresno"]}
    response = await places_client.post(
        f"{API}/journeys/compose", json=bare, headers=traveler.headers
    )
    problem = assert_problem(response, 422, "journey_infeasible")
    assert "Fresno" in problem["detail"]

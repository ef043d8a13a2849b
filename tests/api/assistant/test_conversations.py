"""The assistant over HTTP on SQLite and PostgreSQL, with the real catalogue (GeoNames cities,
TravelPlanner places): a conversation that asks for what is missing, plans once it can, and
re-plans as the traveler changes their mind; TravelPlanner's own request with its options;
conversations are their owner's only."""

from __future__ import annotations

import httpx

from tests.factories.iam import assert_problem, user
from tests.factories.journeys import cases, options_json
from tests.factories.trips import API


async def _say(
    client: httpx.AsyncClient, headers: dict[str, str], text: str, conversation: str | None = None
) -> dict:  # type: ignore[type-arg]
    url = f"{API}/assistant/conversations"
    if conversation:
        url += f"/{conversation}/messages"
    response = await client.post(url, json={"text": text}, headers=headers)
    assert response.status_code == (200 if conversation else 201), response.text
    body: dict = response.json()  # type: ignore[type-arg]
    return body


async def test_a_conversation_asks_then_plans_then_replans(
    places_client: httpx.AsyncClient,
) -> None:
    traveler = await user(places_client)
    first = await _say(
        places_client, traveler.headers, "Plan a trip from Los Angeles to San Diego for 2 people."
    )
    understood = first["understood"]
    assert understood["origin"] == "Los Angeles" and understood["destination"] == "San Diego"
    assert understood["people"] == 2
    assert understood["missing"] == ["dates", "budget"]
    answer = first["messages"][-1]
    assert answer["role"] == "assistant" and answer["journey"] is None
    assert "When do you leave" in answer["text"] and "budget" in answer["text"]

    second = await _say(
        places_client,
        traveler.headers,
        "From March 16th to March 18th, 2027, with a budget of $3,000. We love Mexican food.",
        first["id"],
    )
    understood = second["understood"]
    assert understood["missing"] == [] and understood["days"] == 3
    assert understood["start"] == "2027-03-16" and understood["currency"] == "USD"
    assert understood["people"] == 2 and understood["cuisines"] == ["Mexican"]
    answer = second["messages"][-1]
    journey = answer["journey"]
    assert journey is not None, answer["text"]
    assert journey["cities"] == ["San Diego"] and journey["violations"] == []
    assert journey["cost"]["total_minor"] <= 300_000
    assert any("Mexican" in m["cuisines"] for d in journey["days"] for m in d["meals"])
    assert "Planned: San Diego" in answer["text"] and "of 3,000.00 USD" in answer["text"]
    two_rooms = sum(d["stay"]["rooms"] for d in journey["days"] if d["stay"])

    third = await _say(places_client, traveler.headers, "Actually we are 6 people.", first["id"])
    assert third["understood"]["people"] == 6
    assert third["understood"]["destination"] == "San Diego"  # kept
    bigger = third["messages"][-1]["journey"]
    assert bigger is not None, third["messages"][-1]["text"]
    assert len(bigger["cost"]["shares_minor"]) == 6
    assert sum(d["stay"]["rooms"] for d in bigger["days"] if d["stay"]) >= two_rooms
    assert [m["seq"] for m in third["messages"]] == [1, 2, 3, 4, 5, 6]

    poor = await _say(places_client, traveler.headers, "Our budget is only $100.", first["id"])
    answer = poor["messages"][-1]
    assert answer["journey"] is None and "No journey fits" in answer["text"]
    assert "cheapest journey costs" in answer["text"]

    mine = await places_client.get(f"{API}/assistant/conversations", headers=traveler.headers)
    assert [c["id"] for c in mine.json()["items"]] == [first["id"]]
    stranger = await user(places_client)
    for response in (
        await places_client.get(
            f"{API}/assistant/conversations/{first['id']}", headers=stranger.headers
        ),
        await places_client.post(
            f"{API}/assistant/conversations/{first['id']}/messages",
            json={"text": "make it Paris"},
            headers=stranger.headers,
        ),
    ):
        assert_problem(response, 404, "conversation_not_found")
    theirs = await places_client.get(f"{API}/assistant/conversations", headers=stranger.headers)
    assert theirs.json()["items"] == []


async def test_travelplanner_request_with_its_options(places_client: httpx.AsyncClient) -> None:
    """TravelPlanner's last request (Oakland, three cities in Oregon, a week, two people,
    $4,500, Italian and Mediterranean) with its own flights, drives, lodging and restaurants."""
    case = cases()[29]
    traveler = await user(places_client)
    response = await places_client.post(
        f"{API}/assistant/conversations",
        json={"text": case.query, "options": options_json(case.sandbox)},
        headers=traveler.headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    understood = body["understood"]
    assert understood["origin"] == "Oakland" and understood["destination"] == "Oregon"
    assert understood["destination_is_region"] and understood["cities"] == 3
    assert understood["people"] == 2 and understood["budget_minor"] == 450_000
    journey = body["messages"][-1]["journey"]
    assert journey is not None, body["messages"][-1]["text"]
    assert sorted(journey["cities"]) == ["Eugene", "Medford", "Portland"]
    assert journey["violations"] == [] and journey["cost"]["total_minor"] <= 450_000


async def test_bad_messages(places_client: httpx.AsyncClient) -> None:
    traveler = await user(places_client)
    url = f"{API}/assistant/conversations"
    for body in ({"text": ""}, {"text": "x" * 4001}, {"text": "hi", "mood": "happy"}, {}):
        response = await places_client.post(url, json=body, headers=traveler.headers)
        assert_problem(response, 422, "validation_error")
    assert_problem(await places_client.post(url, json={"text": "hi"}), 401, "unauthorized")
    response = await places_client.get(f"{url}/{'0' * 32}", headers=traveler.headers)
    assert_problem(response, 404, "conversation_not_found")
    response = await places_client.get(url, params={"cursor": "nope"}, headers=traveler.headers)
    assert_problem(response, 422, "invalid_cursor")
    # nothing understood: every question asked, nothing invented
    answer = await _say(places_client, traveler.headers, "hello there")
    assert answer["understood"]["missing"] == ["origin", "destination", "dates", "budget"]
    assert answer["messages"][-1]["journey"] is None
    # more than the planner can take: said, not a 500
    long = await _say(
        places_client,
        traveler.headers,
        "From Los Angeles to San Diego from March 1st to March 30th, 2027, budget $9,000.",
    )
    assert "cannot plan" in long["messages"][-1]["text"]


async def test_a_planned_journey_becomes_a_trip(places_client: httpx.AsyncClient) -> None:
    traveler = await user(places_client)
    url = f"{API}/assistant/conversations"
    asked = await _say(places_client, traveler.headers, "A trip from Los Angeles to San Diego.")
    response = await places_client.post(
        f"{url}/{asked['id']}/trip", json={}, headers=traveler.headers
    )
    assert_problem(response, 409, "no_journey_yet")
    planned = await _say(
        places_client,
        traveler.headers,
        "For two, March 16th to March 18th, 2027, with $3,000.",
        asked["id"],
    )
    journey = planned["messages"][-1]["journey"]
    assert journey is not None, planned["messages"][-1]["text"]
    assert [p["name"] for p in journey["places"]] == ["Los Angeles", "San Diego"]
    assert journey["places"][1]["timezone"] == "America/Los_Angeles"

    stranger = await user(places_client)
    response = await places_client.post(
        f"{url}/{asked['id']}/trip", json={}, headers=stranger.headers
    )
    assert_problem(response, 404, "conversation_not_found")
    response = await places_client.post(
        f"{url}/{asked['id']}/trip", json={"timezone": "Mars/Olympus"}, headers=traveler.headers
    )
    assert_problem(response, 422, "validation_error")

    response = await places_client.post(
        f"{url}/{asked['id']}/trip", json={}, headers=traveler.headers
    )
    assert response.status_code == 201, response.text
    saved = response.json()
    assert saved["title"] == "Los Angeles → San Diego"
    trip = (
        await places_client.get(f"{API}/trips/{saved['trip_id']}", headers=traveler.headers)
    ).json()
    assert (trip["start_date"], trip["end_date"]) == ("2027-03-16", "2027-03-18")
    assert trip["timezone"] == "America/Los_Angeles" and trip["travelers"] == 2
    assert trip["currency"] == "USD"
    assert [d["name"] for d in trip["destinations"]] == ["San Diego"]
    items = (
        await places_client.get(f"{API}/trips/{saved['trip_id']}/items", headers=traveler.headers)
    ).json()
    assert len(items) == saved["items"]
    days = journey["days"]
    expected = sum(
        (d["ride"] is not None) + len(d["meals"]) + len(d["sights"]) + (d["stay"] is not None)
        for d in days
    )
    assert saved["items"] == expected
    kinds = [i["kind"] for i in items]
    assert kinds.count("transport") == 2 and kinds.count("lodging") == 2
    # every cost of the journey is on the trip, in its currency
    assert sum(i["cost_minor"] or 0 for i in items) == journey["cost"]["total_minor"]
    assert {i["cost_currency"] for i in items if i["cost_minor"]} == {"USD"}
    outward = next(i for i in items if i["kind"] == "transport")
    assert outward["day"] == "2027-03-16" and outward["start_time"].startswith("09:00")
    conversation = await places_client.get(f"{url}/{asked['id']}", headers=traveler.headers)
    assert "Saved as the trip" in conversation.json()["messages"][-1]["text"]


async def test_a_journey_from_options_needs_a_time_zone_to_become_a_trip(
    places_client: httpx.AsyncClient,
) -> None:
    case = cases()[0]  # St. Petersburg to Rockford, three days, $1,700
    traveler = await user(places_client)
    response = await places_client.post(
        f"{API}/assistant/conversations",
        json={"text": case.query, "options": options_json(case.sandbox)},
        headers=traveler.headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["messages"][-1]["journey"] is not None, body["messages"][-1]["text"]
    url = f"{API}/assistant/conversations/{body['id']}/trip"
    assert_problem(
        await places_client.post(url, json={}, headers=traveler.headers), 422, "timezone_required"
    )
    response = await places_client.post(
        url, json={"timezone": "America/Chicago", "title": "Rockford"}, headers=traveler.headers
    )
    assert response.status_code == 201, response.text
    assert response.json()["title"] == "Rockford"

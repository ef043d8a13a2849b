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

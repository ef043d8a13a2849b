"""Budgets over HTTP on SQLite and PostgreSQL, on the real test catalogue (TravelPlanner prices
for Seattle) and the real hotel-bookings price history: lines and their sources, seasonality,
operator defaults, taxes, per-person split, budget vs actual, scenarios, optimize, bad input."""

from __future__ import annotations

import csv
import statistics
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from navio.budgeting import seasonality
from navio.budgeting.repository import BudgetingRepository
from navio.budgeting.service import BudgetingService
from navio.kernel.uow import UnitOfWork
from tests.factories.expenses import add_expense
from tests.factories.iam import AuthedUser, admin, assert_problem
from tests.factories.iam import user as make_user
from tests.factories.pricing import nightly_rates, report
from tests.factories.trips import API, add_collaborator, add_item, create_trip

SHARED = Path(__file__).resolve().parents[4] / "shared" / "data"
START, END = date(2027, 7, 1), date(2027, 7, 4)  # 3 nights, 4 days


def _minor(value: str | float) -> int:
    return int((Decimal(str(value)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def _median_low(values: list[int]) -> int:
    return int(statistics.median_low(values))


def seattle_prices() -> tuple[int, int]:
    """Reference medians straight from the TravelPlanner files: a night, a meal (USD cents)."""
    folder = SHARED / "travelplanner"
    with (folder / "clean_accommodations_2022.csv").open(encoding="utf-8") as f:
        nights = [
            _minor(r["price"])
            for r in csv.DictReader(f)
            if r["city"].strip() == "Seattle" and r["NAME"].strip() and float(r["price"] or 0) > 0
        ]
    with (folder / "clean_restaurant_2022.csv").open(encoding="utf-8") as f:
        meals = [
            _minor(r["Average Cost"])
            for r in csv.DictReader(f)
            if r["City"].strip() == "Seattle"
            and r["Name"].strip()
            and float(r["Average Cost"] or 0) > 0
        ]
    return _median_low(nights), _median_low(meals)


async def _seattle(client: httpx.AsyncClient) -> dict[str, Any]:
    found = await client.get(f"{API}/search/suggest", params={"q": "Seattle", "kind": "city"})
    city: dict[str, Any] = found.json()["items"][0]
    assert city["name"] == "Seattle" and city["country_code"] == "US"
    return city


async def _trip(client: httpx.AsyncClient) -> tuple[dict[str, Any], AuthedUser, AuthedUser]:
    owner, friend = await make_user(client), await make_user(client)
    city = await _seattle(client)
    trip = await create_trip(
        client,
        owner,
        title="Seattle",
        destinations=[{"name": "Seattle", "place_id": city["id"]}],
        start_date=START.isoformat(),
        end_date=END.isoformat(),
        timezone="America/Los_Angeles",
        travelers=3,
        currency="USD",
    )
    await add_collaborator(client, owner, trip["id"], friend, "editor")
    return trip, owner, friend


async def _compute(client: httpx.AsyncClient, who: AuthedUser, **body: Any) -> dict[str, Any]:
    response = await client.post(f"{API}/budget/compute", json=body, headers=who.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def _line(budget: dict[str, Any], key: str) -> dict[str, Any]:
    found: dict[str, Any] = next(line for line in budget["lines"] if line["key"] == key)
    return found


async def _import_history(app: FastAPI) -> seasonality.SeasonModel:
    model = seasonality.learn_file(SHARED / "pricing" / "hotel_bookings.csv")
    async with UnitOfWork(app.state.db, write=True) as uow:
        service = BudgetingService(
            BudgetingRepository(uow.session_source), uow.events, app.state.clock, app.state.rates
        )
        await service.store_season_model(model)
    return model


async def test_budget_lines_sources_defaults_and_actuals(
    places_client: httpx.AsyncClient, places_app: FastAPI
) -> None:
    client = places_client
    trip, owner, friend = await _trip(client)
    night, meal = seattle_prices()
    flight = await add_item(
        client,
        owner,
        trip["id"],
        kind="transport",
        title="Flight SEA",
        day=START.isoformat(),
        cost_minor=45_000,
        cost_currency="USD",
        start_time=None,
        end_time=None,
    )
    museum = await add_item(
        client,
        owner,
        trip["id"],
        kind="activity",
        title="Museum of Pop Culture",
        day=(START + timedelta(days=1)).isoformat(),
        cost_minor=3_000,
        cost_currency="USD",
        participants=[str(owner.id)],
    )
    budget = await _compute(client, friend, trip_id=trip["id"])
    assert budget["currency"] == "USD" and budget["days"] == 4 and budget["travelers"] == 3
    assert _line(budget, f"item:{flight['id']}")["source"] == "trip_item"
    assert _line(budget, f"item:{museum['id']}")["optional"] is True
    lodging = _line(budget, "estimate:lodging")
    # no price history imported: the median night in Seattle, 2 rooms for 3, 3 nights
    assert lodging["source"] == "price_data" and lodging["unit_minor"] == night
    assert lodging["amount_minor"] == night * 2 * 3
    food = _line(budget, "estimate:food")
    assert food["unit_minor"] == meal and food["quantity"] == 2 * 4 * 3
    assert food["amount_minor"] == meal * 24
    assert "local_transport" in budget["unestimated"]
    assert budget["subtotal_minor"] == sum(line["amount_minor"] for line in budget["lines"])
    assert budget["contingency_pct"] == "10"
    assert budget["total_minor"] == budget["subtotal_minor"] + budget["contingency_minor"]
    assert sum(p["amount_minor"] for p in budget["per_person"]) == budget["total_minor"]

    boss = await admin(client, places_app.state)
    defaults = await client.post(
        f"{API}/budget/categories/defaults",
        json={
            "country": "*",
            "currency": "USD",
            "per_person": {"local_transport": 1_000},
            "contingency_pct": "15",
        },
        headers=boss.headers,
    )
    assert defaults.status_code == 200, defaults.text
    await add_expense(
        client,
        friend,
        trip["id"],
        amount_minor=6_000,
        currency="USD",
        category="food",
        spent_on=START.isoformat(),
    )
    budget = await _compute(client, owner, trip_id=trip["id"], split={"method": "participation"})
    local = _line(budget, "estimate:local_transport")
    assert local["source"] == "operator_default" and local["amount_minor"] == 1_000 * 3 * 4
    assert budget["contingency_pct"] == "15"
    food_row = next(c for c in budget["categories"] if c["category"] == "food")
    assert food_row["actual_minor"] == 6_000
    assert food_row["remaining_minor"] == food_row["planned_minor"] - 6_000
    assert budget["actual_minor"] == 6_000
    day_one = next(d for d in budget["by_day"] if d["day"] == START.isoformat())
    assert day_one["actual_minor"] == 6_000 and day_one["planned_minor"] == 45_000
    shares = {p["user_id"]: p["amount_minor"] for p in budget["per_person"]}
    assert sum(shares.values()) == budget["total_minor"]
    assert shares[str(owner.id)] > shares[str(friend.id)]  # the museum is the owner's alone

    weighted = await _compute(
        client,
        owner,
        trip_id=trip["id"],
        split={"method": "weighted", "weights": {str(owner.id): "3", str(friend.id): "1"}},
    )
    split = {p["user_id"]: p["amount_minor"] for p in weighted["per_person"]}
    assert sum(split.values()) == weighted["total_minor"]
    assert abs(split[str(owner.id)] - 3 * split[str(friend.id)]) <= 3

    in_euros = await _compute(client, owner, trip_id=trip["id"], currency="EUR")
    assert in_euros["currency"] == "EUR" and in_euros["rates"][0]["base"] == "USD"


async def test_seasonality_scenarios_and_optimize(
    places_client: httpx.AsyncClient, places_app: FastAPI
) -> None:
    client = places_client
    trip, owner, _ = await _trip(client)
    city = await _seattle(client)
    missing = await client.get(
        f"{API}/locations/{city['id']}/season-profile", headers=owner.headers
    )
    assert_problem(missing, 404, "no_season_data")
    model = await _import_history(places_app)
    profile = await client.get(
        f"{API}/locations/{city['id']}/season-profile",
        params={"year": 2027},
        headers=owner.headers,
    )
    assert profile.status_code == 200, profile.text
    body = profile.json()
    assert len(body["months"]) == 12 and body["country_code"] == "US"
    assert any(h["date"] == "2027-07-04" or h["date"] == "2027-07-05" for h in body["holidays"])

    for n in range(3):
        await add_item(
            client,
            owner,
            trip["id"],
            kind="activity",
            title=f"Tour {n}",
            day=START.isoformat(),
            cost_minor=2_000 * (n + 1),
            cost_currency="USD",
        )
    budget = await _compute(client, owner, trip_id=trip["id"])
    night, _ = seattle_prices()
    expected_profile = seasonality.profile(model, country_code="US", lat=city["lat"], year=2027)
    nights = [START + timedelta(days=n) for n in range(3)]
    multiplier = seasonality.mean_multiplier(expected_profile, nights)
    unit = int((Decimal(night) * Decimal(str(multiplier))).quantize(Decimal(1), ROUND_HALF_EVEN))
    lodging = _line(budget, "estimate:lodging")
    assert lodging["unit_minor"] == unit and lodging["amount_minor"] == unit * 2 * 3
    assert f"{multiplier:.3f}" in lodging["basis"]

    response = await client.get(f"{API}/budget/scenarios/{trip['id']}", headers=owner.headers)
    assert response.status_code == 200, response.text
    scenarios = {s["name"]: s for s in response.json()["scenarios"]}
    assert response.json()["base_total_minor"] == budget["total_minor"]
    assert scenarios["cheaper_lodging"]["delta_minor"] < 0
    assert scenarios["one_more_traveler"]["delta_minor"] > 0
    assert scenarios["fewer_paid_activities"]["delta_minor"] < 0
    assert {"shift_-8w", "shift_-4w", "shift_+4w", "shift_+8w"} <= set(scenarios)
    assert scenarios["shift_+4w"]["start_date"] == (START + timedelta(weeks=4)).isoformat()

    cap = budget["total_minor"] - 1
    fitted = await client.post(
        f"{API}/budget/optimize",
        json={"trip_id": trip["id"], "cap_minor": cap},
        headers=owner.headers,
    )
    assert fitted.status_code == 200, fitted.text
    result = fitted.json()
    assert result["fits"] is True and result["total_minor"] <= cap and result["steps"]
    assert result["steps"][0]["value_lost"] == 0  # cheaper rooms before dropping a visit
    impossible = await client.post(
        f"{API}/budget/optimize",
        json={"trip_id": trip["id"], "cap_minor": 100},
        headers=owner.headers,
    )
    assert impossible.json()["fits"] is False and impossible.json()["total_minor"] > 100


async def test_budget_bad_input_and_authorization(
    places_client: httpx.AsyncClient, places_app: FastAPI
) -> None:
    client = places_client
    trip, owner, _ = await _trip(client)
    stranger = await make_user(client)
    assert_problem(
        await client.post(
            f"{API}/budget/compute", json={"trip_id": trip["id"]}, headers=stranger.headers
        ),
        404,
        "trip_not_found",
    )
    assert_problem(
        await client.get(f"{API}/budget/scenarios/{trip['id']}", headers=stranger.headers),
        404,
        "trip_not_found",
    )
    for body, code in [
        ({"contingency_pct": "150"}, "invalid_budget_request"),
        ({"contingency_pct": "-1"}, "invalid_budget_request"),
        ({"currency": "XYZ"}, "invalid_budget_request"),
        (
            {"split": {"method": "weighted", "weights": {str(stranger.id): "1"}}},
            "invalid_budget_request",
        ),
        (
            {"split": {"method": "weighted", "weights": {str(owner.id): "0"}}},
            "invalid_budget_request",
        ),
        ({"split": {"method": "by_mood"}}, "validation_error"),
    ]:
        response = await client.post(
            f"{API}/budget/compute", json={"trip_id": trip["id"], **body}, headers=owner.headers
        )
        assert_problem(response, 422, code)
    assert_problem(
        await client.post(
            f"{API}/budget/optimize",
            json={"trip_id": trip["id"], "cap_minor": 0},
            headers=owner.headers,
        ),
        422,
        "invalid_budget_request",
    )
    assert_problem(
        await client.get(
            f"{API}/locations/00000000-0000-4000-8000-000000000000/season-profile",
            headers=owner.headers,
        ),
        404,
        "location_not_found",
    )
    denied = await client.post(
        f"{API}/budget/categories/defaults",
        json={"country": "*", "currency": "USD", "per_person": {"food": 100}},
        headers=owner.headers,
    )
    assert denied.status_code == 403
    boss = await admin(client, places_app.state)
    for body in (
        {"country": "*", "currency": "USD", "per_person": {"food": -5}},
        {"country": "*", "currency": "USD", "contingency_pct": "101"},
        {"country": "*", "currency": "XYZ", "per_person": {"food": 5}},
        {"country": "usa", "currency": "USD"},
        {"country": "*", "currency": "USD", "per_person": {"bribes": 5}},
    ):
        response = await client.post(
            f"{API}/budget/categories/defaults", json=body, headers=boss.headers
        )
        assert response.status_code == 422, body
    unchanged = await client.get(f"{API}/budget/categories/defaults", headers=boss.headers)
    assert unchanged.json()["per_person"] == {} and unchanged.json()["contingency_pct"] is None


async def test_travelers_reports_price_what_the_catalogue_does_not(
    places_client: httpx.AsyncClient,
) -> None:
    """Lisbon has no lodging or restaurant prices in the catalogue: the budget takes what
    travelers reported paying there (real nightly rates of a Lisbon hotel), converted into the
    budget's currency, with where it comes from."""
    client = places_client
    owner = await make_user(client)
    found = await client.get(f"{API}/search/suggest", params={"q": "Lisbon", "kind": "city"})
    lisbon = found.json()["items"][0]
    trip = await create_trip(
        client,
        owner,
        title="Lisbon",
        destinations=[{"name": "Lisbon", "place_id": lisbon["id"]}],
        start_date=START.isoformat(),
        end_date=END.isoformat(),
        timezone="Europe/Lisbon",
        travelers=2,
        currency="EUR",
    )
    before = await _compute(client, owner, trip_id=trip["id"])
    assert all(line["key"] != "estimate:lodging" for line in before["lines"])

    rates = [c for d, c in nightly_rates("City Hotel") if d.month == 9][:6]
    near = {"lat": lisbon["lat"] + 0.01, "lon": lisbon["lon"] - 0.01}
    for cents in rates:
        reporter = await make_user(client)
        await report(client, reporter, amount_minor=cents, **near)
        await report(client, reporter, item="meal_inexpensive", amount_minor=1_200, **near)
    fair = (await client.get(f"{API}/pricing/fair", params={"item": "hotel_night", **near})).json()
    median = fair["estimate"]["median_minor"]

    budget = await _compute(client, owner, trip_id=trip["id"])
    lodging = _line(budget, "estimate:lodging")
    assert lodging["source"] == "price_data" and lodging["unit_minor"] == median
    assert lodging["amount_minor"] == median * 1 * 3  # one room for two, three nights
    assert "6 travelers' reports of hotel room" in lodging["basis"]
    food = _line(budget, "estimate:food")
    assert food["unit_minor"] == 1_200 and "meal at an inexpensive restaurant" in food["basis"]
    # in US dollars: converted at the planning rate like every other line
    in_dollars = await _compute(client, owner, trip_id=trip["id"], currency="USD")
    assert _line(in_dollars, "estimate:lodging")["unit_minor"] != median

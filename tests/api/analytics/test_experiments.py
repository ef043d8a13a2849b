"""A/B experiments through HTTP, on SQLite and PostgreSQL: an admin defines one and starts it,
apps ask for variants (the same every time, the exposure recorded once) and send events, the
platform's own events count as goals, results add up what was sent, a stop freezes them and
serves the winner; bad input is refused with nothing written; only admins see experiments."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from navio.analytics import stats
from tests.conftest import asgi_client, make_settings, running_app
from tests.factories.iam import AuthedUser, admin, assert_problem
from tests.factories.iam import user as make_user
from tests.factories.trips import API, create_trip

ADMIN = f"{API}/admin/experiments"


def design(key: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "key": key,
        "name": "Green checkout button",
        "goal": "checkout_clicked",
        "variants": [{"key": "control"}, {"key": "green"}],
        "planned_units": 1_000,
    }
    return body | overrides


async def started(client: httpx.AsyncClient, boss: AuthedUser, body: dict[str, Any]) -> None:
    created = await client.post(ADMIN, json=body, headers=boss.headers)
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "draft"
    running = await client.post(f"{ADMIN}/{body['key']}/start", headers=boss.headers)
    assert running.status_code == 200, running.text


async def variant_of(
    client: httpx.AsyncClient,
    key: str,
    anonymous_id: uuid.UUID | None = None,
    who: AuthedUser | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"experiments": [key]}
    if anonymous_id is not None:
        body["anonymous_id"] = str(anonymous_id)
    response = await client.post(
        f"{API}/analytics/assignments", json=body, headers=who.headers if who else {}
    )
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["assignments"]
    assert [a["experiment"] for a in found] == [key]
    return found[0]


def event(name: str, at: datetime | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "name": name,
        "occurred_at": (at or datetime.now(UTC)).isoformat(),
        **extra,
    }


async def send(
    client: httpx.AsyncClient, events: list[dict[str, Any]], anonymous_id: uuid.UUID
) -> httpx.Response:
    return await client.post(
        f"{API}/analytics/events", json={"anonymous_id": str(anonymous_id), "events": events}
    )


async def results(client: httpx.AsyncClient, boss: AuthedUser, key: str) -> dict[str, Any]:
    response = await client.get(f"{ADMIN}/{key}/results", headers=boss.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_an_experiment_from_draft_to_winner(app: FastAPI, client: httpx.AsyncClient) -> None:
    boss = await admin(client, app.state)
    key = f"checkout-{uuid.uuid4().hex[:8]}"
    body = design(key, value_currency="EUR")
    assert (await client.post(ADMIN, json=body, headers=boss.headers)).status_code == 201
    patched = await client.patch(
        f"{ADMIN}/{key}", json={"description": "Does green sell?"}, headers=boss.headers
    )
    assert patched.status_code == 200 and patched.json()["description"] == "Does green sell?"
    # a draft serves nothing yet
    nobody = uuid.uuid4()
    asked = await client.post(
        f"{API}/analytics/assignments", json={"anonymous_id": str(nobody), "experiments": [key]}
    )
    assert asked.json() == {"unit": f"anon:{nobody}", "assignments": [], "unknown": [key]}
    assert (await client.post(f"{ADMIN}/{key}/start", headers=boss.headers)).status_code == 200

    installs = [uuid.uuid4() for _ in range(80)]
    seen: dict[uuid.UUID, str] = {}
    for install in installs:
        first = await variant_of(client, key, install)
        assert first["in_experiment"] is True
        seen[install] = first["variant"]
    for install in installs[:10]:  # asking again: the same variant, no second exposure
        assert (await variant_of(client, key, install))["variant"] == seen[install]
    split = Counter(seen.values())
    assert set(split) == {"control", "green"}

    # an event from before a unit's exposure is not the experiment's doing
    early = installs[0]
    before = datetime.now(UTC) - timedelta(hours=1)
    assert (await send(client, [event("checkout_clicked", before)], early)).status_code == 202
    # green converts two in three, control one in three; each paying 1,000 or 2,500 cents
    expected: Counter[str] = Counter()
    paid: Counter[str] = Counter()
    for position, install in enumerate(installs[1:]):
        arm = seen[install]
        if position % 3 < (2 if arm == "green" else 1):
            amount = 2_500 if arm == "green" else 1_000
            sent = [
                event("checkout_clicked", value=amount, currency="EUR"),
                event("checkout_clicked", value=7, currency="USD"),  # another currency
                event("page_viewed"),
            ]
            response = await send(client, sent, install)
            assert response.json() == {"accepted": 3, "duplicates": 0}, response.text
            expected[arm] += 1
            paid[arm] += amount
    resent = await send(client, [event("page_viewed") | {"id": sent[0]["id"]}], installs[-1])
    assert resent.json() == {"accepted": 0, "duplicates": 1}

    report = await results(client, boss, key)
    assert report["alpha"] == 0.05
    arms = {arm["key"]: arm for arm in report["variants"]}
    assert [arm["key"] for arm in report["variants"]] == ["control", "green"]
    for name, arm in arms.items():
        assert arm["units"] == split[name]
        assert arm["converted"] == expected[name]
        assert arm["rate"] == expected[name] / split[name]
        assert arm["rate_interval"]["low"] < arm["rate"] < arm["rate_interval"]["high"]
        assert arm["value_mean"] == paid[name] / split[name]
    assert arms["control"]["conversion"] is None
    versus = arms["green"]["conversion"]
    assert versus["difference"] == arms["green"]["rate"] - arms["control"]["rate"]
    assert versus["low"] < versus["difference"] < versus["high"]
    # the always-valid p-value pays for reading at any time: it is above the one-look z-test's
    assert versus["p_value"] > versus["fixed_p_value"]
    assert (versus["p_value"] <= 0.05) == (versus["low"] > 0) == (versus["verdict"] == "better")
    assert (
        arms["green"]["value"]["difference"]
        == arms["green"]["value_mean"] - (arms["control"]["value_mean"])
    )
    assert report["sample_ratio"]["mismatch"] is False

    # the stop freezes the results and serves the winner to everyone, uncounted
    stopped = await client.post(
        f"{ADMIN}/{key}/stop", json={"winner": "green"}, headers=boss.headers
    )
    assert stopped.status_code == 200 and stopped.json()["status"] == "stopped"
    control_unit = next(install for install in installs if seen[install] == "control")
    assert await variant_of(client, key, control_unit) == {
        "experiment": key,
        "variant": "green",
        "in_experiment": False,
    }
    latecomer = uuid.uuid4()
    assert (await variant_of(client, key, latecomer))["in_experiment"] is False
    await send(client, [event("checkout_clicked")], control_unit)
    after = await results(client, boss, key)
    assert after["variants"] == report["variants"]
    assert after["as_of"] == stopped.json()["stopped_at"]

    listed = await client.get(ADMIN, params={"status": "stopped"}, headers=boss.headers)
    assert key in [e["key"] for e in listed.json()]


async def test_the_platforms_events_are_goals(app: FastAPI, client: httpx.AsyncClient) -> None:
    boss = await admin(client, app.state)
    goals = await client.get(f"{ADMIN}/goals", headers=boss.headers)
    assert "trips.trip_created" in [goal["name"] for goal in goals.json()]
    key = f"trip-{uuid.uuid4().hex[:8]}"
    await started(
        client, boss, design(key, goal="trips.trip_created", variants=[{"key": "a"}, {"key": "b"}])
    )
    planner, hesitant, early = [await make_user(client) for _ in range(3)]
    await create_trip(client, early)  # before its exposure: not counted
    await app.state.relay.drain()
    arms = {
        who.id: (await variant_of(client, key, who=who))["variant"]
        for who in (planner, hesitant, early)
    }
    # signed in, the unit is the user, whatever install id comes along
    again = await variant_of(client, key, uuid.uuid4(), who=planner)
    assert again["variant"] == arms[planner.id]
    await create_trip(client, planner)
    await app.state.relay.drain()
    await app.state.relay.drain()  # nothing twice

    report = await results(client, boss, key)
    converted = {arm["key"]: arm["converted"] for arm in report["variants"]}
    units = {arm["key"]: arm["units"] for arm in report["variants"]}
    assert converted == {"a": 0, "b": 0} | {arms[planner.id]: 1}
    assert units == dict(Counter(arms.values())) | {
        name: 0 for name in ("a", "b") if name not in arms.values()
    }
    assert report["sample_ratio"] is None  # too few to test the split


async def test_who_may_and_bad_input(app: FastAPI, client: httpx.AsyncClient) -> None:
    boss = await admin(client, app.state)
    traveler = await make_user(client)
    key = f"bad-{uuid.uuid4().hex[:8]}"
    assert_problem(await client.post(ADMIN, json=design(key)), 401, "unauthorized")
    assert_problem(
        await client.post(ADMIN, json=design(key), headers=traveler.headers),
        403,
        "permission_denied",
    )
    for path in ("", "/goals"):
        assert_problem(
            await client.get(ADMIN + path, headers=traveler.headers), 403, "permission_denied"
        )
    refused = {
        "goal": design(key, goal="Checkout Clicked!"),
        "variants": design(key, variants=[{"key": "a"}, {"key": "a"}]),
        "value_currency": design(key, value_currency="XQQ"),
    }
    for field, body in refused.items():
        problem = assert_problem(
            await client.post(ADMIN, json=body, headers=boss.headers), 422, "invalid_experiment"
        )
        assert field in str(problem), problem
    for body in (
        design(key, variants=[{"key": "alone"}]),
        design(key, traffic_percent=0),
        design(key, variants=[{"key": "a", "weight": 0}, {"key": "b"}]),
        design("Not A Key"),
    ):
        assert_problem(
            await client.post(ADMIN, json=body, headers=boss.headers), 422, "validation_error"
        )
    assert_problem(
        await client.get(f"{ADMIN}/{key}", headers=boss.headers), 404, "experiment_not_found"
    )

    assert (await client.post(ADMIN, json=design(key), headers=boss.headers)).status_code == 201
    assert_problem(
        await client.post(ADMIN, json=design(key), headers=boss.headers),
        409,
        "duplicate_experiment",
    )
    assert_problem(
        await client.post(f"{ADMIN}/{key}/stop", headers=boss.headers),
        409,
        "experiment_state_conflict",
    )
    assert_problem(
        await client.patch(f"{ADMIN}/{key}", json={"goal": None}, headers=boss.headers),
        422,
        "invalid_experiment",
    )
    assert (await client.post(f"{ADMIN}/{key}/start", headers=boss.headers)).status_code == 200
    for call in (
        client.patch(f"{ADMIN}/{key}", json={"traffic_percent": 50}, headers=boss.headers),
        client.post(f"{ADMIN}/{key}/start", headers=boss.headers),
    ):
        assert_problem(await call, 409, "experiment_state_conflict")
    assert_problem(
        await client.post(f"{ADMIN}/{key}/stop", json={"winner": "purple"}, headers=boss.headers),
        422,
        "invalid_experiment",
    )
    assert (await client.get(f"{ADMIN}/{key}", headers=boss.headers)).json()["status"] == "running"

    # apps: a unit is needed; a batch is recorded whole or not at all
    assert_problem(await client.post(f"{API}/analytics/assignments", json={}), 422, "unit_required")
    install = uuid.uuid4()
    good = event("checkout_clicked")
    stale = event("checkout_clicked", datetime.now(UTC) - timedelta(days=8))
    future = event("checkout_clicked", datetime.now(UTC) + timedelta(hours=1))
    for bad in (stale, future, event("checkout_clicked", currency="XQQ", value=5)):
        assert_problem(await send(client, [good, bad], install), 422, "invalid_event")
    assert_problem(await send(client, [good, good], install), 422, "invalid_event")
    for bad in (event("bookings.booking_confirmed"), event("x", value=-1)):
        assert_problem(await send(client, [good, bad], install), 422, "validation_error")
    naive = good | {"occurred_at": datetime.now(UTC).replace(tzinfo=None).isoformat()}
    assert_problem(await send(client, [naive], install), 422, "invalid_event")
    assert_problem(
        await client.post(f"{API}/analytics/events", json={"events": [good]}), 422, "unit_required"
    )
    assert (await send(client, [good], install)).json() == {"accepted": 1, "duplicates": 0}


async def test_apps_calls_are_limited_per_ip(sqlite_url: str) -> None:
    settings = make_settings(sqlite_url, rate_limit={"analytics_per_ip": 3})
    async with running_app(settings) as limited, asgi_client(limited) as client:
        install = str(uuid.uuid4())
        for _ in range(2):
            asked = await client.post(
                f"{API}/analytics/assignments", json={"anonymous_id": install}
            )
            assert asked.status_code == 200, asked.text
        sent = await client.post(
            f"{API}/analytics/events",
            json={"anonymous_id": install, "events": [event("page_viewed")]},
        )
        assert sent.status_code == 202, sent.text
        refused = await send(client, [event("page_viewed")], uuid.UUID(install))
        problem = assert_problem(refused, 429, "rate_limited")
        assert int(refused.headers["retry-after"]) >= 1, problem


async def test_an_install_that_signs_in_keeps_its_variant(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Seen as an install, then signed in: the variant stays, the person counts once, and what
    they then do as themselves (a trip created: the platform's event) is the experiment's."""
    boss = await admin(client, app.state)
    key = f"signup-{uuid.uuid4().hex[:8]}"
    body = design(key, goal="trips.trip_created", variants=[{"key": "a"}, {"key": "b"}])
    await started(client, boss, body)
    experiment_id = (await client.get(f"{ADMIN}/{key}", headers=boss.headers)).json()["id"]
    # a person whose own hash would put them elsewhere than their install: the test means it
    while True:
        person = await make_user(client)
        install = uuid.uuid4()
        as_install = stats.assign(experiment_id, f"anon:{install}", [1, 1], 100)
        if as_install != stats.assign(experiment_id, f"user:{person.id}", [1, 1], 100):
            break
    seen = (await variant_of(client, key, install))["variant"]
    assert seen == ["a", "b"][as_install or 0]
    await send(client, [event("page_viewed")], install)

    identified = await client.post(
        f"{API}/analytics/identify", json={"anonymous_id": str(install)}, headers=person.headers
    )
    assert identified.json() == {"unit": f"user:{person.id}", "exposures": 1, "events": 1}
    assert (await variant_of(client, key, who=person))["variant"] == seen
    assert (await variant_of(client, key, install))["variant"] == seen  # signed out again
    await create_trip(client, person)
    await app.state.relay.drain()
    report = await results(client, boss, key)
    assert {arm["key"]: (arm["units"], arm["converted"]) for arm in report["variants"]} == {
        "a": (1, 0),
        "b": (1, 0),
    } | {seen: (1, 1)} | {("b" if seen == "a" else "a"): (0, 0)}

    # signed in on a second device that saw the other variant: still one unit, the first variant
    other = uuid.uuid4()
    while stats.assign(experiment_id, f"anon:{other}", [1, 1], 100) == as_install:
        other = uuid.uuid4()
    assert (await variant_of(client, key, other))["variant"] != seen
    again = await client.post(
        f"{API}/analytics/identify", json={"anonymous_id": str(other)}, headers=person.headers
    )
    assert again.json()["exposures"] == 0
    units = {arm["key"]: arm["units"] for arm in (await results(client, boss, key))["variants"]}
    assert units == {seen: 1, ("b" if seen == "a" else "a"): 0}
    assert_problem(
        await client.post(f"{API}/analytics/identify", json={"anonymous_id": str(other)}),
        401,
        "unauthorized",
    )

"""Profiles over HTTP: profile, preferences, saved places, payment-method tokens.

Every test runs on SQLite and PostgreSQL (the `client`/`app` fixtures are parametrized)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from navio.kernel.events import OutboxEvent
from navio.profiles.models import PaymentMethod, SavedPlace
from navio.profiles.service import MAX_SAVED_PLACES
from tests.factories.iam import AuthedUser, admin, assert_problem, login, register, unique_email
from tests.factories.iam import user as make_user

API = "/api/v1"
NOW = datetime.now(UTC)
NEXT_YEAR = NOW.year + 1
TEST_PAN = "4242424242424242"  # Luhn-valid test Visa number


def url(user_id: uuid.UUID | str, path: str = "profile") -> str:
    return f"{API}/users/{user_id}/{path}"


def place(i: int = 0, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "label": f"Place {i}",
        "name": f"Spot number {i}",
        "address": f"{i} Main Street",
        "lat": 60.0 + i / 100,
        "lon": 24.0 + i / 100,
        "notes": None,
    }
    body.update(overrides)
    return body


def card(token: str | None = None, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "provider": "sandbox",
        "token": token or f"pm_{uuid.uuid4().hex}",
        "brand": "visa",
        "last4": "4242",
        "exp_month": 12,
        "exp_year": NEXT_YEAR,
        "holder_name": "Ada Lovelace",
    }
    body.update(overrides)
    return body


FULL_PROFILE: dict[str, Any] = {
    "display_name": "Ada Lovelace",
    "bio": "Analytical engines and long train rides.",
    "avatar_url": "https://cdn.example.org/avatars/ada.png",
    "home_city": "Helsinki",
    "country_code": "FI",
    "timezone": "Europe/Helsinki",
    "phone": "+358401234567",
}

FULL_PREFERENCES: dict[str, Any] = {
    "home_currency": "JPY",
    "language": "pt-BR",
    "travel_style": "backpacker",
    "pace": "packed",
    "interests": ["food", "museums", "hiking"],
    "dietary": ["vegan"],
    "mobility": ["step_free"],
    "distance_unit": "imperial",
}


def assert_invalid(response: httpx.Response, field: str) -> dict[str, Any]:
    """422 validation problem whose errors name exactly `field` (among others)."""
    body = assert_problem(response, 422, "validation_error")
    errors = body["errors"]
    assert isinstance(errors, list) and errors, body
    fields = [e["field"] for e in errors]
    assert field in fields, (field, fields)
    assert field in str(body["detail"])
    return body


async def get_json(client: httpx.AsyncClient, who: AuthedUser, path: str) -> Any:
    response = await client.get(path, headers=who.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def snapshot(client: httpx.AsyncClient, owner: AuthedUser) -> dict[str, Any]:
    """Everything the owner can see of their profile data."""
    return {
        "profile": await get_json(client, owner, url(owner.id)),
        "preferences": await get_json(client, owner, url(owner.id, "preferences")),
        "places": await get_json(client, owner, url(owner.id, "saved-places?limit=200")),
        "cards": await get_json(client, owner, url(owner.id, "payment-methods")),
    }


async def outbox_events(app: FastAPI, name: str) -> list[dict[str, Any]]:
    async with app.state.db.transaction(write=False) as session:
        rows = await session.scalars(
            select(OutboxEvent).where(OutboxEvent.name == name).order_by(OutboxEvent.occurred_at)
        )
        return [dict(r.payload) for r in rows]


# ================================================================ profile


async def test_profile_is_seeded_from_registration_through_the_outbox(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await app.state.relay.stop()  # deliver by hand to see both sides of the relay
    email = unique_email()
    created = await register(client, email, display_name="Grace Hopper")
    tokens = await login(client, email)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    user_id = str(created["id"])

    before = await client.get(url(user_id), headers=headers)
    assert before.status_code == 200, before.text
    assert before.json() == {
        "user_id": user_id,
        "display_name": None,
        "bio": None,
        "avatar_url": None,
        "home_city": None,
        "country_code": None,
        "timezone": None,
        "phone": None,
        "updated_at": None,
    }

    await app.state.relay.drain()

    after = await client.get(url(user_id), headers=headers)
    assert after.status_code == 200, after.text
    body = after.json()
    assert body["user_id"] == user_id
    assert body["display_name"] == "Grace Hopper"
    assert body["updated_at"] is not None
    assert body["home_city"] is None


async def test_put_before_the_relay_runs_is_not_overwritten_by_the_seed(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await app.state.relay.stop()
    email = unique_email()
    created = await register(client, email, display_name="Seed Name")
    tokens = await login(client, email)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    user_id = str(created["id"])

    put = await client.put(
        url(user_id), headers=headers, json={"display_name": "Chosen Name", "home_city": "Oslo"}
    )
    assert put.status_code == 200, put.text
    assert put.json()["display_name"] == "Chosen Name"

    assert await app.state.relay.pending() >= 1
    await app.state.relay.drain()
    assert await app.state.relay.pending() == 0  # the seed handler did run

    body = (await client.get(url(user_id), headers=headers)).json()
    assert body["display_name"] == "Chosen Name"
    assert body["home_city"] == "Oslo"


async def test_put_profile_roundtrip_and_replace(client: httpx.AsyncClient, app: FastAPI) -> None:
    me = await make_user(client)
    await app.state.relay.drain()

    response = await client.put(url(me.id), headers=me.headers, json=FULL_PROFILE)
    assert response.status_code == 200, response.text
    body = response.json()
    assert {k: body[k] for k in FULL_PROFILE} == FULL_PROFILE
    assert body["user_id"] == str(me.id)
    first_update = datetime.fromisoformat(body["updated_at"])

    assert await get_json(client, me, url(me.id)) == body

    # PUT replaces: fields left out are cleared.
    response = await client.put(url(me.id), headers=me.headers, json={"display_name": "  Ada  "})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["display_name"] == "Ada"  # surrounding whitespace stripped
    assert body["home_city"] is None
    assert body["phone"] is None
    assert body["timezone"] is None
    assert datetime.fromisoformat(body["updated_at"]) >= first_update
    assert await get_json(client, me, url(me.id)) == body


async def test_bad_profile_input_is_refused_and_nothing_changes(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    me = await make_user(client)
    await app.state.relay.drain()
    assert (await client.put(url(me.id), headers=me.headers, json=FULL_PROFILE)).status_code == 200
    before = await get_json(client, me, url(me.id))

    cases: list[tuple[dict[str, Any], str]] = [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"phone": "040 123 4567"}, "phone"),
        ({"phone": "+0123456789"}, "phone"),
        ({"phone": "+1234"}, "phone"),
        ({"country_code": "fi"}, "country_code"),
        ({"country_code": "FIN"}, "country_code"),
        ({"display_name": "   "}, "display_name"),
        ({"display_name": "x" * 121}, "display_name"),
        ({"avatar_url": "javascript:alert(1)"}, "avatar_url"),
        ({"nickname": "Countess"}, "nickname"),  # extra="forbid"
    ]
    for changes, field in cases:
        response = await client.put(
            url(me.id), headers=me.headers, json={**FULL_PROFILE, **changes, "home_city": "Changed"}
        )
        assert_invalid(response, field)
        assert await get_json(client, me, url(me.id)) == before, changes


async def test_profile_path_must_be_a_uuid(client: httpx.AsyncClient) -> None:
    me = await make_user(client)
    response = await client.get(f"{API}/users/not-a-uuid/profile", headers=me.headers)
    assert_invalid(response, "user_id")


# ================================================================ preferences


async def test_preferences_default_before_any_put(client: httpx.AsyncClient) -> None:
    me = await make_user(client)
    assert await get_json(client, me, url(me.id, "preferences")) == {
        "user_id": str(me.id),
        "home_currency": "EUR",
        "language": "en",
        "travel_style": None,
        "pace": "moderate",
        "interests": [],
        "dietary": [],
        "mobility": [],
        "distance_unit": "metric",
        "updated_at": None,
    }


async def test_put_preferences_roundtrip_records_changed_fields(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    me = await make_user(client)
    response = await client.put(
        url(me.id, "preferences"),
        headers=me.headers,
        json={**FULL_PREFERENCES, "language": "pt_BR"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert {k: body[k] for k in FULL_PREFERENCES} == FULL_PREFERENCES  # pt_BR normalised
    assert body["user_id"] == str(me.id)
    assert body["updated_at"] is not None
    assert await get_json(client, me, url(me.id, "preferences")) == body

    events = await outbox_events(app, "profiles.preferences_updated")
    assert events == [
        {
            "user_id": str(me.id),
            "fields": sorted(FULL_PREFERENCES),
        }
    ]

    # The same values again change nothing and record nothing.
    again = await client.put(url(me.id, "preferences"), headers=me.headers, json=FULL_PREFERENCES)
    assert again.status_code == 200, again.text
    assert len(await outbox_events(app, "profiles.preferences_updated")) == 1

    # One field changed: one field reported.
    changed = await client.put(
        url(me.id, "preferences"), headers=me.headers, json={**FULL_PREFERENCES, "pace": "relaxed"}
    )
    assert changed.json()["pace"] == "relaxed"
    events = await outbox_events(app, "profiles.preferences_updated")
    assert events[-1] == {"user_id": str(me.id), "fields": ["pace"]}


async def test_bad_preferences_are_refused_and_nothing_changes(client: httpx.AsyncClient) -> None:
    me = await make_user(client)
    put = await client.put(url(me.id, "preferences"), headers=me.headers, json=FULL_PREFERENCES)
    assert put.status_code == 200, put.text
    before = await get_json(client, me, url(me.id, "preferences"))

    cases: list[tuple[dict[str, Any], str]] = [
        ({"home_currency": "XYZ"}, "home_currency"),
        ({"home_currency": "DEM"}, "home_currency"),  # no longer legal tender
        ({"home_currency": "eur"}, "home_currency"),
        ({"language": "zz-ZZ"}, "language"),
        ({"language": "not a tag"}, "language"),
        ({"language": "e"}, "language"),
        ({"interests": ["food", "time_travel"]}, "interests.1"),
        ({"interests": ["food", "museums", "food"]}, "interests"),
        ({"dietary": ["vegan", "vegan"]}, "dietary"),
        ({"mobility": ["jetpack"]}, "mobility.0"),
        ({"travel_style": "reckless"}, "travel_style"),
        ({"pace": "frantic"}, "pace"),
        ({"distance_unit": "furlongs"}, "distance_unit"),
        ({"favourite_colour": "blue"}, "favourite_colour"),  # extra="forbid"
    ]
    for changes, field in cases:
        response = await client.put(
            url(me.id, "preferences"),
            headers=me.headers,
            json={**FULL_PREFERENCES, "pace": "relaxed", **changes},
        )
        assert_invalid(response, field)
        assert await get_json(client, me, url(me.id, "preferences")) == before, changes


# ================================================================ saved places


async def test_saved_place_crud(client: httpx.AsyncClient) -> None:
    me = await make_user(client)
    places_url = url(me.id, "saved-places")

    created = await client.post(places_url, headers=me.headers, json=place(1, notes="quiet"))
    assert created.status_code == 201, created.text
    body = created.json()
    place_id = body["id"]
    uuid.UUID(place_id)
    assert {k: body[k] for k in place(1, notes="quiet")} == place(1, notes="quiet")
    assert body["place_id"] is None
    assert body["created_at"]

    listing = await get_json(client, me, places_url)
    assert listing == {"items": [body], "next_cursor": None}

    new_values = place(2, label="Home", place_id=str(uuid.uuid4()), notes=None)
    updated = await client.put(f"{places_url}/{place_id}", headers=me.headers, json=new_values)
    assert updated.status_code == 200, updated.text
    assert updated.json()["id"] == place_id
    assert {k: updated.json()[k] for k in new_values} == new_values
    assert (await get_json(client, me, places_url))["items"] == [updated.json()]

    deleted = await client.delete(f"{places_url}/{place_id}", headers=me.headers)
    assert deleted.status_code == 204, deleted.text
    assert deleted.content == b""
    assert await get_json(client, me, places_url) == {"items": [], "next_cursor": None}

    again = await client.delete(f"{places_url}/{place_id}", headers=me.headers)
    assert_problem(again, 404, "saved_place_not_found")
    missing = await client.put(f"{places_url}/{uuid.uuid4()}", headers=me.headers, json=place(3))
    assert_problem(missing, 404, "saved_place_not_found")


async def test_saved_places_cursor_pagination_walks_every_item_once(
    client: httpx.AsyncClient,
) -> None:
    me = await make_user(client)
    places_url = url(me.id, "saved-places")
    created_ids = []
    for i in range(8):
        response = await client.post(places_url, headers=me.headers, json=place(i))
        assert response.status_code == 201, response.text
        created_ids.append(response.json()["id"])

    seen: list[str] = []
    page_sizes: list[int] = []
    cursor: str | None = None
    for _ in range(10):  # bounded: a cursor that never ends fails the test
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        response = await client.get(places_url, headers=me.headers, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        page_sizes.append(len(page["items"]))
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert page_sizes == [3, 3, 2]
    assert len(seen) == len(set(seen)), "duplicates across pages"
    assert seen == created_ids, "order is creation order, without gaps"

    # An exact multiple ends without an empty trailing page.
    whole = await get_json(client, me, f"{places_url}?limit=8")
    assert [i["id"] for i in whole["items"]] == created_ids
    assert whole["next_cursor"] is None
    # Default limit covers them all.
    assert len((await get_json(client, me, places_url))["items"]) == 8


async def test_saved_places_cursor_survives_deleting_the_cursor_item(
    client: httpx.AsyncClient,
) -> None:
    me = await make_user(client)
    places_url = url(me.id, "saved-places")
    ids = [
        (await client.post(places_url, headers=me.headers, json=place(i))).json()["id"]
        for i in range(5)
    ]
    first = await get_json(client, me, f"{places_url}?limit=2")
    assert [i["id"] for i in first["items"]] == ids[:2]
    # The item the cursor points at disappears; keyset paging carries on after it.
    assert (await client.delete(f"{places_url}/{ids[1]}", headers=me.headers)).status_code == 204
    second = await client.get(
        places_url, headers=me.headers, params={"limit": 2, "cursor": first["next_cursor"]}
    )
    assert second.status_code == 200, second.text
    assert [i["id"] for i in second.json()["items"]] == ids[2:4]


async def test_saved_places_bad_paging_parameters(client: httpx.AsyncClient) -> None:
    me = await make_user(client)
    places_url = url(me.id, "saved-places")
    assert_invalid(await client.get(f"{places_url}?limit=0", headers=me.headers), "limit")
    assert_invalid(await client.get(f"{places_url}?limit=201", headers=me.headers), "limit")
    body = assert_problem(
        await client.get(f"{places_url}?cursor=not-a-cursor", headers=me.headers),
        422,
        "invalid_cursor",
    )
    assert body["field"] == "cursor"


async def test_bad_saved_places_are_refused_and_nothing_changes(
    client: httpx.AsyncClient,
) -> None:
    me = await make_user(client)
    places_url = url(me.id, "saved-places")
    existing = (await client.post(places_url, headers=me.headers, json=place(1))).json()
    before = await get_json(client, me, places_url)

    cases: list[tuple[dict[str, Any], str]] = [
        ({"lat": 91}, "lat"),
        ({"lat": -90.0001}, "lat"),
        ({"lon": 181}, "lon"),
        ({"lon": -180.5}, "lon"),
        ({"label": "  "}, "label"),
        ({"name": "n" * 201}, "name"),
        ({"place_id": "not-a-uuid"}, "place_id"),
        ({"rating": 5}, "rating"),  # extra="forbid"
    ]
    for changes, field in cases:
        assert_invalid(
            await client.post(places_url, headers=me.headers, json=place(2, **changes)), field
        )
        assert_invalid(
            await client.put(
                f"{places_url}/{existing['id']}", headers=me.headers, json=place(2, **changes)
            ),
            field,
        )
        assert await get_json(client, me, places_url) == before, changes

    missing_name = place(2)
    del missing_name["name"]
    assert_invalid(await client.post(places_url, headers=me.headers, json=missing_name), "name")
    assert await get_json(client, me, places_url) == before


async def test_saved_places_are_capped(client: httpx.AsyncClient, app: FastAPI) -> None:
    me = await make_user(client)
    async with app.state.db.transaction() as session:
        session.add_all(
            SavedPlace(user_id=me.id, label=f"p{i}", name=f"n{i}", lat=0.0, lon=0.0)
            for i in range(MAX_SAVED_PLACES)
        )
    response = await client.post(url(me.id, "saved-places"), headers=me.headers, json=place(1))
    body = assert_problem(response, 409, "too_many_saved_places")
    assert body["limit"] == MAX_SAVED_PLACES
    async with app.state.db.transaction(write=False) as session:
        count = await session.scalar(
            select(func.count()).select_from(SavedPlace).where(SavedPlace.user_id == me.id)
        )
    assert count == MAX_SAVED_PLACES


# ================================================================ payment methods


async def add_card(
    client: httpx.AsyncClient, owner: AuthedUser, **overrides: Any
) -> dict[str, Any]:
    response = await client.post(
        url(owner.id, "payment-methods"), headers=owner.headers, json=card(**overrides)
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def defaults(client: httpx.AsyncClient, owner: AuthedUser) -> list[str]:
    cards = await get_json(client, owner, url(owner.id, "payment-methods"))
    return [c["id"] for c in cards if c["is_default"]]


async def test_payment_methods_add_list_default_delete(client: httpx.AsyncClient) -> None:
    me = await make_user(client)
    cards_url = url(me.id, "payment-methods")
    assert await get_json(client, me, cards_url) == []

    first = await add_card(client, me, last4="1111", brand="mastercard")
    assert first["is_default"] is True, "the first method becomes the default"
    assert first["brand"] == "mastercard"
    assert first["last4"] == "1111"
    assert first["provider"] == "sandbox"
    assert first["exp_month"] == 12
    assert first["exp_year"] == NEXT_YEAR
    assert first["holder_name"] == "Ada Lovelace"

    second = await add_card(client, me, last4="2222")
    assert second["is_default"] is False
    third = await add_card(client, me, last4="3333")
    assert third["is_default"] is False

    listing = await get_json(client, me, cards_url)
    assert [c["id"] for c in listing] == [first["id"], second["id"], third["id"]]
    assert await defaults(client, me) == [first["id"]]

    made = await client.post(f"{cards_url}/{second['id']}/default", headers=me.headers)
    assert made.status_code == 200, made.text
    assert made.json()["id"] == second["id"]
    assert made.json()["is_default"] is True
    assert await defaults(client, me) == [second["id"]]

    # Adding with make_default moves the default.
    fourth = await add_card(client, me, last4="4444", make_default=True)
    assert fourth["is_default"] is True
    assert await defaults(client, me) == [fourth["id"]]

    # Deleting a non-default method leaves the default alone.
    assert (
        await client.delete(f"{cards_url}/{first['id']}", headers=me.headers)
    ).status_code == 204
    assert await defaults(client, me) == [fourth["id"]]

    # Deleting the default moves it to one of the others (the newest remaining).
    assert (
        await client.delete(f"{cards_url}/{fourth['id']}", headers=me.headers)
    ).status_code == 204
    listing = await get_json(client, me, cards_url)
    assert [c["id"] for c in listing] == [second["id"], third["id"]]
    assert await defaults(client, me) == [third["id"]]

    assert (
        await client.delete(f"{cards_url}/{third['id']}", headers=me.headers)
    ).status_code == 204
    assert await defaults(client, me) == [second["id"]]
    assert (
        await client.delete(f"{cards_url}/{second['id']}", headers=me.headers)
    ).status_code == 204
    assert await get_json(client, me, cards_url) == []

    # After all were removed, the next one is the default again.
    again = await add_card(client, me)
    assert again["is_default"] is True

    gone = await client.delete(f"{cards_url}/{first['id']}", headers=me.headers)
    assert_problem(gone, 404, "payment_method_not_found")
    gone_default = await client.post(f"{cards_url}/{uuid.uuid4()}/default", headers=me.headers)
    assert_problem(gone_default, 404, "payment_method_not_found")


async def test_setting_the_current_default_again_keeps_one_default(
    client: httpx.AsyncClient,
) -> None:
    me = await make_user(client)
    only = await add_card(client, me)
    cards_url = url(me.id, "payment-methods")
    response = await client.post(f"{cards_url}/{only['id']}/default", headers=me.headers)
    assert response.status_code == 200, response.text
    assert response.json()["is_default"] is True
    assert await defaults(client, me) == [only["id"]]


async def test_payment_method_responses_never_contain_the_provider_token(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    me = await make_user(client)
    token = f"pm_secret_{uuid.uuid4().hex}"
    cards_url = url(me.id, "payment-methods")
    other = await add_card(client, me)

    created = await client.post(cards_url, headers=me.headers, json=card(token))
    assert created.status_code == 201, created.text
    made_default = await client.post(
        f"{cards_url}/{created.json()['id']}/default", headers=me.headers
    )
    listed = await client.get(cards_url, headers=me.headers)
    duplicate = await client.post(cards_url, headers=me.headers, json=card(token))
    assert duplicate.status_code == 409

    for response in (created, made_default, listed, duplicate):
        assert token not in response.text, response.text
        assert "provider_token" not in response.text
        assert '"token"' not in response.text.replace('"field":"token"', "")
    assert set(created.json()) == {
        "id",
        "provider",
        "brand",
        "last4",
        "exp_month",
        "exp_year",
        "holder_name",
        "is_default",
        "created_at",
    }
    assert other["id"] in listed.text

    # It is stored, though: the provider needs it to charge.
    async with app.state.db.transaction(write=False) as session:
        stored = await session.scalar(
            select(PaymentMethod.provider_token).where(
                PaymentMethod.id == uuid.UUID(created.json()["id"])
            )
        )
    assert stored == token


async def test_card_numbers_are_refused_as_tokens(client: httpx.AsyncClient) -> None:
    me = await make_user(client)
    existing = await add_card(client, me)
    cards_url = url(me.id, "payment-methods")
    for pan in (TEST_PAN, "4242 4242 4242 4242", "4242-4242-4242-4242", "5555555555554444"):
        response = await client.post(
            cards_url, headers=me.headers, json=card(pan, make_default=True)
        )
        body = assert_problem(response, 422, "card_number_refused")
        assert body["field"] == "token"
        assert pan not in response.text
    listing = await get_json(client, me, cards_url)
    assert [c["id"] for c in listing] == [existing["id"]]
    assert listing[0]["is_default"] is True


async def test_expired_cards_are_refused(client: httpx.AsyncClient) -> None:
    me = await make_user(client)
    existing = await add_card(client, me)
    cards_url = url(me.id, "payment-methods")
    prev_month, prev_year = (NOW.month - 1, NOW.year) if NOW.month > 1 else (12, NOW.year - 1)
    for month, year in ((12, NOW.year - 1), (prev_month, prev_year), (1, 2000)):
        response = await client.post(
            cards_url,
            headers=me.headers,
            json=card(exp_month=month, exp_year=year, make_default=True),
        )
        body = assert_problem(response, 422, "payment_method_expired")
        assert body["field"] == "exp_year"
    listing = await get_json(client, me, cards_url)
    assert [c["id"] for c in listing] == [existing["id"]]
    assert listing[0]["is_default"] is True

    # A card is valid through the end of its expiry month.
    current = await add_card(client, me, exp_month=NOW.month, exp_year=NOW.year)
    assert current["exp_month"] == NOW.month


async def test_duplicate_tokens_are_refused(client: httpx.AsyncClient) -> None:
    me = await make_user(client)
    someone = await make_user(client)
    token = f"pm_{uuid.uuid4().hex}"
    first = await add_card(client, me, token=token)
    second = await add_card(client, me)
    cards_url = url(me.id, "payment-methods")

    dup = await client.post(cards_url, headers=me.headers, json=card(token, make_default=True))
    body = assert_problem(dup, 409, "duplicate_payment_method")
    assert body["field"] == "token"
    # Whitespace around the token does not make it new.
    dup_spaced = await client.post(cards_url, headers=me.headers, json=card(f"  {token} "))
    assert_problem(dup_spaced, 409, "duplicate_payment_method")
    # A provider token belongs to one payment method, whoever sends it.
    theirs = await client.post(
        url(someone.id, "payment-methods"), headers=someone.headers, json=card(token)
    )
    assert_problem(theirs, 409, "duplicate_payment_method")

    listing = await get_json(client, me, cards_url)
    assert [c["id"] for c in listing] == [first["id"], second["id"]]
    assert await defaults(client, me) == [first["id"]]
    assert await get_json(client, someone, url(someone.id, "payment-methods")) == []

    # The same token at another provider is a different payment method.
    other_provider = await add_card(client, me, token=token, provider="stripe")
    assert other_provider["provider"] == "stripe"


async def test_bad_payment_method_input(client: httpx.AsyncClient) -> None:
    me = await make_user(client)
    cards_url = url(me.id, "payment-methods")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"last4": "42a2"}, "last4"),
        ({"last4": "42424"}, "last4"),
        ({"exp_month": 13}, "exp_month"),
        ({"exp_month": 0}, "exp_month"),
        ({"exp_year": 2101}, "exp_year"),
        ({"provider": "paypal"}, "provider"),
        ({"brand": "bitcoin"}, "brand"),
        ({"token": "abc"}, "token"),
        ({"cvc": "123"}, "cvc"),  # extra="forbid"
    ]
    for changes, field in cases:
        assert_invalid(
            await client.post(cards_url, headers=me.headers, json=card(**changes)), field
        )
    assert await get_json(client, me, cards_url) == []


# ================================================================ concurrency
#
# SQLite serialises writers (BEGIN IMMEDIATE); PostgreSQL runs these requests truly in parallel
# under READ COMMITTED, where only the per-user lock and the partial unique index keep it right.


async def test_concurrent_first_methods_leave_one_default(
    client: httpx.AsyncClient,
) -> None:
    me = await make_user(client)
    responses = await asyncio.gather(
        *(
            client.post(url(me.id, "payment-methods"), headers=me.headers, json=card())
            for _ in range(4)
        )
    )
    assert [r.status_code for r in responses] == [201] * 4
    assert len(await defaults(client, me)) == 1


async def test_concurrent_set_default_leaves_one_default(
    client: httpx.AsyncClient,
) -> None:
    me = await make_user(client)
    ids = [(await add_card(client, me))["id"] for _ in range(4)]
    responses = await asyncio.gather(
        *(
            client.post(url(me.id, f"payment-methods/{pm}/default"), headers=me.headers)
            for pm in ids[1:]
        )
    )
    assert [r.status_code for r in responses] == [200] * 3
    assert len(await defaults(client, me)) == 1


async def test_concurrent_duplicate_tokens_get_409_not_500(
    client: httpx.AsyncClient,
) -> None:
    me = await make_user(client)
    body = card()

    async def attempt() -> int | str:
        try:
            response = await client.post(
                url(me.id, "payment-methods"), headers=me.headers, json=body
            )
        except Exception as exc:  # the ASGI transport re-raises unhandled app errors
            return type(exc).__name__
        return response.status_code

    outcomes = await asyncio.gather(*(attempt() for _ in range(3)))
    assert sorted(outcomes, key=str) == [201, 409, 409]
    assert len(await get_json(client, me, url(me.id, "payment-methods"))) == 1


# ================================================================ authorization


async def populate(client: httpx.AsyncClient, owner: AuthedUser) -> dict[str, Any]:
    put = await client.put(url(owner.id), headers=owner.headers, json=FULL_PROFILE)
    assert put.status_code == 200, put.text
    prefs = await client.put(
        url(owner.id, "preferences"), headers=owner.headers, json=FULL_PREFERENCES
    )
    assert prefs.status_code == 200, prefs.text
    saved = await client.post(url(owner.id, "saved-places"), headers=owner.headers, json=place(7))
    assert saved.status_code == 201, saved.text
    pm = await add_card(client, owner)
    return {"place_id": saved.json()["id"], "pm_id": pm["id"]}


async def test_users_cannot_see_or_change_each_others_data(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    alice = await make_user(client)
    bob = await make_user(client)
    await app.state.relay.drain()
    ids = await populate(client, bob)
    await add_card(client, alice)  # alice has data of her own too
    before = await snapshot(client, bob)

    b = bob.id
    attempts: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", url(b), None),
        ("PUT", url(b), {"display_name": "Hacked"}),
        ("GET", url(b, "preferences"), None),
        ("PUT", url(b, "preferences"), {"home_currency": "USD"}),
        ("GET", url(b, "saved-places"), None),
        ("POST", url(b, "saved-places"), place(99)),
        ("PUT", url(b, f"saved-places/{ids['place_id']}"), place(99)),
        ("DELETE", url(b, f"saved-places/{ids['place_id']}"), None),
        ("GET", url(b, "payment-methods"), None),
        ("POST", url(b, "payment-methods"), card(make_default=True)),
        ("POST", url(b, f"payment-methods/{ids['pm_id']}/default"), None),
        ("DELETE", url(b, f"payment-methods/{ids['pm_id']}"), None),
    ]
    for method, path, body in attempts:
        response = await client.request(method, path, headers=alice.headers, json=body)
        problem = assert_problem(response, 404, "profile_not_found")
        assert "Ada" not in response.text, (method, path)
        assert problem["status"] == 404

    # Bob's ids under Alice's own URL: not found either, and nothing happens to them.
    mine = alice.id
    sneaky: list[tuple[str, str, dict[str, Any] | None, str]] = [
        ("PUT", url(mine, f"saved-places/{ids['place_id']}"), place(5), "saved_place_not_found"),
        ("DELETE", url(mine, f"saved-places/{ids['place_id']}"), None, "saved_place_not_found"),
        (
            "POST",
            url(mine, f"payment-methods/{ids['pm_id']}/default"),
            None,
            "payment_method_not_found",
        ),
        ("DELETE", url(mine, f"payment-methods/{ids['pm_id']}"), None, "payment_method_not_found"),
    ]
    for method, path, body, code in sneaky:
        response = await client.request(method, path, headers=alice.headers, json=body)
        assert_problem(response, 404, code)

    assert await snapshot(client, bob) == before
    assert len(await get_json(client, alice, url(mine, "payment-methods"))) == 1
    assert (await get_json(client, alice, url(mine, "saved-places")))["items"] == []


async def test_anonymous_and_bad_tokens_get_401(client: httpx.AsyncClient) -> None:
    someone = uuid.uuid4()
    pid = uuid.uuid4()
    endpoints: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", url(someone), None),
        ("PUT", url(someone), {"display_name": "x"}),
        ("GET", url(someone, "preferences"), None),
        ("PUT", url(someone, "preferences"), FULL_PREFERENCES),
        ("GET", url(someone, "saved-places"), None),
        ("POST", url(someone, "saved-places"), place(1)),
        ("PUT", url(someone, f"saved-places/{pid}"), place(1)),
        ("DELETE", url(someone, f"saved-places/{pid}"), None),
        ("GET", url(someone, "payment-methods"), None),
        ("POST", url(someone, "payment-methods"), card()),
        ("POST", url(someone, f"payment-methods/{pid}/default"), None),
        ("DELETE", url(someone, f"payment-methods/{pid}"), None),
    ]
    for method, path, body in endpoints:
        response = await client.request(method, path, json=body)
        assert_problem(response, 401, "unauthorized")
        assert response.headers["www-authenticate"] == "Bearer"
        forged = await client.request(
            method, path, json=body, headers={"Authorization": "Bearer not.a.jwt"}
        )
        assert_problem(forged, 401, "invalid_token")


async def test_admin_can_read_another_users_data(client: httpx.AsyncClient, app: FastAPI) -> None:
    bob = await make_user(client)
    await app.state.relay.drain()
    await populate(client, bob)
    root = await admin(client, app.state)
    expected = await snapshot(client, bob)

    assert await get_json(client, root, url(bob.id)) == expected["profile"]
    assert (await get_json(client, root, url(bob.id)))["display_name"] == "Ada Lovelace"
    assert await get_json(client, root, url(bob.id, "preferences")) == expected["preferences"]
    assert await get_json(client, root, url(bob.id, "saved-places?limit=200")) == expected["places"]
    assert await get_json(client, root, url(bob.id, "payment-methods")) == expected["cards"]

    # An id with no profile is not found, for admins too.
    assert_problem(
        await client.get(url(uuid.uuid4()), headers=root.headers), 404, "profile_not_found"
    )
    assert await snapshot(client, bob) == expected


async def test_same_token_from_two_users_at_once_is_one_201_and_one_409(
    client: httpx.AsyncClient,
) -> None:
    """Different users do not share a lock: the unique index decides, and the loser gets a
    409 problem (never a 500), with nothing written for it."""
    first, second = await make_user(client), await make_user(client)
    body = card()
    responses = await asyncio.gather(
        client.post(url(first.id, "payment-methods"), headers=first.headers, json=body),
        client.post(url(second.id, "payment-methods"), headers=second.headers, json=body),
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 409], [r.text for r in responses]
    loser = next(r for r in responses if r.status_code == 409)
    assert loser.json()["code"] in {"duplicate_payment_method", "concurrent_conflict"}
    owners = [
        len((await client.get(url(u.id, "payment-methods"), headers=u.headers)).json())
        for u in (first, second)
    ]
    assert sorted(owners) == [0, 1]

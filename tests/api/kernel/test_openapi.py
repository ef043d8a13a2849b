"""The OpenAPI document says how errors come: every documented 4xx answer is problem+json, and
every operation that takes a body documents the 400 an unreadable body (not UTF-8) gets.
Schema-driven fuzzing found 29 operations answering an undeclared 400 and 10 declaring FastAPI's
JSON `HTTPValidationError` for the 422 problems they send."""

from __future__ import annotations

import httpx

from navio.kernel.errors import PROBLEM_JSON
from tests.factories.iam import assert_problem
from tests.factories.iam import user as make_user
from tests.factories.trips import API


async def test_every_error_is_documented_as_a_problem(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    assert "HTTPValidationError" not in str(document["paths"])
    operations = [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "responses" in operation
    ]
    with_body = [op for op in operations if "requestBody" in op[2]]
    assert len(with_body) > 50
    for method, path, operation in with_body:
        assert "400" in operation["responses"], (method, path)
    for method, path, operation in operations:
        for status, response in operation["responses"].items():
            if status.startswith("4"):
                assert list(response["content"]) == [PROBLEM_JSON], (method, path, status)


async def test_a_malformed_body_is_the_documented_400(client: httpx.AsyncClient) -> None:
    me = await make_user(client)
    headers = {**me.headers, "Content-Type": "application/json"}
    # bytes that are not UTF-8 cannot be read at all: 400
    unreadable = await client.post(
        f"{API}/trips", content=b'{"title": "\xff\xfe"}', headers=headers
    )
    assert_problem(unreadable, 400, "bad_request")
    assert unreadable.headers["content-type"].startswith(PROBLEM_JSON)
    # readable text that is not JSON: a 422 validation problem naming the body
    broken = await client.post(f"{API}/trips", content=b'{"title": "unterminated', headers=headers)
    body = assert_problem(broken, 422, "validation_error")
    assert body["errors"][0]["type"] == "json_invalid"  # type: ignore[index]


# What anyone may call without a token. An operation joins this list on purpose, never by a
# forgotten dependency: the anonymous run in test_api_fuzz.py requires a 401 from every
# operation the document marks as needing a token, so the two together cover every route.
PUBLIC = {
    "POST /api/v1/auth/register",
    "POST /api/v1/auth/login",
    "POST /api/v1/auth/login/2fa",
    "POST /api/v1/auth/refresh",
    "POST /api/v1/auth/password/reset/request",
    "POST /api/v1/auth/password/reset/confirm",
    "POST /api/v1/auth/email/verify",
    "GET /api/v1/search",
    "GET /api/v1/search/suggest",
    "GET /api/v1/search/poi/{place_id}",
    "GET /api/v1/places/nearest",
    # a trip shared by link or made public; anyone else gets 404
    "GET /api/v1/trips/{trip_id}",
    "GET /api/v1/trips/{trip_id}/items",
    "GET /api/v1/trips/{trip_id}/calendar.ics",
    "GET /api/v1/trips/{trip_id}/places.gpx",
    "GET /api/v1/trips/{trip_id}/places.kml",
    # signed by the payment provider, not by a user
    "POST /api/v1/webhooks/{provider}",
    # Telegram's updates, carrying the bot's secret token instead of a user's
    "POST /api/v1/assistant/channels/telegram/webhook",
    # the marketplace's shop window: published listings, their dates and reviews
    "GET /api/v1/marketplace/listings",
    "GET /api/v1/marketplace/listings/{listing_id}",
    "GET /api/v1/marketplace/listings/{listing_id}/availability",
    "GET /api/v1/marketplace/listings/{listing_id}/reviews",
    # swap stations near a point, their live state, their coming hours and the plans sold
    "GET /api/v1/stations",
    "GET /api/v1/stations/{station_id}",
    "GET /api/v1/stations/{station_id}/forecast",
    "GET /api/v1/stations/{station_id}/plans",
    "GET /api/v1/transport/local-transit",
    "GET /api/v1/transport/transit-journey",
    "GET /api/v1/transport/options",
    "GET /api/v1/transport/route/{route_id}",
    "POST /api/v1/transport/multi-leg",
    # fair prices from travelers' reports (the reports themselves are their reporters')
    "GET /api/v1/pricing/items",
    "GET /api/v1/pricing/fair",
    "GET /api/v1/pricing/check",
    "GET /api/v1/pricing/history",
    # the key browsers subscribe to Web Push with
    "GET /api/v1/notifications/push/key",
    # apps ask for their A/B variants and send events, signed in or as an install id
    "POST /api/v1/analytics/assignments",
    "POST /api/v1/analytics/events",
    "GET /health/live",
    "GET /health/ready",
}


async def test_the_public_surface_is_exactly_the_listed_operations(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()
    public = {
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict)
        and "responses" in operation
        and not operation.get("security")
    }
    assert public == PUBLIC

"""No text Navio keeps may hold a NUL character (U+0000): PostgreSQL refuses it in text columns,
so a comment holding one was a 500 there (and stored on SQLite). Every JSON body, form field,
path and query parameter with one is now a 422 `validation_error` naming the field, with nothing
written, on both backends."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

from tests.factories.iam import assert_problem
from tests.factories.iam import user as make_user
from tests.factories.trips import API, create_trip, trip_body, trip_url


async def test_a_nul_in_a_json_body_is_a_422_naming_the_field(client: httpx.AsyncClient) -> None:
    me = await make_user(client)
    trip = await create_trip(client, me)
    comments = trip_url(trip["id"], "comments")
    refused = await client.post(comments, json={"body": "see you\u0000 there"}, headers=me.headers)
    body = assert_problem(refused, 422, "validation_error")
    assert body["errors"] == [  # type: ignore[comparison-overlap]
        {
            "field": "body",
            "location": "body",
            "message": "must not contain the NUL character (U+0000)",
            "type": "string_nul",
        }
    ]
    listed = await client.get(comments, headers=me.headers)
    assert listed.status_code == 200 and listed.json()["items"] == []
    # deep in a body, and in a key: each place is named
    sent = trip_body(destinations=[{"name": "Os\u0000lo"}], **{"notes\u0000": "x"})
    nested = await client.post(f"{API}/trips", json=sent, headers=me.headers)
    errors = assert_problem(nested, 422, "validation_error")["errors"]
    assert isinstance(errors, list)
    assert {e["field"] for e in errors} == {"destinations.0.name", "notes\u0000"}
    trips = await client.get(f"{API}/trips", headers=me.headers)
    assert [t["id"] for t in trips.json()["items"]] == [trip["id"]]
    # the six characters backslash-u-0-0-0-0 as text are no NUL: stored and read back as sent
    kept = await client.post(comments, json={"body": "a \\u0000 b"}, headers=me.headers)
    assert kept.status_code == 201, kept.text
    assert kept.json()["body"] == "a \\u0000 b"


async def test_a_nul_in_a_query_path_or_form_field_is_a_422(client: httpx.AsyncClient) -> None:
    me = await make_user(client)
    query = await client.get(
        f"{API}/expenses", params={"category": "food\u0000"}, headers=me.headers
    )
    # the category is an enum and the trip id a UUID, so both would be a 422 anyway: the type
    # says the NUL was seen first
    body = assert_problem(query, 422, "validation_error")
    assert body["errors"][0]["location"] == "query"  # type: ignore[index]
    assert body["errors"][0]["field"] == "category"  # type: ignore[index]
    assert body["errors"][0]["type"] == "string_nul"  # type: ignore[index]
    path = await client.get(f"{API}/trips/abc%00def", headers=me.headers)
    body = assert_problem(path, 422, "validation_error")
    assert body["errors"][0]["location"] == "path"  # type: ignore[index]
    assert body["errors"][0]["type"] == "string_nul"  # type: ignore[index]
    form = await client.post(
        f"{API}/expenses/imports",
        files={"file": ("statement.csv", b"Date,Amount\n2026-06-01,-1.00\n", "text/csv")},
        data={"currency": "GBP", "date_format": "%Y-%m-%d\u0000"},
        headers=me.headers,
    )
    body = assert_problem(form, 422, "validation_error")
    assert body["errors"][0] == {  # type: ignore[index]
        "field": "date_format",
        "location": "body",
        "message": "must not contain the NUL character (U+0000)",
        "type": "string_nul",
    }


async def test_a_body_in_chunks_is_read_whole_and_capped(client: httpx.AsyncClient) -> None:
    me = await make_user(client)
    trip = await create_trip(client, me)
    comments = trip_url(trip["id"], "comments")
    headers = {**me.headers, "Content-Type": "application/json"}

    async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
        for part in parts:
            yield part

    # the escape split across two chunks is still found
    split = await client.post(
        comments, content=chunks(b'{"body": "see \\u00', b'00 you"}'), headers=headers
    )
    assert_problem(split, 422, "validation_error")
    whole = await client.post(
        comments, content=chunks(b'{"body": "see', b' you"}'), headers=headers
    )
    assert whole.status_code == 201, whole.text
    assert whole.json()["body"] == "see you"
    # no length announced: the body cap still holds while the body is read
    big = await client.post(
        comments, content=chunks(b'{"body": "', *[b"a" * 500_000] * 4, b'"}'), headers=headers
    )
    assert_problem(big, 413, "payload_too_large")

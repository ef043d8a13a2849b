"""Bank statement import over HTTP: preview (detected layout, per-row errors, duplicates),
all-or-nothing commit, background commit of large files through the outbox, bad files."""

from __future__ import annotations

import json
from datetime import date, timedelta

import httpx
from fastapi import FastAPI

from tests.factories.iam import AuthedUser, assert_problem
from tests.factories.iam import user as make_user
from tests.factories.trips import API, add_collaborator, create_trip

UK = (
    "Date,Description,Amount,Balance\n"
    "02/06/2026,PRET A MANGER LONDON,-6.45,993.55\n"
    "03/06/2026,TFL TRAVEL CH,-8.10,985.45\n"
    "03/06/2026,SALARY ACME LTD,2500.00,3485.45\n"
    "04/06/2026,HOTEL INDIGO,-240.00,3245.45\n"
    "31/06/2026,BROKEN DATE CAFE,-3.00,3242.45\n"
    "05/06/2026,PRET A MANGER LONDON,-6.45,3236.00\n"
    "05/06/2026,PRET A MANGER LONDON,-6.45,3229.55\n"
)


async def _upload(
    client: httpx.AsyncClient, who: AuthedUser, content: str | bytes, **form: str
) -> httpx.Response:
    data = content.encode() if isinstance(content, str) else content
    return await client.post(
        f"{API}/expenses/imports",
        files={"file": ("statement.csv", data, "text/csv")},
        data={"currency": "GBP", **form},
        headers=who.headers,
    )


async def test_preview_then_commit_all_or_nothing(client: httpx.AsyncClient) -> None:
    me = await make_user(client)
    response = await _upload(client, me, UK)
    assert response.status_code == 201, response.text
    preview = response.json()
    assert preview["status"] == "preview" and preview["columns"][:3] == [
        "Date",
        "Description",
        "Amount",
    ]
    assert preview["mapping"]["date"] == 0 and preview["mapping"]["amount"] == 2
    assert preview["date_format"] == "%d/%m/%Y" and preview["decimal_comma"] is False
    assert [e["line_number"] for e in preview["errors"]] == [6]
    assert preview["errors"][0]["code"] == "bad_date"
    rows = {r["line_number"]: r for r in preview["rows"]}
    assert rows[2]["amount_minor"] == -645 and rows[2]["booked_on"] == "2026-06-02"
    assert rows[5]["category"] == "lodging" and rows[3]["category"] == "local_transport"
    assert rows[8]["duplicate"] == "possible_duplicate" and rows[8]["first_line_number"] == 7
    expenses = await client.get(f"{API}/expenses", headers=me.headers)
    assert expenses.json()["items"] == []

    commit = f"{API}/expenses/imports/{preview['id']}/commit"
    refused = await client.post(commit, json={}, headers=me.headers)
    body = assert_problem(refused, 422, "statement_rows_invalid")
    assert body["rows"][0]["line_number"] == 6  # type: ignore[index]
    assert (await client.get(f"{API}/expenses", headers=me.headers)).json()["items"] == []

    done = await client.post(
        commit,
        json={"skip_invalid_rows": True, "categories": {"2": "food"}},
        headers=me.headers,
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "committed"
    # money out only (salary skipped), the repeated coffee left out: lines 2, 3, 5, 7
    assert done.json()["summary"] == {"imported": 4, "skipped": 2, "invalid": 1}
    listed = (await client.get(f"{API}/expenses", headers=me.headers)).json()["items"]
    assert sorted(e["amount_minor"] for e in listed) == [645, 645, 810, 24_000]
    assert {e["source"] for e in listed} == {"statement"}
    assert all(e["currency"] == "GBP" and e["group_currency"] == "GBP" for e in listed)
    assert_problem(
        await client.post(commit, json={"skip_invalid_rows": True}, headers=me.headers),
        409,
        "statement_import_committed",
    )

    again = (await _upload(client, me, UK)).json()
    statuses = {r["line_number"]: r["duplicate"] for r in again["rows"]}
    assert statuses[2] == statuses[3] == statuses[5] == statuses[7] == "duplicate"
    assert statuses[8] == "possible_duplicate" and statuses[4] == "new"
    other = await make_user(client)
    assert_problem(
        await client.get(f"{API}/expenses/imports/{again['id']}", headers=other.headers),
        404,
        "statement_import_not_found",
    )


async def test_trip_import_converts_and_shares(client: httpx.AsyncClient) -> None:
    owner, friend = await make_user(client), await make_user(client)
    trip = await create_trip(client, owner, currency="EUR")
    await add_collaborator(client, owner, trip["id"], friend, "editor")
    csv_text = (
        "Transaction Date,Post Date,Description,Category,Type,Amount\n"
        "06/03/2026,06/04/2026,UBER TRIP,Travel,Sale,-23.17\n"
        "06/05/2026,06/06/2026,SHAKE SHACK,Food & Drink,Sale,-31.40\n"
        "06/07/2026,06/08/2026,RETURN SHAKE SHACK,Food & Drink,Return,5.00\n"
    )
    preview = (await _upload(client, owner, csv_text, currency="USD", trip_id=trip["id"])).json()
    assert preview["date_format"] == "%m/%d/%Y"
    done = await client.post(
        f"{API}/expenses/imports/{preview['id']}/commit",
        json={"incoming": "refund"},
        headers=owner.headers,
    )
    assert done.status_code == 200, done.text
    listed = (
        await client.get(f"{API}/expenses", params={"trip_id": trip["id"]}, headers=friend.headers)
    ).json()["items"]
    assert len(listed) == 3 and {e["group_currency"] for e in listed} == {"EUR"}
    assert {e["kind"] for e in listed} == {"expense", "refund"}
    for expense in listed:
        assert expense["rate"]["base"] == "USD" and len(expense["shares"]) == 2
    nets = (await client.get(f"{API}/trips/{trip['id']}/balances", headers=owner.headers)).json()[
        "members"
    ]
    assert sum(m["net_minor"] for m in nets) == 0


async def test_large_files_commit_in_the_background(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    me = await make_user(client)
    first = date(2025, 1, 1)
    lines = ["Date;Description;Amount"] + [
        f"{first + timedelta(days=n % 300):%d.%m.%Y};SHOP {n};-{n % 97 + 1},{n % 100:02d}"
        for n in range(800)
    ]
    preview = (await _upload(client, me, "\n".join(lines) + "\n", currency="EUR")).json()
    assert preview["rows_total"] == 800 and len(preview["rows"]) == 200
    assert preview["decimal_comma"] is True and preview["errors"] == []
    queued = await client.post(
        f"{API}/expenses/imports/{preview['id']}/commit", json={}, headers=me.headers
    )
    assert queued.status_code == 202 and queued.json()["status"] == "committing"
    await app.state.relay.drain()
    after = (await client.get(f"{API}/expenses/imports/{preview['id']}", headers=me.headers)).json()
    assert after["status"] == "committed" and after["summary"]["imported"] == 800
    page = await client.get(f"{API}/expenses", params={"limit": 200}, headers=me.headers)
    assert len(page.json()["items"]) == 200 and page.json()["next_cursor"]


async def test_bad_files_are_refused(client: httpx.AsyncClient) -> None:
    me = await make_user(client)
    for content, form, code in [
        (b"", {}, "invalid_statement"),
        (b"\x89PNG\r\n\x1a\n" + bytes(200), {}, "invalid_statement"),
        (b"just words\nno columns here\n", {}, "invalid_statement"),
        (UK.encode(), {"currency": "XYZ"}, "unknown_currency"),
        (UK.encode(), {"mapping": "{not json"}, "invalid_statement"),
        (UK.encode(), {"mapping": json.dumps({"date": 0, "amount": 0})}, "invalid_statement"),
        (UK.encode(), {"mapping": json.dumps({"date": 0, "amount": 9})}, "invalid_statement"),
        (UK.encode(), {"date_format": "%Q"}, "invalid_statement"),
    ]:
        response = await _upload(client, me, content, **form)
        assert_problem(response, 422, code)
    trip = await create_trip(client, await make_user(client))
    assert_problem(await _upload(client, me, UK, trip_id=trip["id"]), 404, "trip_not_found")

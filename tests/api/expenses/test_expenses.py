"""Expenses over HTTP on SQLite and PostgreSQL: CRUD with shares, frozen exchange rates, group
balances, settle-up and settlements, authorization, and bad input that writes nothing."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

import httpx
from currency_converter import CurrencyConverter

from tests.factories.expenses import add_expense, balances, expense_body
from tests.factories.iam import AuthedUser, assert_problem
from tests.factories.iam import user as make_user
from tests.factories.trips import API, add_collaborator, create_trip

ECB = CurrencyConverter(fallback_on_missing_rate=False, fallback_on_wrong_date=False, decimal=True)


async def _group(
    client: httpx.AsyncClient, roles: tuple[str, ...] = ("editor", "suggester", "viewer")
) -> tuple[dict[str, object], list[AuthedUser]]:
    owner = await make_user(client)
    trip = await create_trip(client, owner)
    people = [owner]
    for role in roles:
        member = await make_user(client)
        await add_collaborator(client, owner, trip["id"], member, role)
        people.append(member)
    return trip, people


async def test_expense_lifecycle_with_equal_shares(client: httpx.AsyncClient) -> None:
    trip, (owner, editor, suggester, viewer) = await _group(client)
    created = await add_expense(client, owner, str(trip["id"]), amount_minor=10_000)
    assert created["version"] == 1 and created["split_method"] == "equal"
    shares = {s["user_id"]: s["share_minor"] for s in created["shares"]}
    # four members, 100.00 EUR: 25.00 each, nothing lost
    assert sorted(shares.values()) == [2500] * 4 and sum(shares.values()) == 10_000
    assert created["group_currency"] == "EUR" and created["rate"]["rate"] == "1"

    odd = await add_expense(client, editor, str(trip["id"]), amount_minor=10_001)
    odd_shares = sorted(odd["shares"], key=lambda s: s["user_id"])
    # one minor unit left over goes to the first member by id, deterministically
    assert [s["share_minor"] for s in odd_shares] == [2501, 2500, 2500, 2500]
    assert odd["payer_id"] == str(editor.id)

    url = f"{API}/expenses/{created['id']}"
    got = await client.get(url, headers=viewer.headers)
    assert got.status_code == 200 and got.headers["ETag"] == '"1"'
    patched = await client.patch(
        url,
        json={"amount_minor": 9000, "category": "activities"},
        headers={**suggester.headers},
    )
    assert_problem(patched, 403, "expense_forbidden")
    patched = await client.patch(
        url,
        json={"amount_minor": 9000, "category": "activities"},
        headers={**editor.headers, "If-Match": '"1"'},
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["version"] == 2 and body["category"] == "activities"
    assert sum(s["share_minor"] for s in body["shares"]) == 9000
    stale = await client.patch(
        url, json={"notes": "x"}, headers={**owner.headers, "If-Match": '"1"'}
    )
    assert_problem(stale, 412, "stale_version")

    page = await client.get(
        f"{API}/expenses", params={"trip_id": trip["id"], "limit": 1}, headers=viewer.headers
    )
    assert page.status_code == 200 and len(page.json()["items"]) == 1
    rest = await client.get(
        f"{API}/expenses",
        params={"trip_id": trip["id"], "limit": 1, "cursor": page.json()["next_cursor"]},
        headers=viewer.headers,
    )
    ids = {page.json()["items"][0]["id"], rest.json()["items"][0]["id"]}
    assert ids == {created["id"], odd["id"]} and rest.json()["next_cursor"] is None
    food = await client.get(
        f"{API}/expenses",
        params={"trip_id": trip["id"], "category": "food"},
        headers=owner.headers,
    )
    assert [e["id"] for e in food.json()["items"]] == [odd["id"]]

    gone = await client.delete(url, headers=editor.headers)
    assert gone.status_code == 204
    assert_problem(await client.get(url, headers=owner.headers), 404, "expense_not_found")


async def test_foreign_currency_converted_once_at_a_frozen_ecb_rate(
    client: httpx.AsyncClient,
) -> None:
    trip, (owner, editor) = await _group(client, ("editor",))
    # Saturday 2024-03-16: the ECB did not publish; Friday's rate is used and said so
    saturday = date(2024, 3, 16)
    expense = await add_expense(
        client,
        owner,
        str(trip["id"]),
        amount_minor=12_345,
        currency="JPY",
        spent_on=saturday.isoformat(),
        split={
            "method": "percent",
            "shares": [
                {"user_id": str(owner.id), "value": "33.33"},
                {"user_id": str(editor.id), "value": "66.67"},
            ],
        },
    )
    friday = date(2024, 3, 15)
    per_euro = Decimal(ECB.convert(1, "EUR", "JPY", date=friday))
    expected = (Decimal(12_345) / per_euro * 100).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    assert expense["group_amount_minor"] == int(expected)
    assert expense["rate"]["published_on"] == friday.isoformat()
    assert expense["rate"]["base"] == "JPY" and expense["rate"]["quote"] == "EUR"
    shares = {s["user_id"]: s for s in expense["shares"]}
    assert sum(s["share_minor"] for s in shares.values()) == 12_345  # yen have no minor unit
    assert sum(s["group_share_minor"] for s in shares.values()) == int(expected)
    assert shares[str(owner.id)]["value"] == "33.33"
    # changing only the words keeps the frozen rate; changing the date re-freezes it
    renamed = await client.patch(
        f"{API}/expenses/{expense['id']}", json={"merchant": "Ichiran"}, headers=owner.headers
    )
    assert renamed.json()["rate"] == expense["rate"]
    moved = await client.patch(
        f"{API}/expenses/{expense['id']}", json={"spent_on": "2024-03-18"}, headers=owner.headers
    )
    assert moved.json()["rate"]["published_on"] == "2024-03-18"
    assert moved.json()["shares"][0]["value"] in ("33.33", "66.67")


async def test_balances_settle_up_and_settlements_clear_everything(
    client: httpx.AsyncClient,
) -> None:
    trip, people = await _group(client, ("editor", "suggester", "editor"))
    a, b, c, d = people
    trip_id = str(trip["id"])
    await add_expense(client, a, trip_id, amount_minor=24_000, category="lodging")
    await add_expense(
        client,
        b,
        trip_id,
        amount_minor=9_000,
        currency="USD",
        spent_on="2026-06-03",
        split={
            "method": "weights",
            "shares": [
                {"user_id": str(a.id), "value": "2"},
                {"user_id": str(b.id), "value": "1"},
                {"user_id": str(c.id), "value": "1"},
            ],
        },
    )
    await add_expense(
        client,
        c,
        trip_id,
        amount_minor=3_000,
        split={
            "method": "exact",
            "shares": [
                {"user_id": str(d.id), "value": "3000"},
            ],
        },
    )
    # a refund: the museum gave 20.00 back to d, who holds it for a and b
    await add_expense(
        client,
        d,
        trip_id,
        amount_minor=2_000,
        kind="refund",
        category="activities",
        split={
            "method": "equal",
            "shares": [
                {"user_id": str(a.id)},
                {"user_id": str(b.id)},
            ],
        },
    )
    response = await client.get(f"{API}/trips/{trip_id}/balances", headers=d.headers)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["currency"] == "EUR" and report["expenses"] == 4
    nets = {m["user_id"]: m["net_minor"] for m in report["members"]}
    assert sum(nets.values()) == 0 and any(nets.values())
    for m in report["members"]:
        assert m["net_minor"] == m["paid_minor"] - m["share_minor"] + m["settled_minor"]

    plan = await client.get(f"{API}/trips/{trip_id}/settle-up", headers=c.headers)
    assert plan.status_code == 200
    transfers = plan.json()["transfers"]
    assert plan.json()["method"] == "exact"
    assert len(transfers) <= sum(1 for v in nets.values() if v) - 1
    by_id = {str(p.id): p for p in people}
    for t in transfers:
        payer = by_id[t["payer_id"]]
        recorded = await client.post(
            f"{API}/trips/{trip_id}/settlements",
            json={
                "payer_id": t["payer_id"],
                "payee_id": t["payee_id"],
                "amount_minor": t["amount_minor"],
            },
            headers=payer.headers,
        )
        assert recorded.status_code == 201, recorded.text
    assert set((await balances(client, a, trip_id)).values()) == {0}
    after = await client.get(f"{API}/trips/{trip_id}/settle-up", headers=a.headers)
    assert after.json()["transfers"] == []
    listed = await client.get(f"{API}/trips/{trip_id}/settlements", headers=b.headers)
    assert len(listed.json()) == len(transfers)
    undo = listed.json()[0]
    removed = await client.delete(
        f"{API}/trips/{trip_id}/settlements/{undo['id']}", headers=a.headers
    )
    assert removed.status_code == 204
    nets = await balances(client, a, trip_id)
    assert nets[undo["payer_id"]] == -undo["amount_minor"]
    assert nets[undo["payee_id"]] == undo["amount_minor"]


async def test_authorization(client: httpx.AsyncClient) -> None:
    trip, (owner, editor, suggester, viewer) = await _group(client)
    stranger = await make_user(client)
    trip_id = str(trip["id"])
    mine = await add_expense(client, suggester, trip_id)
    theirs = await add_expense(client, editor, trip_id)
    personal = await add_expense(client, stranger, None, currency="GBP")
    assert personal["trip_id"] is None and [s["user_id"] for s in personal["shares"]] == [
        str(stranger.id)
    ]

    for path in (
        f"/expenses/{mine['id']}",
        f"/trips/{trip_id}/balances",
        f"/trips/{trip_id}/settle-up",
        f"/trips/{trip_id}/settlements",
    ):
        response = await client.get(f"{API}{path}", headers=stranger.headers)
        assert response.status_code == 404, path
    assert_problem(
        await client.get(f"{API}/expenses/{personal['id']}", headers=owner.headers),
        404,
        "expense_not_found",
    )
    listed = await client.get(
        f"{API}/expenses", params={"trip_id": trip_id}, headers=stranger.headers
    )
    assert_problem(listed, 404, "trip_not_found")
    assert_problem(
        await client.post(f"{API}/expenses", json=expense_body(trip_id), headers=viewer.headers),
        403,
        "trip_forbidden",
    )
    ok = await client.patch(
        f"{API}/expenses/{mine['id']}", json={"notes": "mine"}, headers=suggester.headers
    )
    assert ok.status_code == 200
    assert_problem(
        await client.delete(f"{API}/expenses/{theirs['id']}", headers=suggester.headers),
        403,
        "expense_forbidden",
    )
    assert_problem(
        await client.delete(f"{API}/expenses/{personal['id']}", headers=owner.headers),
        404,
        "expense_not_found",
    )
    # a viewer may record a settlement they are part of, not one between others
    own = await client.post(
        f"{API}/trips/{trip_id}/settlements",
        json={"payer_id": str(viewer.id), "payee_id": str(owner.id), "amount_minor": 100},
        headers=viewer.headers,
    )
    assert own.status_code == 201
    others = await client.post(
        f"{API}/trips/{trip_id}/settlements",
        json={"payer_id": str(editor.id), "payee_id": str(owner.id), "amount_minor": 100},
        headers=viewer.headers,
    )
    assert_problem(others, 403, "trip_forbidden")
    personal_list = await client.get(f"{API}/expenses", headers=stranger.headers)
    assert [e["id"] for e in personal_list.json()["items"]] == [personal["id"]]


async def test_bad_input_is_refused_and_writes_nothing(client: httpx.AsyncClient) -> None:
    trip, (owner, editor) = await _group(client, ("editor",))
    stranger = await make_user(client)
    trip_id = str(trip["id"])
    me, them = str(owner.id), str(editor.id)
    cases = [
        ({"amount_minor": -500}, "invalid_expense"),
        ({"amount_minor": 0}, "invalid_expense"),
        ({"currency": "XYZ"}, "unknown_currency"),
        ({"currency": "eur"}, "validation_error"),
        ({"currency": "USD", "spent_on": "1990-05-01"}, "rate_not_available"),
        ({"currency": "USD", "spent_on": "2031-05-01"}, "rate_not_available"),
        (
            {
                "split": {
                    "method": "exact",
                    "shares": [
                        {"user_id": me, "value": "3000"},
                        {"user_id": them, "value": "1000"},
                    ],
                }
            },
            "shares_do_not_sum",
        ),
        (
            {
                "split": {
                    "method": "percent",
                    "shares": [{"user_id": me, "value": "50"}, {"user_id": them, "value": "40"}],
                }
            },
            "shares_do_not_sum",
        ),
        (
            {
                "split": {
                    "method": "weights",
                    "shares": [{"user_id": me, "value": "0"}, {"user_id": them, "value": "0"}],
                }
            },
            "shares_do_not_sum",
        ),
        (
            {
                "split": {
                    "method": "weights",
                    "shares": [{"user_id": me, "value": "-1"}, {"user_id": them, "value": "2"}],
                }
            },
            "invalid_expense",
        ),
        ({"split": {"method": "exact", "shares": [{"user_id": me}]}}, "shares_do_not_sum"),
        (
            {"split": {"method": "equal", "shares": [{"user_id": me}, {"user_id": me}]}},
            "invalid_expense",
        ),
        ({"split": {"method": "equal", "shares": []}}, "invalid_expense"),
        (
            {"split": {"method": "equal", "shares": [{"user_id": str(stranger.id)}]}},
            "not_a_trip_member",
        ),
        ({"payer_id": str(stranger.id)}, "not_a_trip_member"),
        ({"category": "bribes"}, "validation_error"),
        ({"receipt_id": "00000000-0000-4000-8000-000000000000"}, "receipt_not_found"),
    ]
    for overrides, code in cases:
        response = await client.post(
            f"{API}/expenses", json=expense_body(trip_id, **overrides), headers=owner.headers
        )
        assert_problem(response, 422 if code != "receipt_not_found" else 404, code)
    listed = await client.get(f"{API}/expenses", params={"trip_id": trip_id}, headers=owner.headers)
    assert listed.json()["items"] == []
    assert set((await balances(client, owner, trip_id)).values()) == {0}

    expense = await add_expense(client, owner, trip_id, amount_minor=1000)
    url = f"{API}/expenses/{expense['id']}"
    for body, code in [
        ({"amount_minor": -1}, "invalid_expense"),
        ({"amount_minor": None}, "invalid_expense"),
        ({"currency": "XXQ"}, "unknown_currency"),
        (
            {"split": {"method": "exact", "shares": [{"user_id": me, "value": "999"}]}},
            "shares_do_not_sum",
        ),
    ]:
        assert_problem(await client.patch(url, json=body, headers=owner.headers), 422, code)
    unchanged = (await client.get(url, headers=owner.headers)).json()
    assert unchanged["version"] == 1 and unchanged["amount_minor"] == 1000

    settlements = f"{API}/trips/{trip_id}/settlements"
    for body, status, code in [
        ({"payer_id": me, "payee_id": me, "amount_minor": 100}, 422, "invalid_settlement"),
        ({"payer_id": me, "payee_id": them, "amount_minor": 0}, 422, "invalid_settlement"),
        (
            {"payer_id": me, "payee_id": str(stranger.id), "amount_minor": 5},
            422,
            "not_a_trip_member",
        ),
        (
            {"payer_id": me, "payee_id": them, "amount_minor": 5, "currency": "QQQ"},
            422,
            "unknown_currency",
        ),
    ]:
        assert_problem(
            await client.post(settlements, json=body, headers=owner.headers), status, code
        )
    assert (await client.get(settlements, headers=owner.headers)).json() == []

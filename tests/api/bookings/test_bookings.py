"""Bookings over HTTP on SQLite and PostgreSQL: paid from the wallet (hold and capture in one
transaction) or by card (sandbox: at once, declined then retried, asynchronous), tickets with a
signed QR checked in once, cancellation by policy with refunds, trip items, bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from navio.payments.providers.sandbox import CARD_ASYNC, CARD_DECLINED, CARD_SUCCESS
from tests.factories.iam import AuthedUser, assert_problem
from tests.factories.iam import user as make_user
from tests.factories.trips import API, add_collaborator, add_item, create_trip


def _later(hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


async def _balance(client: httpx.AsyncClient, who: AuthedUser) -> int:
    found = (await client.get(f"{API}/wallet/balance", headers=who.headers)).json()["balances"]
    return next((b["available_minor"] for b in found if b["currency"] == "EUR"), 0)


async def _fund(client: httpx.AsyncClient, who: AuthedUser, amount: int) -> None:
    paid = await client.post(
        f"{API}/wallet/top-up",
        json={"amount_minor": amount, "currency": "EUR", "payment_method": CARD_SUCCESS},
        headers=who.headers,
    )
    assert paid.status_code == 201, paid.text


def _offer(amount: int = 3000, operator: AuthedUser | None = None, **extra: Any) -> dict[str, Any]:
    offer: dict[str, Any] = {
        "kind": "activity",
        "title": "Suomenlinna ferry and tour",
        "amount_minor": amount,
        "currency": "EUR",
    }
    if operator is not None:
        offer["operator_id"] = str(operator.id)
    offer.update(extra)
    return offer


async def _book(client: httpx.AsyncClient, who: AuthedUser, **body: Any) -> httpx.Response:
    payload: dict[str, Any] = {"offer": _offer(), "starts_at": _later(240)}
    payload.update(body)
    return await client.post(f"{API}/bookings", json=payload, headers=who.headers)


async def test_wallet_booking_tickets_and_cancellation(client: httpx.AsyncClient) -> None:
    me, operator, stranger = (
        await make_user(client),
        await make_user(client),
        await make_user(client),
    )
    await _fund(client, me, 10_000)
    made = await _book(client, me, offer=_offer(3000, operator))
    assert made.status_code == 201, made.text
    booking = made.json()
    assert booking["status"] == "confirmed" and len(booking["tickets"]) == 1
    assert await _balance(client, me) == 7000
    ledger = (
        await client.get(f"{API}/wallet/ledger", params={"currency": "EUR"}, headers=me.headers)
    ).json()["items"]
    assert [line["kind"] for line in ledger][:1] == ["hold"]
    held = (
        await client.get(
            f"{API}/wallet/ledger",
            params={"currency": "EUR", "account": "hold"},
            headers=me.headers,
        )
    ).json()["items"]
    assert sorted(line["kind"] for line in held) == ["capture", "hold"]

    qr = booking["tickets"][0]["qr"]
    forged = qr[:-4] + ("AAAA" if not qr.endswith("AAAA") else "BBBB")
    assert_problem(
        await client.post(f"{API}/tickets/check-in", json={"qr": forged}, headers=operator.headers),
        422,
        "ticket_invalid",
    )
    denied = await client.post(f"{API}/tickets/check-in", json={"qr": qr}, headers=stranger.headers)
    assert denied.status_code == 403
    checked = await client.post(
        f"{API}/tickets/check-in", json={"qr": qr}, headers=operator.headers
    )
    assert checked.status_code == 200, checked.text
    assert checked.json()["booking_id"] == booking["id"]
    assert_problem(
        await client.post(f"{API}/tickets/check-in", json={"qr": qr}, headers=operator.headers),
        409,
        "ticket_already_used",
    )

    # free cancellation (ten days ahead, free until 24 h before): everything back
    second = (await _book(client, me, offer=_offer(2000, operator))).json()
    cancelled = await client.put(f"{API}/bookings/{second['id']}/cancel", headers=me.headers)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "refunded"
    assert cancelled.json()["refunded_minor"] == 2000
    assert cancelled.json()["tickets"][0]["revoked"] is True
    assert await _balance(client, me) == 7000
    assert_problem(
        await client.put(f"{API}/bookings/{second['id']}/cancel", headers=me.headers),
        409,
        "booking_state_conflict",
    )
    assert_problem(
        await client.post(
            f"{API}/tickets/check-in",
            json={"qr": cancelled.json()["tickets"][0]["qr"]},
            headers=operator.headers,
        ),
        422,
        "ticket_invalid",
    )
    # late: starts in 2 h, free until 24 h before, half back after that
    late = (
        await _book(
            client,
            me,
            offer=_offer(1000),
            starts_at=_later(2),
            cancellation={"free_until_hours": 24, "late_refund_pct": 50},
        )
    ).json()
    partial = await client.put(f"{API}/bookings/{late['id']}/cancel", headers=me.headers)
    assert partial.json()["status"] == "partially_refunded"
    assert partial.json()["refunded_minor"] == 500
    assert await _balance(client, me) == 7000 - 500

    poor = await _book(client, me, offer=_offer(50_000))
    assert_problem(poor, 422, "insufficient_funds")
    listed = (await client.get(f"{API}/bookings", headers=me.headers)).json()
    assert len(listed) == 3 and await _balance(client, me) == 6500
    assert_problem(
        await client.get(f"{API}/bookings/{booking['id']}", headers=stranger.headers),
        404,
        "booking_not_found",
    )


async def test_card_bookings(client: httpx.AsyncClient, app: FastAPI) -> None:
    me = await make_user(client)
    at_once = await _book(client, me, pay_with="card", payment_method=CARD_SUCCESS)
    assert at_once.status_code == 201 and at_once.json()["status"] == "confirmed"

    declined = await _book(client, me, pay_with="card", payment_method=CARD_DECLINED)
    assert_problem(declined, 402, "payment_declined")
    waiting = [
        b
        for b in (await client.get(f"{API}/bookings", headers=me.headers)).json()
        if b["status"] == "awaiting_payment"
    ]
    assert len(waiting) == 1 and waiting[0]["tickets"] == []
    retried = await client.post(
        f"{API}/payments/confirm",
        json={"payment_id": waiting[0]["payment_id"], "payment_method": CARD_SUCCESS},
        headers=me.headers,
    )
    assert retried.json()["status"] == "succeeded"
    await app.state.relay.drain()
    now = (await client.get(f"{API}/bookings/{waiting[0]['id']}", headers=me.headers)).json()
    assert now["status"] == "confirmed" and len(now["tickets"]) == 1

    sandbox = app.state.payment_providers["sandbox"]
    sandbox.pending_webhooks()
    slow = (await _book(client, me, pay_with="card", payment_method=CARD_ASYNC)).json()
    assert slow["status"] == "awaiting_payment"
    for payload, headers in sandbox.pending_webhooks():
        await client.post(f"{API}/webhooks/sandbox", content=payload, headers=headers)
    await app.state.relay.drain()
    done = (await client.get(f"{API}/bookings/{slow['id']}", headers=me.headers)).json()
    assert done["status"] == "confirmed"
    # a card booking cancelled in time is refunded to the card
    cancelled = await client.put(f"{API}/bookings/{done['id']}/cancel", headers=me.headers)
    assert cancelled.json()["status"] == "refunded"
    payment = (await client.get(f"{API}/payments/{done['payment_id']}", headers=me.headers)).json()
    assert payment["refunded_minor"] == 3000


async def test_trip_items_and_bad_input(client: httpx.AsyncClient) -> None:
    owner, viewer = await make_user(client), await make_user(client)
    trip = await create_trip(client, owner)
    await add_collaborator(client, owner, trip["id"], viewer, "viewer")
    priced = await add_item(
        client,
        owner,
        trip["id"],
        kind="lodging",
        title="Hotel Haven",
        cost_minor=2400,
        cost_currency="EUR",
        start_time=None,
        end_time=None,
    )
    free = await add_item(client, owner, trip["id"], title="Esplanadi walk", cost_minor=None)
    await _fund(client, owner, 5000)
    made = await _book(client, owner, offer=None, trip_id=trip["id"], trip_item_id=priced["id"])
    assert made.status_code == 201, made.text
    assert made.json()["title"] == "Hotel Haven" and made.json()["kind"] == "lodging"
    assert made.json()["amount_minor"] == 2400 and made.json()["trip_id"] == trip["id"]
    assert (
        await _book(client, viewer, offer=None, trip_id=trip["id"], trip_item_id=priced["id"])
    ).status_code == 403
    for body, code in [
        ({"offer": None, "trip_id": trip["id"], "trip_item_id": free["id"]}, "invalid_booking"),
        ({"trip_id": trip["id"], "trip_item_id": priced["id"]}, "invalid_booking"),
        ({"offer": None}, "invalid_booking"),
        ({"starts_at": _later(-1)}, "invalid_booking"),
        ({"starts_at": "2030-01-01T10:00:00"}, "validation_error"),
        ({"offer": _offer(0)}, "invalid_booking"),
        ({"offer": _offer(-10)}, "invalid_booking"),
        ({"offer": _offer(100, currency="XYZ")}, "invalid_booking"),
        ({"payment_method": CARD_SUCCESS}, "invalid_booking"),
        # the same methods as a payment's confirmation takes: an empty one is no method
        ({"pay_with": "card", "payment_method": ""}, "validation_error"),
        ({"cancellation": {"late_refund_pct": 150}}, "validation_error"),
    ]:
        assert_problem(await _book(client, owner, **body), 422, code)
    assert len((await client.get(f"{API}/bookings", headers=owner.headers)).json()) == 1
    assert await _balance(client, owner) == 2600


async def test_unpaid_card_bookings_expire_and_late_money_goes_back(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    me = await make_user(client)
    unpaid = (await _book(client, me, pay_with="card")).json()
    assert unpaid["status"] == "awaiting_payment"
    relay = app.state.relay
    window = app.state.settings.bookings.payment_window_minutes
    # inside the payment window nothing expires
    soon = datetime.now(UTC) + timedelta(minutes=window - 5)
    assert (await relay.run_periodic(now=soon, force=True))["bookings.expire_unpaid"] == 0
    still = (await client.get(f"{API}/bookings/{unpaid['id']}", headers=me.headers)).json()
    assert still["status"] == "awaiting_payment"

    later = datetime.now(UTC) + timedelta(minutes=window + 1)
    assert (await relay.run_periodic(now=later, force=True))["bookings.expire_unpaid"] >= 1
    expired = (await client.get(f"{API}/bookings/{unpaid['id']}", headers=me.headers)).json()
    assert expired["status"] == "expired" and expired["tickets"] == []
    assert f"{window} minutes" in expired["failure"]
    assert expired["version"] == unpaid["version"] + 1
    # a second pass changes nothing more
    assert (await relay.run_periodic(now=later, force=True))["bookings.expire_unpaid"] == 0
    assert_problem(
        await client.put(f"{API}/bookings/{unpaid['id']}/cancel", headers=me.headers),
        409,
        "booking_state_conflict",
    )

    # the traveler pays anyway: the payment succeeds, the booking stays expired, the money
    # goes back to the card in full
    paid = await client.post(
        f"{API}/payments/confirm",
        json={"payment_id": unpaid["payment_id"], "payment_method": CARD_SUCCESS},
        headers=me.headers,
    )
    assert paid.json()["status"] == "succeeded"
    await relay.drain()
    after = (await client.get(f"{API}/bookings/{unpaid['id']}", headers=me.headers)).json()
    assert after["status"] == "expired" and after["tickets"] == []
    assert after["refunded_minor"] == 3000 and "refunded 3000" in after["failure"]
    payment = (
        await client.get(f"{API}/payments/{unpaid['payment_id']}", headers=me.headers)
    ).json()
    assert payment["refunded_minor"] == 3000

    # cancelled while awaiting payment, then paid: refunded the same way
    other = (await _book(client, me, pay_with="card")).json()
    cancelled = await client.put(f"{API}/bookings/{other['id']}/cancel", headers=me.headers)
    assert cancelled.json()["status"] == "cancelled"
    await client.post(
        f"{API}/payments/confirm",
        json={"payment_id": other["payment_id"], "payment_method": CARD_SUCCESS},
        headers=me.headers,
    )
    await relay.drain()
    payment = (await client.get(f"{API}/payments/{other['payment_id']}", headers=me.headers)).json()
    assert payment["refunded_minor"] == 3000

"""Payments and the wallet over HTTP on SQLite and PostgreSQL, with the built-in sandbox
provider: top-up (card success, decline, insufficient funds, 3-D Secure, asynchronous completion
through a signed webhook), webhook duplicates, replays, tampering and disorder, refunds to the
card, gapless invoice numbers and the PDF invoice, idempotent retries."""

from __future__ import annotations

import io
import json

import httpx
from fastapi import FastAPI
from pypdf import PdfReader

from navio.payments.providers.sandbox import (
    CARD_3DS_REQUIRED,
    CARD_ASYNC,
    CARD_DECLINED,
    CARD_INSUFFICIENT_FUNDS,
    CARD_SUCCESS,
)
from tests.factories.iam import AuthedUser, assert_problem
from tests.factories.iam import user as make_user
from tests.factories.trips import API


async def _balance(client: httpx.AsyncClient, who: AuthedUser, currency: str = "EUR") -> int:
    found = (await client.get(f"{API}/wallet/balance", headers=who.headers)).json()["balances"]
    return next((b["available_minor"] for b in found if b["currency"] == currency), 0)


async def _top_up(
    client: httpx.AsyncClient,
    who: AuthedUser,
    amount: int,
    card: str | None = CARD_SUCCESS,
    **headers: str,
) -> httpx.Response:
    body: dict[str, object] = {"amount_minor": amount, "currency": "EUR"}
    if card is not None:
        body["payment_method"] = card
    return await client.post(f"{API}/wallet/top-up", json=body, headers={**who.headers, **headers})


async def test_top_up_outcomes_and_the_ledger(client: httpx.AsyncClient, app: FastAPI) -> None:
    me = await make_user(client)
    paid = await _top_up(client, me, 5000)
    assert paid.status_code == 201, paid.text
    assert paid.json()["status"] == "succeeded" and paid.json()["invoice_number"]
    assert await _balance(client, me) == 5000

    for card, code in [
        (CARD_DECLINED, "card_declined"),
        (CARD_INSUFFICIENT_FUNDS, "insufficient_funds"),
    ]:
        declined = await _top_up(client, me, 700, card)
        body = assert_problem(declined, 402, "payment_declined")
        assert body["failure_code"] == code
        # the failed payment is kept and can be confirmed again with another card
        retry = await client.post(
            f"{API}/payments/confirm",
            json={"payment_id": body["payment_id"], "payment_method": CARD_SUCCESS},
            headers=me.headers,
        )
        assert retry.status_code == 200 and retry.json()["status"] == "succeeded"
    assert await _balance(client, me) == 5000 + 700 + 700

    secure = await _top_up(client, me, 300, CARD_3DS_REQUIRED)
    assert secure.status_code == 201 and secure.json()["status"] == "requires_action"
    assert secure.json()["next_action"]["type"] == "redirect_to_url"
    sandbox = app.state.payment_providers["sandbox"]
    sandbox.complete_action(secure.json()["provider_ref"], True)
    for payload, headers in sandbox.pending_webhooks():
        delivered = await client.post(f"{API}/webhooks/sandbox", content=payload, headers=headers)
        assert delivered.status_code == 200, delivered.text
    after = await client.get(f"{API}/payments/{secure.json()['id']}", headers=me.headers)
    assert after.json()["status"] == "succeeded"
    assert await _balance(client, me) == 6700

    ledger = (
        await client.get(f"{API}/wallet/ledger", params={"currency": "EUR"}, headers=me.headers)
    ).json()
    assert [line["kind"] for line in ledger["items"]] == ["top_up"] * 4
    assert ledger["items"][0]["balance_after_minor"] == 6700


async def test_async_completion_and_webhook_safety(client: httpx.AsyncClient, app: FastAPI) -> None:
    me = await make_user(client)
    sandbox = app.state.payment_providers["sandbox"]
    sandbox.pending_webhooks()  # start from an empty queue
    started = await _top_up(client, me, 1200, CARD_ASYNC)
    assert started.json()["status"] == "processing"
    assert await _balance(client, me) == 0
    deliveries = sandbox.pending_webhooks()
    success = next(d for d in deliveries if b"payment.succeeded" in d[0])
    payload, headers = success
    first = await client.post(f"{API}/webhooks/sandbox", content=payload, headers=headers)
    assert first.json()["outcome"] == "applied"
    again = await client.post(f"{API}/webhooks/sandbox", content=payload, headers=headers)
    assert again.json()["outcome"] == "duplicate"
    assert await _balance(client, me) == 1200

    tampered = payload.replace(b"1200", b"9200")
    assert_problem(
        await client.post(f"{API}/webhooks/sandbox", content=tampered, headers=headers),
        400,
        "webhook_signature_invalid",
    )
    assert_problem(
        await client.post(f"{API}/webhooks/sandbox", content=payload, headers={}),
        400,
        "webhook_signature_invalid",
    )
    # a replay outside the tolerance window, signed with an old timestamp
    old = sandbox.sign(payload, timestamp=int(app.state.clock.now().timestamp()) - 3600)
    assert_problem(
        await client.post(f"{API}/webhooks/sandbox", content=payload, headers=old),
        400,
        "webhook_signature_invalid",
    )
    # out of order: a failure for a payment that succeeded changes nothing
    event = json.loads(payload)
    event["id"] = event["id"] + "-late"
    event["type"] = "payment.failed"
    late = json.dumps(event).encode()
    stale = await client.post(f"{API}/webhooks/sandbox", content=late, headers=sandbox.sign(late))
    assert stale.json()["outcome"] == "stale"
    status = await client.get(f"{API}/payments/{started.json()['id']}", headers=me.headers)
    assert status.json()["status"] == "succeeded"
    unknown = json.dumps({**event, "id": "evt-unknown", "type": "customer.created"}).encode()
    ack = await client.post(
        f"{API}/webhooks/sandbox", content=unknown, headers=sandbox.sign(unknown)
    )
    assert ack.status_code == 200 and ack.json()["outcome"] == "ignored"
    assert_problem(
        await client.post(f"{API}/webhooks/paypal", content=b"{}"),
        404,
        "payment_provider_not_found",
    )


async def test_refunds_invoices_idempotency_and_bad_input(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    me, other = await make_user(client), await make_user(client)
    key = {"Idempotency-Key": "top-up-1"}
    first = await _top_up(client, me, 2000, **key)
    replay = await _top_up(client, me, 2000, **key)
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["id"] == first.json()["id"]
    assert await _balance(client, me) == 2000
    second = await _top_up(client, me, 500)
    numbers = [first.json()["invoice_number"], second.json()["invoice_number"]]
    assert int(numbers[1].rsplit("-", 1)[1]) == int(numbers[0].rsplit("-", 1)[1]) + 1

    pid = first.json()["id"]
    refund = await client.post(
        f"{API}/payments/{pid}/refunds", json={"amount_minor": 800}, headers=me.headers
    )
    assert refund.status_code == 201, refund.text
    assert await _balance(client, me) == 1700
    too_much = await client.post(
        f"{API}/payments/{pid}/refunds", json={"amount_minor": 1300}, headers=me.headers
    )
    assert_problem(too_much, 422, "refund_exceeds_payment")
    rest = await client.post(f"{API}/payments/{pid}/refunds", json={}, headers=me.headers)
    assert rest.json()["amount_minor"] == 1200 and await _balance(client, me) == 500
    # the top-up's money is gone from the wallet: nothing left to give back
    spent_check = await client.post(
        f"{API}/payments/{second.json()['id']}/refunds",
        json={"amount_minor": 500},
        headers=me.headers,
    )
    assert spent_check.status_code == 201 and await _balance(client, me) == 0
    assert_problem(
        await client.post(
            f"{API}/payments/{pid}/refunds", json={"destination": "wallet"}, headers=me.headers
        ),
        422,
        "refund_exceeds_payment",
    )

    pdf = await client.get(f"{API}/payments/{pid}/invoice", headers=me.headers)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert numbers[0] in text and "Wallet top-up" in text

    assert_problem(
        await client.get(f"{API}/payments/{pid}", headers=other.headers), 404, "payment_not_found"
    )
    assert_problem(
        await client.get(f"{API}/payments/{pid}/invoice", headers=other.headers),
        404,
        "payment_not_found",
    )
    for body, code in [
        ({"amount_minor": 0, "currency": "EUR"}, "invalid_payment"),
        ({"amount_minor": -5, "currency": "EUR"}, "invalid_payment"),
        ({"amount_minor": 5, "currency": "XYZ"}, "invalid_payment"),
        ({"amount_minor": 5, "currency": "eur"}, "validation_error"),
    ]:
        assert_problem(
            await client.post(f"{API}/payments/intent", json=body, headers=me.headers), 422, code
        )
    pending = await client.post(
        f"{API}/payments/intent", json={"amount_minor": 100, "currency": "EUR"}, headers=me.headers
    )
    assert pending.json()["status"] == "requires_confirmation"
    assert_problem(
        await client.get(f"{API}/payments/{pending.json()['id']}/invoice", headers=me.headers),
        409,
        "payment_state_conflict",
    )
    assert_problem(
        await client.post(
            f"{API}/payments/{pending.json()['id']}/refunds", json={}, headers=me.headers
        ),
        409,
        "payment_state_conflict",
    )
    assert await _balance(client, me) == 0


async def test_top_up_with_an_empty_payment_method_is_refused(client: httpx.AsyncClient) -> None:
    """An empty method was accepted by the top-up's schema and refused by the confirmation's,
    after the intent was created: a 500 (found by schema-driven fuzzing)."""
    me = await make_user(client)
    for card in ["", "x" * 201]:
        assert_problem(await _top_up(client, me, 1556, card), 422, "validation_error")
    ledger = (await client.get(f"{API}/wallet/ledger?currency=EUR", headers=me.headers)).json()
    assert ledger["items"] == [] and await _balance(client, me) == 0

"""Receipt upload over HTTP: OCR draft with confidences, never an expense by itself; the image
is kept and readable by the trip's members only; bad uploads are refused with nothing stored."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.factories.expenses import add_expense
from tests.factories.iam import assert_problem
from tests.factories.iam import user as make_user
from tests.factories.trips import API, add_collaborator, create_trip

RECEIPTS = Path(__file__).resolve().parents[4] / "shared" / "data" / "receipts"

if shutil.which("tesseract") is None and os.environ.get("NAVIO_REQUIRE_SERVICES") != "1":
    pytest.skip("tesseract is not installed (make installs it)", allow_module_level=True)


async def test_receipt_becomes_a_draft_then_an_expense(client: httpx.AsyncClient) -> None:
    owner, friend, stranger = (
        await make_user(client),
        await make_user(client),
        await make_user(client),
    )
    trip = await create_trip(client, owner)
    await add_collaborator(client, owner, trip["id"], friend, "viewer")
    image = (RECEIPTS / "receipt_clean.png").read_bytes()
    response = await client.post(
        f"{API}/expenses/receipts",
        files={"file": ("receipt.png", image, "image/png")},
        data={"trip_id": trip["id"]},
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text
    draft = response.json()
    assert "CAFE DE FLORE" in draft["merchant"]["value"].upper()
    assert draft["spent_on"]["value"] == "2026-06-14"
    assert draft["amount_minor"]["value"] == 5400
    assert draft["currency"]["value"] == "EUR"
    assert draft["needs_review"] is False and draft["amount_minor"]["confidence"] >= 0.6
    listed = await client.get(
        f"{API}/expenses", params={"trip_id": trip["id"]}, headers=owner.headers
    )
    assert listed.json()["items"] == []  # a draft is not an expense

    seen = await client.get(f"{API}/expenses/receipts/{draft['id']}", headers=friend.headers)
    assert seen.status_code == 200
    picture = await client.get(
        f"{API}/expenses/receipts/{draft['id']}/image", headers=friend.headers
    )
    assert picture.content == image and picture.headers["content-type"] == "image/png"
    assert_problem(
        await client.get(f"{API}/expenses/receipts/{draft['id']}", headers=stranger.headers),
        404,
        "receipt_not_found",
    )
    expense = await add_expense(
        client,
        owner,
        trip["id"],
        amount_minor=draft["amount_minor"]["value"],
        currency=draft["currency"]["value"],
        spent_on=draft["spent_on"]["value"],
        merchant=draft["merchant"]["value"],
        receipt_id=draft["id"],
    )
    assert expense["source"] == "receipt" and expense["receipt_id"] == draft["id"]
    # someone else's receipt cannot be attached
    stolen = await client.post(
        f"{API}/expenses",
        json={
            "amount_minor": 100,
            "currency": "EUR",
            "spent_on": "2026-06-14",
            "receipt_id": draft["id"],
        },
        headers=stranger.headers,
    )
    assert_problem(stolen, 404, "receipt_not_found")


async def test_unreadable_and_bad_uploads(client: httpx.AsyncClient) -> None:
    owner = await make_user(client)
    blank = io.BytesIO()
    Image.new("RGB", (600, 800), "white").save(blank, format="PNG")
    response = await client.post(
        f"{API}/expenses/receipts",
        files={"file": ("blank.png", blank.getvalue(), "image/png")},
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text
    draft = response.json()
    assert draft["needs_review"] is True and draft["amount_minor"]["value"] is None
    assert draft["review_reasons"]

    for name, payload, kind in [
        ("notes.txt", b"TOTAL 12.00 EUR", "text/plain"),
        ("scan.pdf", b"%PDF-1.7\n1 0 obj <<>> endobj\n", "application/pdf"),
        ("empty.png", b"", "image/png"),
        ("cut.png", (RECEIPTS / "receipt_clean.png").read_bytes()[:200], "image/png"),
    ]:
        refused = await client.post(
            f"{API}/expenses/receipts",
            files={"file": (name, payload, kind)},
            headers=owner.headers,
        )
        assert_problem(refused, 415, "not_an_image")
    huge = await client.post(
        f"{API}/expenses/receipts",
        files={"file": ("huge.jpg", b"\xff" * (17 * 1024 * 1024), "image/jpeg")},
        headers=owner.headers,
    )
    assert huge.status_code == 413
    trip = await create_trip(client, await make_user(client))
    foreign = await client.post(
        f"{API}/expenses/receipts",
        files={"file": ("blank.png", blank.getvalue(), "image/png")},
        data={"trip_id": trip["id"]},
        headers=owner.headers,
    )
    assert_problem(foreign, 404, "trip_not_found")

"""The page shells over HTTP: served as HTML with a strict policy, revalidated by ETag, their
assets found, nothing of anyone's in them (the data comes from the API, authorized there)."""

from __future__ import annotations

import re

import httpx

from tests.factories.iam import user as make_user
from tests.factories.trips import create_trip

PAGES = [
    "/",
    "/login",
    "/register",
    "/trips",
    "/preferences",
    "/trips/0b7e1c9a-3f9e-4b8e-9d0a-2f1c7e5d6a41",
]


async def test_pages_are_html_with_a_strict_policy(client: httpx.AsyncClient) -> None:
    for path in PAGES:
        page = await client.get(path)
        assert page.status_code == 200, path
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        policy = page.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["referrer-policy"] == "no-referrer"
        assert "<script" in page.text and "data-page=" in page.text
        # no inline script or style for the policy to refuse
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text), path
        assert "style=" not in page.text and "<style" not in page.text, path
        again = await client.get(path, headers={"If-None-Match": page.headers["etag"]})
        assert again.status_code == 304 and again.content == b""


async def test_assets_named_by_the_pages_are_served(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
    assert {a.split("?")[0] for a in assets} == {"/static/navio.js", "/static/navio.css"}
    for url in assets:
        assert re.search(r"\?v=[0-9a-f]{12}$", url), url  # versioned by content
        asset = await client.get(url)
        assert asset.status_code == 200, url
        kind = "text/javascript" if url.startswith("/static/navio.js") else "text/css"
        assert asset.headers["content-type"].startswith(kind)
    missing = await client.get("/static/nothing.js")
    assert missing.status_code == 404


async def test_a_page_holds_nothing_of_its_trip(client: httpx.AsyncClient) -> None:
    owner = await make_user(client)
    trip = await create_trip(client, owner, title="A very private title")
    mine = await client.get(f"/trips/{trip['id']}", headers=owner.headers)
    other = await client.get(PAGES[-1])
    assert mine.status_code == 200 and mine.content == other.content
    assert "A very private title" not in mine.text


async def test_unknown_pages_and_ids(client: httpx.AsyncClient) -> None:
    for path in ("/trips/not-a-trip", "/trips/1234"):
        page = await client.get(path)
        assert page.status_code == 404, path
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        assert "Not found" in page.text
    nowhere = await client.get("/no-such-page")
    assert nowhere.status_code == 404
    assert nowhere.headers["content-type"] == "application/problem+json"


async def test_pages_stay_out_of_the_api_description(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert not [p for p in paths if not p.startswith(("/api/v1/", "/health/"))]

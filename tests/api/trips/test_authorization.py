"""Who may do what on a trip: every role (owner, editor, suggester, viewer), a stranger, and
anonymous callers with and without the link token, against every kind of action."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.factories.iam import AuthedUser
from tests.factories.iam import user as make_user
from tests.factories.trips import add_collaborator, add_item, create_trip, trip_url

WHO = ("owner", "editor", "suggester", "viewer", "stranger", "anonymous", "anonymous+link")

# action -> expected status per caller, in WHO order
MATRIX: dict[str, tuple[int, ...]] = {
    "read trip": (200, 200, 200, 200, 404, 404, 200),
    "read items": (200, 200, 200, 200, 404, 404, 200),
    "export ics": (200, 200, 200, 200, 404, 404, 200),
    "read activity feed": (200, 200, 200, 200, 404, 401, 401),
    "read comments": (200, 200, 200, 200, 404, 401, 401),
    "edit trip": (200, 200, 403, 403, 404, 401, 401),
    "add item": (201, 201, 403, 403, 404, 401, 401),
    "edit item": (200, 200, 403, 403, 404, 401, 401),
    "comment": (201, 201, 201, 403, 404, 401, 401),
    "suggest": (201, 201, 201, 403, 404, 401, 401),
    "invite": (201, 403, 403, 403, 404, 401, 401),
    "share": (200, 403, 403, 403, 404, 401, 401),
    "delete trip": (204, 403, 403, 403, 404, 401, 401),  # owner last: it deletes the trip
}

Request = Callable[[httpx.AsyncClient, dict[str, str], str], Any]


async def test_authorization_matrix(client: httpx.AsyncClient) -> None:
    owner = await make_user(client)
    people: dict[str, AuthedUser] = {"owner": owner}
    trip = await create_trip(client, owner)
    trip_id = trip["id"]
    for role in ("editor", "suggester", "viewer"):
        people[role] = await make_user(client)
        await add_collaborator(client, owner, trip_id, people[role], role)
    people["stranger"] = await make_user(client)
    item = await add_item(client, owner, trip_id)
    shared = await client.put(
        trip_url(trip_id, "sharing"), json={"visibility": "link"}, headers=owner.headers
    )
    link = shared.json()["link_token"]
    invitee = await make_user(client)

    def call(action: str, who: str) -> tuple[str, str, dict[str, Any] | None]:
        token = f"?token={link}" if who == "anonymous+link" else ""
        return {
            "read trip": ("GET", trip_url(trip_id) + token, None),
            "read items": ("GET", trip_url(trip_id, "items") + token, None),
            "export ics": ("GET", trip_url(trip_id, "calendar.ics") + token, None),
            "read activity feed": ("GET", trip_url(trip_id, "activity-feed") + token, None),
            "read comments": ("GET", trip_url(trip_id, "comments") + token, None),
            "edit trip": ("PUT", trip_url(trip_id) + token, {"notes": f"by {who}"}),
            "add item": (
                "POST",
                trip_url(trip_id, "items") + token,
                {"kind": "note", "title": who},
            ),
            "edit item": ("PUT", trip_url(trip_id, f"items/{item['id']}") + token, {"title": who}),
            "comment": ("POST", trip_url(trip_id, "comments") + token, {"body": f"hi from {who}"}),
            "suggest": (
                "POST",
                trip_url(trip_id, "suggestions") + token,
                {"action": "remove_item", "item_id": item["id"]},
            ),
            "invite": (
                "POST",
                trip_url(trip_id, "collaborators") + token,
                {"user_id": str(invitee.id), "role": "viewer"}
                if who == "owner"
                else {"email": f"{who}-invite@example.org", "role": "viewer"},
            ),
            "share": ("PUT", trip_url(trip_id, "sharing") + token, {"visibility": "link"}),
            "delete trip": ("DELETE", trip_url(trip_id) + token, None),
        }[action]

    wrong = []
    for action, expected in MATRIX.items():
        order = sorted(zip(WHO, expected, strict=True), key=lambda p: p[0] == "owner")
        for who, status in order:
            method, url, body = call(action, who)
            headers = people[who].headers if who in people else {}
            response = await client.request(method, url, json=body, headers=headers)
            if response.status_code != status:
                wrong.append((action, who, status, response.status_code, response.text[:200]))
            elif status >= 400:
                assert response.headers["content-type"].startswith("application/problem+json")
    assert not wrong, "\n".join(map(str, wrong))

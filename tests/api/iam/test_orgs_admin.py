"""Organizations with member roles, and admin-only role management."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from navio.iam import Principal
from navio.iam.repository import IamRepository
from navio.iam.service import IamService
from navio.kernel.uow import UnitOfWork
from tests.factories.iam import PASSWORD, admin, assert_problem, login, user


async def test_organization_lifecycle_and_member_roles(client: httpx.AsyncClient) -> None:
    owner, alice, bob, stranger = [await user(client) for _ in range(4)]
    created = await client.post(
        "/api/v1/orgs", json={"name": "Nordic Swap Stations"}, headers=owner.headers
    )
    assert created.status_code == 201, created.text
    org = created.json()
    assert org["slug"] == "nordic-swap-stations" and org["my_role"] == "owner"
    org_url = f"/api/v1/orgs/{org['id']}"

    # the same name gets a distinct slug; an explicit taken slug conflicts
    second = await client.post(
        "/api/v1/orgs", json={"name": "Nordic Swap Stations"}, headers=alice.headers
    )
    assert second.json()["slug"] == "nordic-swap-stations-2"
    taken = await client.post(
        "/api/v1/orgs",
        json={"name": "X org", "slug": "nordic-swap-stations"},
        headers=alice.headers,
    )
    assert_problem(taken, 409, "conflict")

    assert_problem(
        await client.get(org_url, headers=stranger.headers), 404, "organization_not_found"
    )
    added = await client.post(
        f"{org_url}/members", json={"email": alice.email, "role": "admin"}, headers=owner.headers
    )
    assert added.status_code == 201, added.text
    dup = await client.post(
        f"{org_url}/members", json={"email": alice.email}, headers=owner.headers
    )
    assert_problem(dup, 409, "already_member")
    missing = await client.post(
        f"{org_url}/members", json={"email": "nobody@example.org"}, headers=owner.headers
    )
    assert_problem(missing, 404, "user_not_found")

    # an org admin manages members but cannot grant ownership
    grant = await client.post(
        f"{org_url}/members", json={"email": bob.email, "role": "owner"}, headers=alice.headers
    )
    assert_problem(grant, 403, "permission_denied")
    added_bob = await client.post(
        f"{org_url}/members", json={"email": bob.email}, headers=alice.headers
    )
    assert added_bob.json()["role"] == "member"
    # a plain member cannot manage members
    denied = await client.post(
        f"{org_url}/members", json={"email": stranger.email}, headers=bob.headers
    )
    assert_problem(denied, 403, "permission_denied")
    assert (await client.get(org_url, headers=bob.headers)).json()["my_role"] == "member"

    page1 = await client.get(f"{org_url}/members", params={"limit": 2}, headers=bob.headers)
    assert page1.status_code == 200
    body = page1.json()
    page2 = await client.get(
        f"{org_url}/members",
        params={"limit": 2, "cursor": body["next_cursor"]},
        headers=bob.headers,
    )
    emails = [m["email"] for m in body["items"] + page2.json()["items"]]
    assert emails == [owner.email, alice.email, bob.email]
    assert page2.json()["next_cursor"] is None
    bad_cursor = await client.get(
        f"{org_url}/members", params={"cursor": "!!"}, headers=bob.headers
    )
    assert_problem(bad_cursor, 422, "invalid_cursor")

    # the last owner cannot leave or be demoted
    leave = await client.delete(f"{org_url}/members/{owner.id}", headers=owner.headers)
    assert_problem(leave, 409, "last_owner")
    demote = await client.patch(
        f"{org_url}/members/{owner.id}", json={"role": "member"}, headers=owner.headers
    )
    assert_problem(demote, 409, "last_owner")
    promote = await client.patch(
        f"{org_url}/members/{alice.id}", json={"role": "owner"}, headers=owner.headers
    )
    assert promote.json()["role"] == "owner"
    assert (
        await client.delete(f"{org_url}/members/{owner.id}", headers=owner.headers)
    ).status_code == 204
    assert_problem(await client.get(org_url, headers=owner.headers), 404, "organization_not_found")
    # members leave on their own
    assert (
        await client.delete(f"{org_url}/members/{bob.id}", headers=bob.headers)
    ).status_code == 204
    mine = await client.get("/api/v1/orgs", headers=bob.headers)
    assert mine.json() == []


async def test_admin_lists_users_and_assigns_roles(app: FastAPI, client: httpx.AsyncClient) -> None:
    boss = await admin(client, app.state)
    traveller = await user(client)
    assert_problem(
        await client.get("/api/v1/admin/users", headers=traveller.headers), 403, "permission_denied"
    )
    listed = await client.get("/api/v1/admin/users", params={"limit": 1}, headers=boss.headers)
    assert listed.status_code == 200
    assert len(listed.json()["items"]) == 1 and listed.json()["next_cursor"]

    forbidden = await client.put(
        f"/api/v1/users/{boss.id}/roles", json={"roles": ["admin"]}, headers=traveller.headers
    )
    assert_problem(forbidden, 403, "permission_denied")
    bad = await client.put(
        f"/api/v1/users/{traveller.id}/roles", json={"roles": ["emperor"]}, headers=boss.headers
    )
    assert_problem(bad, 422, "validation_error")
    self_demote = await client.put(
        f"/api/v1/users/{boss.id}/roles", json={"roles": ["traveler"]}, headers=boss.headers
    )
    assert_problem(self_demote, 409, "conflict")

    changed = await client.put(
        f"/api/v1/users/{traveller.id}/roles",
        json={"roles": ["operator", "traveler"]},
        headers=boss.headers,
    )
    assert changed.status_code == 200
    assert changed.json()["roles"] == ["operator", "traveler"]
    # tokens carry roles: old ones stop working, a refresh brings the new roles
    assert_problem(
        await client.get("/api/v1/auth/me", headers=traveller.headers), 401, "invalid_token"
    )
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": traveller.refresh_token}
    )
    assert refreshed.status_code == 200, refreshed.text
    perms = await client.get(
        "/api/v1/auth/permissions",
        headers={"Authorization": f"Bearer {refreshed.json()['access_token']}"},
    )
    assert "listing:manage" in perms.json()["permissions"]
    me = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {refreshed.json()['access_token']}"}
    )
    assert me.json()["roles"] == ["operator", "traveler"]
    unknown = await client.put(
        "/api/v1/users/00000000-0000-0000-0000-000000000000/roles",
        json={"roles": ["staff"]},
        headers=boss.headers,
    )
    assert_problem(unknown, 404, "user_not_found")
    await login(client, traveller.email)


async def test_a_password_change_rolled_back_leaves_every_token_working(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """The new token generation reaches the revocation cache only once it is committed: a
    change that fails after it was made (here: the request fails before its commit) must not
    refuse the tokens issued at the generation the database kept."""
    traveller = await user(client)
    now = datetime.now(UTC)
    caller = Principal(traveller.id, frozenset(), frozenset(), "rolled-back", None, now)

    async def change_then_fail() -> None:
        async with UnitOfWork(app.state.db, write=True) as uow:
            service = IamService(
                IamRepository(uow.session_source),
                uow.events,
                app.state.iam,
                app.state.clock,
                uow.after_commit,
            )
            await service.change_password(caller, PASSWORD, "a brand new passphrase 42", "1.2.3.4")
            raise RuntimeError("the request failed before its commit")

    with pytest.raises(RuntimeError):
        await change_then_fail()
    me = await client.get("/api/v1/auth/me", headers=traveller.headers)
    assert me.status_code == 200, me.text
    fresh = await login(client, traveller.email, PASSWORD)
    again = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {fresh['access_token']}"}
    )
    assert again.status_code == 200, again.text
    # committed, the same change ends the old sessions
    changed = await client.post(
        "/api/v1/auth/password/change",
        json={"current_password": PASSWORD, "new_password": "a brand new passphrase 42"},
        headers=traveller.headers,
    )
    assert changed.status_code == 200, changed.text
    assert_problem(
        await client.get("/api/v1/auth/me", headers=traveller.headers), 401, "invalid_token"
    )

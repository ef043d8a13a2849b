"""FastAPI dependencies other contexts reuse: the caller and permission checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request, WebSocket
from fastapi.security import OAuth2PasswordBearer

from navio.iam.domain import Permission, Principal
from navio.iam.errors import PermissionDenied
from navio.iam.repository import IamRepository
from navio.iam.service import IamService
from navio.iam.tokens import IamRuntime
from navio.kernel.errors import Unauthorized
from navio.kernel.http import client_ip
from navio.kernel.uow import UnitOfWork


class BearerPrincipal(OAuth2PasswordBearer):
    """The OAuth2 bearer scheme (documented in OpenAPI) that also authenticates: one dependency
    per request instead of a chain, on the path every authenticated call takes."""

    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("missing bearer token")
        runtime: IamRuntime = request.app.state.iam
        return await runtime.authenticate(token)


current_principal = BearerPrincipal(tokenUrl="/api/v1/auth/login")


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


async def optional_principal(request: Request) -> Principal | None:
    """For operations anyone may call (public trips, marketplace listings): anonymous callers
    are None; a bearer token that is present must still be valid."""
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("malformed authorization header")
    runtime: IamRuntime = request.app.state.iam
    return await runtime.authenticate(token)


MaybePrincipal = Annotated[Principal | None, Depends(optional_principal)]


async def socket_principal(websocket: WebSocket, access_token: str | None) -> Principal:
    """The caller of a WebSocket: `?access_token=` (browsers cannot set headers on one) or an
    Authorization header; Unauthorized without a valid one."""
    header = websocket.headers.get("authorization", "")
    token = access_token or (header[7:] if header.lower().startswith("bearer ") else None)
    if not token:
        raise Unauthorized("missing access token")
    runtime: IamRuntime = websocket.app.state.iam
    return await runtime.authenticate(token)


def require_permission(permission: Permission) -> Callable[[Principal], Awaitable[Principal]]:
    """`Depends(require_permission(Permission.X))` admits callers whose roles grant X."""

    async def check(principal: CurrentPrincipal) -> Principal:
        if not principal.can(permission.value):
            raise PermissionDenied(f"requires permission {permission.value}")
        return principal

    return check


async def caller_ip(request: Request) -> str:
    return client_ip(
        request, trust_forwarded_for=request.app.state.settings.http.trust_forwarded_for
    )


ClientIp = Annotated[str, Depends(caller_ip)]


async def iam_service(request: Request) -> IamService:
    # One dependency, not a chain: each FastAPI dependency costs per request.
    uow: UnitOfWork = request.state.uow
    state = request.app.state
    return IamService(
        IamRepository(uow.session_source), uow.events, state.iam, state.clock, uow.after_commit
    )


IamServiceDep = Annotated[IamService, Depends(iam_service)]

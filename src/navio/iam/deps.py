"""FastAPI dependencies other contexts reuse: the caller and permission checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from navio.iam.domain import Permission, Principal
from navio.iam.errors import PermissionDenied
from navio.iam.repository import IamRepository
from navio.iam.service import IamService
from navio.iam.tokens import IamRuntime
from navio.kernel.errors import Unauthorized
from navio.kernel.http import client_ip
from navio.kernel.uow import UnitOfWork, get_uow

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/login", auto_error=False)


async def get_runtime(request: Request) -> IamRuntime:
    runtime: IamRuntime = request.app.state.iam
    return runtime


async def current_principal(
    token: Annotated[str | None, Depends(oauth2_scheme)],
    runtime: Annotated[IamRuntime, Depends(get_runtime)],
) -> Principal:
    if not token:
        raise Unauthorized("missing bearer token")
    return await runtime.authenticate(token)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


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


async def iam_service(
    request: Request,
    uow: Annotated[UnitOfWork, Depends(get_uow)],
    runtime: Annotated[IamRuntime, Depends(get_runtime)],
) -> IamService:
    return IamService(IamRepository(uow.session), uow.events, runtime, request.app.state.clock)


IamServiceDep = Annotated[IamService, Depends(iam_service)]

"""IAM routes: thin; parse -> service -> schema."""

from __future__ import annotations

import hashlib
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from navio.iam.deps import ClientIp, CurrentPrincipal, IamServiceDep, require_permission
from navio.iam.domain import Permission, Principal
from navio.iam.schemas import (
    EmailVerifyConfirm,
    LoginRequest,
    LogoutRequest,
    MemberAdd,
    MemberRead,
    MemberUpdate,
    MfaChallenge,
    MfaLoginRequest,
    OrganizationCreate,
    OrganizationRead,
    PasswordChangeRequest,
    PasswordResetConfirm,
    PasswordResetRequest,
    PermissionsRead,
    RecoveryCodes,
    RefreshRequest,
    RegisterRequest,
    RolesUpdate,
    TokenPair,
    TotpDisableRequest,
    TotpSetup,
    TotpVerifyRequest,
    UserRead,
)
from navio.kernel.http import problem_responses
from navio.kernel.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from navio.kernel.uow import UnitOfWorkRoute

auth = APIRouter(prefix="/auth", tags=["auth"], route_class=UnitOfWorkRoute)
orgs = APIRouter(prefix="/orgs", tags=["organizations"], route_class=UnitOfWorkRoute)
admin = APIRouter(tags=["admin"], route_class=UnitOfWorkRoute)

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
CursorQ = Annotated[str | None, Query(max_length=200)]

_LOGIN_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": LoginRequest.model_json_schema()},
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["username", "password"],
                    "properties": {
                        "username": {"type": "string", "description": "email"},
                        "password": {"type": "string", "format": "password"},
                        "grant_type": {"type": "string", "enum": ["password"]},
                    },
                }
            },
        },
    }
}


async def _login_body(request: Request) -> LoginRequest:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
            form = await request.form()
            return LoginRequest.model_validate(
                {"email": form.get("username"), "password": form.get("password")}
            )
        return LoginRequest.model_validate_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        ) from exc


# Hot paths first: routes are matched in order.
@auth.get("/me", response_model=UserRead, responses=problem_responses(401))
async def me(principal: CurrentPrincipal, service: IamServiceDep, request: Request) -> Response:
    body = await service.me_json(principal)
    etag = f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


@auth.get("/permissions", response_model=PermissionsRead, responses=problem_responses(401))
async def permissions(principal: CurrentPrincipal, service: IamServiceDep) -> PermissionsRead:
    return await service.permissions(principal)


@auth.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=UserRead,
    responses=problem_responses(409, 422),
)
async def register(body: RegisterRequest, service: IamServiceDep) -> UserRead:
    return await service.register(body.email, body.password, body.display_name)


@auth.post(
    "/login",
    response_model=TokenPair | MfaChallenge,
    responses=problem_responses(401, 403, 422, 429),
    openapi_extra=_LOGIN_BODY,
)
async def login(
    body: Annotated[LoginRequest, Depends(_login_body)], service: IamServiceDep, ip: ClientIp
) -> TokenPair | MfaChallenge:
    return await service.login(body.email, body.password, ip)


@auth.post("/login/2fa", response_model=TokenPair, responses=problem_responses(401, 422, 429))
async def login_second_factor(
    body: MfaLoginRequest, service: IamServiceDep, ip: ClientIp
) -> TokenPair:
    return await service.login_second_factor(body.mfa_token, body.code, body.recovery_code, ip)


@auth.post("/refresh", response_model=TokenPair, responses=problem_responses(401, 422))
async def refresh(body: RefreshRequest, service: IamServiceDep) -> TokenPair:
    return await service.refresh(body.refresh_token)


@auth.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(401, 422))
async def logout(
    principal: CurrentPrincipal, service: IamServiceDep, body: LogoutRequest | None = None
) -> None:
    await service.logout(principal, body.refresh_token if body else None)


@auth.post("/password/change", response_model=TokenPair, responses=problem_responses(401, 422, 429))
async def change_password(
    body: PasswordChangeRequest, principal: CurrentPrincipal, service: IamServiceDep, ip: ClientIp
) -> TokenPair:
    return await service.change_password(principal, body.current_password, body.new_password, ip)


@auth.post(
    "/password/reset/request",
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(422, 429),
)
async def request_password_reset(
    body: PasswordResetRequest, service: IamServiceDep
) -> dict[str, str]:
    await service.request_password_reset(body.email)
    return {"status": "accepted", "detail": "if the account exists, a reset link was sent"}


@auth.post(
    "/password/reset/confirm",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 422),
)
async def confirm_password_reset(body: PasswordResetConfirm, service: IamServiceDep) -> None:
    await service.confirm_password_reset(body.token, body.new_password)


@auth.post(
    "/email/verify/request",
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(401, 409, 429),
)
async def request_email_verification(
    principal: CurrentPrincipal, service: IamServiceDep
) -> dict[str, str]:
    await service.request_email_verification(principal)
    return {"status": "accepted"}


@auth.post(
    "/email/verify", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(401, 422)
)
async def confirm_email(body: EmailVerifyConfirm, service: IamServiceDep) -> None:
    await service.confirm_email(body.token)


@auth.post("/2fa/enable", response_model=TotpSetup, responses=problem_responses(401, 409))
async def enable_2fa(principal: CurrentPrincipal, service: IamServiceDep) -> TotpSetup:
    return await service.enable_totp(principal)


@auth.post(
    "/2fa/verify", response_model=RecoveryCodes, responses=problem_responses(401, 409, 422, 429)
)
async def verify_2fa(
    body: TotpVerifyRequest, principal: CurrentPrincipal, service: IamServiceDep, ip: ClientIp
) -> RecoveryCodes:
    return RecoveryCodes(recovery_codes=await service.verify_totp(principal, body.code, ip))


@auth.post(
    "/2fa/disable",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 409, 422, 429),
)
async def disable_2fa(
    body: TotpDisableRequest, principal: CurrentPrincipal, service: IamServiceDep, ip: ClientIp
) -> None:
    await service.disable_totp(principal, body.password, body.code, body.recovery_code, ip)


@auth.post(
    "/2fa/recovery-codes",
    response_model=RecoveryCodes,
    responses=problem_responses(401, 409, 422, 429),
)
async def regenerate_recovery_codes(
    body: TotpVerifyRequest, principal: CurrentPrincipal, service: IamServiceDep, ip: ClientIp
) -> RecoveryCodes:
    return RecoveryCodes(
        recovery_codes=await service.regenerate_recovery_codes(principal, body.code, ip)
    )


# ------------------------------------------------------------------ organizations
@orgs.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=OrganizationRead,
    responses=problem_responses(401, 403, 409, 422),
)
async def create_organization(
    body: OrganizationCreate, principal: CurrentPrincipal, service: IamServiceDep
) -> OrganizationRead:
    return await service.create_organization(principal, body.name, body.slug)


@orgs.get("", response_model=list[OrganizationRead], responses=problem_responses(401))
async def my_organizations(
    principal: CurrentPrincipal, service: IamServiceDep
) -> list[OrganizationRead]:
    return await service.organizations(principal)


@orgs.get("/{org_id}", response_model=OrganizationRead, responses=problem_responses(401, 404))
async def get_organization(
    org_id: uuid.UUID, principal: CurrentPrincipal, service: IamServiceDep
) -> OrganizationRead:
    return await service.organization(principal, org_id)


@orgs.get(
    "/{org_id}/members", response_model=Page[MemberRead], responses=problem_responses(401, 404, 422)
)
async def list_members(
    org_id: uuid.UUID,
    principal: CurrentPrincipal,
    service: IamServiceDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorQ = None,
) -> Page[MemberRead]:
    return await service.members(principal, org_id, limit, cursor)


@orgs.post(
    "/{org_id}/members",
    status_code=status.HTTP_201_CREATED,
    response_model=MemberRead,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def add_member(
    org_id: uuid.UUID, body: MemberAdd, principal: CurrentPrincipal, service: IamServiceDep
) -> MemberRead:
    return await service.add_member(principal, org_id, body.email, body.role)


@orgs.patch(
    "/{org_id}/members/{user_id}",
    response_model=MemberRead,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def update_member(
    org_id: uuid.UUID,
    user_id: uuid.UUID,
    body: MemberUpdate,
    principal: CurrentPrincipal,
    service: IamServiceDep,
) -> MemberRead:
    return await service.update_member(principal, org_id, user_id, body.role)


@orgs.delete(
    "/{org_id}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 409),
)
async def remove_member(
    org_id: uuid.UUID, user_id: uuid.UUID, principal: CurrentPrincipal, service: IamServiceDep
) -> None:
    await service.remove_member(principal, org_id, user_id)


# ------------------------------------------------------------------ admin
@admin.get(
    "/admin/users", response_model=Page[UserRead], responses=problem_responses(401, 403, 422)
)
async def list_users(
    principal: Annotated[Principal, Depends(require_permission(Permission.USER_READ_ANY))],
    service: IamServiceDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorQ = None,
) -> Page[UserRead]:
    return await service.list_users(principal, limit, cursor)


@admin.put(
    "/users/{user_id}/roles",
    response_model=UserRead,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def set_roles(
    user_id: uuid.UUID, body: RolesUpdate, principal: CurrentPrincipal, service: IamServiceDep
) -> UserRead:
    return await service.set_roles(principal, user_id, body.roles)


routers = [auth, orgs, admin]

"""IAM use cases. Records events; never commits."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from datetime import datetime

import pyotp

from navio.iam import errors
from navio.iam.domain import (
    RECOVERY_CODES,
    TOTP_ISSUER,
    OrgPermission,
    OrgRole,
    Permission,
    Principal,
    Role,
    org_permissions_for,
    password_problems,
    slugify,
)
from navio.iam.events import (
    EmailVerificationRequested,
    EmailVerified,
    MembershipChanged,
    OrganizationCreated,
    PasswordChanged,
    PasswordResetRequested,
    RefreshTokenReuseDetected,
    RolesChanged,
    TwoFactorDisabled,
    TwoFactorEnabled,
    UserRegistered,
)
from navio.iam.models import ActionToken, Membership, Organization, RefreshToken, User
from navio.iam.repository import IamRepository
from navio.iam.schemas import (
    MemberRead,
    MfaChallenge,
    OrganizationRead,
    OrgMembershipRead,
    PermissionsRead,
    TokenPair,
    TotpSetup,
    UserRead,
)
from navio.iam.tokens import ACCESS, MFA, IamRuntime, RevocationList
from navio.kernel.clock import Clock
from navio.kernel.errors import Conflict
from navio.kernel.events import EventRecorder
from navio.kernel.pagination import Cursor, Page, page_of
from navio.kernel.security import TokenError, new_opaque_token, token_digest
from navio.kernel.uow import AfterCommit

RESET = "password_reset"
ME_CACHE_SECONDS = 60
VERIFY = "email_verify"
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def _recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def _me_key(user_id: uuid.UUID) -> str:
    return f"iam:me:{user_id}"


def _me_generation_key(user_id: uuid.UUID) -> str:
    return f"iam:me-generation:{user_id}"


def _normalise_recovery(code: str) -> str:
    return code.replace("-", "").strip().lower()


class IamService:
    def __init__(
        self,
        repo: IamRepository,
        events: EventRecorder,
        runtime: IamRuntime,
        clock: Clock,
        after_commit: Callable[[AfterCommit], None],
    ) -> None:
        self.repo = repo
        self.events = events
        self.rt = runtime
        self.clock = clock
        self.after_commit = after_commit

    # ---------------------------------------------------------------- reading users
    async def user_read(self, user: User) -> UserRead:
        return UserRead(
            id=user.id,
            email=user.email,
            display_name=user.display_name,
            email_verified=user.email_verified_at is not None,
            mfa_enabled=user.mfa_enabled,
            roles=await self.repo.roles(user.id),
            created_at=user.created_at,
        )

    async def _active_user(self, user_id: uuid.UUID) -> User:
        user = await self.repo.user(user_id)
        if user is None:
            raise errors.InvalidToken("user no longer exists")
        if not user.is_active:
            raise errors.AccountDisabled()
        return user

    async def me(self, principal: Principal) -> UserRead:
        return await self.user_read(await self._active_user(principal.user_id))

    async def me_json(self, principal: Principal) -> bytes:
        """`me` as JSON, served from the cache: clients poll it, and it rarely changes.

        Every change to what it shows calls `_forget_me`, which bumps the entry's generation
        once the change has committed. A reader stores what it read only if the generation is
        still the one it saw before reading, so a read that began before a change (and so may
        hold the data before it) never puts that data back."""
        key = _me_key(principal.user_id)
        cached = await self.rt.cache.get(key)
        if cached is not None:
            return cached
        generation_key = _me_generation_key(principal.user_id)

        async def load() -> bytes:
            generation = await self.rt.cache.generation(generation_key)
            data = (await self.me(principal)).model_dump_json().encode()
            await self.rt.cache.set_if_generation(
                key, data, ME_CACHE_SECONDS, generation_key, generation
            )
            return data

        # A client's parallel requests all miss when the entry expires: one reads for them all.
        return await self.rt.me_flights.run(key, load)

    async def _forget_me(self, user_id: uuid.UUID) -> None:
        """Drop the cached `me` now and again once the change has committed: until then a
        reader still reads the data before the change, and after it no reader that began
        before may store what it read."""
        key = _me_key(user_id)
        generation_key = _me_generation_key(user_id)

        async def forget() -> None:
            self.rt.me_flights.forget(key)
            await self.rt.cache.invalidate(key, generation_key)

        await forget()
        self.after_commit(forget)

    async def permissions(self, principal: Principal) -> PermissionsRead:
        memberships = await self.repo.memberships_of(principal.user_id)
        return PermissionsRead(
            roles=sorted(principal.roles),
            permissions=sorted(principal.permissions),
            organizations=[
                OrgMembershipRead(
                    organization_id=m.organization_id,
                    role=m.role,
                    permissions=sorted(org_permissions_for(m.role)),
                )
                for m in memberships
            ],
        )

    # ---------------------------------------------------------------- registration
    def _check_password(self, password: str, email: str) -> None:
        problems = password_problems(password, email)
        if problems:
            raise errors.WeakPassword(
                "password " + "; ".join(problems), field="password", problems=problems
            )

    async def register(
        self, email: str, password: str, display_name: str, roles: list[Role] | None = None
    ) -> UserRead:
        email = email.strip().lower()
        self._check_password(password, email)
        if await self.repo.user_by_email(email) is not None:
            raise errors.EmailTaken(field="email")
        now = self.clock.now()
        user = User(
            email=email,
            password_hash=await self.rt.hasher.hash_async(password),
            display_name=display_name,
            is_active=True,
            mfa_enabled=False,
            token_generation=0,
            created_at=now,
            updated_at=now,
        )
        await self.repo.add(user)
        await self.repo.set_roles(user.id, [r.value for r in (roles or [Role.TRAVELER])])
        self.events.record(UserRegistered(user_id=user.id, email=email, display_name=display_name))
        await self._send_verification(user)
        return await self.user_read(user)

    # ---------------------------------------------------------------- tokens
    async def _issue(self, user: User, family_id: uuid.UUID | None = None) -> TokenPair:
        now = self.clock.now()
        family = family_id or uuid.uuid4()
        secret = new_opaque_token()
        refresh = RefreshToken(
            user_id=user.id,
            family_id=family,
            token_hash=token_digest(secret),
            issued_at=now,
            expires_at=now + self.rt.refresh_ttl,
        )
        await self.repo.add(refresh)
        roles = await self.repo.roles(user.id)
        access, _ = self.rt.codec.encode(
            str(user.id),
            ACCESS,
            self.rt.access_ttl,
            now=now,
            roles=roles,
            fam=str(family),
            gen=user.token_generation,
        )
        return TokenPair(
            access_token=access,
            refresh_token=f"{refresh.id}.{secret}",
            expires_in=int(self.rt.access_ttl.total_seconds()),
        )

    async def login(self, email: str, password: str, ip: str) -> TokenPair | MfaChallenge:
        email = email.strip().lower()
        await self.rt.limiter.check(self.rt.login_ip, ip)
        await self.rt.limiter.check(self.rt.login_account, email)
        user = await self.repo.user_by_email(email)
        ok = await self.rt.hasher.verify_async(user.password_hash if user else None, password)
        if user is None or not ok:
            await self.rt.limiter.hit(self.rt.login_ip, ip)
            await self.rt.limiter.hit(self.rt.login_account, email)
            raise errors.InvalidCredentials()
        if not user.is_active:
            raise errors.AccountDisabled()
        await self.rt.limiter.reset(self.rt.login_account, email)
        if self.rt.hasher.needs_rehash(user.password_hash):
            user.password_hash = await self.rt.hasher.hash_async(password)
        if user.mfa_enabled:
            token, _ = self.rt.codec.encode(
                str(user.id), MFA, self.rt.mfa_ttl, now=self.clock.now()
            )
            return MfaChallenge(mfa_token=token)
        return await self._issue(user)

    def _totp_step(self, secret: str, code: str, last_step: int | None) -> int | None:
        """The matching time step (±1 for clock drift), refusing steps already used."""
        totp = pyotp.TOTP(secret)
        now = self.clock.now()
        current = int(now.timestamp()) // totp.interval
        for step in (current - 1, current, current + 1):
            if last_step is not None and step <= last_step:
                continue
            if secrets.compare_digest(totp.at(step * totp.interval), code):
                return step
        return None

    async def _second_factor(
        self, user: User, code: str | None, recovery_code: str | None, ip: str
    ) -> None:
        subject = str(user.id)
        await self.rt.limiter.check(self.rt.mfa_ip, ip)
        await self.rt.limiter.check(self.rt.mfa_account, subject)
        if bool(code) == bool(recovery_code):
            raise errors.InvalidMfaCode("give exactly one of code or recovery_code")
        if code and user.totp_secret_sealed:
            step = self._totp_step(
                self.rt.totp_box.open(user.totp_secret_sealed), code, user.totp_last_step
            )
            if step is not None:
                user.totp_last_step = step
                await self.rt.limiter.reset(self.rt.mfa_account, subject)
                return
        if recovery_code:
            row = await self.repo.unused_recovery_code(
                user.id, token_digest(_normalise_recovery(recovery_code))
            )
            if row is not None:
                row.used_at = self.clock.now()
                await self.rt.limiter.reset(self.rt.mfa_account, subject)
                return
        await self.rt.limiter.hit(self.rt.mfa_ip, ip)
        await self.rt.limiter.hit(self.rt.mfa_account, subject)
        raise errors.InvalidMfaCode()

    async def login_second_factor(
        self, mfa_token: str, code: str | None, recovery_code: str | None, ip: str
    ) -> TokenPair:
        try:
            claims = self.rt.codec.decode(mfa_token, MFA)
        except TokenError as exc:
            raise errors.InvalidToken(str(exc)) from exc
        if await self.rt.revocations.is_revoked(claims):
            raise errors.InvalidToken("login step already completed")
        user = await self._active_user(uuid.UUID(claims.subject))
        if not user.mfa_enabled:
            raise errors.InvalidToken("two-factor authentication is not enabled")
        await self._second_factor(user, code, recovery_code, ip)
        await self._revoke(RevocationList.jti_key(claims.jti), "1", claims.expires_at)
        return await self._issue(user)

    @staticmethod
    def _parse_refresh(token: str) -> tuple[uuid.UUID, str]:
        ident, _, secret = token.partition(".")
        try:
            return uuid.UUID(ident), secret
        except ValueError as exc:
            raise errors.InvalidToken("malformed refresh token") from exc

    async def refresh(self, token: str) -> TokenPair:
        token_id, secret = self._parse_refresh(token)
        row = await self.repo.refresh_token(token_id)
        if row is None or not secrets.compare_digest(row.token_hash, token_digest(secret)):
            raise errors.InvalidToken("unknown refresh token")
        now = self.clock.now()
        if row.revoked_at is not None:
            raise errors.InvalidToken("refresh token revoked")
        if row.used_at is not None:
            # A rotated token came back: it was stolen or replayed. End the whole login.
            await self._revoke_family(row.family_id, now)
            self.events.record(
                RefreshTokenReuseDetected(user_id=row.user_id, family_id=row.family_id)
            )
            raise errors.RefreshTokenReused()
        if row.expires_at <= now:
            raise errors.InvalidToken("refresh token expired")
        row.used_at = now
        user = await self._active_user(row.user_id)
        return await self._issue(user, family_id=row.family_id)

    async def _revoke(self, key: str, value: str, expires_at: datetime) -> None:
        await self.repo.upsert_revocation(key, value, expires_at)
        await self.rt.revocations.put(key, value, expires_at)

    async def _revoke_family(self, family_id: uuid.UUID, now: datetime) -> None:
        await self.repo.revoke_family(family_id, now)
        await self._revoke(RevocationList.family_key(family_id), "1", now + self.rt.access_ttl)

    async def _new_generation(self, user: User) -> None:
        """The user's access tokens issued before now stop working. The database keeps the new
        generation in this transaction; the cache learns it once that is durable: had it been
        told before a commit that then failed, it would refuse every token issued at the
        generation the database kept (a password change rolled back would lock the user out
        until the entry expired)."""
        user.token_generation += 1
        key, value = RevocationList.user_key(user.id), str(user.token_generation)
        expires_at = self.clock.now() + self.rt.access_ttl
        await self.repo.upsert_revocation(key, value, expires_at)

        async def publish() -> None:
            await self.rt.revocations.put(key, value, expires_at)

        self.after_commit(publish)

    async def _revoke_all_sessions(self, user: User) -> None:
        await self.repo.revoke_user_tokens(user.id, self.clock.now())
        await self._new_generation(user)

    async def logout(self, principal: Principal, refresh_token: str | None) -> None:
        now = self.clock.now()
        await self._revoke(RevocationList.jti_key(principal.token_id), "1", principal.expires_at)
        if principal.family_id is not None:
            await self._revoke_family(principal.family_id, now)
        if refresh_token:
            token_id, secret = self._parse_refresh(refresh_token)
            row = await self.repo.refresh_token(token_id)
            if (
                row is not None
                and row.user_id == principal.user_id
                and secrets.compare_digest(row.token_hash, token_digest(secret))
            ):
                await self._revoke_family(row.family_id, now)

    # ---------------------------------------------------------------- passwords
    async def change_password(
        self, principal: Principal, current: str, new: str, ip: str
    ) -> TokenPair:
        user = await self._active_user(principal.user_id)
        await self.rt.limiter.check(self.rt.login_account, user.email)
        if not await self.rt.hasher.verify_async(user.password_hash, current):
            await self.rt.limiter.hit(self.rt.login_account, user.email)
            await self.rt.limiter.hit(self.rt.login_ip, ip)
            raise errors.InvalidCredentials("current password is wrong", field="current_password")
        self._check_password(new, user.email)
        await self._set_password(user, new, via_reset=False)
        return await self._issue(user)

    async def _set_password(self, user: User, password: str, *, via_reset: bool) -> None:
        user.password_hash = await self.rt.hasher.hash_async(password)
        user.password_changed_at = self.clock.now()
        await self._revoke_all_sessions(user)
        self.events.record(PasswordChanged(user_id=user.id, via_reset=via_reset))

    async def _action_token(self, user: User, purpose: str) -> tuple[str, datetime]:
        now = self.clock.now()
        await self.repo.expire_action_tokens(user.id, purpose, now)
        raw = new_opaque_token()
        expires = now + (self.rt.reset_ttl if purpose == RESET else self.rt.verify_ttl)
        await self.repo.add(
            ActionToken(
                user_id=user.id,
                purpose=purpose,
                token_hash=token_digest(raw),
                expires_at=expires,
                created_at=now,
            )
        )
        return raw, expires

    async def request_password_reset(self, email: str) -> None:
        email = email.strip().lower()
        await self.rt.limiter.consume(self.rt.reset_account, email)
        user = await self.repo.user_by_email(email)
        if user is None or not user.is_active:
            return  # same answer either way: no account enumeration
        raw, expires = await self._action_token(user, RESET)
        self.events.record(
            PasswordResetRequested(user_id=user.id, email=user.email, token=raw, expires_at=expires)
        )

    async def _use_action_token(self, raw: str, purpose: str) -> User:
        row = await self.repo.action_token(token_digest(raw), purpose)
        now = self.clock.now()
        if row is None or row.used_at is not None or row.expires_at <= now:
            raise errors.InvalidToken("token is invalid, used or expired", field="token")
        row.used_at = now
        user = await self.repo.user(row.user_id)
        if user is None or not user.is_active:
            raise errors.InvalidToken("token is invalid, used or expired", field="token")
        return user

    async def confirm_password_reset(self, raw: str, new_password: str) -> None:
        user = await self._use_action_token(raw, RESET)
        self._check_password(new_password, user.email)
        await self._set_password(user, new_password, via_reset=True)

    async def _send_verification(self, user: User) -> None:
        raw, expires = await self._action_token(user, VERIFY)
        self.events.record(
            EmailVerificationRequested(
                user_id=user.id, email=user.email, token=raw, expires_at=expires
            )
        )

    async def request_email_verification(self, principal: Principal) -> None:
        user = await self._active_user(principal.user_id)
        if user.email_verified_at is not None:
            raise errors.EmailAlreadyVerified()
        await self.rt.limiter.consume(self.rt.reset_account, f"verify:{user.id}")
        await self._send_verification(user)

    async def confirm_email(self, raw: str) -> None:
        user = await self._use_action_token(raw, VERIFY)
        if user.email_verified_at is None:
            user.email_verified_at = self.clock.now()
            await self._forget_me(user.id)
            self.events.record(EmailVerified(user_id=user.id))

    # ---------------------------------------------------------------- two-factor
    async def enable_totp(self, principal: Principal) -> TotpSetup:
        user = await self._active_user(principal.user_id)
        if user.mfa_enabled:
            raise errors.MfaAlreadyEnabled()
        secret = pyotp.random_base32()
        user.totp_pending_sealed = self.rt.totp_box.seal(secret)
        uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)
        return TotpSetup(secret=secret, otpauth_uri=uri)

    async def _new_recovery_codes(self, user: User) -> list[str]:
        codes = [_recovery_code() for _ in range(RECOVERY_CODES)]
        await self.repo.replace_recovery_codes(
            user.id, [token_digest(_normalise_recovery(c)) for c in codes]
        )
        return codes

    async def verify_totp(self, principal: Principal, code: str, ip: str) -> list[str]:
        user = await self._active_user(principal.user_id)
        if user.mfa_enabled:
            raise errors.MfaAlreadyEnabled()
        if not user.totp_pending_sealed:
            raise errors.MfaNotPending()
        subject = str(user.id)
        await self.rt.limiter.check(self.rt.mfa_account, subject)
        secret = self.rt.totp_box.open(user.totp_pending_sealed)
        step = self._totp_step(secret, code, None)
        if step is None:
            await self.rt.limiter.hit(self.rt.mfa_account, subject)
            await self.rt.limiter.hit(self.rt.mfa_ip, ip)
            raise errors.InvalidMfaCode(field="code")
        await self.rt.limiter.reset(self.rt.mfa_account, subject)
        user.totp_secret_sealed = user.totp_pending_sealed
        user.totp_pending_sealed = None
        user.totp_last_step = step
        user.mfa_enabled = True
        await self._forget_me(user.id)
        self.events.record(TwoFactorEnabled(user_id=user.id))
        return await self._new_recovery_codes(user)

    async def disable_totp(
        self,
        principal: Principal,
        password: str,
        code: str | None,
        recovery_code: str | None,
        ip: str,
    ) -> None:
        user = await self._active_user(principal.user_id)
        if not user.mfa_enabled:
            raise errors.MfaNotEnabled()
        if not await self.rt.hasher.verify_async(user.password_hash, password):
            await self.rt.limiter.hit(self.rt.login_account, user.email)
            raise errors.InvalidCredentials("password is wrong", field="password")
        await self._second_factor(user, code, recovery_code, ip)
        user.mfa_enabled = False
        user.totp_secret_sealed = None
        user.totp_last_step = None
        await self.repo.replace_recovery_codes(user.id, [])
        await self._forget_me(user.id)
        self.events.record(TwoFactorDisabled(user_id=user.id))

    async def regenerate_recovery_codes(
        self, principal: Principal, code: str, ip: str
    ) -> list[str]:
        user = await self._active_user(principal.user_id)
        if not user.mfa_enabled:
            raise errors.MfaNotEnabled()
        await self._second_factor(user, code, None, ip)
        return await self._new_recovery_codes(user)

    # ---------------------------------------------------------------- admin
    def _require(self, principal: Principal, permission: Permission) -> None:
        if not principal.can(permission.value):
            raise errors.PermissionDenied(f"requires permission {permission.value}")

    async def list_users(
        self, principal: Principal, limit: int, cursor: str | None
    ) -> Page[UserRead]:
        self._require(principal, Permission.USER_READ_ANY)
        after = Cursor.decode(cursor) if cursor else None
        users, next_cursor = page_of(
            await self.repo.users_page(limit + 1, after),
            limit,
            lambda u: Cursor(u.created_at, u.id),
        )
        return Page(items=[await self.user_read(u) for u in users], next_cursor=next_cursor)

    async def set_roles(
        self, principal: Principal, user_id: uuid.UUID, roles: list[Role]
    ) -> UserRead:
        self._require(principal, Permission.ROLE_ASSIGN)
        user = await self.repo.user(user_id)
        if user is None:
            raise errors.UserNotFound()
        names = sorted({r.value for r in roles})
        if user.id == principal.user_id and Role.ADMIN.value not in names:
            raise Conflict("an admin cannot remove their own admin role", field="roles")
        await self.repo.set_roles(user.id, names)
        await self._forget_me(user.id)
        # Access tokens carry roles: make the old ones stop working; refresh yields new roles.
        await self._new_generation(user)
        self.events.record(RolesChanged(user_id=user.id, roles=names, changed_by=principal.user_id))
        return await self.user_read(user)

    # ---------------------------------------------------------------- organizations
    async def create_organization(
        self, principal: Principal, name: str, slug: str | None
    ) -> OrganizationRead:
        self._require(principal, Permission.ORG_CREATE)
        base = slug or slugify(name)
        if slug is not None and await self.repo.slug_taken(slug):
            raise Conflict("slug already taken", field="slug")
        candidate, n = base, 1
        while await self.repo.slug_taken(candidate):
            n += 1
            candidate = f"{base[:55]}-{n}"
        now = self.clock.now()
        org = Organization(name=name, slug=candidate, created_at=now, updated_at=now)
        await self.repo.add(org)
        await self.repo.add(
            Membership(
                organization_id=org.id,
                user_id=principal.user_id,
                role=OrgRole.OWNER.value,
                created_at=now,
                updated_at=now,
            )
        )
        self.events.record(OrganizationCreated(organization_id=org.id, owner_id=principal.user_id))
        return OrganizationRead(
            id=org.id,
            name=org.name,
            slug=org.slug,
            created_at=org.created_at,
            my_role=OrgRole.OWNER,
        )

    async def _org_access(
        self, principal: Principal, org_id: uuid.UUID, needed: OrgPermission
    ) -> tuple[Organization, Membership | None]:
        org = await self.repo.organization(org_id)
        membership = await self.repo.membership(org_id, principal.user_id) if org else None
        if org is None or (membership is None and not principal.can(Permission.ORG_READ_ANY.value)):
            raise errors.OrganizationNotFound()
        granted = org_permissions_for(membership.role) if membership else frozenset()
        if principal.is_admin:
            granted = frozenset(p.value for p in OrgPermission)
        if needed.value not in granted:
            raise errors.PermissionDenied(f"requires {needed.value} in this organization")
        return org, membership

    async def organizations(self, principal: Principal) -> list[OrganizationRead]:
        return [
            OrganizationRead(
                id=o.id, name=o.name, slug=o.slug, created_at=o.created_at, my_role=role
            )
            for o, role in await self.repo.organizations_of(principal.user_id)
        ]

    async def organization(self, principal: Principal, org_id: uuid.UUID) -> OrganizationRead:
        org, membership = await self._org_access(principal, org_id, OrgPermission.READ)
        return OrganizationRead(
            id=org.id,
            name=org.name,
            slug=org.slug,
            created_at=org.created_at,
            my_role=membership.role if membership else None,
        )

    async def members(
        self, principal: Principal, org_id: uuid.UUID, limit: int, cursor: str | None
    ) -> Page[MemberRead]:
        await self._org_access(principal, org_id, OrgPermission.READ)
        after = Cursor.decode(cursor) if cursor else None
        rows, next_cursor = page_of(
            await self.repo.members(org_id, limit + 1, after),
            limit,
            lambda row: Cursor(row[0].created_at, row[0].user_id),
        )
        items = [
            MemberRead(
                user_id=u.id,
                email=u.email,
                display_name=u.display_name,
                role=m.role,
                created_at=m.created_at,
            )
            for m, u in rows
        ]
        return Page(items=items, next_cursor=next_cursor)

    def _check_owner_change(
        self, actor: Membership | None, principal: Principal, role: str
    ) -> None:
        if (
            role == OrgRole.OWNER.value
            and not principal.is_admin
            and (actor is None or actor.role != OrgRole.OWNER.value)
        ):
            raise errors.PermissionDenied("only an owner can grant or change the owner role")

    async def add_member(
        self, principal: Principal, org_id: uuid.UUID, email: str, role: OrgRole
    ) -> MemberRead:
        _, actor = await self._org_access(principal, org_id, OrgPermission.MANAGE_MEMBERS)
        self._check_owner_change(actor, principal, role.value)
        user = await self.repo.user_by_email(email.strip().lower())
        if user is None:
            raise errors.UserNotFound(field="email")
        if await self.repo.membership(org_id, user.id) is not None:
            raise errors.AlreadyMember(field="email")
        now = self.clock.now()
        membership = Membership(
            organization_id=org_id, user_id=user.id, role=role.value, created_at=now, updated_at=now
        )
        await self.repo.add(membership)
        self.events.record(
            MembershipChanged(organization_id=org_id, user_id=user.id, role=role.value)
        )
        return MemberRead(
            user_id=user.id,
            email=user.email,
            display_name=user.display_name,
            role=role.value,
            created_at=now,
        )

    async def update_member(
        self, principal: Principal, org_id: uuid.UUID, user_id: uuid.UUID, role: OrgRole
    ) -> MemberRead:
        _, actor = await self._org_access(principal, org_id, OrgPermission.MANAGE_MEMBERS)
        target = await self.repo.membership(org_id, user_id)
        user = await self.repo.user(user_id)
        if target is None or user is None:
            raise errors.MemberNotFound()
        if OrgRole.OWNER.value in (target.role, role.value):
            self._check_owner_change(actor, principal, OrgRole.OWNER.value)
        if (
            target.role == OrgRole.OWNER.value
            and role != OrgRole.OWNER
            and await self.repo.owner_count(org_id) <= 1
        ):
            raise errors.LastOwner()
        target.role = role.value
        self.events.record(
            MembershipChanged(organization_id=org_id, user_id=user_id, role=role.value)
        )
        return MemberRead(
            user_id=user.id,
            email=user.email,
            display_name=user.display_name,
            role=target.role,
            created_at=target.created_at,
        )

    async def remove_member(
        self, principal: Principal, org_id: uuid.UUID, user_id: uuid.UUID
    ) -> None:
        leaving = user_id == principal.user_id
        _, actor = await self._org_access(
            principal, org_id, OrgPermission.READ if leaving else OrgPermission.MANAGE_MEMBERS
        )
        target = await self.repo.membership(org_id, user_id)
        if target is None:
            raise errors.MemberNotFound()
        if target.role == OrgRole.OWNER.value:
            if not leaving:
                self._check_owner_change(actor, principal, OrgRole.OWNER.value)
            if await self.repo.owner_count(org_id) <= 1:
                raise errors.LastOwner()
        await self.repo.delete(target)
        self.events.record(MembershipChanged(organization_id=org_id, user_id=user_id, role=None))

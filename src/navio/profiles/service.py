"""Profile use cases. Records events; never commits."""

from __future__ import annotations

import uuid
from datetime import datetime

from navio.iam import Permission, Principal
from navio.kernel.clock import Clock
from navio.kernel.events import EventRecorder
from navio.kernel.pagination import Cursor, Page, page_of
from navio.profiles import errors
from navio.profiles.domain import looks_like_card_number
from navio.profiles.events import PaymentMethodAdded, PaymentMethodRemoved, PreferencesUpdated
from navio.profiles.models import PaymentMethod, Preferences, Profile, SavedPlace
from navio.profiles.repository import ProfilesRepository
from navio.profiles.schemas import (
    PaymentMethodCreate,
    PaymentMethodRead,
    PreferencesRead,
    PreferencesUpdate,
    ProfileRead,
    ProfileUpdate,
    SavedPlaceCreate,
    SavedPlaceRead,
)

MAX_SAVED_PLACES = 500
_PREF_COLUMNS = ("home_currency", "language", "travel_style", "pace")


class ProfilesService:
    def __init__(self, repo: ProfilesRepository, events: EventRecorder, clock: Clock) -> None:
        self.repo = repo
        self.events = events
        self.clock = clock

    @staticmethod
    def _authorize(principal: Principal, user_id: uuid.UUID, *, write: bool) -> bool:
        """True when the caller acts on their own data. Others see 404: ids are not probed."""
        if principal.user_id == user_id:
            return True
        needed = Permission.USER_MANAGE if write else Permission.USER_READ_ANY
        if principal.can(needed.value):
            return False
        raise errors.ProfileNotFound()

    async def _authorize_existing(
        self, principal: Principal, user_id: uuid.UUID, *, write: bool
    ) -> None:
        """As _authorize; an admin acting for someone else needs that user to exist."""
        if (
            not self._authorize(principal, user_id, write=write)
            and await self.repo.profile(user_id) is None
        ):
            raise errors.ProfileNotFound()

    # ---------------------------------------------------------------- profile
    @staticmethod
    def _profile_read(user_id: uuid.UUID, row: Profile | None) -> ProfileRead:
        if row is None:
            return ProfileRead(
                user_id=user_id,
                display_name=None,
                bio=None,
                avatar_url=None,
                home_city=None,
                country_code=None,
                timezone=None,
                phone=None,
                updated_at=None,
            )
        return ProfileRead(
            user_id=row.user_id,
            display_name=row.display_name,
            bio=row.bio,
            avatar_url=row.avatar_url,
            home_city=row.home_city,
            country_code=row.country_code,
            timezone=row.timezone,
            phone=row.phone,
            updated_at=row.updated_at,
        )

    async def get_profile(self, principal: Principal, user_id: uuid.UUID) -> ProfileRead:
        own = self._authorize(principal, user_id, write=False)
        row = await self.repo.profile(user_id)
        if row is None and not own:
            raise errors.ProfileNotFound()
        return self._profile_read(user_id, row)

    async def put_profile(
        self, principal: Principal, user_id: uuid.UUID, body: ProfileUpdate
    ) -> ProfileRead:
        own = self._authorize(principal, user_id, write=True)
        row = await self.repo.profile(user_id)
        now = self.clock.now()
        if row is None:
            if not own:
                raise errors.ProfileNotFound()
            row = Profile(user_id=user_id, created_at=now, version=0)
            await self.repo.add(row)
        values = body.model_dump(mode="json")
        for field, value in values.items():
            setattr(row, field, value)
        row.version += 1
        row.updated_at = now
        return self._profile_read(user_id, row)

    async def ensure_profile(self, user_id: uuid.UUID, display_name: str) -> None:
        """Seed an empty profile for a new user; never overwrites what the user already set."""
        if await self.repo.profile(user_id) is None:
            now = self.clock.now()
            await self.repo.add(
                Profile(
                    user_id=user_id,
                    display_name=display_name,
                    created_at=now,
                    updated_at=now,
                    version=1,
                )
            )

    # ---------------------------------------------------------------- preferences
    @staticmethod
    def _prefs_read(user_id: uuid.UUID, row: Preferences | None) -> PreferencesRead:
        if row is None:
            return PreferencesRead(user_id=user_id, updated_at=None)
        return PreferencesRead(
            user_id=user_id,
            home_currency=row.home_currency,
            language=row.language,
            travel_style=row.travel_style,
            pace=row.pace,
            interests=row.data.get("interests", []),
            dietary=row.data.get("dietary", []),
            mobility=row.data.get("mobility", []),
            distance_unit=row.data.get("distance_unit", "metric"),
            updated_at=row.updated_at,
        )

    async def get_preferences(self, principal: Principal, user_id: uuid.UUID) -> PreferencesRead:
        own = self._authorize(principal, user_id, write=False)
        row = await self.repo.preferences(user_id)
        if row is None and not own:
            raise errors.ProfileNotFound()
        return self._prefs_read(user_id, row)

    async def put_preferences(
        self, principal: Principal, user_id: uuid.UUID, body: PreferencesUpdate
    ) -> PreferencesRead:
        own = self._authorize(principal, user_id, write=True)
        row = await self.repo.preferences(user_id)
        now = self.clock.now()
        before = self._prefs_read(user_id, row).model_dump(exclude={"user_id", "updated_at"})
        if row is None:
            if not own:
                raise errors.ProfileNotFound()
            row = Preferences(user_id=user_id, created_at=now, version=0, data={})
            await self.repo.add(row)
        values = body.model_dump(mode="json")
        for column in _PREF_COLUMNS:
            setattr(row, column, values.pop(column))
        row.data = values
        row.version += 1
        row.updated_at = now
        after = self._prefs_read(user_id, row)
        changed = sorted(
            k
            for k, v in after.model_dump(exclude={"user_id", "updated_at"}).items()
            if before.get(k) != v
        )
        if changed:
            self.events.record(PreferencesUpdated(user_id=user_id, fields=changed))
        return after

    # ---------------------------------------------------------------- saved places
    async def add_saved_place(
        self, principal: Principal, user_id: uuid.UUID, body: SavedPlaceCreate
    ) -> SavedPlaceRead:
        await self._authorize_existing(principal, user_id, write=True)
        await self.repo.lock_user(user_id)
        if await self.repo.saved_place_count(user_id) >= MAX_SAVED_PLACES:
            raise errors.TooManySavedPlaces(limit=MAX_SAVED_PLACES)
        now = self.clock.now()
        row = SavedPlace(user_id=user_id, created_at=now, updated_at=now, **body.model_dump())
        await self.repo.add(row)
        return SavedPlaceRead.model_validate(row)

    async def saved_places(
        self, principal: Principal, user_id: uuid.UUID, limit: int, cursor: str | None
    ) -> Page[SavedPlaceRead]:
        await self._authorize_existing(principal, user_id, write=False)
        after = Cursor.decode(cursor) if cursor else None
        rows, next_cursor = page_of(
            await self.repo.saved_places(user_id, limit + 1, after),
            limit,
            lambda r: Cursor(r.created_at, r.id),
        )
        return Page(items=[SavedPlaceRead.model_validate(r) for r in rows], next_cursor=next_cursor)

    async def update_saved_place(
        self, principal: Principal, user_id: uuid.UUID, place_id: uuid.UUID, body: SavedPlaceCreate
    ) -> SavedPlaceRead:
        await self._authorize_existing(principal, user_id, write=True)
        row = await self.repo.saved_place(user_id, place_id)
        if row is None:
            raise errors.SavedPlaceNotFound()
        for field, value in body.model_dump().items():
            setattr(row, field, value)
        row.updated_at = self.clock.now()
        return SavedPlaceRead.model_validate(row)

    async def delete_saved_place(
        self, principal: Principal, user_id: uuid.UUID, place_id: uuid.UUID
    ) -> None:
        await self._authorize_existing(principal, user_id, write=True)
        row = await self.repo.saved_place(user_id, place_id)
        if row is None:
            raise errors.SavedPlaceNotFound()
        await self.repo.delete(row)

    # ---------------------------------------------------------------- payment methods
    def _check_expiry(self, month: int, year: int, now: datetime) -> None:
        if (year, month) < (now.year, now.month):
            raise errors.PaymentMethodExpired(field="exp_year")

    async def add_payment_method(
        self, principal: Principal, user_id: uuid.UUID, body: PaymentMethodCreate
    ) -> PaymentMethodRead:
        await self._authorize_existing(principal, user_id, write=True)
        if looks_like_card_number(body.token):
            raise errors.CardNumberRefused(field="token")
        now = self.clock.now()
        self._check_expiry(body.exp_month, body.exp_year, now)
        await self.repo.lock_user(user_id)
        if await self.repo.payment_method_by_token(body.provider, body.token) is not None:
            raise errors.DuplicatePaymentMethod(field="token")
        existing = await self.repo.payment_methods(user_id)
        make_default = body.make_default or not existing
        if make_default:
            await self.repo.clear_default(user_id)
        row = PaymentMethod(
            user_id=user_id,
            provider=body.provider,
            provider_token=body.token,
            brand=body.brand.value,
            last4=body.last4,
            exp_month=body.exp_month,
            exp_year=body.exp_year,
            holder_name=body.holder_name,
            is_default=make_default,
            created_at=now,
            updated_at=now,
        )
        await self.repo.add(row)
        self.events.record(
            PaymentMethodAdded(
                user_id=user_id, payment_method_id=row.id, brand=row.brand, last4=row.last4
            )
        )
        return PaymentMethodRead.model_validate(row)

    async def payment_methods(
        self, principal: Principal, user_id: uuid.UUID
    ) -> list[PaymentMethodRead]:
        await self._authorize_existing(principal, user_id, write=False)
        return [
            PaymentMethodRead.model_validate(r) for r in await self.repo.payment_methods(user_id)
        ]

    async def set_default_payment_method(
        self, principal: Principal, user_id: uuid.UUID, pm_id: uuid.UUID
    ) -> PaymentMethodRead:
        await self._authorize_existing(principal, user_id, write=True)
        await self.repo.lock_user(user_id)
        row = await self.repo.payment_method(user_id, pm_id)
        if row is None:
            raise errors.PaymentMethodNotFound()
        await self.repo.clear_default(user_id)
        await self.repo.session.flush()
        row.is_default = True
        row.updated_at = self.clock.now()
        await self.repo.session.flush()
        await self.repo.session.refresh(row)
        return PaymentMethodRead.model_validate(row)

    async def delete_payment_method(
        self, principal: Principal, user_id: uuid.UUID, pm_id: uuid.UUID
    ) -> None:
        await self._authorize_existing(principal, user_id, write=True)
        await self.repo.lock_user(user_id)
        row = await self.repo.payment_method(user_id, pm_id)
        if row is None:
            raise errors.PaymentMethodNotFound()
        was_default = row.is_default
        await self.repo.delete(row)
        if was_default:
            remaining = await self.repo.payment_methods(user_id)
            if remaining:
                remaining[-1].is_default = True
                remaining[-1].updated_at = self.clock.now()
        self.events.record(PaymentMethodRemoved(user_id=user_id, payment_method_id=pm_id))

"""Swap plans: an operator sells swaps ahead (so many for a price, valid so many days, at any of
their stations); a rider buys one from their wallet and their swaps at that operator's stations
use its credits first."""

from __future__ import annotations

import uuid
from datetime import timedelta

from navio.iam import Principal
from navio.kernel.money import is_currency
from navio.stations.errors import InvalidPlan, PlanNotFound, PlanRetired
from navio.stations.events import PlanBought
from navio.stations.models import Credit, Plan
from navio.stations.schemas import CreditRead, PlanCreate, PlanRead, PlanUpdate
from navio.stations.service.base import StationsBase
from navio.wallet import ledger


class PlanOperations(StationsBase):
    async def create_plan(self, principal: Principal, body: PlanCreate) -> PlanRead:
        if not is_currency(body.currency):
            raise InvalidPlan(f"{body.currency!r} is not a currency", field="currency")
        if not body.name.strip():
            raise InvalidPlan("name the plan", field="name")
        now = self.clock.now()
        plan = Plan(
            owner_id=principal.user_id,
            name=body.name.strip(),
            swaps=body.swaps,
            price_minor=body.price_minor,
            currency=body.currency,
            valid_days=body.valid_days,
            active=True,
            created_at=now,
            updated_at=now,
        )
        await self.repo.add(plan)
        return PlanRead.model_validate(plan)

    async def my_plans(self, principal: Principal) -> list[PlanRead]:
        plans = await self.repo.plans_of(principal.user_id, active_only=False)
        return [PlanRead.model_validate(p) for p in plans]

    async def station_plans(self, station_id: uuid.UUID) -> list[PlanRead]:
        """What is sold for the station: its operator's plans on sale."""
        station = await self._station(station_id)
        plans = await self.repo.plans_of(station.owner_id, active_only=True)
        return [PlanRead.model_validate(p) for p in plans]

    async def update_plan(
        self, principal: Principal, plan_id: uuid.UUID, body: PlanUpdate
    ) -> PlanRead:
        plan = await self.repo.plan(plan_id, for_update=True)
        if plan is None or plan.owner_id != principal.user_id:
            raise PlanNotFound()
        if plan.active != body.active:
            plan.active = body.active
            plan.updated_at = self.clock.now()
        return PlanRead.model_validate(plan)

    async def buy_plan(self, principal: Principal, plan_id: uuid.UUID) -> CreditRead:
        """Paid from the rider's wallet to the operator at once (422 `insufficient_funds`
        changes nothing); the swaps are theirs until it expires."""
        plan = await self.repo.plan(plan_id)
        if plan is None:
            raise PlanNotFound()
        if not plan.active:
            raise PlanRetired("the operator no longer sells it")
        now = self.clock.now()
        credit_id = uuid.uuid4()
        paid, _ = await ledger(self.repo.session, self.clock).pay(
            f"plan:{credit_id}",
            principal.user_id,
            plan.owner_id,
            plan.price_minor,
            plan.currency,
            refs={"plan": str(plan.id), "credit": str(credit_id)},
        )
        credit = Credit(
            id=credit_id,
            plan_id=plan.id,
            owner_id=plan.owner_id,
            user_id=principal.user_id,
            swaps_bought=plan.swaps,
            swaps_left=plan.swaps,
            price_minor=plan.price_minor,
            currency=plan.currency,
            transfer_id=paid.id,
            bought_at=now,
            expires_at=now + timedelta(days=plan.valid_days),
        )
        await self.repo.add(credit)
        self.events.record(
            PlanBought(
                credit_id=credit.id,
                plan_id=plan.id,
                owner_id=plan.owner_id,
                user_id=principal.user_id,
                plan_name=plan.name,
                swaps=plan.swaps,
                amount_minor=plan.price_minor,
                currency=plan.currency,
            )
        )
        return CreditRead.model_validate(credit)

    async def credits(self, principal: Principal) -> list[CreditRead]:
        return [CreditRead.model_validate(c) for c in await self.repo.credits_of(principal.user_id)]

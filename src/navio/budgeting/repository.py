"""Every budgeting query. Never commits."""

from __future__ import annotations

from sqlalchemy import delete, select

from navio.budgeting.models import BudgetPolicy, CategoryDefault, SeasonModelRecord
from navio.kernel.db import Repository


class BudgetingRepository(Repository):
    async def season_model(self) -> SeasonModelRecord | None:
        return await self.session.scalar(
            select(SeasonModelRecord)
            .order_by(SeasonModelRecord.updated_at.desc(), SeasonModelRecord.id)
            .limit(1)
        )

    async def season_model_named(self, name: str) -> SeasonModelRecord | None:
        return await self.session.scalar(
            select(SeasonModelRecord).where(SeasonModelRecord.name == name)
        )

    async def add(self, obj: object) -> None:
        self.session.add(obj)
        await self.session.flush()

    async def defaults(self, countries: list[str]) -> list[CategoryDefault]:
        rows = await self.session.scalars(
            select(CategoryDefault).where(CategoryDefault.country.in_(countries))
        )
        return list(rows)

    async def policies(self, countries: list[str]) -> list[BudgetPolicy]:
        rows = await self.session.scalars(
            select(BudgetPolicy).where(BudgetPolicy.country.in_(countries))
        )
        return list(rows)

    async def remove_default(self, country: str, category: str) -> None:
        await self.session.execute(
            delete(CategoryDefault).where(
                CategoryDefault.country == country, CategoryDefault.category == category
            )
        )

    async def default(self, country: str, category: str) -> CategoryDefault | None:
        return await self.session.get(CategoryDefault, (country, category))

    async def policy(self, country: str) -> BudgetPolicy | None:
        return await self.session.get(BudgetPolicy, country)

"""The Alembic migrations produce exactly the models' schema, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio

from alembic import command

from navio.migrate import alembic_config


async def test_migrations_match_models(database_url: str) -> None:
    # `database_url` was migrated to head by the session fixture; check finds no drift.
    await asyncio.to_thread(command.check, alembic_config(database_url))


async def test_downgrade_and_upgrade_round_trip(tmp_path: object) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/roundtrip.db"
    cfg = alembic_config(url)
    await asyncio.to_thread(command.upgrade, cfg, "head")
    await asyncio.to_thread(command.downgrade, cfg, "base")
    await asyncio.to_thread(command.upgrade, cfg, "head")
    await asyncio.to_thread(command.check, cfg)

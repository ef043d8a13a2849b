"""Budgeting events."""

from __future__ import annotations

from typing import Any

from navio.kernel.events import Event


class DefaultsChanged(Event):
    name = "budgeting.defaults_changed"

    country: str
    actor_id: str
    data: dict[str, Any] = {}


class SeasonModelImported(Event):
    name = "budgeting.season_model_imported"

    model_name: str
    country: str
    rows_used: int

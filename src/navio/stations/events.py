"""Station events, through the outbox (notifications tells travelers and staff)."""

from __future__ import annotations

import uuid

from navio.kernel.events import Event


class TravelerCalled(Event):
    """A traveler checked in at the station: a bay is theirs."""

    name = "stations.traveler_called"

    ticket_id: uuid.UUID
    station_id: uuid.UUID
    user_id: uuid.UUID
    station_name: str


class BatterySwapped(Event):
    name = "stations.battery_swapped"

    swap_id: uuid.UUID
    station_id: uuid.UUID
    owner_id: uuid.UUID
    user_id: uuid.UUID
    station_name: str
    amount_minor: int
    currency: str


class FaultReported(Event):
    name = "stations.fault_reported"

    fault_id: uuid.UUID
    station_id: uuid.UUID
    owner_id: uuid.UUID
    station_name: str
    category: str

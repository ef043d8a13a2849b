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
    # paid with a plan's credit: the swaps left of it (None: paid from the wallet)
    credits_left: int | None = None


class FaultReported(Event):
    name = "stations.fault_reported"

    fault_id: uuid.UUID
    station_id: uuid.UUID
    owner_id: uuid.UUID
    station_name: str
    category: str


class QueueChanged(Event):
    """Something that moves a station's waiting times: someone joined, left, was called or
    served; a pack arrived, left, was read, broke or was mended; the station changed. Pushed to
    the station's live sockets (handlers.py)."""

    name = "stations.queue_changed"

    station_id: uuid.UUID
    reason: str


class PlanBought(Event):
    """A rider bought one of the operator's swap plans (paid to the operator then)."""

    name = "stations.plan_bought"

    credit_id: uuid.UUID
    plan_id: uuid.UUID
    owner_id: uuid.UUID
    user_id: uuid.UUID
    plan_name: str
    swaps: int
    amount_minor: int
    currency: str

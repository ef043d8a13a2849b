"""Stations: battery-swap stations with live queues and signed check-in codes, staff, packs and
their charge, logistics between stations, swaps paid from the wallet, fault tickets, and
recommendations of the station that gets a traveler going soonest."""

from navio.stations.events import (
    BatterySwapped,
    FaultReported,
    PlanBought,
    QueueChanged,
    TravelerCalled,
)

__all__ = ["BatterySwapped", "FaultReported", "PlanBought", "QueueChanged", "TravelerCalled"]

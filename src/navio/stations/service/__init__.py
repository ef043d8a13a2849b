"""Battery-swap stations: operators run stations, their staff and packs; travelers find the
station that gets them going soonest, queue with a signed code, and swap a depleted pack for a
charged one, paid from their wallet to the operator. Never commits."""

from navio.stations.service.base import MAX_RECOMMENDED
from navio.stations.service.faults import FaultOperations
from navio.stations.service.packs import PackOperations
from navio.stations.service.plans import PlanOperations
from navio.stations.service.queue import QueueOperations
from navio.stations.service.stations import StationOperations


class StationsService(
    StationOperations, PackOperations, QueueOperations, FaultOperations, PlanOperations
):
    """The stations context's use cases, one class for callers; the parts live in this package."""


__all__ = ["MAX_RECOMMENDED", "StationsService"]

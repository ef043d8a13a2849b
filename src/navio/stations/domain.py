"""Battery-swap station rules. No I/O.

Batteries charge at their station at the station's charger power, so a battery's state of
charge is known at any time from the last reading: `soc_at`. A battery is ready for a rider
once it holds READY_SOC percent; `ready_at` says when that is.

The queue is served in the order travelers joined it, one traveler per bay at a time, each
service taking the station's service minutes, and nobody is served before a battery is ready
for them. `starts` simulates that: each traveler in turn takes the first free bay and the first
ready battery; the battery each of them brings back starts charging when their service ends
(at RETURN_SOC, a typical depleted pack) and joins the supply. That one simulation gives the
waiting time of a place in the queue and of a traveler who is not there yet (recommendations:
arriving after the drive, behind everyone queued by then).

Faults: open -> in_progress -> resolved (and open -> resolved); a battery reported faulty is out
of service until the fault is resolved.
"""

from __future__ import annotations

import enum
import heapq
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

READY_SOC = 80.0  # percent a battery holds when it is handed to a rider
RETURN_SOC = 20.0  # what a returned battery is assumed to hold until it is read
# how fast one gets to a station, for recommendations: an e-scooter or a car in town
TRAVEL_KMH = 25.0
DETOUR = 1.3  # streets are longer than the straight line


class BatteryStatus(enum.StrEnum):
    CHARGING = "charging"  # at the station; ready once it holds READY_SOC
    WITH_RIDER = "with_rider"
    IN_TRANSIT = "in_transit"  # moved between stations by logistics
    FAULTY = "faulty"
    RETIRED = "retired"


class QueueStatus(enum.StrEnum):
    WAITING = "waiting"
    CALLED = "called"  # checked in at the station: a bay is theirs
    SERVED = "served"
    LEFT = "left"


ACTIVE_QUEUE = frozenset({QueueStatus.WAITING, QueueStatus.CALLED})


class FaultStatus(enum.StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"


FAULT_MOVES: dict[FaultStatus, frozenset[FaultStatus]] = {
    FaultStatus.OPEN: frozenset({FaultStatus.IN_PROGRESS, FaultStatus.RESOLVED}),
    FaultStatus.IN_PROGRESS: frozenset({FaultStatus.RESOLVED}),
    FaultStatus.RESOLVED: frozenset(),
}


class RuleError(ValueError):
    pass


def fault_move(status: FaultStatus, to: FaultStatus) -> FaultStatus:
    if to not in FAULT_MOVES[status]:
        raise RuleError(f"a {status} fault cannot become {to}")
    return to


# ------------------------------------------------------------------ charging
def soc_at(
    soc: float, read_at: datetime, now: datetime, capacity_wh: int, charger_kw: float
) -> float:
    """State of charge (%) of a charging battery `now`, from a reading: linear at the
    charger's power (real chargers taper near full; above READY_SOC it no longer matters)."""
    hours = max((now - read_at).total_seconds(), 0.0) / 3600
    return min(100.0, soc + hours * charger_kw * 1000 / capacity_wh * 100)


def ready_at(soc: float, read_at: datetime, capacity_wh: int, charger_kw: float) -> datetime:
    """When a charging battery read at `soc` holds READY_SOC."""
    if soc >= READY_SOC:
        return read_at
    hours = (READY_SOC - soc) / 100 * capacity_wh / (charger_kw * 1000)
    return read_at + timedelta(hours=hours)


# ------------------------------------------------------------------ the queue
@dataclass(frozen=True, slots=True)
class Station:
    bays: int
    service: timedelta
    capacity_wh: int  # of the packs it swaps, for the returned ones' charging
    charger_kw: float


def starts(
    station: Station,
    batteries_ready: Iterable[datetime],
    travelers: int,
    now: datetime,
    arrivals: Sequence[datetime] | None = None,
) -> list[datetime | None]:
    """When each of `travelers`, in queue order, starts being served: a free bay, a ready
    battery, and (if given) their arrival. None: no battery will be ready for them (the
    station has fewer packs than travelers ahead, and none come back)."""
    bays = [now] * max(station.bays, 1)
    heapq.heapify(bays)
    supply = [max(at, now) for at in batteries_ready]
    heapq.heapify(supply)
    returned_after = ready_at(RETURN_SOC, now, station.capacity_wh, station.charger_kw) - now
    result: list[datetime | None] = []
    for index in range(travelers):
        if not supply:
            result.extend([None] * (travelers - index))
            break
        bay = heapq.heappop(bays)
        start = max(bay, heapq.heappop(supply))
        if arrivals is not None:
            start = max(start, arrivals[index])
        done = start + station.service
        heapq.heappush(bays, done)
        heapq.heappush(supply, done + returned_after)  # the pack they bring back
        result.append(start)
    return result


def wait_for(
    station: Station, batteries_ready: Iterable[datetime], position: int, now: datetime
) -> timedelta | None:
    """How long the traveler at `position` (1 = next) waits from now until served."""
    if position < 1:
        raise RuleError("positions start at 1")
    start = starts(station, batteries_ready, position, now)[-1]
    return None if start is None else start - now


def travel_time(distance_m: float) -> timedelta:
    return timedelta(hours=distance_m * DETOUR / 1000 / TRAVEL_KMH)


def arrival_wait(
    station: Station,
    batteries_ready: Iterable[datetime],
    queued: int,
    now: datetime,
    travel: timedelta,
) -> timedelta | None:
    """For a traveler `travel` away, joining now behind `queued` travelers: how long they wait
    at the station once there (None: no battery for them)."""
    arrive = now + travel
    arrivals = [now] * queued + [arrive]
    start = starts(station, batteries_ready, queued + 1, now, arrivals)[-1]
    return None if start is None else max(start - arrive, timedelta(0))


def minutes(span: timedelta | None) -> int | None:
    return None if span is None else math.ceil(span.total_seconds() / 60)

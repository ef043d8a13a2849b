"""Live journey progress from position fixes: distance travelled, pace, geofence transitions and
the estimated time of arrival. Pure: no I/O, no clock; the service feeds it fixes in time order.

Phones report fixes with an accuracy radius, and a standing phone drifts by about that much.
So distance is counted only when a fix leaves the uncertainty of the last fix that counted (the
anchor); a drifting phone travels nowhere. Pace is an exponentially weighted mean of the speeds
between anchors (time constant `PACE_TAU_S`), so it follows a change of pace within minutes and
forgets a stop as the journey goes on.

A geofence is entered when a fix lies inside it and is accurate enough to tell (its accuracy at
most the fence's radius); it is left only when a fix lies outside it by more than its accuracy
and beyond `EXIT_FACTOR` times the radius. The band between the two keeps a traveler waiting at
the edge of a fence from flapping in and out.

The ETA is the straight-line distance to the destination times the mode's detour factor (the
planner's travel model), at the traveler's pace once measured, else the mode's typical speed.
The pace used is kept within `PACE_BOUNDS` of the typical speed: a traveler standing at a
crossing is not arriving never, and one GPS glitch does not make them arrive now.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from navio.itinerary import MODES
from navio.kernel.geo import haversine_m

Transition = Literal["entered", "exited"]

PACE_TAU_S = 120.0
EXIT_FACTOR = 1.2
PACE_BOUNDS = (0.5, 2.0)
MIN_STEP_M = 5.0
DESTINATION = "destination"


@dataclass(frozen=True, slots=True)
class Fix:
    lat: float
    lon: float
    accuracy_m: float
    at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "lat": self.lat,
            "lon": self.lon,
            "accuracy_m": self.accuracy_m,
            "at": self.at.isoformat(),
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Fix:
        return cls(raw["lat"], raw["lon"], raw["accuracy_m"], datetime.fromisoformat(raw["at"]))


@dataclass(frozen=True, slots=True)
class Fence:
    name: str
    lat: float
    lon: float
    radius_m: float

    def distance_m(self, fix: Fix) -> float:
        return haversine_m(self.lat, self.lon, fix.lat, fix.lon)

    def transition(self, fix: Fix, inside: bool) -> Transition | None:
        distance = self.distance_m(fix)
        if not inside and fix.accuracy_m <= self.radius_m and distance <= self.radius_m:
            return "entered"
        if inside and distance - fix.accuracy_m > self.radius_m * EXIT_FACTOR:
            return "exited"
        return None


@dataclass(frozen=True, slots=True)
class Crossing:
    fence: str
    transition: Transition
    at: datetime
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class Progress:
    """What a journey knows after the fixes so far; stored with the journey between batches."""

    last: Fix | None = None
    anchor: Fix | None = None
    pace_mps: float | None = None
    travelled_m: float = 0.0
    inside: frozenset[str] = field(default_factory=frozenset)

    def to_json(self) -> dict[str, Any]:
        return {
            "last": self.last.to_json() if self.last else None,
            "anchor": self.anchor.to_json() if self.anchor else None,
            "pace_mps": self.pace_mps,
            "travelled_m": self.travelled_m,
            "inside": sorted(self.inside),
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Progress:
        if not raw:
            return cls()
        return cls(
            last=Fix.from_json(raw["last"]) if raw.get("last") else None,
            anchor=Fix.from_json(raw["anchor"]) if raw.get("anchor") else None,
            pace_mps=raw.get("pace_mps"),
            travelled_m=float(raw.get("travelled_m", 0.0)),
            inside=frozenset(raw.get("inside", ())),
        )


def _moved(progress: Progress, fix: Fix) -> Progress:
    anchor = progress.anchor
    if anchor is None:
        return replace(progress, anchor=fix)
    step = haversine_m(anchor.lat, anchor.lon, fix.lat, fix.lon)
    if step <= max(anchor.accuracy_m, fix.accuracy_m, MIN_STEP_M):
        return progress  # within what the fixes can tell apart: drift, not travel
    seconds = (fix.at - anchor.at).total_seconds()
    pace = progress.pace_mps
    if seconds > 0:
        speed = step / seconds
        weight = 1.0 - math.exp(-seconds / PACE_TAU_S)
        pace = speed if pace is None else pace + weight * (speed - pace)
    return replace(progress, anchor=fix, pace_mps=pace, travelled_m=progress.travelled_m + step)


def advance(
    progress: Progress, fixes: list[Fix], fences: list[Fence]
) -> tuple[Progress, list[Crossing]]:
    """The progress after `fixes` (in increasing time, all after `progress.last`) and the
    fence crossings they make, in order."""
    crossings: list[Crossing] = []
    inside = set(progress.inside)
    for fix in fixes:
        if progress.last is not None and fix.at <= progress.last.at:
            raise ValueError("fixes must come in increasing time after the last one")
        progress = replace(_moved(progress, fix), last=fix)
        for fence in fences:
            transition = fence.transition(fix, fence.name in inside)
            if transition == "entered":
                inside.add(fence.name)
            elif transition == "exited":
                inside.discard(fence.name)
            if transition is not None:
                crossings.append(Crossing(fence.name, transition, fix.at, fix.lat, fix.lon))
    return replace(progress, inside=frozenset(inside)), crossings


@dataclass(frozen=True, slots=True)
class Estimate:
    remaining_m: float
    speed_mps: float
    eta_at: datetime


def estimate(progress: Progress, destination: Fence, mode: str) -> Estimate | None:
    """Distance and time still to go from the last fix, or None before the first fix."""
    last = progress.last
    if last is None:
        return None
    model = MODES[mode]
    straight = max(0.0, destination.distance_m(last) - destination.radius_m)
    remaining = straight * model.detour
    low, high = PACE_BOUNDS
    speed = model.speed_mps
    if progress.pace_mps is not None:
        speed = min(max(progress.pace_mps, low * speed), high * speed)
    return Estimate(remaining, speed, last.at + timedelta(seconds=remaining / speed))

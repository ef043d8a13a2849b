"""Travel times for the planner, behind one interface (`TravelTimes`).

Until a router answers for a mode, times come from the straight-line (great-circle) distance
times a detour factor, at a typical speed, plus a fixed overhead per leg:

- walk: detour 1.3, 1.3 m/s (4.7 km/h), no overhead (pedestrian route factors of 1.2-1.4 in
  European city centres; 1.3 m/s is the usual design walking speed);
- transit: detour 1.4, 5.5 m/s (20 km/h in the vehicle), 6 min to walk to the stop and wait
  (urban bus and tram commercial speeds are 15-25 km/h);
- drive: detour 1.35, 8.3 m/s (30 km/h), 4 min to park (urban road circuity 1.3-1.4).

These are modelling assumptions, stated as such; the transit router replaces the transit row.

Legs shorter than 250 m by transit or car are walked: nobody takes a bus for one block. The
planner asks for a whole matrix at once, so a router can answer it in one pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
from numpy.typing import NDArray

Mode = Literal["walk", "transit", "drive"]
EARTH_RADIUS_M = 6_371_008.8
SHORT_LEG_M = 250.0


@dataclass(frozen=True, slots=True)
class ModeModel:
    detour: float
    speed_mps: float
    overhead_s: float


MODES: dict[str, ModeModel] = {
    "walk": ModeModel(1.3, 1.3, 0.0),
    "transit": ModeModel(1.4, 5.5, 360.0),
    "drive": ModeModel(1.35, 8.3, 240.0),
}


class TravelTimes(Protocol):
    def matrix(
        self, points: Sequence[tuple[float, float]], mode: Mode
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(seconds, metres) between every pair of (lat, lon) points, zero on the diagonal."""
        ...


def great_circle_m(points: Sequence[tuple[float, float]]) -> NDArray[np.float64]:
    """Haversine distances between every pair of points, in metres."""
    coords = np.radians(np.asarray(points, dtype=np.float64).reshape(-1, 2))
    lat, lon = coords[:, 0][:, None], coords[:, 1][:, None]
    dlat, dlon = lat - lat.T, lon - lon.T
    a = np.sin(dlat / 2) ** 2 + np.cos(lat) * np.cos(lat.T) * np.sin(dlon / 2) ** 2
    out: NDArray[np.float64] = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return out


class StraightLineTimes:
    """Straight line x detour at a typical speed (the table in the module docstring)."""

    def matrix(
        self, points: Sequence[tuple[float, float]], mode: Mode
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        straight = great_circle_m(points)
        walk, model = MODES["walk"], MODES[mode]
        metres = straight * model.detour
        seconds = metres / model.speed_mps + model.overhead_s
        if mode != "walk":
            short = straight < SHORT_LEG_M
            metres = np.where(short, straight * walk.detour, metres)
            seconds = np.where(short, straight * walk.detour / walk.speed_mps, seconds)
        np.fill_diagonal(seconds, 0.0)
        np.fill_diagonal(metres, 0.0)
        return seconds, metres

"""Travel-time matrices for the itinerary planner, answered by the router.

`RouterTravelTimes` has the planner's `TravelTimes` shape (``matrix(points, mode)``):

- ``transit``: when an imported feed has stops near the points and runs on the day, each
  point's row comes from one RAPTOR run (walk up to 800 m to any stop near it at the day's
  reference time, ride, walk up to 800 m on to each other point), and any pair is walked
  instead when that is sooner; pairs the timetable cannot join are walked. Without such a
  feed the transit row falls back to the documented straight-line model below.
- ``walk`` and ``drive``: the road models of `navio.transit.road` (straight line x detour);
  a leg walked when walking is sooner than driving (parking included); pairs beyond driving
  range are unreachable (infinite).

Walks to, from and between stops use the same walking model as the walk rows, so a pair no
vehicle joins comes out walked.

One RAPTOR run per point: a matrix over n points costs n runs (about 5-30 ms each on the
feeds measured in bench/transit.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

import numpy as np
from numpy.typing import NDArray

from navio.transit import road
from navio.transit.errors import NoService
from navio.transit.gtfs import Timetable
from navio.transit.raptor import UNREACHED, earliest_arrival
from navio.transit.service import ACCESS_RADIUS_M, TransitService

FloatArray = NDArray[np.float64]
EARTH_RADIUS_M = 6_371_008.8
TRANSIT_OVERHEAD_S = 360.0  # straight-line fallback: walk to the stop and wait
TRANSIT_SPEED_MPS = 5.5
TRANSIT_DETOUR = 1.4
FEED_RADIUS_M = 4_000.0


def _distances(points: Sequence[tuple[float, float]]) -> FloatArray:
    coords = np.radians(np.asarray(points, dtype=np.float64).reshape(-1, 2))
    lat, lon = coords[:, 0][:, None], coords[:, 1][:, None]
    a = (
        np.sin((lat - lat.T) / 2) ** 2
        + np.cos(lat) * np.cos(lat.T) * np.sin((lon - lon.T) / 2) ** 2
    )
    out: FloatArray = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return out


def _walk(straight: FloatArray) -> tuple[FloatArray, FloatArray]:
    metres = straight * road.WALK_DETOUR
    return metres / road.WALK_SPEED_MPS, metres


class RouterTravelTimes:
    """Built with `prepare` (which loads the day's timetable); `matrix` is then synchronous."""

    def __init__(self, timetable: Timetable | None, depart_seconds: int, feed: str | None):
        self.timetable = timetable
        self.depart_seconds = depart_seconds
        self.feed = feed

    @classmethod
    async def prepare(
        cls,
        service: TransitService,
        near: tuple[float, float],
        day: date,
        depart_seconds: int = 10 * 3600,
    ) -> RouterTravelTimes:
        """The feed with the stop nearest `near` (within 4 km: the base of a stay need not be
        next to a stop), compiled for `day`; without one (or without service that day) the
        transit rows use the straight-line model."""
        stops = await service.nearby_stops(near[0], near[1], FEED_RADIUS_M, 1)
        if not stops:
            return cls(None, depart_seconds, None)
        feed = await service.repo.feed(stops[0][0].feed_id)
        if feed is None:
            return cls(None, depart_seconds, None)
        try:
            timetable = await service.timetable(feed, day)
        except NoService:
            return cls(None, depart_seconds, None)
        return cls(timetable, depart_seconds, feed.name)

    def matrix(
        self, points: Sequence[tuple[float, float]], mode: str
    ) -> tuple[FloatArray, FloatArray]:
        straight = _distances(points)
        walk_s, walk_m = _walk(straight)
        if mode == "walk":
            np.fill_diagonal(walk_s, 0.0)
            return walk_s, walk_m
        if mode == "drive":
            n = len(points)
            seconds, metres = np.zeros((n, n)), np.zeros((n, n))
            for i in range(n):
                for j in range(n):
                    if i != j:
                        car = road.drive(float(straight[i, j]))
                        if car is None:  # beyond driving range: unreachable
                            seconds[i, j] = metres[i, j] = math.inf
                        else:
                            seconds[i, j], metres[i, j] = car.seconds, car.metres
            walked = (walk_s <= seconds) & (walk_m <= road.WALK_MAX_M)
            out_s = np.where(walked, walk_s, seconds)
            np.fill_diagonal(out_s, 0.0)
            return out_s, np.where(walked, walk_m, metres)
        if mode != "transit":
            raise ValueError(f"unknown mode {mode!r}")
        if self.timetable is None:
            metres = straight * TRANSIT_DETOUR
            seconds = metres / TRANSIT_SPEED_MPS + TRANSIT_OVERHEAD_S
            short = walk_s <= seconds
            out_s = np.where(short, walk_s, seconds)
            np.fill_diagonal(out_s, 0.0)
            return out_s, np.where(short, walk_m, metres)
        return self._transit(points, walk_s, walk_m)

    def _transit(
        self, points: Sequence[tuple[float, float]], walk_s: FloatArray, walk_m: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        tt = self.timetable
        assert tt is not None
        coords = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        stop_points = np.column_stack([tt.stop_lat, tt.stop_lon])
        # straight-line distance from every point to every stop (points x stops)
        lat1, lon1 = np.radians(coords[:, 0])[:, None], np.radians(coords[:, 1])[:, None]
        lat2, lon2 = np.radians(stop_points[:, 0])[None, :], np.radians(stop_points[:, 1])[None, :]
        a = (
            np.sin((lat2 - lat1) / 2) ** 2
            + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
        )
        to_stop = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
        on_foot = to_stop * road.WALK_DETOUR / road.WALK_SPEED_MPS  # the walk rows' model
        access = [
            {int(s): math.ceil(float(on_foot[i, s])) for s in np.flatnonzero(row)}
            for i, row in enumerate(to_stop <= ACCESS_RADIUS_M)
        ]
        n = len(points)
        seconds = walk_s.copy()
        metres = walk_m.copy()
        t0 = self.depart_seconds
        for i in range(n):
            if not access[i]:
                continue
            sources = {s: t0 + walk for s, walk in access[i].items()}
            rounds = earliest_arrival(tt, sources, None, max_rounds=4).rounds
            if rounds.shape[0] < 2:
                continue
            best = rounds[1:].min(axis=0)  # at least one vehicle: walking is the walk rows'
            for j in range(n):
                if j == i or not access[j]:
                    continue
                arrivals = [
                    int(best[s]) + walk for s, walk in access[j].items() if best[s] < UNREACHED
                ]
                if arrivals:
                    by_transit = min(arrivals) - t0
                    if by_transit < seconds[i, j]:
                        seconds[i, j] = by_transit
                        metres[i, j] = walk_m[i, j] * TRANSIT_DETOUR / road.WALK_DETOUR
        np.fill_diagonal(seconds, 0.0)
        return seconds, metres

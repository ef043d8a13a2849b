"""The POI taxonomy: OSM tags to a Navio category, with a documented precedence."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from navio.places.taxonomy import (
    CATEGORY_DESCRIPTIONS,
    CATEGORY_INTERESTS,
    CLASSIFICATION_KEYS,
    DEFAULT_VISIT_MINUTES,
    RULES,
    Category,
    Rule,
    classify,
    rules_for,
)
from navio.profiles import Interest

DOCS = Path(__file__).resolve().parents[3] / "docs" / "places-taxonomy.md"


# ---------------------------------------------------------------- the vocabulary


def test_every_category_has_a_description_a_visit_length_and_interests() -> None:
    for table in (CATEGORY_DESCRIPTIONS, DEFAULT_VISIT_MINUTES, CATEGORY_INTERESTS):
        assert set(table) == set(Category)
    assert all(description.strip() for description in CATEGORY_DESCRIPTIONS.values())
    assert Category.MUSEUM.description == CATEGORY_DESCRIPTIONS[Category.MUSEUM]


def test_interests_are_the_profile_vocabulary() -> None:
    known = {interest.value for interest in Interest}
    used = set().union(*CATEGORY_INTERESTS.values())
    assert used <= known
    # every interest a traveler can pick is served by at least one category
    assert used == known


def test_visit_minutes_are_sane() -> None:
    assert all(0 <= minutes <= 8 * 60 for minutes in DEFAULT_VISIT_MINUTES.values())
    assert DEFAULT_VISIT_MINUTES[Category.MUSEUM] > DEFAULT_VISIT_MINUTES[Category.MONUMENT]
    assert DEFAULT_VISIT_MINUTES[Category.HOTEL] == 0


def test_every_category_can_be_reached_by_some_rule() -> None:
    for category in Category:
        assert list(rules_for(category)), category


def _minimal_tags(rule: Rule) -> dict[str, str]:
    tags: dict[str, str] = {}
    for condition in (rule.when, *rule.also):
        values = sorted(condition.values) if condition.values is not None else ["somevalue"]
        tags[condition.key] = values[0]
    return tags


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.describe())
def test_no_rule_is_shadowed_by_an_earlier_one(rule: Rule) -> None:
    assert classify(_minimal_tags(rule)) is rule.category


@pytest.mark.parametrize(
    "rule",
    [rule for rule in RULES if rule.when.key != "tourism"],
    ids=lambda rule: rule.describe(),
)
def test_the_generic_attraction_flag_never_overrides_a_specific_category(rule: Rule) -> None:
    assert classify(_minimal_tags(rule) | {"tourism": "attraction"}) is rule.category


# ---------------------------------------------------------------- precedence on real tag sets


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        # Helsinki Cathedral as mapped: a church that is also an attraction
        (
            {"amenity": "place_of_worship", "tourism": "attraction", "building": "cathedral"},
            Category.PLACE_OF_WORSHIP,
        ),
        ({"tourism": "hotel", "amenity": "restaurant"}, Category.HOTEL),
        ({"tourism": "museum", "historic": "castle"}, Category.MUSEUM),
        ({"historic": "castle", "tourism": "attraction"}, Category.CASTLE),
        ({"historic": "memorial", "tourism": "artwork"}, Category.MONUMENT),
        ({"historic": "memorial", "memorial": "plaque"}, None),
        (
            {"historic": "memorial", "memorial": "stolperstein", "tourism": "artwork"},
            Category.ARTWORK,
        ),
        (
            {"railway": "station", "public_transport": "station", "train": "yes"},
            Category.TRAIN_STATION,
        ),
        ({"railway": "station", "station": "subway"}, Category.SUBWAY_STATION),
        ({"railway": "station", "station": "miniature"}, None),
        ({"public_transport": "station", "subway": "yes"}, Category.SUBWAY_STATION),
        ({"public_transport": "station", "bus": "yes"}, Category.BUS_STATION),
        ({"public_transport": "station"}, None),
        ({"public_transport": "platform", "bus": "yes"}, None),
        ({"railway": "subway_entrance"}, Category.SUBWAY_ENTRANCE),
        ({"aeroway": "aerodrome", "tourism": "attraction"}, Category.AIRPORT),
        ({"aeroway": "helipad"}, None),
        ({"amenity": "ferry_terminal"}, Category.FERRY_TERMINAL),
        ({"natural": "beach", "tourism": "attraction"}, Category.BEACH),
        ({"natural": "water"}, None),
        ({"leisure": "park", "tourism": "attraction"}, Category.PARK),
        ({"leisure": "swimming_pool", "access": "private"}, None),
        ({"amenity": "parking", "access": "customers"}, Category.PARKING),
        # a pedestrian square closed to traffic but open on foot (Porto Alegre)
        ({"tourism": "attraction", "access": "no", "foot": "yes"}, Category.ATTRACTION),
        ({"tourism": "artwork", "access": "no"}, None),
        ({"tourism": "information", "information": "office"}, Category.INFORMATION),
        ({"tourism": "information"}, Category.INFORMATION),
        ({"tourism": "information", "information": "board"}, None),
        ({"shop": "supermarket"}, Category.SUPERMARKET),
        ({"shop": "department_store"}, Category.MALL),
        ({"shop": "clothes"}, Category.SHOP),
        ({"shop": "vacant"}, None),
        ({"amenity": "marketplace"}, Category.MARKET),
        ({"amenity": "cafe;restaurant"}, Category.RESTAURANT),
        ({"amenity": " ice_cream ;"}, Category.CAFE),
        ({"amenity": "arts_centre"}, Category.ARTS_CENTRE),
        ({"amenity": "charging_station"}, Category.CHARGING_STATION),
        ({"office": "diplomatic"}, Category.EMBASSY),
        ({"amenity": "bench"}, None),
        ({"amenity": "waste_basket"}, None),
        ({"highway": "bus_stop", "name": "Kamppi"}, None),
        ({}, None),
    ],
)
def test_classify(tags: dict[str, str], expected: Category | None) -> None:
    assert classify(tags) is expected


tag_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)
known_keys = st.sampled_from(sorted(CLASSIFICATION_KEYS | {"access", "foot", "station", "bus"}))
known_values = st.sampled_from(
    sorted({value for rule in RULES for c in (rule.when, *rule.also) for value in c.values or ()})
)


@given(st.dictionaries(st.one_of(known_keys, tag_text), st.one_of(known_values, tag_text)))
def test_classify_is_total(tags: dict[str, str]) -> None:
    result = classify(tags)
    assert result is None or isinstance(result, Category)
    if not CLASSIFICATION_KEYS & set(tags):
        assert result is None


# ---------------------------------------------------------------- the docs page


def test_docs_list_every_category_and_every_rule() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for category in Category:
        assert f"`{category.value}`" in text, category
    for rule in RULES:
        assert rule.describe().replace("|", "\\|") in text, rule.describe()

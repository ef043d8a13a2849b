"""The trip-request parser: each phrasing family on its own, then the 30 real TravelPlanner
requests (Xie et al. 2024) against their gold plans.

The data test reads `../shared/data/travelplanner` (the queries with gold plans and the city
list with states); without those files it is skipped, or failed under NAVIO_REQUIRE_SERVICES=1."""

from __future__ import annotations

import ast
import json
import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

import pytest

from navio.assistant.nlu import Gazetteer, TripRequest, parse_trip_request

TRAVELPLANNER = Path(__file__).resolve().parents[4] / "shared" / "data" / "travelplanner"
QUERIES = TRAVELPLANNER / "queries_with_gold_plans.jsonl"
CITIES = TRAVELPLANNER / "citySet_with_states.txt"
REQUIRE_SERVICES = os.environ.get("NAVIO_REQUIRE_SERVICES") == "1"
TODAY = date(2026, 11, 23)

GAZETTEER = Gazetteer.from_pairs(
    [
        ("New York", "New York"),
        ("Buffalo", "New York"),
        ("Ithaca", "New York"),
        ("Chicago", "Illinois"),
        ("Denver", "Colorado"),
        ("Boulder", "Colorado"),
        ("St. Petersburg", "Florida"),
        ("Petersburg", "Alaska"),
        ("Sault Ste. Marie", "Ontario"),
        ("Salt Lake City", "Utah"),
        ("Austin", "Texas"),
        ("Mission", "Texas"),
        ("Houston", "Texas"),
        ("Dallas", "Texas"),
        ("San Antonio", "Texas"),
    ]
)


def parse(text: str, today: date = TODAY) -> TripRequest:
    return parse_trip_request(text, GAZETTEER, today=today)


# --- places -----------------------------------------------------------------------------------


def test_gazetteer_from_pairs_groups_cities_by_region() -> None:
    assert GAZETTEER.regions["Colorado"] == frozenset({"Denver", "Boulder"})
    assert "Sault Ste. Marie" in GAZETTEER.cities
    assert "Texas" not in GAZETTEER.cities


@pytest.mark.parametrize(
    ("text", "origin", "destination"),
    [
        ("a trip from Chicago to Denver", "Chicago", "Denver"),
        ("departing from Chicago and heading to Denver", "Chicago", "Denver"),
        ("starting from Denver, visiting Chicago", "Denver", "Chicago"),
        ("starting in Chicago and ending in Denver", "Chicago", "Denver"),
        ("leaving from Denver towards Chicago", "Denver", "Chicago"),
        ("setting off from Chicago, exploring Denver", "Chicago", "Denver"),
        ("taking off from Chicago and touring Denver", "Chicago", "Denver"),
        ("beginning in Chicago, then into Denver", "Chicago", "Denver"),
        ("the trip starts in Denver, covering Chicago", "Denver", "Chicago"),
        ("a trip to Denver from Chicago", "Chicago", "Denver"),
        ("Chicago to Denver", "Chicago", "Denver"),
        ("Chicago -> Denver", "Chicago", "Denver"),
        ("from chicago to denver", "Chicago", "Denver"),
    ],
)
def test_origin_and_destination_from_their_cues(text: str, origin: str, destination: str) -> None:
    request = parse(text)
    assert (request.origin, request.destination) == (origin, destination)
    assert not request.destination_is_region


def test_the_longest_name_wins() -> None:
    request = parse("from Sault Ste. Marie to St. Petersburg")
    assert (request.origin, request.destination) == ("Sault Ste. Marie", "St. Petersburg")
    assert parse("from St. Petersburg to Petersburg").destination == "Petersburg"
    assert parse("from Chicago to Salt  Lake city").destination == "Salt Lake City"


def test_a_region_is_a_destination() -> None:
    request = parse("from Chicago, stopping in 3 different cities in Colorado")
    assert (request.destination, request.destination_is_region, request.cities) == (
        "Colorado",
        True,
        3,
    )
    assert parse("departing from Denver and venturing into Texas").destination == "Texas"


def test_a_name_both_city_and_region_is_a_region_only_for_several_cities() -> None:
    several = parse("from Chicago, visiting two cities in New York")
    assert (several.destination, several.destination_is_region, several.cities) == (
        "New York",
        True,
        2,
    )
    one = parse("from Chicago to New York")
    assert (one.destination, one.destination_is_region, one.cities) == ("New York", False, 1)
    # The origin is always a city, even when its name is also a region's.
    origin = parse("starting from New York and visiting 2 cities in Colorado")
    assert (origin.origin, origin.destination) == ("New York", "Colorado")


def test_the_origin_is_never_the_destination() -> None:
    request = parse("from Chicago to Denver and back to Chicago")
    assert (request.origin, request.destination) == ("Chicago", "Denver")
    assert parse("from Denver to Denver").destination is None


def test_a_city_name_in_lower_case_without_a_cue_is_not_a_place() -> None:
    request = parse("on a mission: from Chicago, then visiting Austin")
    assert (request.origin, request.destination) == ("Chicago", "Austin")
    assert parse("we are on a mission").destination is None


@pytest.mark.parametrize(
    ("text", "destination", "also"),
    [
        ("from Houston to Austin and San Antonio", "Austin", ("San Antonio",)),
        ("from Chicago, visiting Austin, Dallas and Houston", "Austin", ("Dallas", "Houston")),
        ("from Houston to Austin then San Antonio", "Austin", ("San Antonio",)),
        ("from Houston to Austin, and then on to San Antonio", "Austin", ("San Antonio",)),
        ("from Chicago to Austin & Dallas", "Austin", ("Dallas",)),
        ("Chicago -> Denver -> Boulder", "Denver", ("Boulder",)),
        ("from Chicago to Denver, staying in Boulder", "Denver", ("Boulder",)),
    ],
)
def test_several_destinations_in_the_order_named(
    text: str, destination: str, also: tuple[str, ...]
) -> None:
    request = parse(text)
    assert (request.destination, request.also) == (destination, also)
    assert request.cities == 1 + len(also)
    assert not request.destination_is_region


def test_the_origin_is_never_a_further_destination() -> None:
    request = parse("from Houston, visiting Austin, Dallas and Houston")
    assert (request.origin, request.destination, request.also) == ("Houston", "Austin", ("Dallas",))
    request = parse("from Houston to Austin then San Antonio and back to Houston")
    assert request.also == ("San Antonio",)
    assert request.cities == 2


def test_a_destination_named_twice_is_listed_once() -> None:
    request = parse("from Chicago to Austin, Dallas, then Austin again and Dallas")
    assert (request.destination, request.also, request.cities) == ("Austin", ("Dallas",), 2)


def test_a_region_after_a_city_is_where_the_city_is() -> None:
    request = parse("from Chicago to Buffalo, New York and Ithaca")
    assert (request.destination, request.also) == ("Buffalo", ("Ithaca",))
    assert parse("from Chicago to Austin in Texas").also == ()


def test_a_city_in_another_sentence_is_no_further_destination() -> None:
    request = parse("From Chicago to Austin. Dallas is where my sister lives.")
    assert (request.destination, request.also, request.cities) == ("Austin", (), 1)


def test_a_region_destination_keeps_also_empty() -> None:
    request = parse("from Houston, visiting 2 cities in Texas: Austin and Dallas")
    assert (request.destination, request.destination_is_region) == ("Texas", True)
    assert (request.also, request.cities) == ((), 2)


def test_a_stated_number_of_cities_wins_over_the_names() -> None:
    request = parse("from Houston to 3 cities: Austin and Dallas")
    assert (request.destination, request.also, request.cities) == ("Austin", ("Dallas",), 3)
    assert "3 cities requested but 2 named" in request.notes


# --- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "from March 16th to March 18th, 2022",
        "between March 16th and March 18th, 2022",
        "from the 16th of March to the 18th of March, 2022",
        "from the 16th to the 18th of March, 2022",
        "will begin on March 16th and conclude on March 18th, 2022",
        "from 2022-03-16 to 2022-03-18",
        "Mar 16 - Mar 18 2022",
        "March 16-18, 2022",
        "16 March 2022 to 18 March 2022",
    ],
)
def test_date_forms(text: str) -> None:
    request = parse(text)
    assert (request.start, request.end, request.days) == (
        date(2022, 3, 16),
        date(2022, 3, 18),
        3,
    )
    assert not any(n.startswith("year not given") for n in request.notes)


def test_a_missing_year_is_the_next_occurrence_on_or_after_today() -> None:
    request = parse("from March 16th to March 18th", today=date(2026, 11, 23))
    assert (request.start, request.end) == (date(2027, 3, 16), date(2027, 3, 18))
    assert "year not given: took 2027" in request.notes
    same_day = parse("from March 16th to March 18th", today=date(2026, 3, 16))
    assert same_day.start == date(2026, 3, 16)


def test_an_end_before_the_start_without_a_year_is_in_the_next_year() -> None:
    request = parse("from Dec 30th to Jan 2nd", today=date(2026, 6, 1))
    assert (request.start, request.end, request.days) == (date(2026, 12, 30), date(2027, 1, 2), 4)


def test_a_year_written_once_at_the_end_applies_to_the_start() -> None:
    request = parse("from December 30th to January 2nd, 2023")
    assert (request.start, request.end) == (date(2022, 12, 30), date(2023, 1, 2))


def test_feb_29_waits_for_a_leap_year() -> None:
    assert parse("from Feb 29 to March 2", today=date(2026, 1, 1)).start == date(2028, 2, 29)


def test_an_explicit_end_before_the_start_is_kept_and_noted() -> None:
    request = parse("from Chicago to Denver, March 18th, 2022 to March 16th, 2022, $500")
    assert (request.start, request.end) == (date(2022, 3, 18), date(2022, 3, 16))
    assert "the end is before the start" in request.notes
    assert request.missing == ()


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("a 3-day trip", 3),
        ("for three days", 3),
        ("a week-long trip", 7),
        ("a one-week trip", 7),
        ("for a week", 7),
        ("for two weeks", 14),
        ("4 nights", 5),
        ("we'll pay $100 a day", None),
    ],
)
def test_a_stated_duration_without_dates(text: str, days: int | None) -> None:
    request = parse(text)
    assert request.days == days
    assert request.start is None
    assert "dates" in request.missing


def test_a_count_before_may_is_no_date() -> None:
    request = parse("Our group of 8 may need a trip; children under 10 may join")
    assert (request.start, request.people) == (None, 8)
    assert parse("from 8 May 2027 to 10 May 2027").start == date(2027, 5, 8)


def test_a_start_and_a_duration_give_the_end() -> None:
    request = parse("a 3-day trip from March 16th, 2022")
    assert (request.start, request.end, request.days) == (date(2022, 3, 16), date(2022, 3, 18), 3)
    assert "dates" not in request.missing


def test_a_duration_that_disagrees_with_the_dates_is_noted() -> None:
    request = parse("3 days, from March 16th to March 19th, 2022")
    assert request.days == 4
    assert "3 days stated but the dates span 4" in request.notes


# 2026-11-25 is a Wednesday.
WEDNESDAY = date(2026, 11, 25)
SATURDAY = date(2026, 11, 28)
SUNDAY = date(2026, 11, 29)


@pytest.mark.parametrize(
    ("text", "today", "start", "end"),
    [
        ("leaving tomorrow", WEDNESDAY, date(2026, 11, 26), None),
        ("Today!", WEDNESDAY, WEDNESDAY, None),
        ("the day after tomorrow", WEDNESDAY, date(2026, 11, 27), None),
        ("this weekend", WEDNESDAY, SATURDAY, SUNDAY),
        ("this weekend", SATURDAY, SATURDAY, SUNDAY),
        ("this weekend", SUNDAY, SATURDAY, SUNDAY),
        ("next weekend", WEDNESDAY, date(2026, 12, 5), date(2026, 12, 6)),
        ("next weekend", SATURDAY, date(2026, 12, 5), date(2026, 12, 6)),
        ("next week", WEDNESDAY, date(2026, 11, 30), date(2026, 12, 6)),
        ("next week", SUNDAY, date(2026, 11, 30), date(2026, 12, 6)),
        ("in 3 days", WEDNESDAY, SATURDAY, None),
        ("in three days", WEDNESDAY, SATURDAY, None),
        ("in 2 weeks", WEDNESDAY, date(2026, 12, 9), None),
        ("in a week", WEDNESDAY, date(2026, 12, 2), None),
        ("in two weeks", WEDNESDAY, date(2026, 12, 9), None),
        ("in a couple of weeks", WEDNESDAY, date(2026, 12, 9), None),
        ("next month", WEDNESDAY, date(2026, 12, 1), None),
        ("next month", date(2027, 1, 31), date(2027, 2, 1), None),
        ("next month", date(2026, 12, 31), date(2027, 1, 1), None),
        ("on Friday", WEDNESDAY, date(2026, 11, 27), None),
        ("on Wednesday", WEDNESDAY, date(2026, 12, 2), None),
        # the coming Friday, not the one of next week
        ("next Friday", WEDNESDAY, date(2026, 11, 27), None),
        ("next Friday", date(2026, 11, 27), date(2026, 12, 4), None),
    ],
)
def test_relative_dates(text: str, today: date, start: date, end: date | None) -> None:
    request = parse(text, today=today)
    assert (request.start, request.end) == (start, end)
    assert request.days == (None if end is None else (end - start).days + 1)
    assert ("dates" in request.missing) == (end is None)


@pytest.mark.parametrize(
    ("text", "today", "start", "end"),
    [
        ("tomorrow, for 3 days", WEDNESDAY, date(2026, 11, 26), date(2026, 11, 28)),
        ("on Friday for a week", WEDNESDAY, date(2026, 11, 27), date(2026, 12, 3)),
        ("in two weeks, 4 nights", WEDNESDAY, date(2026, 12, 9), date(2026, 12, 13)),
        ("in a week for a week", WEDNESDAY, date(2026, 12, 2), date(2026, 12, 8)),
        ("next month for 5 days", date(2027, 1, 31), date(2027, 2, 1), date(2027, 2, 5)),
    ],
)
def test_a_relative_start_and_a_duration_give_the_end(
    text: str, today: date, start: date, end: date
) -> None:
    request = parse(text, today=today)
    assert (request.start, request.end, request.days) == (start, end, (end - start).days + 1)
    assert "dates" not in request.missing


def test_how_a_relative_date_was_read_is_noted() -> None:
    request = parse("from Chicago to Denver next weekend, $500", today=date(2026, 12, 5))
    assert (request.start, request.end) == (date(2026, 12, 12), date(2026, 12, 13))
    assert "next weekend: 2026-12-12 to 2026-12-13" in request.notes
    assert request.missing == ()
    assert "next Friday: 2026-11-27" in parse("Next  friday", today=WEDNESDAY).notes
    assert "in three days: 2026-11-28" in parse("In three days", today=WEDNESDAY).notes


def test_explicit_dates_win_over_a_relative_phrase() -> None:
    request = parse("next weekend, from March 16th to March 18th, 2027", today=WEDNESDAY)
    assert (request.start, request.end) == (date(2027, 3, 16), date(2027, 3, 18))
    assert "next weekend: not used, the dates given win" in request.notes
    assert parse("tomorrow, or rather on 2027-01-04", today=WEDNESDAY).start == date(2027, 1, 4)


def test_in_some_days_is_when_not_how_long() -> None:
    assert parse("in 3 days", today=WEDNESDAY).days is None
    # after a number of cities it is the length of the tour
    request = parse("3 cities in 5 days", today=WEDNESDAY)
    assert (request.start, request.days) == (None, 5)


def test_a_length_within_a_relative_range_starts_at_its_beginning() -> None:
    request = parse("a 3-day trip next week", today=WEDNESDAY)
    assert (request.start, request.end, request.days) == (
        date(2026, 11, 30),
        date(2026, 12, 2),
        3,
    )
    assert "next week: 2026-11-30 to 2026-12-06" in request.notes
    # a length longer than the phrase's range keeps the range (and says so)
    longer = parse("a 9-day trip next week", today=WEDNESDAY)
    assert (longer.start, longer.end, longer.days) == (date(2026, 11, 30), date(2026, 12, 6), 7)
    assert "9 days stated but the dates span 7" in longer.notes


# --- travellers and budget --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "people"),
    [
        ("a solo trip for 3 days", 1),
        ("I'll be travelling alone", 1),
        ("planned for a single person", 1),
        ("for one person", 1),
        ("a travel plan for two departing from Chicago", 2),
        ("a 3-day trip for two, starting in Chicago", 2),
        ("for 2 people", 2),
        ("for two individuals", 2),
        ("for a group of 8", 8),
        ("We are a group of five looking for a 7-day trip", 5),
        ("a trip for a couple", 2),
        ("a family of four", 4),
        ("a trip for 3 days in 2 cities", 1),
    ],
)
def test_people(text: str, people: int) -> None:
    assert parse(text).people == people


def test_people_default_to_one_with_a_note() -> None:
    request = parse("from Chicago to Denver")
    assert request.people == 1
    assert "number of travellers not given: took 1" in request.notes


@pytest.mark.parametrize(
    ("text", "minor", "currency"),
    [
        ("with a budget of $1,700.", 170_000, "USD"),
        ("Our budget is approximately $15,100, and", 1_510_000, "USD"),
        ("a budget of $999.50", 99_950, "USD"),
        ("a budget of 1,200 dollars", 120_000, "USD"),
        ("a budget of USD 800", 80_000, "USD"),
        ("we can spend €2,500", 250_000, "EUR"),
        ("about 900 euros", 90_000, "EUR"),
        ("£1.5k", 150_000, "GBP"),
        ("300 GBP in all", 30_000, "GBP"),
        ("$200 a night, and our budget is $1,500 in all", 150_000, "USD"),
    ],
)
def test_budget(text: str, minor: int, currency: str) -> None:
    request = parse(text)
    assert (request.budget_minor, request.currency) == (minor, currency)


def test_a_budget_without_a_currency_is_kept_and_noted() -> None:
    request = parse("our budget is 1700")
    assert (request.budget_minor, request.currency) == (170_000, None)
    assert "budget currency not given" in request.notes


# --- preferences ------------------------------------------------------------------------------


def test_cuisines_in_the_order_mentioned() -> None:
    request = parse("we enjoy both American and Chinese cuisines, and some thai, bbq and fast-food")
    assert request.cuisines == ("American", "Chinese", "Thai", "BBQ", "Fast Food")
    assert parse("a trip to Indianapolis with my team").cuisines == ()


@pytest.mark.parametrize(
    ("text", "rules"),
    [
        ("we require accommodations where parties are allowed", ("parties",)),
        ("must be suitable for children under 10", ("children under 10",)),
        ("must accommodate children under the age of 10", ("children under 10",)),
        ("we'll be traveling with young children", ("children under 10",)),
        ("accommodations where smoking is permissible", ("smoking",)),
        ("a place that will allow smoking", ("smoking",)),
        ("rooms that permit smoking", ("smoking",)),
        ("we will bring our dog", ("pets",)),
        ("it must accept pets", ("pets",)),
        ("visitors allowed, and parties are allowed", ("visitors", "parties")),
        ("a non-smoking room, no pets", ()),
    ],
)
def test_house_rules(text: str, rules: tuple[str, ...]) -> None:
    assert parse(text).house_rules == rules


@pytest.mark.parametrize(
    ("text", "room_type"),
    [
        ("we would prefer to have private rooms", "private room"),
        ("we would like to rent entire rooms", "entire home/apt"),
        ("an entire home", "entire home/apt"),
        ("a whole apartment", "entire home/apt"),
        ("a shared room is fine", "shared room"),
        ("not a shared room, please", "not shared room"),
        ("no shared rooms", "not shared room"),
        ("no shared rooms: private rooms only", "private room"),
        ("no accommodation restrictions", None),
    ],
)
def test_room_type(text: str, room_type: str | None) -> None:
    assert parse(text).room_type == room_type


@pytest.mark.parametrize(
    ("text", "excluded"),
    [
        ("no flights please", ("flight",)),
        ("we prefer not to fly", ("flight",)),
        ("I do not want to take a flight", ("flight",)),
        ("I will not drive", ("self-driving",)),
        ("without self-driving", ("self-driving",)),
        ("no self-driving and no taxis", ("self-driving", "taxi")),
        ("no flights or taxis", ("flight", "taxi")),
        ("flights are not an option", ("flight",)),
        ("we don't mind flying", ()),
        ("no flights, we'll drive", ("flight",)),
    ],
)
def test_transport_exclusions(text: str, excluded: tuple[str, ...]) -> None:
    assert parse(text).transport_excluded == excluded


def test_no_specific_preferences_means_no_constraints() -> None:
    request = parse(
        "I have no specific preferences about house rules, pets, cuisine, accommodations, "
        "private rooms or flights. But we love Italian food."
    )
    assert request.house_rules == ()
    assert request.room_type is None
    assert request.transport_excluded == ()
    assert request.cuisines == ("Italian",)


# --- missing fields ---------------------------------------------------------------------------


def test_the_missing_required_fields_are_named() -> None:
    assert parse("Plan me a nice trip.").missing == ("origin", "destination", "dates", "budget")
    assert parse("to Denver in March for $500").missing == ("origin", "dates")
    complete = parse("from Chicago to Denver, March 3rd to 5th 2027, $500")
    assert complete.missing == ()


def test_a_full_request() -> None:
    request = parse(
        "We're organizing a week-long trip for 4 people, starting in Chicago and stopping in "
        "three different cities in Colorado. The trip will begin on March 8th and conclude on "
        "March 14th. Our budget is $19,400, we require private rooms, and we won't fly."
    )
    assert request == TripRequest(
        origin="Chicago",
        destination="Colorado",
        destination_is_region=True,
        also=(),
        cities=3,
        start=date(2027, 3, 8),
        end=date(2027, 3, 14),
        days=7,
        people=4,
        budget_minor=1_940_000,
        currency="USD",
        cuisines=(),
        house_rules=(),
        room_type="private room",
        transport_excluded=("flight",),
        missing=(),
        notes=("year not given: took 2027",),
    )


# --- the TravelPlanner requests ---------------------------------------------------------------


@dataclass(frozen=True)
class GoldCase:
    query: str
    origin: str
    visited: tuple[str, ...]
    days: int


def _city(name: str) -> str:
    return re.sub(r"\([^)]*\)$", "", name).strip()  # "Portland(Oregon)" -> "Portland"


def _gold_case(line: str) -> GoldCase:
    messages = json.loads(line)["messages"]
    query = messages[1]["content"].rsplit("Query:", 1)[1].strip()
    days: list[dict[str, Any]] = [d for d in ast.literal_eval(messages[2]["content"]) if d]
    first = re.fullmatch(r"from (.+) to (.+)", days[0]["current_city"])
    last = re.fullmatch(r"from (.+) to (.+)", days[-1]["current_city"])
    assert first is not None and last is not None
    origin = _city(first[1])
    assert _city(last[2]) == origin
    visited: dict[str, None] = {}
    for day in days:
        for name in re.split(r"^from | to ", day["current_city"]):
            if name and _city(name) != origin:
                visited[_city(name)] = None
    return GoldCase(query, origin, tuple(visited), len(days))


def _missing_data(what: Path) -> NoReturn:
    message = f"TravelPlanner data not found: {what}"
    if REQUIRE_SERVICES:
        pytest.fail(message + " (NAVIO_REQUIRE_SERVICES=1)")
    pytest.skip(message)


def _gold_cases() -> list[Any]:
    if not QUERIES.is_file():
        return [pytest.param(None, id="no-data")]
    lines = QUERIES.read_text(encoding="utf-8").splitlines()
    return [pytest.param(_gold_case(line), id=f"q{i:02d}") for i, line in enumerate(lines)]


@pytest.fixture(scope="module")
def travelplanner() -> Gazetteer:
    if not CITIES.is_file():
        _missing_data(CITIES)
    rows = CITIES.read_text(encoding="utf-8").splitlines()
    return Gazetteer.from_pairs((city, state) for city, state in (r.split("\t") for r in rows))


def _parse_real(query: str, gazetteer: Gazetteer) -> TripRequest:
    # Years later than the requests were written: their explicit 2022 must win.
    return parse_trip_request(query, gazetteer, today=TODAY)


@pytest.mark.parametrize("case", _gold_cases())
def test_travelplanner_query_matches_its_gold_plan(
    case: GoldCase | None, travelplanner: Gazetteer
) -> None:
    if case is None:
        _missing_data(QUERIES)
    request = _parse_real(case.query, travelplanner)
    assert request.origin == case.origin
    assert request.also == ()
    if len(case.visited) == 1:
        assert (request.destination, request.destination_is_region) == (case.visited[0], False)
    else:
        assert request.destination_is_region
        assert request.destination is not None
        assert set(case.visited) <= travelplanner.regions[request.destination]
    assert request.cities == len(case.visited)
    assert request.days == case.days
    assert request.budget_minor is not None
    assert request.currency == "USD"
    assert request.people >= 1
    assert request.start is not None
    assert (request.start.year, request.start.month) == (2022, 3)
    assert request.missing == ()


@pytest.mark.parametrize(
    ("fragment", "field", "expected"),
    [
        ("a group of 8", "people", 8),
        ("a group of 8", "house_rules", ("children under 10",)),
        ("parties are allowed", "house_rules", ("parties",)),
        ("smoking is permissible", "house_rules", ("smoking",)),
        ("rent entire rooms", "room_type", "entire home/apt"),
        ("We require entire rooms", "room_type", "entire home/apt"),
        ("prefer to have private rooms", "room_type", "private room"),
        ("provide private rooms", "room_type", "private room"),
        ("both American and Chinese cuisines", "cuisines", ("American", "Chinese")),
        ("fond of American and Chinese cuisines", "cuisines", ("American", "Chinese")),
        ("$15,100", "budget_minor", 1_510_000),
        ("Sault Ste. Marie", "destination", "Michigan"),
    ],
)
def test_travelplanner_query_details(
    fragment: str, field: str, expected: object, travelplanner: Gazetteer
) -> None:
    if not QUERIES.is_file():
        _missing_data(QUERIES)
    lines = QUERIES.read_text(encoding="utf-8").splitlines()
    queries = [q for q in (_gold_case(line).query for line in lines) if fragment in q]
    assert len(queries) == 1, f"{len(queries)} queries contain {fragment!r}"
    assert getattr(_parse_real(queries[0], travelplanner), field) == expected


def test_a_month_in_a_date_is_not_the_town_of_that_name() -> None:
    towns = Gazetteer(frozenset({"March", "Reading", "Los Angeles", "San Diego", "May"}))
    said = parse_trip_request(
        "From March 16th to March 18th, 2027, from Los Angeles to San Diego, $900",
        towns,
        today=date(2026, 12, 7),
    )
    assert said.origin == "Los Angeles" and said.destination == "San Diego"
    assert said.start == date(2027, 3, 16)


def test_function_words_are_not_towns_and_a_city_answers_to_its_short_name() -> None:
    places = Gazetteer(
        frozenset({"To", "Of", "Daytona Beach", "New York City", "Nice"}),
        {"Texas": frozenset({"Dallas", "Houston"})},
        aliases={"New York": "New York City"},
    )
    said = parse_trip_request(
        "From Daytona Beach, visits to 3 distinct cities in Texas, a nice trip of a week",
        places,
        today=date(2026, 12, 7),
    )
    assert said.origin == "Daytona Beach"
    assert said.destination == "Texas" and said.destination_is_region and said.cities == 3
    said = parse_trip_request("From New York to Nice", places, today=date(2026, 12, 7))
    assert (said.origin, said.destination) == ("New York City", "Nice")

"""What a new message changes in the trip understood so far, and what is still asked for."""

from __future__ import annotations

from datetime import date

from navio.assistant.domain import Understood, ask, describe, journey_request, merge
from navio.assistant.nlu import Gazetteer, parse_trip_request

TODAY = date(2026, 12, 7)
PLACES = Gazetteer(
    frozenset({"Los Angeles", "San Diego", "Helsinki", "Tampere"}),
    {"California": frozenset({"Los Angeles", "San Diego", "San Jose"})},
)


def _said(text: str) -> Understood:
    return merge(Understood(), parse_trip_request(text, PLACES, today=TODAY))


def _then(before: Understood, text: str) -> Understood:
    return merge(before, parse_trip_request(text, PLACES, today=TODAY))


def test_a_first_message_asks_for_what_it_lacks() -> None:
    first = _said("A trip from Los Angeles to San Diego for two.")
    assert (first.origin, first.destination, first.people) == ("Los Angeles", "San Diego", 2)
    assert first.missing() == ["dates", "budget"]
    question = ask(first.missing())
    assert "When do you leave" in question and "budget" in question
    assert Understood().missing() == ["origin", "destination", "dates", "budget"]


def test_later_messages_replace_what_they_name_and_keep_the_rest() -> None:
    trip = _said("From Los Angeles to San Diego for two, March 16th to March 18th, budget $900")
    assert trip.start == date(2027, 3, 16) and trip.days == 3 and trip.end == date(2027, 3, 18)
    assert trip.missing() == []
    more = _then(trip, "Actually we are 6 people.")
    assert more.people == 6 and more.people_given
    assert (more.origin, more.destination, more.start, more.budget_minor) == (
        "Los Angeles",
        "San Diego",
        date(2027, 3, 16),
        90_000,
    )
    # a message that names no travelers keeps the party
    richer = _then(more, "Let's say a budget of $4,000.")
    assert richer.people == 6 and richer.budget_minor == 400_000 and richer.currency == "USD"
    later = _then(richer, "Make it April 2nd to April 5th.")
    assert later.start == date(2027, 4, 2) and later.days == 4
    # modes to avoid add up; cuisines and rules are replaced by new ones
    no_fly = _then(later, "No flights please, and we love Mexican food.")
    assert no_fly.excluded_modes == ["flight"] and no_fly.cuisines == ["Mexican"]
    no_taxi = _then(no_fly, "And no taxis either. We'd rather have Italian.")
    assert no_taxi.excluded_modes == ["flight", "taxi"] and no_taxi.cuisines == ["Italian"]
    elsewhere = _then(no_taxi, "Change of plan: Helsinki to Tampere instead.")
    assert (elsewhere.origin, elsewhere.destination) == ("Helsinki", "Tampere")
    assert not elsewhere.destination_is_region


def test_a_region_tour_and_its_description() -> None:
    tour = _said("From Los Angeles visiting 2 cities in California, June 1st to June 6th, $2,500")
    assert tour.destination == "California" and tour.destination_is_region and tour.cities == 2
    text = describe(tour)
    assert text.startswith("A trip for you from Los Angeles to 2 cities in California")
    assert "01 Jun 2027 to 06 Jun 2027" in text


def test_what_is_understood_survives_storage() -> None:
    trip = _said("From Los Angeles to San Diego, March 16th to 18th, $900, Mexican, no flights")
    assert Understood.load(trip.dump()) == trip
    assert Understood.load({**trip.dump(), "unknown": 1}) == trip


def test_several_named_cities_are_all_destinations() -> None:
    places = Gazetteer(frozenset({"Houston", "Austin", "San Antonio", "Dallas"}))
    said = parse_trip_request(
        "From Houston to Austin and San Antonio, March 1st to March 5th, $2,000",
        places,
        today=TODAY,
    )
    trip = merge(Understood(), said)
    assert (trip.destination, trip.also, trip.cities) == ("Austin", ["San Antonio"], 2)
    assert describe(trip).startswith("A trip for you from Houston to Austin and San Antonio")
    request = journey_request(said, [])
    assert request is not None
    assert request.destinations == ("Austin", "San Antonio") and request.cities == 2
    # naming one city later replaces the list
    one = merge(trip, parse_trip_request("Let's go to Dallas instead.", places, today=TODAY))
    assert (one.destination, one.also, one.cities) == ("Dallas", [], 1)

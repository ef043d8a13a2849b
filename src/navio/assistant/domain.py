"""Pure rules of a conversation: what a new message changes in the trip understood so far, what
is still missing and how to ask for it, and how to say what was planned."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from navio.assistant.nlu import TripRequest
from navio.journeys import JourneyRequest

PEOPLE_NOT_GIVEN = "number of travellers not given"
QUESTIONS = {
    "origin": "Where will you leave from?",
    "destination": "Where would you like to go (a city, or a state or country to tour)?",
    "dates": "When do you leave and come back (or for how many days)?",
    "budget": "What is your budget for the whole trip?",
    "currency": "In which currency is the budget ($, € or £)?",
}


@dataclass
class Understood:
    """The trip as understood after every message so far; JSON-able through `dump`/`load`."""

    origin: str | None = None
    destination: str | None = None
    destination_is_region: bool = False
    also: list[str] = field(default_factory=list)  # further cities named after the first
    cities: int = 1
    start: date | None = None
    days: int | None = None
    people: int = 1
    people_given: bool = False
    budget_minor: int | None = None
    currency: str | None = None
    cuisines: list[str] = field(default_factory=list)
    house_rules: list[str] = field(default_factory=list)
    room_type: str | None = None
    excluded_modes: list[str] = field(default_factory=list)

    def dump(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["start"] = self.start.isoformat() if self.start else None
        return out

    @classmethod
    def load(cls, data: dict[str, Any]) -> Understood:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        if known.get("start"):
            known["start"] = date.fromisoformat(str(known["start"]))
        return cls(**known)

    @property
    def end(self) -> date | None:
        if self.start is None or self.days is None:
            return None
        return self.start + timedelta(days=self.days - 1)

    def missing(self) -> list[str]:
        out = []
        if self.origin is None:
            out.append("origin")
        if self.destination is None:
            out.append("destination")
        if self.start is None or self.days is None:
            out.append("dates")
        if self.budget_minor is None:
            out.append("budget")
        elif self.currency is None:
            out.append("currency")
        return out


def merge(before: Understood, said: TripRequest) -> Understood:
    """What the new message says replaces what was understood; what it does not say stays."""
    after = Understood(**before.__dict__)
    if said.origin is not None:
        after.origin = said.origin
    if said.destination is not None:
        after.destination = said.destination
        after.destination_is_region = said.destination_is_region
        after.also = list(said.also)
        after.cities = said.cities
    elif said.cities != 1:
        after.cities = said.cities
    if said.start is not None:
        after.start = said.start
        if said.days is not None:
            after.days = said.days
    elif said.days is not None:
        after.days = said.days
    if not any(PEOPLE_NOT_GIVEN in n for n in said.notes):
        after.people, after.people_given = said.people, True
    if said.budget_minor is not None:
        after.budget_minor = said.budget_minor
        after.currency = said.currency or after.currency
    elif said.currency is not None:
        after.currency = said.currency
    if said.cuisines:
        after.cuisines = list(said.cuisines)
    if said.house_rules:
        after.house_rules = list(said.house_rules)
    if said.room_type is not None:
        after.room_type = said.room_type
    if said.transport_excluded:
        after.excluded_modes = sorted(set(after.excluded_modes) | set(said.transport_excluded))
    return after


def ask(missing: list[str]) -> str:
    return " ".join(QUESTIONS[m] for m in missing)


def money(amount_minor: int, currency: str) -> str:
    return f"{amount_minor / 100:,.2f} {currency}"


def describe(understood: Understood) -> str:
    """One sentence of what will be planned, so the traveler sees what was understood."""
    who = "you" if understood.people == 1 else f"{understood.people} people"
    where = " and ".join([understood.destination or "?", *understood.also])
    if understood.destination_is_region:
        where = f"{understood.cities} {'city' if understood.cities == 1 else 'cities'} in {where}"
    when = ""
    if understood.start and understood.end:
        when = f", {understood.start:%d %b %Y} to {understood.end:%d %b %Y}"
    wishes = []
    if understood.cuisines:
        wishes.append(" and ".join(understood.cuisines) + " food")
    if understood.house_rules:
        wishes.append("lodging allowing " + " and ".join(understood.house_rules))
    if understood.room_type:
        wishes.append(understood.room_type)
    if understood.excluded_modes:
        wishes.append("no " + " or ".join(understood.excluded_modes))
    extra = f" ({'; '.join(wishes)})" if wishes else ""
    return f"A trip for {who} from {understood.origin or '?'} to {where}{when}{extra}."


def journey_request(said: TripRequest, region_cities: Sequence[str]) -> JourneyRequest | None:
    """The composer's request for a fully understood message (None while anything required is
    missing); a toured region's candidate cities are given by the caller."""
    if said.missing or said.origin is None or said.destination is None:
        return None
    if said.start is None or said.days is None or said.budget_minor is None:
        return None
    destinations = (
        tuple(region_cities) if said.destination_is_region else (said.destination, *said.also)
    )
    return JourneyRequest(
        origin=said.origin,
        destinations=destinations,
        cities=said.cities,
        start=said.start,
        days=said.days,
        people=said.people,
        budget_minor=said.budget_minor,
        cuisines=said.cuisines,
        house_rules=said.house_rules,
        room_type=said.room_type,
        excluded_modes=said.transport_excluded,
    )

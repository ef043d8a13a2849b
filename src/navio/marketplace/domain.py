"""Marketplace rules. No I/O.

Operators: a seller's profile with the details a payment provider's KYC check asks for (legal
name, country, company number, the IBAN payouts go to). States: pending (submitted, or changed
since the last decision) -> verified | rejected; changing a legal detail sends a verified or
rejected profile back to pending. Only a verified operator publishes listings and is paid out.

Listings: draft -> published -> archived (and published -> draft to edit quietly); only a
published listing is found, shown to others and booked. Its slots are dated departures with a
capacity; seats are reserved by bookings and given back when a booking is cancelled or expires.

Slots are generated from local times in the listing's time zone: a local time that does not
exist on a day (the hour skipped when clocks go forward) is skipped and counted; a local time
that happens twice (clocks going back) is its first occurrence.

Ratings: one review per traveler and listing, from a traveler whose confirmed booking's slot has
started. A listing's score for ranking is the Bayesian average: its ratings pulled towards the
marketplace's prior mean by PRIOR_WEIGHT phantom ratings, so that one 5-star review does not
outrank a hundred 4.8s.
"""

from __future__ import annotations

import enum
import string
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


class KycStatus(enum.StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


class ListingStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class ListingKind(enum.StrEnum):
    # the booking kinds a listing sells (bookings.OfferKind's values)
    ACTIVITY = "activity"
    LODGING = "lodging"
    TRANSPORT_TICKET = "transport_ticket"


class ReservationStatus(enum.StrEnum):
    HELD = "held"  # the booking awaits payment
    CONFIRMED = "confirmed"
    RELEASED = "released"  # cancelled, expired or failed: the seats went back


LISTING_MOVES: dict[ListingStatus, frozenset[ListingStatus]] = {
    ListingStatus.DRAFT: frozenset({ListingStatus.PUBLISHED, ListingStatus.ARCHIVED}),
    ListingStatus.PUBLISHED: frozenset({ListingStatus.DRAFT, ListingStatus.ARCHIVED}),
    ListingStatus.ARCHIVED: frozenset(),
}

# the fields of an operator's profile a KYC decision vouches for
LEGAL_FIELDS = ("legal_name", "country", "company_number", "iban")

PRIOR_MEAN = 4.0
PRIOR_WEIGHT = 5

MAX_SLOTS_PER_CALL = 2000
MAX_SLOT_RANGE_DAYS = 366


class RuleError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# ------------------------------------------------------------------ IBAN (ISO 13616)
# lengths by country (SWIFT IBAN registry); a country not listed has no IBAN
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
    "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip
_IBAN_CHARS = frozenset(string.ascii_uppercase + string.digits)


def normalise_iban(raw: str) -> str:
    """The IBAN in its electronic form (no spaces, upper case), or RuleError: an unknown
    country, the wrong length for the country, or check digits that fail ISO 7064 mod 97-10."""
    iban = "".join(raw.split()).upper()
    if len(iban) < 5 or not set(iban) <= _IBAN_CHARS:
        raise RuleError("an IBAN is letters and digits", field="iban")
    country = iban[:2]
    expected = IBAN_LENGTHS.get(country)
    if expected is None:
        raise RuleError(f"{country!r} has no IBANs", field="iban")
    if len(iban) != expected:
        raise RuleError(f"an IBAN of {country} has {expected} characters", field="iban")
    if not iban[2:4].isdigit():
        raise RuleError("an IBAN's third and fourth characters are check digits", field="iban")
    rearranged = iban[4:] + iban[:4]
    number = int("".join(str(int(c, 36)) for c in rearranged))
    if number % 97 != 1:
        raise RuleError("the IBAN's check digits do not match: a mistyped character?", "iban")
    return iban


def mask_iban(iban: str) -> str:
    return f"{iban[:4]} **** {iban[-4:]}"


# ------------------------------------------------------------------ operators
def after_change(status: KycStatus, changed: Iterable[str]) -> KycStatus:
    """A decision vouches for the legal details it saw: changing one asks for a new one."""
    return KycStatus.PENDING if set(changed) & set(LEGAL_FIELDS) else status


def decide(status: KycStatus, decision: KycStatus) -> KycStatus:
    if status is not KycStatus.PENDING:
        raise RuleError(f"the operator is {status}: nothing awaits a decision")
    if decision is KycStatus.PENDING:
        raise RuleError("decide verified or rejected", field="decision")
    return decision


# ------------------------------------------------------------------ listings
def move(status: ListingStatus, to: ListingStatus) -> ListingStatus:
    if to not in LISTING_MOVES[status]:
        raise RuleError(f"a {status} listing cannot become {to}")
    return to


# ------------------------------------------------------------------ slots
@dataclass(frozen=True, slots=True)
class SlotPlan:
    starts: list[datetime]  # UTC, ascending
    nonexistent: int  # local times skipped by a clock change
    past: int  # starts not after `now`


def _exists(local: datetime) -> bool:
    """Whether a naive local time happens in its zone (it survives the round trip)."""
    back = local.astimezone(UTC).astimezone(local.tzinfo)
    return back.replace(tzinfo=None) == local.replace(tzinfo=None)


def _days(first: date, last: date, weekdays: frozenset[int]) -> Iterator[date]:
    day = first
    while day <= last:
        if day.weekday() in weekdays:
            yield day
        day += timedelta(days=1)


def plan_slots(
    first: date,
    last: date,
    weekdays: Iterable[int],
    times: Iterable[time],
    zone: ZoneInfo,
    now: datetime,
) -> SlotPlan:
    """Every start on the chosen weekdays between two local dates (inclusive) at the local
    times, in UTC. Weekdays: 0 is Monday."""
    if last < first:
        raise RuleError("the last day comes before the first", field="to_date")
    if (last - first).days >= MAX_SLOT_RANGE_DAYS:
        raise RuleError(f"at most {MAX_SLOT_RANGE_DAYS} days at a time", field="to_date")
    chosen = frozenset(weekdays)
    clock = sorted(set(times))
    starts: list[datetime] = []
    nonexistent = past = 0
    for day in _days(first, last, chosen):
        for at in clock:
            local = datetime.combine(day, at, tzinfo=zone)  # fold=0: the first of two
            if not _exists(local):
                nonexistent += 1
                continue
            start = local.astimezone(UTC)
            if start <= now:
                past += 1
                continue
            starts.append(start)
            if len(starts) > MAX_SLOTS_PER_CALL:
                raise RuleError(
                    f"at most {MAX_SLOTS_PER_CALL} slots at a time: fewer days or times",
                    field="times",
                )
    return SlotPlan(sorted(starts), nonexistent, past)


def seats_left(capacity: int, reserved: int) -> int:
    return max(capacity - reserved, 0)


# ------------------------------------------------------------------ reviews
def may_review(reservation_status: ReservationStatus, slot_start: datetime, now: datetime) -> bool:
    """A traveler reviews what they were booked on, once it has begun."""
    return reservation_status is ReservationStatus.CONFIRMED and slot_start <= now


def bayesian_score(rating_sum: int, rating_count: int) -> float:
    return (PRIOR_MEAN * PRIOR_WEIGHT + rating_sum) / (PRIOR_WEIGHT + rating_count)


def average(rating_sum: int, rating_count: int) -> float | None:
    return round(rating_sum / rating_count, 2) if rating_count else None

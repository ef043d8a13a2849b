"""Schemathesis hooks for the runs in `test_api_fuzz.py`, loaded through `SCHEMATHESIS_HOOKS`.
`NAVIO_FUZZ_IDS` holds the ids of the owner's objects, by the name of the parameter or field that
carries them. Generated bodies and queries name those objects and carry plausible money (a
currency in use, an amount above zero), so that requests get past the checks of input to the
code behind them. `NAVIO_FUZZ_ROLE` says who sends the requests, and so what
`caller_is_refused` requires:

- `owner`: the owner themselves (the check is not asked for);
- `stranger`: an ordinary user with no part in any of it: every request naming one of the ids
  gets a 4xx;
- `viewer`: a member of the owner's trip with the viewer role: they may read what belongs to
  the trip and share their own journey on it, and every request that would change the trip or
  another's journey gets a 4xx; what belongs to the owner alone
  (their account, cards, organisation, wallet payment, booking, statement import) stays out of
  reach as for a stranger;
- everyone reads the owner's published listing, its dates and reviews (and another seller's
  tour the owner reviewed); changing any of it is the seller's alone; everyone reads the
  owner's swap station, queues there and reports its faults; its packs, staff, swaps, fault
  list and the owner's place in its queue stay the owner's;
- `anonymous`: no token at all: every operation the document says needs one answers 401, and
  the public ones (a trip read without its link token among them) treat the caller as a
  stranger.
"""

from __future__ import annotations

import json
import os
import zlib
from typing import Any

import schemathesis

IDS: dict[str, str] = json.loads(os.environ.get("NAVIO_FUZZ_IDS", "{}"))
ROLE = os.environ.get("NAVIO_FUZZ_ROLE", "owner")
OWNED = frozenset(IDS.values())
# what a trip's viewer may read (and not change)
TRIP_SCOPED = frozenset(
    (
        "trip_id",
        "item_id",
        "comment_id",
        "suggestion_id",
        "expense_id",
        "settlement_id",
        "receipt_id",
        "journey_id",
    )
)
READS = frozenset({"GET", "HEAD", "OPTIONS"})
# what anyone reads, signed in or not: a published marketplace listing, its dates and reviews;
# a swap station's live state
PUBLIC = frozenset({"listing_id", "tour_id", "station_id"})
# what anyone signed in does at someone's station: queue there, report a fault (of a pack there
# too: a report, which takes no pack out of service unless the station's crew file it)
STATION_ACTIONS = frozenset(
    {"POST /api/v1/stations/{station_id}/queue", "POST /api/v1/stations/{station_id}/faults"}
)
# a swap plan on sale is anyone's to buy
PLAN_ACTIONS = frozenset({"POST /api/v1/stations/plans/{plan_id}/purchase"})
# what any member does on a trip for themselves, the viewer too: share their own journey
MEMBER_ACTIONS = frozenset({"POST /api/v1/trips/{trip_id}/journeys"})
# computations over a trip that store nothing: reads, though sent as POST
COMPUTATIONS = frozenset({"POST /api/v1/budget/compute", "POST /api/v1/budget/optimize"})
# body and query fields that name another object, and the seeded object they should name
FIELDS = {
    "trip_id": "trip_id",
    "item_id": "item_id",
    "trip_item_id": "item_id",
    "payment_id": "payment_id",
    "expense_id": "expense_id",
    "receipt_id": "receipt_id",
}


def _aim(values: Any) -> Any:
    """Point every id field of a generated body or query at the owner's object, and make the
    money in it plausible (a currency in use, an amount above zero), so that requests get past
    the checks of input to the check of who is asking."""
    if isinstance(values, dict):
        for field, name in FIELDS.items():
            if field in values and name in IDS:
                values[field] = IDS[name]
        # the owner's run keeps half of its generated money as it was drawn (odd currencies,
        # amounts of zero or below are input worth sending too); the sweeps need requests that
        # get as far as the check of who asks
        drawn = zlib.crc32(repr(values).encode("utf-8", "surrogatepass")) % 2
        if ROLE == "owner" and drawn:
            return values
        if isinstance(values.get("currency"), str):
            values["currency"] = "EUR"
        amount = values.get("amount_minor")
        if isinstance(amount, int) and not isinstance(amount, bool):
            values["amount_minor"] = 1 + abs(amount) % 100_000
    return values


@schemathesis.hook
def map_body(ctx: Any, body: Any) -> Any:
    return _aim(body)


@schemathesis.hook
def map_query(ctx: Any, query: Any) -> Any:
    return _aim(query)


def _values(data: Any) -> set[str]:
    if isinstance(data, dict):
        return set().union(*(_values(v) for v in data.values())) if data else set()
    if isinstance(data, list):
        return set().union(*(_values(v) for v in data)) if data else set()
    return {str(data)} if data is not None else set()


# Lists of the caller's own objects, which a query parameter only narrows: naming another user's
# trip there selects nothing of theirs (an empty list, whether or not the trip exists).
OWN_LISTS = frozenset({"GET /api/v1/bookings"})


@schemathesis.check
def caller_is_refused(ctx: Any, response: Any, case: Any) -> bool | None:
    """A request naming what the caller may not touch gets a 4xx: nothing of it is read or
    changed. A filter of the caller's own list may answer, as long as nothing of the owner's
    shows."""
    if ROLE == "anonymous" and case.operation.definition.raw.get("security"):
        # the request-wide input guards come before authentication: a body that cannot be read
        # (400, 413, 415) or text with a NUL character (422 `string_nul`) is refused as input
        guarded = response.status_code in (400, 413, 415) or (
            response.status_code == 422 and '"string_nul"' in response.text
        )
        if response.status_code != 401 and not guarded:
            raise AssertionError(
                f"{case.method} {case.formatted_path} answered {response.status_code} "
                f"(caller: {ROLE}) though the document says it needs a token"
            )
        return None
    sent = _values(case.path_parameters) | _values(case.query) | _values(case.body)
    named = {name for name, value in IDS.items() if value in sent}
    label = case.operation.label
    if ROLE == "viewer" and (
        case.method.upper() in READS or label in COMPUTATIONS or label in MEMBER_ACTIONS
    ):
        named -= TRIP_SCOPED
    if case.method.upper() in READS:
        named -= PUBLIC
    if label in STATION_ACTIONS:
        named -= {"station_id", "battery_id"}
    if label in PLAN_ACTIONS:
        named -= {"plan_id"}
    if not named or response.status_code >= 400:
        return None
    own_list = label in OWN_LISTS
    if not own_list or any(value in response.text for value in OWNED):
        raise AssertionError(
            f"{case.method} {case.formatted_path} answered {response.status_code} "
            f"(caller: {ROLE}) naming {sorted(named)}"
        )
    return None

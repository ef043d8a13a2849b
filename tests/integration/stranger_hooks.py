"""Schemathesis hooks for the stranger sweep (`test_api_stranger.py`), loaded through
`SCHEMATHESIS_HOOKS`. `NAVIO_STRANGER_IDS` holds the ids of the other user's objects, by the
name of the parameter or field that carries them."""

from __future__ import annotations

import json
import os
from typing import Any

import schemathesis

IDS: dict[str, str] = json.loads(os.environ.get("NAVIO_STRANGER_IDS", "{}"))
OWNED = frozenset(IDS.values())
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
    """Point every id field of a generated body or query at the other user's object."""
    if isinstance(values, dict):
        for field, name in FIELDS.items():
            if field in values and name in IDS:
                values[field] = IDS[name]
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
def stranger_is_refused(ctx: Any, response: Any, case: Any) -> bool | None:
    """A request that names another user's object gets a 4xx: nothing of it is read or changed.
    A filter of the caller's own list may answer, as long as nothing of the owner's shows."""
    named = (_values(case.path_parameters) | _values(case.query) | _values(case.body)) & OWNED
    if not named or response.status_code >= 400:
        return None
    own_list = case.operation.label in OWN_LISTS
    if not own_list or any(value in response.text for value in OWNED):
        raise AssertionError(
            f"{case.method} {case.formatted_path} answered {response.status_code} to a stranger "
            f"naming {sorted(k for k, v in IDS.items() if v in named)}"
        )
    return None

"""What each event adds to its owner's figures, and day series that add up."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from navio.analytics import domain
from navio.analytics.domain import Fact, Metric, PeriodError, Row

SELLER = uuid.uuid4()


@pytest.mark.parametrize(
    ("name", "payload", "fact"),
    [
        (
            "bookings.booking_confirmed",
            {"operator_id": str(SELLER), "amount_minor": 5000, "currency": "EUR"},
            Fact(SELLER, Metric.BOOKINGS, "EUR", 5000),
        ),
        (
            "bookings.booking_cancelled",
            {"operator_id": str(SELLER), "amount_minor": 2500, "currency": "EUR"},
            Fact(SELLER, Metric.CANCELLATIONS, "EUR", 2500),
        ),
        (
            "stations.battery_swapped",
            {"owner_id": str(SELLER), "amount_minor": 350, "currency": "EUR"},
            Fact(SELLER, Metric.SWAPS, "EUR", 350),
        ),
        ("stations.fault_reported", {"owner_id": str(SELLER)}, Fact(SELLER, Metric.FAULTS, "", 0)),
        (
            "marketplace.review_posted",
            {"seller_id": str(SELLER), "rating": 4},
            Fact(SELLER, Metric.REVIEWS, "", 4),
        ),
        # a swap recorded before swaps named their station's owner counts for nobody
        ("stations.battery_swapped", {"amount_minor": 350, "currency": "EUR"}, None),
        ("trips.item_added", {}, None),
    ],
)
def test_each_event_counts_once_for_its_owner(
    name: str, payload: dict[str, object], fact: Fact | None
) -> None:
    assert domain.fact_of(name, payload) == fact


def test_a_period_is_whole_days_and_not_too_long() -> None:
    assert domain.days(date(2027, 6, 1), date(2027, 6, 3)) == [
        date(2027, 6, 1),
        date(2027, 6, 2),
        date(2027, 6, 3),
    ]
    with pytest.raises(PeriodError):
        domain.days(date(2027, 6, 2), date(2027, 6, 1))
    with pytest.raises(PeriodError):
        domain.days(date(2027, 1, 1), date(2028, 1, 2))


rows = st.lists(
    st.builds(
        Row,
        day=st.dates(min_value=date(2027, 5, 25), max_value=date(2027, 6, 15)),
        metric=st.sampled_from(["bookings", "swaps"]),
        currency=st.sampled_from(["EUR", "SEK"]),
        count=st.integers(min_value=1, max_value=50),
        total=st.integers(min_value=0, max_value=10**9),
    ),
    max_size=40,
)


@given(rows)
def test_series_keep_every_count_of_the_period_and_nothing_else(found: list[Row]) -> None:
    period = [date(2027, 6, 1) + timedelta(days=i) for i in range(10)]
    lines = domain.series(period, found)
    inside = [r for r in found if r.day in period]
    for line in lines.values():
        assert len(line) == len(period)
    assert sum(c for line in lines.values() for c, _ in line) == sum(r.count for r in inside)
    assert sum(t for line in lines.values() for _, t in line) == sum(r.total for r in inside)
    for row in inside:
        count, _ = lines[(row.metric, row.currency)][period.index(row.day)]
        assert count >= row.count

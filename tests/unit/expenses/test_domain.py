"""Splitting, conversion and balances: no minor unit lost or made, balances sum to zero, the
settle-up clears them, and a foreign expense is converted once, as a whole."""

from __future__ import annotations

import itertools
import uuid
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from navio.expenses.domain import (
    Charge,
    Kind,
    Payment,
    SplitError,
    SplitMethod,
    allocate,
    balances,
    split,
)
from navio.expenses.settle import settle
from navio.kernel.fx import FrozenRate, convert_at

PEOPLE = [uuid.UUID(int=i + 1) for i in range(12)]

amounts = st.integers(min_value=1, max_value=10**12)
groups = st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=12, unique=True)


def test_equal_split_remainder_goes_by_member_order() -> None:
    a, b, c = PEOPLE[:3]
    assert split(100, SplitMethod.EQUAL, [(c, None), (a, None), (b, None)]) == {
        a: 34,
        b: 33,
        c: 33,
    }


def test_percent_and_weight_splits_use_largest_remainders() -> None:
    a, b, c = PEOPLE[:3]
    shares = split(
        1000,
        SplitMethod.PERCENT,
        [(a, Decimal("33.33")), (b, Decimal("33.33")), (c, Decimal("33.34"))],
    )
    assert shares == {a: 333, b: 333, c: 334}
    assert split(10, SplitMethod.WEIGHTS, [(a, 2), (b, 1), (c, 0)]) == {a: 7, b: 3, c: 0}
    # 10 * 2/3 = 6.67 and 10 * 1/3 = 3.33: the spare unit goes to the larger fraction (a)


@pytest.mark.parametrize(
    ("method", "entries", "code"),
    [
        (SplitMethod.EXACT, [(PEOPLE[0], 60), (PEOPLE[1], 30)], "shares_do_not_sum"),
        (SplitMethod.PERCENT, [(PEOPLE[0], Decimal("99.99"))], "shares_do_not_sum"),
        (SplitMethod.WEIGHTS, [(PEOPLE[0], 0)], "shares_do_not_sum"),
        (
            SplitMethod.EXACT,
            [(PEOPLE[0], Decimal("99.5")), (PEOPLE[1], Decimal("0.5"))],
            "invalid_expense",
        ),
        (SplitMethod.WEIGHTS, [(PEOPLE[0], -1), (PEOPLE[1], 2)], "invalid_expense"),
        (SplitMethod.EQUAL, [], "invalid_expense"),
        (SplitMethod.EQUAL, [(PEOPLE[0], None), (PEOPLE[0], None)], "invalid_expense"),
        (SplitMethod.PERCENT, [(PEOPLE[0], None)], "shares_do_not_sum"),
    ],
)
def test_bad_splits(
    method: SplitMethod, entries: list[tuple[uuid.UUID, object]], code: str
) -> None:
    with pytest.raises(SplitError) as raised:
        split(100, method, entries)  # type: ignore[arg-type]
    assert raised.value.code == code


@settings(max_examples=300)
@given(amounts, groups, st.data())
def test_every_split_method_sums_exactly(
    amount: int, people: list[uuid.UUID], data: st.DataObject
) -> None:
    assert sum(split(amount, SplitMethod.EQUAL, [(p, None) for p in people]).values()) == amount
    weights = data.draw(st.lists(st.integers(0, 1000), min_size=len(people), max_size=len(people)))
    if any(weights):
        shares = split(amount, SplitMethod.WEIGHTS, list(zip(people, weights, strict=True)))
        assert sum(shares.values()) == amount
        for person, weight in zip(people, weights, strict=True):
            exact = Fraction(amount * weight, sum(weights))
            assert abs(shares[person] - exact) < 1  # each within one unit of its exact part
    cuts = sorted(
        data.draw(
            st.lists(st.integers(0, 10_000), min_size=len(people) - 1, max_size=len(people) - 1)
        )
    )
    bounds = [0, *cuts, 10_000]
    percents = [Decimal(hi - lo) / 100 for lo, hi in itertools.pairwise(bounds)]
    shares = split(amount, SplitMethod.PERCENT, list(zip(people, percents, strict=True)))
    assert sum(shares.values()) == amount


@settings(max_examples=200)
@given(
    amounts,
    st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("20000"), places=6),
    groups,
)
def test_foreign_expense_is_converted_once_then_shared(
    amount: int, rate: Decimal, people: list[uuid.UUID]
) -> None:
    frozen = FrozenRate("JPY", "EUR", rate, date(2024, 3, 15), date(2024, 3, 16))
    own = split(amount, SplitMethod.EQUAL, [(p, None) for p in people])
    total = convert_at(amount, frozen)
    converted = allocate(total, own)
    assert sum(converted.values()) == total  # not the sum of separately converted shares
    for person in people:
        assert abs(converted[person] - Fraction(total * own[person], amount)) < 1


charges = st.builds(
    lambda payer, total, people, refund: (payer, total, people, refund),
    st.sampled_from(PEOPLE[:8]),
    st.integers(1, 10**9),
    st.lists(st.sampled_from(PEOPLE[:8]), min_size=1, max_size=8, unique=True),
    st.booleans(),
)


@settings(max_examples=200)
@given(st.lists(charges, max_size=40), st.data())
def test_balances_sum_to_zero_and_settle_up_clears_them(
    raw: list[tuple[uuid.UUID, int, list[uuid.UUID], bool]], data: st.DataObject
) -> None:
    recorded = [
        Charge(
            payer,
            total,
            split(total, SplitMethod.EQUAL, [(p, None) for p in people]),
            Kind.REFUND if refund else Kind.EXPENSE,
        )
        for payer, total, people, refund in raw
    ]
    paid = data.draw(
        st.lists(
            st.builds(
                Payment,
                st.sampled_from(PEOPLE[:8]),
                st.sampled_from(PEOPLE[8:]),
                st.integers(1, 10**6),
            ),
            max_size=5,
        )
    )
    net = balances(PEOPLE, recorded, paid)
    assert sum(net.values()) == 0
    transfers = settle({str(k): v for k, v in net.items()})
    after = balances(
        PEOPLE,
        recorded,
        [*paid, *(Payment(uuid.UUID(t.payer), uuid.UUID(t.payee), t.amount) for t in transfers)],
    )
    assert set(after.values()) == {0}
    assert len(transfers) <= max(0, sum(1 for v in net.values() if v) - 1)

"""Striped platform accounts: where a posting lands among an account's stripes."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from navio.wallet.domain import PLATFORM, STRIPES, AccountKind, Posting, stripe_of
from navio.wallet.service import _spread

ROWS = [uuid.UUID(int=i + 1) for i in range(STRIPES)]


def _rows(
    balances: list[int], allow_negative: bool = False
) -> dict[int, tuple[uuid.UUID, bool, int]]:
    return {s: (ROWS[s], allow_negative, b) for s, b in enumerate(balances)}


def test_stripe_is_stable_and_in_range() -> None:
    keys = [f"payment:{n}" for n in range(2000)]
    stripes = [stripe_of(k, STRIPES) for k in keys]
    assert stripes == [stripe_of(k, STRIPES) for k in keys]
    assert set(stripes) == set(range(STRIPES))  # every stripe gets used
    assert stripe_of("anything", 1) == 0


def test_credit_lands_on_the_keys_stripe() -> None:
    posting = Posting(AccountKind.PLATFORM_REVENUE, PLATFORM, 500)
    moves = _spread(posting, _rows([0] * STRIPES), 3)
    assert moves == [(ROWS[3], False, 0, 500)]


def test_debit_takes_from_several_stripes_without_overdrawing_any() -> None:
    posting = Posting(AccountKind.PLATFORM_REVENUE, PLATFORM, -250)
    moves = _spread(posting, _rows([100, 0, 50, 200, 0, 0, 0, 0]), 0)
    assert moves[0][0] == ROWS[0]  # the key's stripe first, then the fullest
    assert moves[1][0] == ROWS[3]
    assert sum(m[3] for m in moves) == -250
    assert all(balance + move >= 0 for _, _, balance, move in moves)


def test_debit_beyond_the_account_is_left_for_the_caller_to_refuse() -> None:
    posting = Posting(AccountKind.PLATFORM_REVENUE, PLATFORM, -400)
    moves = _spread(posting, _rows([100, 0, 50, 200, 0, 0, 0, 0]), 2)
    assert len(moves) == 1 and moves[0][2] + moves[0][3] < 0


def test_outside_account_debit_stays_on_one_stripe() -> None:
    posting = Posting(AccountKind.PROVIDER_CLEARING, PLATFORM, -400)
    moves = _spread(posting, _rows([0] * STRIPES, allow_negative=True), 5)
    assert moves == [(ROWS[5], True, 0, -400)]


@given(
    balances=st.lists(st.integers(0, 10_000), min_size=STRIPES, max_size=STRIPES),
    amount=st.integers(1, 90_000),
    stripe=st.integers(0, STRIPES - 1),
)
def test_spread_moves_exactly_the_amount(balances: list[int], amount: int, stripe: int) -> None:
    posting = Posting(AccountKind.PLATFORM_REVENUE, PLATFORM, -amount)
    moves = _spread(posting, _rows(balances), stripe)
    assert sum(m[3] for m in moves) == -amount
    assert len({m[0] for m in moves}) == len(moves)  # each stripe at most once
    overdrawn = any(balance + move < 0 for _, _, balance, move in moves)
    assert overdrawn == (amount > sum(balances))

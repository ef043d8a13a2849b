"""Group settle-up: exact clearing, optimal transfer counts, the heuristic's bound, determinism."""

from __future__ import annotations

import random
from collections.abc import Mapping
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from navio.expenses.settle import (
    EXACT_LIMIT,
    Transfer,
    UnbalancedError,
    settle,
    settle_exact,
    settle_greedy,
)

# ---------------------------------------------------------------- slow references


def reference_min_transfers(balances: Mapping[str, int]) -> int:
    """n minus the most zero-sum groups, by trying every partition into zero-sum subsets."""
    amounts = tuple(sorted(v for v in balances.values() if v))

    @cache
    def most_groups(rest: tuple[int, ...]) -> int:
        if not rest:
            return 0
        first, others = rest[0], rest[1:]
        best = 0
        # every subset of the others that, with `first`, sums to zero is a candidate group
        for pick in range(1 << len(others)):
            chosen = [others[i] for i in range(len(others)) if pick >> i & 1]
            if first + sum(chosen) == 0:
                left = tuple(others[i] for i in range(len(others)) if not pick >> i & 1)
                best = max(best, 1 + most_groups(left))
        return best

    return len(amounts) - most_groups(amounts)


def backtracking_min_transfers(balances: Mapping[str, int]) -> int:
    """Search over transfers themselves (no partition argument): clear member s into some j."""
    debts = [v for v in balances.values() if v]

    def search(start: int) -> int:
        while start < len(debts) and debts[start] == 0:
            start += 1
        if start == len(debts):
            return 0
        best = len(debts)
        for j in range(start + 1, len(debts)):
            if debts[j] * debts[start] < 0:
                debts[j] += debts[start]
                best = min(best, 1 + search(start + 1))
                debts[j] -= debts[start]
        return best

    return search(0)


# ---------------------------------------------------------------- helpers


def balanced(draft: list[int]) -> dict[str, int]:
    """Member ids m00.. with the drafted amounts, the last one fixed so the total is zero."""
    if not draft:
        return {}
    amounts = [*draft[:-1], -sum(draft[:-1])]
    return {f"m{i:02d}": amount for i, amount in enumerate(amounts)}


def nonzero_count(balances: Mapping[str, int]) -> int:
    return sum(1 for v in balances.values() if v)


def assert_clears(balances: Mapping[str, int], transfers: list[Transfer]) -> None:
    left = dict(balances)
    for t in transfers:
        assert t.amount > 0
        assert t.payer != t.payee
        assert balances[t.payer] < 0, "payers only had negative balances"
        assert balances[t.payee] > 0, "payees only had positive balances"
        left[t.payer] += t.amount
        left[t.payee] -= t.amount
    assert all(v == 0 for v in left.values()), left
    assert transfers == sorted(transfers)
    pairs = [(t.payer, t.payee) for t in transfers]
    assert len(pairs) == len(set(pairs))


# Small amounts make coincidental zero-sum subgroups common (the interesting case); large ones
# make them rare.
amount = st.one_of(st.integers(-6, 6), st.integers(-(10**9), 10**9))
drafts = st.lists(amount, min_size=0, max_size=EXACT_LIMIT)
small_drafts = st.lists(st.integers(-8, 8), min_size=0, max_size=7)


# ---------------------------------------------------------------- properties


@given(drafts)
@settings(max_examples=300, deadline=None)
def test_settle_clears_every_balance_exactly(draft: list[int]) -> None:
    balances = balanced(draft)
    assert_clears(balances, settle(balances))


@given(drafts)
@settings(max_examples=200, deadline=None)
def test_exact_is_at_most_n_minus_its_groups_and_greedy_bounds(draft: list[int]) -> None:
    balances = balanced(draft)
    n = nonzero_count(balances)
    exact = settle_exact(balances)
    greedy = settle_greedy(balances)
    assert_clears(balances, exact)
    assert_clears(balances, greedy)
    # The groups exact found are the connected components of its transfers.
    parent = {m: m for m, v in balances.items() if v}

    def root(m: str) -> str:
        while parent[m] != m:
            m = parent[m]
        return m

    for t in exact:
        parent[root(t.payer)] = root(t.payee)
    groups = len({root(m) for m in parent})
    assert len(exact) <= n - groups
    assert len(greedy) <= max(n - 1, 0)
    assert len(exact) <= len(greedy)


@given(small_drafts)
@settings(max_examples=300, deadline=None)
def test_exact_matches_brute_force_optimum(draft: list[int]) -> None:
    balances = balanced(draft)
    optimum = reference_min_transfers(balances)
    assert len(settle_exact(balances)) == optimum
    assert len(settle(balances)) == optimum
    if nonzero_count(balances) <= 6:
        assert backtracking_min_transfers(balances) == optimum


@given(st.lists(st.integers(-50, 50), min_size=EXACT_LIMIT + 1, max_size=60))
@settings(max_examples=100, deadline=None)
def test_greedy_clears_exactly_within_n_minus_1(draft: list[int]) -> None:
    balances = balanced(draft)
    transfers = settle_greedy(balances)
    assert_clears(balances, transfers)
    assert len(transfers) <= max(nonzero_count(balances) - 1, 0)


@given(drafts, st.randoms(use_true_random=False))
@settings(max_examples=100, deadline=None)
def test_deterministic_across_runs_and_dict_order(draft: list[int], rnd: random.Random) -> None:
    balances = balanced(draft)
    items = list(balances.items())
    rnd.shuffle(items)
    shuffled = dict(items)
    for method in (settle, settle_exact, settle_greedy):
        first = method(balances)
        assert method(balances) == first
        assert method(shuffled) == first


# ---------------------------------------------------------------- examples


def test_three_person_dinner() -> None:
    # Ana paid 90.00 for three; Ben and Caro each owe her 30.00.
    balances = {"ana": 6000, "ben": -3000, "caro": -3000}
    assert settle(balances) == [
        Transfer(payer="ben", payee="ana", amount=3000),
        Transfer(payer="caro", payee="ana", amount=3000),
    ]


def test_pairing_matters() -> None:
    balances = {"a": 5, "b": 5, "c": -5, "d": -5, "e": 3, "f": -3}
    expected = [
        Transfer(payer="c", payee="a", amount=5),
        Transfer(payer="d", payee="b", amount=5),
        Transfer(payer="f", payee="e", amount=3),
    ]
    assert settle(balances) == expected
    assert settle_greedy(balances) == expected


def test_exact_beats_greedy_when_groups_are_not_pairs() -> None:
    # {a, c, f} and {b, d, e} each sum to zero: 2 + 2 transfers; largest-first needs 5.
    balances = {"a": 3, "b": -2, "c": 3, "d": -2, "e": 4, "f": -6}
    assert len(settle(balances)) == 4
    assert len(settle_greedy(balances)) == 5
    assert_clears(balances, settle(balances))


def test_unbalanced_is_refused() -> None:
    with pytest.raises(UnbalancedError, match="sum to 1"):
        settle({"a": 5, "b": -4})
    assert issubclass(UnbalancedError, ValueError)


@pytest.mark.parametrize("bad", [5.0, "5", True, None])
def test_non_int_amounts_are_refused(bad: object) -> None:
    with pytest.raises(TypeError):
        settle({"a": bad, "b": -5})  # type: ignore[dict-item]


@pytest.mark.parametrize("balances", [{}, {"a": 0}, {"a": 0, "b": 0, "c": 0}])
def test_nothing_to_settle(balances: dict[str, int]) -> None:
    assert settle(balances) == []
    assert settle_exact(balances) == []
    assert settle_greedy(balances) == []


def test_zero_members_take_no_part() -> None:
    assert settle({"a": 7, "z": 0, "b": -7}) == [Transfer(payer="b", payee="a", amount=7)]


@pytest.mark.parametrize("members", [EXACT_LIMIT + 1, 40])
def test_beyond_the_exact_limit_uses_the_heuristic(members: int) -> None:
    rng = random.Random(members)
    balances = balanced([rng.randint(-100_000, 100_000) or 1 for _ in range(members)])
    assert nonzero_count(balances) > EXACT_LIMIT
    transfers = settle(balances)
    assert transfers == settle_greedy(balances)
    assert_clears(balances, transfers)
    assert len(transfers) <= nonzero_count(balances) - 1


def test_exact_refuses_huge_groups() -> None:
    balances = balanced(list(range(1, 23)))
    with pytest.raises(ValueError, match="at most"):
        settle_exact(balances)

"""Fair prices from crowd reports (`pricing.domain`): one voice per reporter, recent reports
weighing more, outliers screened on the log scale; judgements of a price; monthly history and
the test of a change. Real prices: nightly rates of a Lisbon and an Algarve hotel."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from navio.pricing import domain
from navio.pricing.domain import Confidence, Observation, Verdict
from tests.factories.pricing import nightly_rates

TODAY = date(2026, 12, 7)


def crowd(amounts: list[int], on: date = TODAY, prefix: str = "r") -> list[Observation]:
    return [Observation(f"{prefix}{i}", a, on) for i, a in enumerate(amounts)]


def august_city_rates() -> list[int]:
    return [c for d, c in nightly_rates("City Hotel") if d.year == 2015 and d.month == 8]


def test_each_reporter_counts_once_with_their_latest_price() -> None:
    base = crowd([9000, 9500, 10000, 10500, 11000])
    fair = domain.fair_price(base, TODAY)
    assert fair is not None and fair.median == 10000 and fair.reporters == 5
    # one of them reports forty times a higher price on earlier days, and once more today
    stuffing = [Observation("r0", 30000, TODAY - timedelta(days=d)) for d in range(1, 41)]
    again = domain.fair_price([*base, *stuffing], TODAY)
    assert again is not None
    assert (again.median, again.reporters, again.reports) == (10000, 5, 45)
    # their latest report is what counts: yesterday 9,000, today 12,000
    yesterday = Observation("r0", 9000, TODAY - timedelta(days=1))
    latest = domain.fair_price([*base[1:], yesterday, Observation("r0", 12000, TODAY)], TODAY)
    assert latest is not None and latest.median == 10500


def test_outliers_are_screened_on_real_prices() -> None:
    rates = august_city_rates()[:40]
    clean = domain.fair_price(crowd(rates), TODAY)
    assert clean is not None and clean.outliers == 0
    # three travelers typed cents as euros, two euros as cents, one paid a tourist trap's price
    wrong = [rates[0] * 100, rates[1] * 100, rates[2] * 100, rates[3] // 100, rates[4] // 100]
    trap = [max(rates) * 4]
    dirty = domain.fair_price(crowd(rates) + crowd(wrong + trap, prefix="x"), TODAY)
    assert dirty is not None
    assert dirty.outliers == 6 and dirty.reporters == 40
    assert abs(dirty.median - clean.median) / clean.median < 0.03
    # the plain mean is what the screen saves us from
    mean = sum(rates + wrong + trap) / len(rates + wrong + trap)
    assert mean > 5 * clean.median


def test_recent_reports_weigh_more() -> None:
    old = crowd([10000] * 6, TODAY - timedelta(days=730), prefix="old")
    new = crowd([14000] * 5, TODAY - timedelta(days=10), prefix="new")
    fair = domain.fair_price(old + new, TODAY)
    assert fair is not None and fair.median == 14000
    # and reports older than three years are not read at all
    ancient = crowd([50000] * 20, TODAY - timedelta(days=domain.MAX_AGE_DAYS + 1), prefix="a")
    assert domain.fair_price(old + new + ancient, TODAY) == fair


def test_confidence_follows_the_effective_number_of_reporters() -> None:
    few = domain.fair_price(crowd([100, 110, 120]), TODAY)
    some = domain.fair_price(crowd([100, 110, 120, 105, 115]), TODAY)
    many = domain.fair_price(crowd(list(range(100, 130, 2))), TODAY)
    assert few and some and many
    assert (few.confidence, some.confidence, many.confidence) == (
        Confidence.LOW,
        Confidence.MEDIUM,
        Confidence.HIGH,
    )
    # fifteen again, twelve of them two years old: their weight is a quarter
    aged = crowd(list(range(100, 124, 2)), TODAY - timedelta(days=730), prefix="o")
    mixed = domain.fair_price(aged + crowd(list(range(124, 130, 2))), TODAY)
    assert mixed is not None and mixed.effective < 10 and mixed.confidence == Confidence.MEDIUM


def test_the_median_interval_is_the_order_statistics_table() -> None:
    # the classical table of distribution-free 95 % intervals: n = 10 -> (2, 9), 20 -> (6, 15)
    assert domain.median_interval(list(range(1, 11))) == (2, 9)
    assert domain.median_interval(list(range(1, 21))) == (6, 15)
    assert domain.median_interval([1, 2, 3, 4, 5]) is None
    # brute force: the coverage of (x_j, x_(n-j+1)) is P(j <= B <= n - j) for B ~ Bin(n, 1/2)
    for n in range(6, 40):
        low, high = domain.median_interval(list(range(1, n + 1))) or (0, 0)
        coverage = sum(math.comb(n, k) for k in range(low, n - low + 1)) / 2**n
        tighter = sum(math.comb(n, k) for k in range(low + 1, n - low)) / 2**n
        assert high == n - low + 1 and coverage >= 0.95 > tighter, n


def test_a_price_is_judged_against_the_range() -> None:
    fair = domain.fair_price(crowd(august_city_rates()), TODAY)
    assert fair is not None and fair.low < fair.median < fair.high
    verdicts = {
        amount: domain.judge(amount, fair).verdict
        for amount in (
            fair.median // 10,
            fair.low - 1,
            fair.median,
            fair.high + 1,
            fair.median * 10,
        )
    }
    assert list(verdicts.values()) == [
        Verdict.UNUSUALLY_LOW,
        Verdict.LOW,
        Verdict.TYPICAL,
        Verdict.HIGH,
        Verdict.OVERPRICED,
    ]
    at_median = domain.judge(fair.median, fair)
    assert 40 <= at_median.percentile <= 60 and at_median.versus_median == 0


def test_a_rise_in_real_prices_is_found_and_noise_is_not() -> None:
    resort = nightly_rates("Resort Hotel")
    today = date(2016, 8, 31)
    winter = [c for d, c in resort if date(2016, 1, 1) <= d <= date(2016, 3, 31)]
    summer = [c for d, c in resort if date(2016, 8, 1) <= d <= date(2016, 8, 31)]
    observations = crowd(winter, date(2016, 2, 15), "w") + crowd(summer, today, "s")
    moved = domain.change(observations, today)
    assert moved is not None and moved.significant and moved.ratio > 1.5
    assert (moved.recent, moved.before) == (len(summer), len(winter))
    # the same August prices split at random between the two periods: no change
    shuffled = summer[:]
    random.Random(7).shuffle(shuffled)
    half = len(shuffled) // 2
    null = crowd(shuffled[:half], date(2016, 2, 15), "a") + crowd(shuffled[half:], today, "b")
    same = domain.change(null, today)
    assert same is not None and not same.significant and same.p_value > 0.01
    # too few on one side: no answer
    assert (
        domain.change(crowd(summer[:4], today) + crowd(winter, date(2016, 2, 15), "w"), today)
        is None
    )


def test_hodges_lehmann_is_the_median_pairwise_difference() -> None:
    a = [math.log(x) for x in (100, 120, 130, 150, 170)]
    b = [x + math.log(1.25) for x in a]
    assert math.isclose(math.exp(domain.hodges_lehmann(b, a)), 1.25)
    brute = sorted(x - y for x in b for y in a)
    assert domain.hodges_lehmann(b, a) == brute[len(brute) // 2]


def test_mann_whitney_matches_the_exact_permutation_test() -> None:
    a, b = [1.0, 2.5, 3.1, 4.7, 8.0], [5.2, 6.3, 7.7, 9.4, 10.1, 11.0]
    pooled = a + b

    def u(xs: list[float]) -> float:
        return sum((x > y) + 0.5 * (x == y) for x in xs for y in pooled if y not in xs)

    observed = abs(u(a) - len(a) * len(b) / 2)
    splits = [list(c) for c in combinations(pooled, len(a))]
    extreme = sum(abs(u(s) - len(a) * len(b) / 2) >= observed for s in splits)
    assert math.isclose(domain.mann_whitney(a, b), extreme / len(splits))


def test_monthly_history_reads_each_month_on_its_own() -> None:
    rates = nightly_rates("City Hotel")
    observations = [Observation(f"g{i}", c, d) for i, (d, c) in enumerate(rates)]
    months = domain.monthly(observations)
    assert [m.month for m in months] == [date(2015, m, 1) for m in (7, 8, 9, 10)]
    for month in months:
        inside = sorted(c for d, c in rates if d.replace(day=1) == month.month)
        assert month.reporters == len(inside)
        assert month.low <= month.median <= month.high
        assert inside[(len(inside) - 1) // 2] <= month.median <= inside[len(inside) // 2] + 1


amounts = st.lists(st.integers(min_value=1, max_value=10**7), min_size=1, max_size=40)


@settings(max_examples=200, deadline=None)
@given(amounts, st.integers(min_value=0, max_value=900), st.randoms(use_true_random=False))
def test_estimates_are_ordered_and_do_not_depend_on_order(
    values: list[int], age: int, rnd: random.Random
) -> None:
    observations = crowd(values, TODAY - timedelta(days=age))
    fair = domain.fair_price(observations, TODAY)
    assert fair is not None
    kept = [v.amount for v in fair.voices]
    assert min(kept) <= fair.low <= fair.median <= fair.high <= max(kept)
    assert fair.reporters + fair.outliers == len(values)
    rnd.shuffle(observations)
    assert domain.fair_price(observations, TODAY) == fair


@settings(max_examples=200, deadline=None)
@given(amounts, st.integers(min_value=2, max_value=1000))
def test_estimates_scale_with_the_currency(values: list[int], factor: int) -> None:
    fair = domain.fair_price(crowd(values), TODAY)
    scaled = domain.fair_price(crowd([v * factor for v in values]), TODAY)
    assert fair is not None and scaled is not None
    assert scaled.outliers == fair.outliers
    assert abs(scaled.median - fair.median * factor) <= factor


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(min_value=5_000, max_value=20_000), min_size=3, max_size=30),
    st.data(),
)
def test_fewer_liars_than_honest_reporters_cannot_move_the_median_out_of_range(
    honest: list[int], data: st.DataObject
) -> None:
    liars = data.draw(st.lists(st.integers(min_value=1, max_value=10**9), max_size=len(honest) - 1))
    fair = domain.fair_price(crowd(honest) + crowd(liars, prefix="liar"), TODAY)
    assert fair is not None
    assert min(honest) <= fair.median <= max(honest)

"""The experiments' statistics against references: the hash split against the weights and
between experiments (chi-square), the mixture likelihood ratio against numerical integration,
Wilson's interval against SciPy's, the interval and the p-value agreeing, and the point of it
all: watched after every batch, the always-valid test keeps A/A false positives under alpha
where the z-test does not."""

from __future__ import annotations

import math
import uuid
from functools import partial

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate
from scipy import stats as scipy_stats

from navio.analytics import stats

UNITS = [f"anon:{uuid.uuid5(uuid.NAMESPACE_URL, str(i))}" for i in range(20_000)]


def test_the_split_follows_the_weights_and_is_stable() -> None:
    salt = str(uuid.uuid5(uuid.NAMESPACE_URL, "experiment"))
    chosen = [stats.assign(salt, unit, [1, 3], 100) for unit in UNITS]
    counts = np.bincount([c for c in chosen if c is not None], minlength=2)
    assert counts.sum() == len(UNITS)
    assert scipy_stats.chisquare(counts, [5_000, 15_000]).pvalue > 0.001
    assert chosen[:50] == [stats.assign(salt, unit, [1, 3], 100) for unit in UNITS[:50]]
    # a 30 % share: about 6,000 in, and the same split inside
    inside = [stats.assign(salt, unit, [1, 3], 30) for unit in UNITS]
    taken = [c for c in inside if c is not None]
    assert abs(len(taken) - 6_000) < 4 * math.sqrt(20_000 * 0.3 * 0.7)
    assert (
        scipy_stats.chisquare(np.bincount(taken), [len(taken) / 4, len(taken) * 3 / 4]).pvalue
        > 0.001
    )


def test_experiments_split_independently() -> None:
    first = [stats.assign("first", unit, [1, 1], 100) for unit in UNITS]
    second = [stats.assign("second", unit, [1, 1], 100) for unit in UNITS]
    table = np.zeros((2, 2))
    for a, b in zip(first, second, strict=True):
        assert a is not None and b is not None
        table[a, b] += 1
    assert scipy_stats.chi2_contingency(table).pvalue > 0.001
    assert first != second


def _mixed(theta: float, difference: float, variance: float, tau2: float) -> float:
    prior = scipy_stats.norm.pdf(theta, 0, math.sqrt(tau2))
    return float(prior * math.exp((2 * difference * theta - theta * theta) / (2 * variance)))


def test_the_mixture_ratio_is_the_integral_it_stands_for() -> None:
    # Lambda = integral over theta ~ N(0, tau^2) of the likelihood ratio N(d; theta, V) / N(d; 0, V)
    for difference, variance, tau2 in [(0.02, 1e-4, 4e-4), (-0.3, 0.01, 0.002), (1.5, 2.0, 9.0)]:
        integrand = partial(_mixed, difference=difference, variance=variance, tau2=tau2)
        spread = 12 * math.sqrt(tau2)
        reference, _ = integrate.quad(integrand, -spread, spread, points=[difference], limit=200)
        ours = math.exp(stats.log_mixture_ratio(difference**2 / variance, tau2 / variance))
        assert math.isclose(ours, reference, rel_tol=1e-6), (ours, reference)


def test_the_tuning_makes_the_interval_narrowest_at_the_planned_size() -> None:
    r = stats.tuning(0.05)
    assert math.isclose(r, 2 * math.log(20) + math.log1p(r), rel_tol=1e-12)

    def width(s: float) -> float:
        return (1 + s) / s * (2 * math.log(20) + math.log1p(s))

    assert all(width(r) < width(r * factor) for factor in (0.5, 0.9, 1.1, 2.0))


@given(
    converted=st.integers(0, 500),
    units=st.integers(1, 500),
)
def test_wilson_is_scipys(converted: int, units: int) -> None:
    converted = min(converted, units)
    ours = stats.wilson(converted, units)
    assert ours is not None
    theirs = scipy_stats.binomtest(converted, units).proportion_ci(method="wilson")
    assert math.isclose(ours[0], theirs.low, abs_tol=1e-9)
    assert math.isclose(ours[1], theirs.high, abs_tol=1e-9)


@given(
    rates=st.tuples(st.floats(0.01, 0.99), st.floats(0.01, 0.99)),
    units=st.tuples(st.integers(2, 100_000), st.integers(2, 100_000)),
    planned=st.integers(100, 1_000_000),
)
def test_the_interval_and_the_p_value_agree(
    rates: tuple[float, float], units: tuple[int, int], planned: int
) -> None:
    control = (rates[0], rates[0] * (1 - rates[0]), units[0])
    variant = (rates[1], rates[1] * (1 - rates[1]), units[1])
    estimate = stats.compare(control, variant, (planned / 2, planned / 2))
    assert estimate is not None
    assert estimate.low <= estimate.difference <= estimate.high
    excluded = estimate.low > 0 or estimate.high < 0
    if abs(estimate.p_value - 0.05) > 1e-9:
        assert excluded == (estimate.p_value < 0.05)


def test_nothing_to_compare_without_variation() -> None:
    assert stats.compare((0.0, 0.0, 50), (0.0, 0.0, 50), (500, 500)) is None
    assert stats.compare((0.1, 0.09, 1), (0.2, 0.16, 50), (500, 500)) is None
    assert stats.Arm(10, 0).conversion() == (0.0, 0.0)


def test_the_sample_ratio_check() -> None:
    assert stats.sample_ratio_p([5_000, 5_400], [1, 1]) < stats.SRM_ALPHA
    assert stats.sample_ratio_p([5_000, 5_050], [1, 1]) > 0.1
    assert stats.sample_ratio_p([2_500, 7_400], [1, 3]) > 0.1
    assert stats.sample_ratio_p([3, 4], [1, 1]) is None


def _false_positives(
    rng: np.random.Generator, experiments: int, looks: int, batch: int
) -> tuple[float, float]:
    """A/A experiments at a 10 % rate read after every batch and stopped at the first p < 0.05:
    the share ever declared, by the always-valid test and by the z-test."""
    planned = looks * batch
    always = fixed = 0
    for _ in range(experiments):
        a = np.cumsum(rng.binomial(batch, 0.1, looks))
        b = np.cumsum(rng.binomial(batch, 0.1, looks))
        n = batch * np.arange(1, looks + 1)
        flagged_always = flagged_fixed = False
        for look in range(looks):
            control = stats.Arm(int(n[look]), int(a[look])).conversion()
            variant = stats.Arm(int(n[look]), int(b[look])).conversion()
            estimate = stats.compare(
                (*control, int(n[look])), (*variant, int(n[look])), (planned, planned)
            )
            if estimate is None:
                continue
            flagged_always |= estimate.p_value < 0.05
            flagged_fixed |= estimate.fixed_p_value < 0.05
        always += flagged_always
        fixed += flagged_fixed
    return always / experiments, fixed / experiments


def test_watching_an_aa_test_does_not_make_a_winner() -> None:
    always, fixed = _false_positives(np.random.default_rng(7), experiments=300, looks=40, batch=50)
    # 300 experiments: a binomial standard error of 1.3 points at 5 %
    assert always <= 0.05 + 0.03, always
    assert fixed >= 0.15, fixed  # the z-test, read 40 times, finds a "winner" far too often

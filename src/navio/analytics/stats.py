"""A/B experiments, the statistics: which variant a unit sees (a hash: nothing stored, the same
answer in every process), and comparisons of each variant with the control that stay valid
however often they are read.

The usual z-test is valid once, at a sample size fixed in advance. Read every day and stopped at
the first "significant", it declares a winner in an A/A test far more often than alpha
(bench/experiments.py measures it). Here the p-value and the interval come from a mixture
sequential probability ratio test (mSPRT, a normal mixture over the effect; Robbins 1970,
Johari, Koomen, Pekelis and Walsh, "Always Valid Inference", Operations Research 2022): the
chance that it *ever* crosses alpha under no effect is at most alpha, so results can be watched
and the experiment stopped whenever they are clear.

The mixture's spread is set so the interval is narrowest at the experiment's planned size (the
rest of the sizes stay valid): with s = tau^2 / V the half-width is
sqrt(V (1 + s) / s (2 log(1 / alpha) + log(1 + s))), least at V = V_planned when
s = r with r = 2 log(1 / alpha) + log(1 + r). Variances are the samples' own (plug-in, as every
deployed engine does). Pure: no I/O."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from scipy import stats as scipy_stats

ALPHA = 0.05
SRM_ALPHA = 0.001  # a sample-ratio mismatch is flagged below this
_SPAN = 1 << 60


def bucket(salt: str, unit: str) -> float:
    """A unit's place in [0, 1) for one experiment: SHA-256 of the experiment's salt and the
    unit, uniform and independent between experiments."""
    digest = hashlib.sha256(f"{salt}:{unit}".encode()).digest()
    return (int.from_bytes(digest[:8], "big") >> 4) / _SPAN


def assign(salt: str, unit: str, weights: Sequence[int], traffic_percent: int) -> int | None:
    """The index of the unit's variant, or None when it falls outside the experiment's share
    of traffic. The same unit always gets the same answer."""
    place = bucket(salt, unit) * 100
    if place >= traffic_percent:
        return None
    point = place / traffic_percent * sum(weights)
    reached = 0
    for index, weight in enumerate(weights):
        reached += weight
        if point < reached:
            return index
    return len(weights) - 1  # float rounding at the very top


@dataclass(frozen=True, slots=True)
class Arm:
    """One variant's exposed units and what they did after exposure: how many converted
    (at least one goal event), and the sum and sum of squares of each unit's total value."""

    units: int
    converted: int
    value_sum: int = 0
    value_squares: float = 0.0

    @property
    def rate(self) -> float:
        return self.converted / self.units if self.units else 0.0

    def conversion(self) -> tuple[float, float]:
        """Mean and sample variance of the 0/1 conversion per unit."""
        n, x = self.units, self.converted
        return x / n, x * (n - x) / (n * (n - 1))

    def value(self) -> tuple[float, float]:
        """Mean and sample variance of the value per unit."""
        n = self.units
        mean = self.value_sum / n
        variance = max(0.0, (self.value_squares - self.value_sum * mean) / (n - 1))
        return mean, variance


def wilson(converted: int, units: int, alpha: float = ALPHA) -> tuple[float, float] | None:
    """Wilson's score interval of a proportion (fixed-sample, descriptive)."""
    if units == 0:
        return None
    z = float(scipy_stats.norm.ppf(1 - alpha / 2))
    p = converted / units
    centre = (p + z * z / (2 * units)) / (1 + z * z / units)
    half = z * math.sqrt(p * (1 - p) / units + z * z / (4 * units * units)) / (1 + z * z / units)
    return max(0.0, centre - half), min(1.0, centre + half)


def tuning(alpha: float) -> float:
    """r = 2 log(1 / alpha) + log(1 + r): the mixture spread (in units of the difference's
    variance at the planned size) that makes the interval narrowest there."""
    r = 2 * math.log(1 / alpha)
    for _ in range(60):
        r = 2 * math.log(1 / alpha) + math.log1p(r)
    return r


@dataclass(frozen=True, slots=True)
class Estimate:
    """A variant against the control: the difference of means (variant - control), the
    always-valid interval and p-value, and the classical z-test's p-value for reference."""

    difference: float
    relative: float | None  # difference / the control's mean
    low: float
    high: float
    p_value: float
    fixed_p_value: float

    @property
    def verdict(self) -> Literal["better", "worse", "inconclusive"]:
        if self.low > 0:
            return "better"
        if self.high < 0:
            return "worse"
        return "inconclusive"


def log_mixture_ratio(z_squared: float, s: float) -> float:
    """log of the normal-mixture likelihood ratio for a z statistic, s = tau^2 / V."""
    return -0.5 * math.log1p(s) + z_squared * s / (2 * (1 + s))


def compare(
    control: tuple[float, float, int],
    variant: tuple[float, float, int],
    planned: tuple[float, float],
    alpha: float = ALPHA,
) -> Estimate | None:
    """Each side as (mean, sample variance, units); `planned` the units each side is planned
    to reach. None while a side has fewer than two units or neither varies."""
    (mean_c, var_c, n_c), (mean_v, var_v, n_v) = control, variant
    if n_c < 2 or n_v < 2:
        return None
    v = var_c / n_c + var_v / n_v
    if v <= 0:
        return None
    planned_v = var_c / max(planned[0], 1) + var_v / max(planned[1], 1)
    s = tuning(alpha) * planned_v / v
    difference = mean_v - mean_c
    z_squared = difference * difference / v
    p_value = min(1.0, math.exp(-log_mixture_ratio(z_squared, s)))
    half = math.sqrt(v * (1 + s) / s * (2 * math.log(1 / alpha) + math.log1p(s)))
    return Estimate(
        difference=difference,
        relative=difference / mean_c if mean_c > 0 else None,
        low=difference - half,
        high=difference + half,
        p_value=p_value,
        fixed_p_value=math.erfc(math.sqrt(z_squared) / math.sqrt(2)),
    )


def sample_ratio_p(units: Sequence[int], weights: Sequence[int]) -> float | None:
    """Pearson's chi-square test of the exposed units against the weights: a small p-value
    means the split is broken (assignment, exposure logging or a redirect), whatever the
    results say. None while any expected count is under 5."""
    total, weight = sum(units), sum(weights)
    expected = [total * w / weight for w in weights]
    if not expected or min(expected) < 5:
        return None
    return float(scipy_stats.chisquare(list(units), expected).pvalue)

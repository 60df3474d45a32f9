"""Uncertainty of the published figures: Wilson intervals for proportions, mean intervals.

Both work from additive components (counts, sums, sums of squares), so they apply to any
window merged from partials. Formulas: docs/metrics.md ("Uncertainty").
"""

import math
from fractions import Fraction
from typing import NamedTuple

from metrics.errors import MetricInputError

DEFAULT_Z = 1.96


def _check_z(z: float) -> None:
    if not z > 0:
        raise MetricInputError(f"z must be positive, got {z}")


def wilson_interval(
    successes: int, n: int, z: float = DEFAULT_Z
) -> tuple[float, float] | None:
    """Wilson score interval (low, high) for the proportion successes / n; None when n = 0.

    With p = successes / n: centre = (p + z^2/2n) / (1 + z^2/n) and
    half-width = z / (1 + z^2/n) x sqrt(p(1-p)/n + z^2/4n^2). At p = 0 the low end is exactly
    0.0 and at p = 1 the high end is exactly 1.0; both ends are clamped to [0, 1].
    """
    _check_z(z)
    if n < 0 or not 0 <= successes <= n:
        raise MetricInputError(f"need 0 <= successes <= n, got {successes} of {n}")
    if n == 0:
        return None
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


class MeanEstimate(NamedTuple):
    """A sample mean with its spread; ``sd``, ``se``, ``low`` and ``high`` are None when n = 1."""

    n: int
    mean: float
    sd: float | None
    se: float | None
    low: float | None
    high: float | None


def mean_interval(
    n: int, total: float, total_squares: float, z: float = DEFAULT_Z
) -> MeanEstimate | None:
    """Mean, sample sd (n - 1), standard error sd/sqrt(n) and mean +- z x se, from sums.

    None when n = 0. Integer sums (scores) are combined exactly, so the variance cannot come out
    negative by cancellation; float sums are clamped at 0. The interval is the normal
    approximation and is not clamped to the scale.
    """
    _check_z(z)
    if n < 0:
        raise MetricInputError(f"n must be >= 0, got {n}")
    if n == 0:
        return None
    if isinstance(total, int) and isinstance(total_squares, int):
        mean = float(Fraction(total, n))
        spread = n * total_squares - total * total
        if spread < 0:
            raise MetricInputError(f"sum of squares {total_squares} too small for sum {total}")
        variance = float(Fraction(spread, n * (n - 1))) if n > 1 else None
    else:
        mean = total / n
        variance = max(0.0, (total_squares - total * total / n) / (n - 1)) if n > 1 else None
    if variance is None:
        return MeanEstimate(n, mean, None, None, None, None)
    sd = math.sqrt(variance)
    se = sd / math.sqrt(n)
    return MeanEstimate(n, mean, sd, se, mean - z * se, mean + z * se)


def index_interval(
    n: int, sum_scores: int, sum_squares: int, scale_max: int, z: float = DEFAULT_Z
) -> MeanEstimate | None:
    """:func:`mean_interval` of the scores, rescaled to the 100-point index (x 100 / scale_max)."""
    if scale_max < 1:
        raise MetricInputError(f"scale_max must be >= 1, got {scale_max}")
    raw = mean_interval(n, sum_scores, sum_squares, z)
    if raw is None:
        return None
    factor = 100 / scale_max

    def rescale(value: float | None) -> float | None:
        return None if value is None else value * factor

    # The exact ratio, so the mean equals metrics.surveys.dimension_index to the last bit.
    mean = float(Fraction(100 * sum_scores, n * scale_max))
    return MeanEstimate(n, mean, rescale(raw.sd), rescale(raw.se),
                        rescale(raw.low), rescale(raw.high))

"""Fast draws from the few distributions the simulator needs.

``random.gauss`` is pure Python and was the largest single cost per event, so normal variates
come from a 4096-point table of the standard normal quantile function (inverse transform
sampling): one ``random()`` and one index. The table spans +-3.7 standard deviations, which
only trims tails that the simulator clamps anyway.
"""

import math
import random
from statistics import NormalDist

_SIZE = 4_096
_QUANTILES = tuple(NormalDist().inv_cdf((i + 0.5) / _SIZE) for i in range(_SIZE))


def normal(rng: random.Random, sd: float) -> float:
    """A normal variate with mean 0 and standard deviation ``sd``, within +-3.7 ``sd``."""
    return sd * _QUANTILES[int(rng.random() * _SIZE)]


def normals(rng: random.Random, sd: float, count: int) -> list[float]:
    """``count`` independent :func:`normal` variates: one call for a survey's item noise."""
    random_ = rng.random
    return [sd * _QUANTILES[int(random_() * _SIZE)] for _ in range(count)]


def lognormal(rng: random.Random, median: float, sigma: float) -> float:
    """A log-normal variate with the given ``median`` (its unit) and log-scale ``sigma``."""
    return median * math.exp(sigma * _QUANTILES[int(rng.random() * _SIZE)])


def exponential(rng: random.Random, mean: float) -> float:
    """An exponential variate with the given ``mean`` (its unit); never negative."""
    return -math.log(1.0 - rng.random()) * mean

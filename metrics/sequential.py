"""Sequential detectors of a downward shift in satisfaction, and their thresholds.

Three candidates, compared in bench/dives.py (docs/dives.md, "Choosing the detector"):

- :class:`NormalCusum`: a one-sided CUSUM on standardised scores, fed in batches (one batch
  per time step, any number of responses). Per response z = (mu0 - x) / sigma; per step
  S <- min(h, max(0, S + sum(z) - n k)) with k = delta / (2 sigma). The product uses it.
- :class:`BernoulliCusum`: a CUSUM on the top-box share, per-step increment
  y ln(p1/p0) + (n - y) ln((1 - p1)/(1 - p0)) for y top-box responses out of n.
- :class:`Ewma`: an EWMA chart on scores, lower limit mu0 - L sigma sqrt(lambda / (2 - lambda)).

Each is a small state machine with the same hysteresis: it alarms when its statistic reaches
the threshold and stays in alarm until the statistic returns to its in-control side (CUSUM: 0,
EWMA: the centre line). Thresholds come from a target in-control run length counted in
responses (:func:`normal_cusum_threshold`, :func:`bernoulli_cusum_threshold`,
:func:`ewma_limit`).
"""

import math
from dataclasses import dataclass
from statistics import NormalDist

from metrics.errors import MetricInputError

_STD = NormalDist()
#: Siegmund's overshoot correction for a Gaussian CUSUM (h + 1.166, in sigma units).
_OVERSHOOT = 1.166


def _solve_increasing(function, target: float, low: float = 0.0, high: float = 1.0) -> float:
    """The x with function(x) = target for an increasing function (bisection, 60 steps)."""
    while function(high) < target:
        high *= 2
        if high > 1e6:
            raise MetricInputError(f"no threshold reaches an in-control run length of {target}")
    for _ in range(60):
        middle = (low + high) / 2
        if function(middle) < target:
            low = middle
        else:
            high = middle
    return high


def normal_cusum_arl0(k: float, h: float) -> float:
    """Siegmund's in-control average run length (responses) of a Gaussian CUSUM.

    ARL0 = (exp(2 k b) - 2 k b - 1) / (2 k^2), b = h + 1.166; k and h in sigma units.
    """
    if k <= 0 or h < 0:
        raise MetricInputError(f"need k > 0 and h >= 0, got k={k}, h={h}")
    b = h + _OVERSHOOT
    return (math.exp(2 * k * b) - 2 * k * b - 1) / (2 * k * k)


def normal_cusum_threshold(k: float, arl0_responses: float) -> float:
    """The threshold h (sigma units) whose in-control run length is ``arl0_responses``."""
    if arl0_responses <= 1:
        raise MetricInputError(f"the in-control run length must exceed 1, got {arl0_responses}")
    return _solve_increasing(lambda h: normal_cusum_arl0(k, h), arl0_responses)


def normal_cusum_delay(k: float, h: float, shift_sigma: float) -> float:
    """Siegmund's expected responses to alarm after a downward shift of ``shift_sigma``.

    ARL1 = (exp(-2 d b) + 2 d b - 1) / (2 d^2), d = shift - k, b = h + 1.166 (d = 0: b^2).
    """
    d = shift_sigma - k
    b = h + _OVERSHOOT
    if abs(d) < 1e-12:
        return b * b
    return (math.exp(-2 * d * b) + 2 * d * b - 1) / (2 * d * d)


@dataclass
class NormalCusum:
    """One-sided CUSUM for a fall of the mean score, fed in batches of responses.

    ``mu0`` and ``sigma`` are the baseline mean and standard deviation of scores, ``k`` the
    reference (half the design shift, sigma units), ``h`` the threshold (sigma units).
    """

    mu0: float
    sigma: float
    k: float
    h: float
    s: float = 0.0
    alarm: bool = False

    def __post_init__(self) -> None:
        if not self.sigma > 0 or not self.h > 0:
            raise MetricInputError(f"need sigma > 0 and h > 0, got {self.sigma}, {self.h}")

    def update(self, n: int, total: float) -> bool:
        """Add a step of ``n`` responses whose scores sum to ``total``; True while in alarm."""
        if n:
            step = (n * self.mu0 - total) / self.sigma - n * self.k
            self.s = min(self.h, max(0.0, self.s + step))
        if self.s >= self.h:
            self.alarm = True
        elif self.s <= 0.0:
            self.alarm = False
        return self.alarm


def bernoulli_llr(y: int, n: int, p0: float, p1: float) -> float:
    """Log-likelihood ratio of p1 against p0 for y successes out of n."""
    return y * math.log(p1 / p0) + (n - y) * math.log((1 - p1) / (1 - p0))


def bernoulli_cusum_threshold(p0: float, p1: float, arl0_responses: float) -> float:
    """Threshold h (log-likelihood units) with in-control run length ``arl0_responses``.

    Wald's approximation without overshoot: ARL0 = (e^h - h - 1) / |E0[llr]| per response,
    where E0[llr] = -KL(p0 || p1). It overstates the run length somewhat (the overshoot is
    ignored); bench/dives.py measures the real one.
    """
    if not 0 < p1 < p0 < 1:
        raise MetricInputError(f"need 0 < p1 < p0 < 1, got p0={p0}, p1={p1}")
    drift = p0 * math.log(p0 / p1) + (1 - p0) * math.log((1 - p0) / (1 - p1))
    return _solve_increasing(lambda h: (math.exp(h) - h - 1) / drift, arl0_responses)


def shifted_share(p0: float, shift_sigma: float) -> float:
    """The top-box share after the latent mean falls by ``shift_sigma`` (normal latent model)."""
    return _STD.cdf(_STD.inv_cdf(p0) - shift_sigma)


@dataclass
class BernoulliCusum:
    """One-sided CUSUM on the top-box share falling from ``p0`` to ``p1``."""

    p0: float
    p1: float
    h: float
    s: float = 0.0
    alarm: bool = False

    def update(self, n: int, top: int) -> bool:
        """Add a step of ``n`` responses, ``top`` of them in the top box; True while in alarm."""
        if n:
            self.s = min(self.h, max(0.0, self.s + bernoulli_llr(top, n, self.p0, self.p1)))
        if self.s >= self.h:
            self.alarm = True
        elif self.s <= 0.0:
            self.alarm = False
        return self.alarm


def ewma_arl0_limit(lam: float, arl0_responses: float) -> float:
    """L for an EWMA chart with one (lower) limit and in-control run length ``arl0_responses``.

    Approximation: the asymptotic EWMA is normal with sd sigma sqrt(lam / (2 - lam)) and is
    correlated over about 1 / lam responses, so crossings occur about lam times per response
    per exceedance probability: ARL0 ~ 1 / (lam x Phi(-L)) up to a constant of order 1.
    bench/dives.py measures the real run length.
    """
    if not 0 < lam <= 1:
        raise MetricInputError(f"lambda must be in (0, 1], got {lam}")
    return -_STD.inv_cdf(1 / (lam * arl0_responses))


@dataclass
class Ewma:
    """EWMA chart on single scores with a lower limit mu0 - L sigma sqrt(lam / (2 - lam))."""

    mu0: float
    sigma: float
    lam: float
    limit: float
    z: float | None = None
    alarm: bool = False

    def update_one(self, score: float) -> bool:
        """Add one response; True while in alarm (below the limit until back above mu0)."""
        self.z = self.mu0 if self.z is None else self.z
        self.z = self.lam * score + (1 - self.lam) * self.z
        lower = self.mu0 - self.limit * self.sigma * math.sqrt(self.lam / (2 - self.lam))
        if self.z <= lower:
            self.alarm = True
        elif self.z >= self.mu0:
            self.alarm = False
        return self.alarm

"""The fast samplers: right location, spread and support."""

import math
import random
import statistics

import pytest

from traffic.simulate.sampling import exponential, lognormal, normal

N = 40_000


@pytest.fixture
def rng():
    return random.Random(11)


def test_normal(rng):
    draws = [normal(rng, 2.0) for _ in range(N)]
    assert statistics.mean(draws) == pytest.approx(0.0, abs=0.05)
    assert statistics.stdev(draws) == pytest.approx(2.0, rel=0.02)
    assert max(map(abs, draws)) <= 2.0 * 3.7


def test_lognormal(rng):
    draws = [lognormal(rng, 150.0, 0.7) for _ in range(N)]
    assert statistics.median(draws) == pytest.approx(150.0, rel=0.03)
    assert statistics.stdev(math.log(d) for d in draws) == pytest.approx(0.7, rel=0.03)
    assert min(draws) > 0


def test_exponential(rng):
    draws = [exponential(rng, 120.0) for _ in range(N)]
    assert statistics.mean(draws) == pytest.approx(120.0, rel=0.03)
    assert sum(d > 240.0 for d in draws) / N == pytest.approx(math.exp(-2), abs=0.01)
    assert min(draws) >= 0
